using RatificationLedger.Domain;
using RatificationLedger.Import;

namespace RatificationLedger.Recording;

// A history file through the normal command path: the organization, then every entry in import order, in batches.
public sealed partial class LedgerRecorder
{
    /// <summary>
    /// Imports a history file through the normal command path: registers the organization, then records every entry in
    /// import order (by date across processes, stable) in batches of <see cref="Storage.LedgerOptions.ImportBatchSize"/>
    /// (the same decider, validation, receipts and metadata as one command at a time; each batch one transaction, written
    /// with COPY where the store allows it, the next batch decided while one is written), handing each recorded entry's
    /// notifications to the sinks after its batch commits. Idempotent: a second import records nothing new. Stops at
    /// the first entry that is refused (<see cref="ImportResult.Failure"/>); what came before it stays recorded and a
    /// re-run continues from there.
    /// </summary>
    /// <param name="file">The parsed history file.</param>
    /// <param name="options">Who records, the correlation id, a clean stop, progress; all optional.</param>
    /// <param name="ct">Cancellation (cancels a statement in flight; <see cref="ImportOptions.Stop"/> stops between batches).</param>
    /// <exception cref="HistoryFileException">The organization's definition conflicts with the one recorded.</exception>
    /// <exception cref="ImportInterruptedException">The database failed; importing again continues where it stopped.</exception>
    public async Task<ImportResult> ImportAsync(HistoryFile file, ImportOptions? options = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(file);
        options ??= new ImportOptions();
        if (options.BatchSize is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.BatchSize, $"ImportOptions.BatchSize is {options.BatchSize}: the most entries one transaction writes must be at least 1.");
        }
        var correlation = options.CorrelationId ?? $"import:{Guid.NewGuid():N}";
        var entries = file.InImportOrder();
        if (options.DryRun)
        {
            return await DryRunAsync(file, entries, options, correlation, ct).ConfigureAwait(false);
        }
        RecordResult registered;
        try
        {
            registered = await RegisterOrganizationAsync(file.Organization,
                new Provenance(RecordedBy: options.RecordedBy, CorrelationId: correlation), ct).ConfigureAwait(false);
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

        var commands = new Stamped(entries, options.RecordedBy, correlation);
        int recorded = 0, already = 0, next = 0;
        ImportFailure? failure = null;
        var stopped = false;
        try
        {
            await ImportAsync(commands, options.BatchSize ?? _options.ImportBatchSize, async results =>
            {
                foreach (var result in results)
                {
                    // An entry is read from the file's text when it is asked for: only when a message names it.
                    var at = next++;
                    try
                    {
                        await PublishAsync([result], ct).ConfigureAwait(false);
                    }
                    catch (Exception e) when (LedgerUnavailableException.IsDatabaseFailure(e))
                    {
                        // The entry is recorded; a sink's reaction to it is not complete. Importing again resends it, and
                        // the resend hands its notifications to the sinks again.
                        throw new ImportInterruptedException(entries[at], recorded, already, entries.Count, e);
                    }
                    if (!Tally(result, ref recorded, ref already))
                    {
                        failure = new ImportFailure(entries[at], result.Rejection!);
                        return false;
                    }
                }
                options.Progress?.Report(new ImportProgress(next, recorded, already, entries.Count));
                if (options.Stop.IsCancellationRequested && next < entries.Count)
                {
                    stopped = true;
                    return false;
                }
                return true;
            }, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not ImportInterruptedException && LedgerUnavailableException.IsDatabaseFailure(e))
        {
            // A batch commits as one transaction: everything before this entry is recorded, this entry on may be.
            throw new ImportInterruptedException(entries[next], recorded, already, entries.Count, e);
        }
        return new ImportResult(recorded, already, entries.Count, failure) { Stopped = stopped };
    }

    /// <summary>
    /// Counts one answer of an import (or a dry run): a new entry, or one already there (a resend answered from its
    /// receipt). False for a refusal, which ends the import.
    /// </summary>
    private static bool Tally(RecordResult result, ref int recorded, ref int already)
    {
        switch (result.Outcome)
        {
            case RecordOutcome.Recorded when !result.IsResend:
                recorded++;
                return true;
            case RecordOutcome.Recorded or RecordOutcome.AlreadyRecorded:
                already++;
                return true;
            default:
                return false;
        }
    }
}
