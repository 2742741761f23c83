using System.Diagnostics.CodeAnalysis;
using RatificationLedger.Domain;

namespace RatificationLedger.Recording;

/// <summary>What became of a command.</summary>
public enum RecordOutcome
{
    /// <summary>New entries were recorded (or, on a resend, had been recorded by the first send).</summary>
    Recorded,

    /// <summary>The ledger already held this fact; nothing was written.</summary>
    AlreadyRecorded,

    /// <summary>The command broke a rule; nothing was written. See <see cref="RecordResult.Rejection"/>.</summary>
    Rejected,

    /// <summary>The stream was not at the expected version (or stayed contended past the retries); nothing was written.</summary>
    Conflict,
}

/// <summary>One entry a command wrote: its number in the process (the stream version), stored type name and event.</summary>
public sealed record RecordedEvent(long Number, string Type, object Event);

/// <summary>The answer to a command: what was recorded, or why nothing was.</summary>
/// <param name="Outcome">What became of the command.</param>
/// <param name="Stream">The stream it addressed, e.g. <c>nato/swe</c>.</param>
/// <param name="CommandId">The command id, given or derived from the command's content.</param>
/// <param name="Entries">The entries the command recorded (on a resend: the ones the first send recorded).</param>
/// <param name="Rejection">The broken rule, when rejected; for a conflict, what the conflict was.</param>
/// <param name="Version">The stream version after the command (for a conflict or rejection: the version seen).</param>
/// <param name="IsResend">True when the command id had already recorded this command; nothing new was written.</param>
public sealed record RecordResult(
    RecordOutcome Outcome,
    string Stream,
    string CommandId,
    IReadOnlyList<RecordedEvent> Entries,
    Rejection? Rejection,
    long Version,
    bool IsResend = false)
{
    /// <summary>
    /// Notifications to publish after the commit (empty for rejections and conflicts). A resend carries the first
    /// send's notifications again, since the first answer may have been lost before they were published: delivery is
    /// at least once, and notification handlers must be idempotent.
    /// </summary>
    public IReadOnlyList<LedgerNotification> Notifications { get; init; } = [];

    /// <summary>True when the fact is in the ledger after the command (recorded now, before, or by the first send).</summary>
    public bool Succeeded => Outcome is RecordOutcome.Recorded or RecordOutcome.AlreadyRecorded;

    /// <summary>
    /// True when nothing was written because the command was refused (<see cref="RecordOutcome.Rejected"/>) or met a
    /// conflict (<see cref="RecordOutcome.Conflict"/>); <see cref="Rejection"/> then says why, with a stable code. The
    /// ledger's results have a rejection exactly when they did not succeed.
    /// </summary>
    [MemberNotNullWhen(true, nameof(Rejection))]
    public bool IsRefused => Rejection is not null;

    /// <inheritdoc />
    public override string ToString() => Outcome switch
    {
        RecordOutcome.Recorded => $"{Stream}: recorded {string.Join(", ", Entries.Select(e => $"#{e.Number} {e.Type}"))}{(IsResend ? " (resend: already recorded by the first send)" : "")}",
        RecordOutcome.AlreadyRecorded => $"{Stream}: already recorded",
        _ => $"{Stream}: {Outcome.ToString().ToLowerInvariant()}: {Rejection}",
    };
}

/// <summary>The stable codes of results that are not rule breaches of the decider.</summary>
public static class RecordCodes
{
    /// <summary>A command id was reused for a different command.</summary>
    public const string CommandIdReused = "command.id_reused";

    /// <summary>The stream was not at the expected version.</summary>
    public const string VersionConflict = "concurrency.version_conflict";

    /// <summary>The stream stayed contended after every retry.</summary>
    public const string Contended = "concurrency.retries_exhausted";

    /// <summary>A provenance field is too long or holds characters that cannot be stored, or nobody is named as recording the command (no recorded-by, no <c>IRecordedByProvider</c>, no <c>LedgerOptions.DefaultRecordedBy</c>).</summary>
    public const string InvalidProvenance = "input.invalid_provenance";
}
