using RatificationLedger.Domain;
using RatificationLedger.Import;
using RatificationLedger.Storage;
using Marten;

namespace RatificationLedger.Recording;

// An import's dry run: every batch read and decided as an import decides it, nothing written.
public sealed partial class LedgerRecorder
{
    /// <summary>
    /// Decides a history file's entries as <see cref="ImportAsync(HistoryFile, ImportOptions?, CancellationToken)"/>
    /// would, in the same batches and with the same decisions, against the ledger as it is, writing nothing: the
    /// organization's registration is decided in memory, and each decided batch (its streams, receipts, roster and open
    /// processes, the new-member rule's additions) is carried in memory into the next instead of being written. Its
    /// sessions are disposed without saving: no event, row, receipt or sequence number is written or taken.
    /// </summary>
    private async Task<ImportResult> DryRunAsync(HistoryFile file, IReadOnlyList<HistoryEntry> entries, ImportOptions options, string correlation, CancellationToken ct)
    {
        var code = file.Organization.Code ?? "";
        var key = OrganizationDecider.StreamKey(code);
        Decided? carried = null;
        await using var reads = _store.LightweightSession();
        try
        {
            // The registration, decided as RegisterOrganizationAsync decides it.
            var (resolved, unnamed) = WithRecordedBy(new Provenance(RecordedBy: options.RecordedBy, CorrelationId: correlation));
            Rejection? refused = unnamed ?? ValidateProvenance(resolved);
            await EnsureStorageAsync(ct).ConfigureAwait(false);
            var state = await reads.Events.FetchStreamStateAsync(key, ct).ConfigureAwait(false);
            var organization = state is null ? null : await OrganizationAsync(reads, code, ct).ConfigureAwait(false);
            var version = state?.Version ?? 0;
            if (refused is null)
            {
                var decision = OrganizationDecider.Decide(new RegisterOrganization(file.Organization), organization, _time.GetUtcNow());
                refused = decision.Rejection;
                foreach (var data in decision.Events)
                {
                    organization = OrganizationDecider.Evolve(organization, data);
                    version++;
                }
            }
            if (refused is not null)
            {
                throw new HistoryFileException($"organization {file.Organization.Code}: {refused.Code}: {refused.Message}" + (entries.Count > 0 ? " No entry was imported." : ""));
            }

            var commands = new Stamped(entries, options.RecordedBy, correlation);
            var open = new OpenCandidacies(await reads.Query<ProcessEntry>().Where(OpenIn(code)).ToListAsync(ct).ConfigureAwait(false));
            carried = new Decided(reads, [], [], resolved) { Organization = organization!, OrganizationVersion = version, Open = open, CarriesAll = true };
            var batchSize = options.BatchSize ?? _options.ImportBatchSize;
            var size = Math.Max(1, batchSize / 16);
            int start = 0, recorded = 0, already = 0;
            var prepared = new Item?[commands.Count];
            while (start < commands.Count)
            {
                var (items, refusal) = Batch(commands, start, size, prepared);
                size = Math.Min(Math.Max(1, batchSize), size * 2);
                IReadOnlyList<RecordResult> results;
                Decided? decided = null;
                if (refusal is not null)
                {
                    results = [refusal];
                }
                else
                {
                    decided = await DecideAsync(items!, null, carried, false, ct).ConfigureAwait(false);
                    results = decided.Results;
                }
                foreach (var result in results)
                {
                    // An entry is read from the file's text when it is asked for: only when the failure names it.
                    var at = start++;
                    if (!Tally(result, ref recorded, ref already))
                    {
                        if (decided is not null)
                        {
                            await decided.Session.DisposeAsync().ConfigureAwait(false);
                        }
                        return new ImportResult(recorded, already, entries.Count, new ImportFailure(entries[at], result.Rejection!)) { DryRun = true };
                    }
                }
                // What the batch leaves, as the next batch would read it had it been written.
                var receipts = new Dictionary<string, CommandReceipt>(carried.Receipts, StringComparer.Ordinal);
                foreach (var (id, receipt) in decided!.Receipts)
                {
                    receipts[id] = receipt;
                }
                carried = new Decided(reads, [], [], resolved)
                {
                    Streams = decided.Streams,
                    Receipts = receipts,
                    Organization = decided.Organization,
                    OrganizationVersion = decided.OrganizationVersion + decided.OrganizationEvents.Count,
                    Open = decided.Open,
                    CarriesAll = true,
                };
                await decided.Session.DisposeAsync().ConfigureAwait(false);
                options.Progress?.Report(new ImportProgress(start, recorded, already, entries.Count));
                if (options.Stop.IsCancellationRequested && start < commands.Count)
                {
                    return new ImportResult(recorded, already, entries.Count, null) { DryRun = true, Stopped = true };
                }
            }
            return new ImportResult(recorded, already, entries.Count, null) { DryRun = true };
        }
        catch (Exception e) when (e is not HistoryFileException && LedgerUnavailableException.IsDatabaseFailure(e))
        {
            throw new ImportInterruptedException(null, 0, 0, entries.Count, e);
        }
    }
}
