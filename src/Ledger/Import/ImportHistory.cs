using RatificationLedger.Domain;
using RatificationLedger.Recording;
using RatificationLedger.Storage;

namespace RatificationLedger.Import;

/// <summary>How an import runs (all optional).</summary>
public sealed record ImportOptions
{
    /// <summary>Who records the entries that name no one (default: the ledger's default).</summary>
    public string? RecordedBy { get; init; }

    /// <summary>Correlation id stamped on every entry of this run (default: a new one per run).</summary>
    public string? CorrelationId { get; init; }

    /// <summary>
    /// Stops the import cleanly after the batch being written commits (a Ctrl+C): unlike the cancellation token, it
    /// never cancels a statement in flight. The result then has <see cref="ImportResult.Stopped"/> set.
    /// </summary>
    public CancellationToken Stop { get; init; }

    /// <summary>Told, after each batch commits, how many entries are decided and written so far (for a progress display).</summary>
    public IProgress<ImportProgress>? Progress { get; init; }

    /// <summary>
    /// Decides every entry against the ledger as it is, with the same decisions as an import, and writes nothing (no
    /// event, receipt, registration or sequence number): the result counts what would be recorded and what is already
    /// there, or names the first entry that would be refused.
    /// </summary>
    public bool DryRun { get; init; }

    /// <summary>
    /// The most entries one transaction writes (default: <see cref="Storage.LedgerOptions.ImportBatchSize"/>). Smaller
    /// batches hold less in memory and commit more often (a stop or a failure loses less), at some cost in throughput.
    /// At least 1.
    /// </summary>
    public int? BatchSize { get; init; }
}

/// <summary>How far an import is: entries done (recorded or found already there) out of the file's total.</summary>
/// <param name="Done">Entries recorded or found already there.</param>
/// <param name="Recorded">Entries this run recorded.</param>
/// <param name="AlreadyThere">Entries the ledger already held.</param>
/// <param name="Total">Entries in the file.</param>
public sealed record ImportProgress(int Done, int Recorded, int AlreadyThere, int Total);

/// <summary>The entry an import stopped at and the rule it broke.</summary>
public sealed record ImportFailure(HistoryEntry Entry, Rejection Rejection)
{
    /// <summary>One line naming the process, the entry's index, its type and date, and the rule.</summary>
    public string Message => $"{Entry.Location}: {Rejection.Code}: {Rejection.Message}";
}

/// <summary>What an import did.</summary>
/// <param name="Recorded">Entries recorded by this run.</param>
/// <param name="AlreadyThere">Entries the ledger already held.</param>
/// <param name="Total">Entries in the file.</param>
/// <param name="Failure">The entry the import stopped at, or null when every entry is in the ledger.</param>
public sealed record ImportResult(int Recorded, int AlreadyThere, int Total, ImportFailure? Failure)
{
    /// <summary>True when <see cref="ImportOptions.Stop"/> ended the import between batches; entries from there on were not imported.</summary>
    public bool Stopped { get; init; }

    /// <summary>True for a dry run (<see cref="ImportOptions.DryRun"/>): the counts are what an import would do; nothing was written.</summary>
    public bool DryRun { get; init; }

    /// <summary>True when every entry of the file is in the ledger.</summary>
    public bool Succeeded => Failure is null && !Stopped;
}

