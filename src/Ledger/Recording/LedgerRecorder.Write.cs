using JasperFx.Events;
using RatificationLedger.Domain;
using RatificationLedger.Storage;
using Marten;

namespace RatificationLedger.Recording;

// The write: one transaction per decided batch, retried on conflict.
public sealed partial class LedgerRecorder
{
    /// <summary>
    /// Decides and records a prefix of <paramref name="items"/> (all of one organization and stamp) in one transaction,
    /// deciding again on fresh state after a conflict. <paramref name="decided"/>: the batch already decided (an import's
    /// look-ahead); AsDecided tells whether that decision is what was written.
    /// </summary>
    private async Task<(List<RecordResult> Results, bool AsDecided)> RecordPrefixAsync(IReadOnlyList<Item> items, long? expectedVersion, CancellationToken ct, Decided? decided = null)
    {
        await EnsureStorageAsync(ct).ConfigureAwait(false);
        var lookupAll = false;
        for (var attempt = 1; ; attempt++)
        {
            var current = decided ?? await DecideAsync(items, expectedVersion, null, lookupAll, ct).ConfigureAwait(false);
            decided = null;
            await using var session = current.Session;
            if (!current.Written)
            {
                return (current.Results, attempt == 1);
            }
            try
            {
                await WriteAsync(current, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (IsConcurrency(e) || IsDuplicate(e))
            {
                foreach (var process in current.Streams.Keys)
                {
                    _states.Evict(process);
                }
                var duplicate = IsDuplicate(e);
                if (duplicate && attempt <= _options.ConcurrencyRetries)
                {
                    // The same command id committed concurrently (or a chosen id that looks derived names another
                    // stream): the next round reads every receipt, finds this one and answers as it did.
                    lookupAll = true;
                    Retried(items, attempt, duplicate: true);
                    continue;
                }
                if (expectedVersion is not null && !duplicate && e is not OrganizationMovedException and not InvitedMovedException)
                {
                    return ([await ConflictAsync(items[0].Command.Process, items[0].CommandId, expectedVersion.Value, ct).ConfigureAwait(false)], false);
                }
                if (attempt > _options.ConcurrencyRetries)
                {
                    var command = items[0].Command;
                    return ([new RecordResult(RecordOutcome.Conflict, command.Process, items[0].CommandId, [],
                        new Rejection(RecordCodes.Contended, $"{command.Process}: the stream changed under the command {attempt} times in a row; nothing was recorded. Send it again."), current.Streams[command.Process].Read.Version)], false);
                }
                Retried(items, attempt, duplicate: false);
                await Task.Delay(Random.Shared.Next(1, 10 * Math.Min(attempt, 10)), ct).ConfigureAwait(false);
                continue;
            }
            foreach (var (process, change) in current.Streams)
            {
                _states.Store(process, change.Current, change.Staged.Count > 0 ? change.Staged[^1].Id : change.LastEventId, change.Commands);
            }
            return (current.Results, attempt == 1);
        }
    }

    private async Task EnsureStorageAsync(CancellationToken ct)
    {
        if (!_storageReady)
        {
            // Receipts are written with plain SQL (InsertReceipts), which does not create Marten's table on first use, and
            // the document tables get their compression with the ledger's storage feature.
            await LedgerStorage.EnsureAsync(_store, ct).ConfigureAwait(false);
            await LedgerStorage.CheckCompressionAsync(_store, _options, _logger, ct).ConfigureAwait(false);
            _storageReady = true;
        }
    }

    // Tests: called before each write with the streams it appends to, the versions they were read at, and how many
    // commands the write answers.
    internal Func<IReadOnlyList<(string Stream, long ReadVersion)>, int, Task>? BeforeWrite { get; set; }

    // Import look-aheads written as decided, and thrown away because the batch before them did not commit as decided.
    internal int LookAheadsUsed;
    internal int LookAheadsDiscarded;

    /// <summary>Writes a decided batch in its session's transaction and commits; a conflict or a receipt written meanwhile throws.</summary>
    private async Task WriteAsync(Decided decided, CancellationToken ct)
    {
        var items = decided.Items;
        var session = decided.Session;
        if (BeforeWrite is { } hook)
        {
            await hook([.. decided.Streams.Where(s => s.Value.Staged.Count > 0).Select(s => (s.Key, s.Value.Read.Version))], decided.Results.Count).ConfigureAwait(false);
        }
        // Several commands (an import's batch): events and receipts with COPY when the store's layout allows it.
        IBatchWriter writer = items.Count > 1 && _options.ImportWithCopy && await BulkAsync(ct).ConfigureAwait(false) is { } bulk
            ? new CopyBatchWriter(bulk)
            : _marten ??= new MartenBatchWriter(_store);
        foreach (var (process, change) in decided.Streams.Where(s => s.Value.Staged.Count > 0))
        {
            if (ProcessEntry.Differs(change.Read, change.Current))
            {
                session.Store(ProcessEntry.From(process, change.Current));
            }
        }

        var committing = false;
        try
        {
            if (decided.GuardsOrganization)
            {
                // First of all this transaction writes (see GuardOrganizationAsync).
                await GuardOrganizationAsync(decided, ct).ConfigureAwait(false);
            }
            var rows = writer is CopyBatchWriter ? decided.Rows : null;
            decided.Rows = null;
            await writer.WriteAsync(session, new BatchWrite(decided.Appends ?? Appends(decided.Streams), decided.NewReceipts,
                RecordedByOf(decided.Provenance), rows), ct).ConfigureAwait(false);
            if (writer is MartenBatchWriter)
            {
                // Recorded-at: the transaction's timestamp, read with the batch's read (the COPY path stamps its own).
                await Integrity.ServerClock.StampAsync(session, ct).ConfigureAwait(false);
            }
            committing = true;
            await session.SaveChangesAsync(ct).ConfigureAwait(false);
        }
        catch (Exception e) when (!IsConcurrency(e) && !IsDuplicate(e) && LedgerUnavailableException.IsDatabaseFailure(e))
        {
            // The connection failed during the commit: it may have committed with only the answer lost. (Before the
            // commit, in the bulk write, nothing was.)
            foreach (var process in decided.Streams.Keys)
            {
                _states.Evict(process);
            }
            throw new LedgerUnavailableException(items[0].Command.Process, items[0].Name, items[0].CommandId, mayHaveBeenRecorded: committing, e);
        }
    }

    // The organization's turn (see DecideAsync): its stream row locked in this transaction, first of all it writes (so
    // no transaction holding it waits for a process stream held by one that waits for it), still at the version the
    // batch was decided on, and the batch's admissions appended to it. A moved organization makes the batch be decided
    // again: an invitation then sees the member an accession committed meanwhile.
    private async Task GuardOrganizationAsync(Decided decided, CancellationToken ct)
    {
        var key = OrganizationDecider.StreamKey(decided.Items[0].Organization);
        var organization = decided.OrganizationStream
            ?? await decided.Session.Events.FetchForExclusiveWriting<OrganizationView>(key, ct).ConfigureAwait(false);
        if ((organization.CurrentVersion ?? 0) != decided.OrganizationVersion)
        {
            throw new OrganizationMovedException(key, decided.OrganizationVersion, organization.CurrentVersion ?? 0);
        }
        if (decided.OrganizationStream is null)
        {
            // Decided ahead, without the turn: the invited processes its accessions' rule read may have changed since.
            await CheckInvitedAsync(decided, ct).ConfigureAwait(false);
        }
        foreach (var e in decided.OrganizationEvents)
        {
            organization.AppendOne(e);
        }
    }

    // The streams a batch appends to, with their staged events, in one order (by stream key) in every transaction, so
    // that two writers appending to the same streams take their rows' locks in the same order and cannot deadlock.
    private static List<BulkAppender.StreamAppend> Appends(Dictionary<string, StreamChange> streams) =>
        [.. streams.Where(s => s.Value.Staged.Count > 0).OrderBy(s => s.Key, StringComparer.Ordinal)
            .Select(s => new BulkAppender.StreamAppend(s.Key, s.Value.Read.Version, s.Value.Staged))];

    private MartenBatchWriter? _marten;
    private BulkAppender? _bulk;
    private volatile bool _bulkChecked;

    // Whether the store's layout lets batches be written with COPY (checked once; a failed check is tried again).
    private async Task<BulkAppender?> BulkAsync(CancellationToken ct)
    {
        if (!_bulkChecked)
        {
            _bulk = await BulkAppender.CreateAsync(_store, ct).ConfigureAwait(false);
            _bulkChecked = true;
        }
        return _bulk;
    }

    /// <summary>Whether imports into this store are written with COPY (see <see cref="LedgerOptions.ImportWithCopy"/>).</summary>
    internal async Task<bool> CopyAvailableAsync(CancellationToken ct) => _options.ImportWithCopy && await BulkAsync(ct).ConfigureAwait(false) is not null;

    private volatile bool _storageReady;

    private void Stamp(IDocumentSession session, Provenance provenance)
    {
        session.LastModifiedBy = RecordedByOf(provenance);
        if (provenance.CorrelationId is { } correlation)
        {
            session.CorrelationId = correlation;
        }
        if (provenance.CausationId is { } causation)
        {
            session.CausationId = causation;
        }
    }

    private static IEvent Wrap(IDocumentSession session, object data, Provenance provenance, string commandId)
    {
        var e = session.Events.BuildEvent(data);
        e.SetHeader(Headers.CommandId, commandId);
        if (provenance.Source is { } source)
        {
            e.SetHeader(Headers.Source, source);
        }
        if (provenance.Note is { } note)
        {
            e.SetHeader(Headers.Note, note);
        }
        if (provenance.Unconfirmed)
        {
            e.SetHeader(Headers.Unconfirmed, true);
        }
        return e;
    }
}
