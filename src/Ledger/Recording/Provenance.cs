namespace RatificationLedger.Recording;

/// <summary>
/// Where an entry comes from and how it is identified: stored with every event it produces (Marten headers and
/// metadata columns) and shown by the audit trail.
/// </summary>
/// <param name="Source">Citation: a URL or document reference.</param>
/// <param name="Note">Short free text kept with the entry.</param>
/// <param name="Unconfirmed">True when no source states this exact date; shown wherever the date is shown.</param>
/// <param name="CommandId">Idempotency key. When null, one is derived from the command's content (<c>{command_name}:{40 hex digits}</c>; a chosen id of that form must be the command's own).</param>
/// <param name="RecordedBy">Who records it (Marten user name). Defaults to the ledger's configured user.</param>
/// <param name="CorrelationId">Correlation id of the larger operation (e.g. one import).</param>
/// <param name="CausationId">What caused this command (e.g. the accession that made a state a ratifier).</param>
public sealed record Provenance(
    string? Source = null,
    string? Note = null,
    bool Unconfirmed = false,
    string? CommandId = null,
    string? RecordedBy = null,
    string? CorrelationId = null,
    string? CausationId = null)
{
    /// <summary>No citation, no note, a derived command id.</summary>
    public static Provenance None { get; } = new();

    /// <summary>Longest accepted citation or note.</summary>
    public const int TextLimit = 2000;
}