/// <summary>
/// The entries' commands with the import's stamp (recorded-by and correlation where the entry names none), made as the
/// recorder reaches each entry: the stamped provenances of a million entries are not all held for the whole import.
/// </summary>
internal sealed class Stamped(IReadOnlyList<HistoryEntry> entries, string? recordedBy, string correlation)
    : IReadOnlyList<(AccessionCommand Command, Provenance? Provenance)>, IReadsAhead<(AccessionCommand Command, Provenance? Provenance)>
{
    /// <summary>The entries' range read ahead (see <see cref="IReadsAhead{T}"/>), stamped as these are.</summary>
    public ReadAhead<(AccessionCommand Command, Provenance? Provenance)>? ReadAhead(int start, int end) =>
        entries is IReadsAhead<HistoryEntry> reads && reads.ReadAhead(start, end) is { } window
            ? new(new Stamped(window.Items, recordedBy, correlation), window.Release)
            : null;

    public int Count => entries.Count;

    public (AccessionCommand Command, Provenance? Provenance) this[int index]
    {
        get
        {
            var entry = entries[index];
            // An entry that says nothing of its provenance (most) gets the one stamp every such entry shares.
            return (entry.Command, entry.Provenance == Provenance.None ? _plain : entry.Provenance with
            {
                RecordedBy = entry.Provenance.RecordedBy ?? recordedBy,
                CorrelationId = entry.Provenance.CorrelationId ?? correlation,
            });
        }
    }

    private readonly Provenance _plain = Provenance.None with { RecordedBy = recordedBy, CorrelationId = correlation };

    public IEnumerator<(AccessionCommand Command, Provenance? Provenance)> GetEnumerator()
    {
        for (var i = 0; i < entries.Count; i++)
        {
            yield return this[i];
        }
    }

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}

/// <summary>
/// An import stopped because the database failed (it went away, a connection broke or timed out), whether while
/// recording an entry or while reacting to one, not because an entry broke a rule. The entry it was at may or may not have been recorded; what came before it is. Importing the same
/// file again records nothing twice and continues from there.
/// </summary>
public sealed class ImportInterruptedException : Exception
{
    /// <summary>Creates the exception for an import stopped at <paramref name="entry"/> (null: before the first entry).</summary>
    public ImportInterruptedException(HistoryEntry? entry, int recorded, int alreadyThere, int total, Exception inner)
        : base(Describe(entry, recorded, alreadyThere, total, inner), inner)
    {
        Entry = entry;
        Recorded = recorded;
        AlreadyThere = alreadyThere;
        Total = total;
    }

    /// <summary>Creates the exception.</summary>
    public ImportInterruptedException() { }

    /// <summary>Creates the exception.</summary>
    public ImportInterruptedException(string message) : base(message) { }

    /// <summary>Creates the exception.</summary>
    public ImportInterruptedException(string message, Exception inner) : base(message, inner) { }

    /// <summary>The entry being recorded when the import stopped, or null when it stopped registering the organization.</summary>
    public HistoryEntry? Entry { get; }

    /// <summary>Entries this run recorded before it stopped.</summary>
    public int Recorded { get; }

    /// <summary>Entries this run found already recorded before it stopped.</summary>
    public int AlreadyThere { get; }

    /// <summary>Entries in the file.</summary>
    public int Total { get; }

    private static string Describe(HistoryEntry? entry, int recorded, int alreadyThere, int total, Exception inner) =>
        (entry is null ? "import interrupted while registering the organization" : $"import interrupted at {entry.Location}")
        + $" after {recorded} recorded and {alreadyThere} already there of {total} entries: "
        + LedgerUnavailableException.Cause(inner is LedgerUnavailableException { InnerException: { } cause } ? cause : inner) + ". "
        + (inner is LedgerUnavailableException { MayHaveBeenRecorded: false } ? "That entry was not recorded" : "Whether that entry was recorded is unknown")
        + $"; everything before it is recorded. Import the same file again {LedgerUnavailableException.WhenBack(inner)}: nothing is recorded twice and the import continues from there.";
}

/// <summary>
/// A list whose items in a range can be read together, for a caller about to ask for all of them (the import preparing a
/// batch reads the batch's entries from the file with a few reads, not one each).
/// </summary>
internal interface IReadsAhead<T>
{
    /// <summary>Items <paramref name="start"/> to <paramref name="end"/> (exclusive) read: null when nothing is gained.</summary>
    ReadAhead<T>? ReadAhead(int start, int end);
}

/// <summary>
/// A range read ahead: <paramref name="Items"/> is indexed as the list it was read from (an index outside the range is read
/// as that list reads it), usable until <paramref name="Release"/> is disposed.
/// </summary>
internal sealed record ReadAhead<T>(IReadOnlyList<T> Items, IDisposable Release);
