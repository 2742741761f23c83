using Ledger.Domain;
using Ledger.Recording;
using Ledger.Storage;
using Mediator;

namespace Ledger.Import;

/// <summary>
/// Imports a history file through the normal command path: registers the organization, then sends every entry in
/// import order (by date across processes, stable) as its command. Idempotent: a second import records nothing new.
/// Stops at the first entry that is refused; what came before it stays recorded and a re-run continues from there.
/// </summary>
/// <param name="File">The parsed file.</param>
/// <param name="RecordedBy">Who records the entries (default: the ledger's default user).</param>
/// <param name="CorrelationId">Correlation id stamped on every entry of this run (default: a new one per run).</param>
public sealed record ImportHistoryRequest(HistoryFile File, string? RecordedBy = null, string? CorrelationId = null) : IRequest<ImportResult>
{
    /// <summary>
    /// Stops the import cleanly after the batch being written commits (a Ctrl+C): unlike the handler's cancellation
    /// token, it never cancels a statement in flight. The result then has <see cref="ImportResult.Stopped"/> set.
    /// </summary>
    public CancellationToken Stop { get; init; }

    /// <summary>Told, after each batch commits, how many entries are decided and written so far (for a progress display).</summary>
    public IProgress<ImportProgress>? Progress { get; init; }
}

/// <summary>How far an import is: entries done (recorded or found already there) out of the file's total.</summary>
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
    /// <summary>True when the request's <see cref="ImportHistoryRequest.Stop"/> ended the import between batches; entries from there on were not imported.</summary>
    public bool Stopped { get; init; }

    /// <summary>True when every entry of the file is in the ledger.</summary>
    public bool Succeeded => Failure is null && !Stopped;
}

/// <summary>
/// Handles <see cref="ImportHistoryRequest"/>: registers the organization through Mediator, then records the entries in
/// batches of <see cref="LedgerOptions.ImportBatchSize"/> (the same decider, validation, receipts and metadata as one
/// command at a time; each batch one transaction, written with COPY where the store allows it, the next batch decided
/// while one is written) and publishes each recorded entry's notifications after its batch commits. A batch ends after
/// an accession whose reaction (new members ratifying open processes) must run before the next entry, as it would one
/// command at a time.
/// </summary>
public sealed class ImportHistoryHandler(ISender sender, LedgerRecorder recorder, IPublisher publisher, LedgerOptions options) : IRequestHandler<ImportHistoryRequest, ImportResult>
{
    /// <inheritdoc />
    public async ValueTask<ImportResult> Handle(ImportHistoryRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var file = request.File;
        var correlation = request.CorrelationId ?? $"import:{Guid.NewGuid():N}";
        var entries = file.InImportOrder();
        RecordResult registered;
        try
        {
            registered = await sender.Send(new RegisterOrganizationRequest(file.Organization,
                new Provenance(RecordedBy: request.RecordedBy, CorrelationId: correlation)), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (LedgerUnavailableException.IsDatabaseFailure(e))
        {
            throw new ImportInterruptedException(null, 0, 0, entries.Count, e);
        }
        if (registered.Rejection is { } refused)
        {
            var first = entries.Count > 0 ? entries[0] : null;
            throw new HistoryFileException($"organization {file.Organization.Code}: {refused.Code}: {refused.Message}" + (first is null ? "" : " No entry was imported."));
        }

        var commands = new Stamped(entries, request.RecordedBy, correlation);
        int recorded = 0, already = 0, next = 0;
        ImportFailure? failure = null;
        var stopped = false;
        try
        {
            await recorder.ImportAsync(commands, options.ImportBatchSize, async results =>
            {
                foreach (var result in results)
                {
                    var entry = entries[next++];
                    try
                    {
                        foreach (var notification in result.Notifications)
                        {
                            await publisher.Publish(notification, cancellationToken).ConfigureAwait(false);
                        }
                    }
                    catch (Exception e) when (LedgerUnavailableException.IsDatabaseFailure(e))
                    {
                        // The entry is recorded; the reaction to it (new member ratifying open processes) is not complete.
                        // Importing again resends it, and the resend publishes its notifications again.
                        throw new ImportInterruptedException(entry, recorded, already, entries.Count, e);
                    }
                    switch (result.Outcome)
                    {
                        case RecordOutcome.Recorded when !result.IsResend:
                            recorded++;
                            break;
                        case RecordOutcome.Recorded or RecordOutcome.AlreadyRecorded:
                            already++;
                            break;
                        default:
                            failure = new ImportFailure(entry, result.Rejection!);
                            return false;
                    }
                }
                request.Progress?.Report(new ImportProgress(next, recorded, already, entries.Count));
                if (request.Stop.IsCancellationRequested && next < entries.Count)
                {
                    stopped = true;
                    return false;
                }
                return true;
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not ImportInterruptedException && LedgerUnavailableException.IsDatabaseFailure(e))
        {
            // A batch commits as one transaction: everything before this entry is recorded, this entry on may be.
            throw new ImportInterruptedException(entries[next], recorded, already, entries.Count, e);
        }
        return new ImportResult(recorded, already, entries.Count, failure) { Stopped = stopped };
    }
}

/// <summary>
/// The entries' commands with the import's stamp (recorded-by and correlation where the entry names none), made as the
/// recorder reaches each entry: the stamped provenances of a million entries are not all held for the whole import.
/// </summary>
internal sealed class Stamped(IReadOnlyList<HistoryEntry> entries, string? recordedBy, string correlation) : IReadOnlyList<(AccessionCommand Command, Provenance? Provenance)>
{
    public int Count => entries.Count;

    public (AccessionCommand Command, Provenance? Provenance) this[int index]
    {
        get
        {
            var entry = entries[index];
            return (entry.Command, entry.Provenance with
            {
                RecordedBy = entry.Provenance.RecordedBy ?? recordedBy,
                CorrelationId = entry.Provenance.CorrelationId ?? correlation,
            });
        }
    }

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
        + "; everything before it is recorded. Import the same file again when the database is back: nothing is recorded twice and the import continues from there.";
}
