namespace RatificationLedger.Integrity;

/// <summary>What a divergence from the written record looks like.</summary>
public enum FindingKind
{
    /// <summary>The entry's content or metadata is not what was written (or its chain link was altered).</summary>
    Edited,

    /// <summary>An entry that was written is gone.</summary>
    Deleted,

    /// <summary>An entry is there that was not written through the ledger (it has no place in the chain).</summary>
    Inserted,

    /// <summary>Entries were written in another order than they now stand.</summary>
    Reordered,

    /// <summary>The process is behind a digest that covered more of it (a restored backup, a truncation).</summary>
    RolledBack,

    /// <summary>The entry's recorded-at is earlier than a digest that does not cover it.</summary>
    Backdated,
}

/// <summary>The first divergence found in one process (or, with no process, in the stored digests).</summary>
/// <param name="Process">The process (stream key), or null for a finding about the digest table.</param>
/// <param name="Entry">The entry number (the stream version), or the digest number when <paramref name="Process"/> is null.</param>
/// <param name="Kind">What was found.</param>
/// <param name="Message">One sentence a person can act on.</param>
public sealed record Finding(string? Process, long Entry, FindingKind Kind, string Message)
{
    /// <inheritdoc/>
    public override string ToString() => Process is null ? $"digest {Entry}: {Kind}: {Message}" : $"{Process} entry {Entry}: {Kind}: {Message}";
}

/// <summary>What <c>ledger verify</c> found.</summary>
/// <param name="Processes">How many processes (streams) were checked.</param>
/// <param name="Entries">How many entries were recomputed.</param>
/// <param name="StoredDigests">How many digests of the ledger's digest table were checked.</param>
/// <param name="ExternalDigests">How many digests given from outside were checked.</param>
/// <param name="Findings">The first divergence per process, then findings about digests.</param>
/// <param name="Notes">Facts that are not divergences (e.g. where a chain began on upgrade).</param>
public sealed record VerificationReport(int Processes, long Entries, int StoredDigests, int ExternalDigests, IReadOnlyList<Finding> Findings, IReadOnlyList<string> Notes)
{
    /// <summary>True when nothing diverges from what was written.</summary>
    public bool Intact => Findings.Count == 0;
}
