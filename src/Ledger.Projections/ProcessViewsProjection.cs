using JasperFx.Events;
using RatificationLedger.Domain;
using RatificationLedger.Recording;
using RatificationLedger.Storage;
using Marten;
using Marten.Events.Projections;
using Marten.Services.BatchQuerying;
using Npgsql;

namespace RatificationLedger.Projections;

/// <summary>
/// Inline projection of each process stream into <see cref="AccessionStatus"/> and <see cref="RatificationRegister"/>,
/// in the transaction that appends the events (the <see cref="AuditTrail"/> is the stream as recorded, built from it
/// when asked: see <see cref="LedgerQueries.AuditAsync"/>). A retraction can change the effect of any
/// earlier entry, so the views are rebuilt from the whole stream (stored entries plus the ones being appended) with the
/// same fold the write side uses, rather than patched event by event.
/// </summary>
public sealed class ProcessViewsProjection : IProjection, IStagedProjection
{
    /// <summary>The projection's name (for rebuilds).</summary>
    public const string Name = "ProcessViews";

    private readonly StreamEntriesCache _entries;

    /// <summary>Creates the projection; it keeps the entries of up to <paramref name="cachedStreams"/> streams between transactions.</summary>
    public ProcessViewsProjection(int cachedStreams = 1000) => _entries = new StreamEntriesCache(cachedStreams);

    /// <inheritdoc />
    public async Task ApplyAsync(IDocumentOperations operations, IReadOnlyList<IEvent> events, CancellationToken cancellation)
    {
        var views = await ReadAsync(operations, events, cancellation).ConfigureAwait(false);
        views.Build(cancellation);
        views.Store(operations);
    }

    // The COPY write reads first, builds while the server stores the rows, then stores (IStagedProjection).
    // Its documents are then serialized as UTF-8 once built (still beside the COPY), and go in as one statement per table
    // once the rows are in (BulkDocuments).
    async Task<IStagedViews> IStagedProjection.ReadAsync(IDocumentOperations operations, IReadOnlyList<IEvent> events, ImportBuffers buffers, CancellationToken ct) =>
        await ReadAsync(operations, events, ct, (_bulk ??= new BulkDocuments(operations.DocumentStore), buffers)).ConfigureAwait(false);

    private BulkDocuments? _bulk;

    private async Task<Views> ReadAsync(IDocumentOperations operations, IReadOnlyList<IEvent> events, CancellationToken cancellation, (BulkDocuments Documents, ImportBuffers Buffers)? bulk = null)
    {
        ArgumentNullException.ThrowIfNull(operations);
        ArgumentNullException.ThrowIfNull(events);
        var streams = await ProcessStreams.LoadAsync(operations, events, _entries, cancellation).ConfigureAwait(false);
        if (streams.Count == 0)
        {
            return new Views(streams, [], bulk);
        }
        // The as-of index, in the same transaction (see AsOfIndex): what changes for each process, then its answers
        // folded with its views (one fold where the two are the same).
        await AsOfIndex.EnsureAsync(operations.DocumentStore, cancellation).ConfigureAwait(false);
        return new Views(streams, AsOfIndex.Plan(operations, streams, events), bulk);
    }

    // Each process's status, register and as-of answers, built from its entries (pure) and then stored.
    private sealed class Views(List<(string Process, IReadOnlyList<RecordedEntry> Entries)> streams, AsOfIndex.Change?[] changes, (BulkDocuments Documents, ImportBuffers Buffers)? bulk) : IStagedViews
    {
        private readonly (AccessionStatus Status, RatificationRegister Register, List<AsOfAnswer>? Answers)[] _built = new (AccessionStatus, RatificationRegister, List<AsOfAnswer>?)[streams.Count];
        private Utf8Documents? _statusJson;
        private Utf8Documents? _registerJson;

        public void Build(CancellationToken ct)
        {
            void Build(int j)
            {
                var (process, entries) = streams[j];
                if (changes[j] is { } change)
                {
                    _built[j] = ProcessViews.BuildStoredWithAnswers(process, entries, change.From);
                }
                else
                {
                    var (status, register) = ProcessViews.BuildStored(process, entries);
                    _built[j] = (status, register, null);
                }
            }
            // The streams' folds are independent and pure: on every core (they sit on the import's write stage).
            if (streams.Count == 1)
            {
                Build(0);
            }
            else if (streams.Count > 1)
            {
                Parallel.For(0, streams.Count, new ParallelOptions { CancellationToken = ct }, Build);
            }
            if (bulk is { } b && streams.Count > 0)
            {
                // The documents' JSON, in order, each table's into one array.
                _statusJson = b.Documents.StatusDocuments(streams.Count, b.Buffers);
                _registerJson = b.Documents.RegisterDocuments(streams.Count, b.Buffers);
                foreach (var (status, register, _) in _built)
                {
                    b.Documents.Add(_statusJson, status);
                    b.Documents.Add(_registerJson, register);
                }
            }
        }

        // Through Marten (ApplyAsync): the documents stored in the session, written at its commit.
        public void Store(IDocumentOperations operations)
        {
            for (var j = 0; j < streams.Count; j++)
            {
                var (status, register, answers) = _built[j];
                if (bulk is null)
                {
                    operations.Store(status);
                    operations.Store(register);
                }
                if (answers is not null)
                {
                    AsOfIndex.Queue(operations, streams[j].Process, changes[j]!.Value, answers);
                }
            }
        }

        // The COPY write: the documents upserted on the transaction's connection now (their arrays then given back), the
        // as-of index's changes queued in the session.
        public async Task StoreAsync(IDocumentOperations operations, NpgsqlConnection connection, CancellationToken ct)
        {
            try
            {
                if (bulk is { } b && _statusJson is not null && _registerJson is not null)
                {
                    await b.Documents.StoreAsync(connection, [.. streams.Select(s => s.Process)], _statusJson, _registerJson, ct).ConfigureAwait(false);
                }
            }
            finally
            {
                Release();
            }
            Store(operations);
        }

        public void Release()
        {
            _statusJson?.Dispose();
            _registerJson?.Dispose();
        }
    }
}

/// <summary>
/// Async multi-stream projection of every process's register and vetoes into one <see cref="MemberRecord"/> per member.
/// </summary>
public sealed class MemberRecordProjection : IProjection
{
    /// <summary>The projection's name (for rebuilds and the daemon).</summary>
    public const string Name = "MemberRecords";

    private readonly StreamEntriesCache _entries = new(1000);

    /// <inheritdoc />
    public async Task ApplyAsync(IDocumentOperations operations, IReadOnlyList<IEvent> events, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(operations);
        var records = new Dictionary<string, MemberRecord>(StringComparer.Ordinal);
        async Task<MemberRecord> RecordOf(string member)
        {
            if (!records.TryGetValue(member, out var record))
            {
                record = await operations.LoadAsync<MemberRecord>(member, cancellation).ConfigureAwait(false) ?? new MemberRecord { Id = member };
                records[member] = record;
            }
            return record;
        }

        foreach (var (process, entries) in await ProcessStreams.LoadAsync(operations, events, _entries, cancellation).ConfigureAwait(false))
        {
            var (status, register) = ProcessViews.BuildStored(process, entries);
            var members = MemberRecords.Of(status, register);
            var stale = await operations.Query<MemberRecord>().Where(m => m.Ratifications.Any(r => r.Process == process) || m.Vetoes.Any(v => v.Process == process))
                .Select(m => m.Id).ToListAsync(cancellation).ConfigureAwait(false);
            foreach (var member in members.Union(stale, StringComparer.Ordinal))
            {
                var record = await RecordOf(member).ConfigureAwait(false);
                record.Ratifications.RemoveAll(r => r.Process == process);
                record.Vetoes.RemoveAll(v => v.Process == process);
                MemberRecords.Add(record, process, status, register);
            }
        }
        foreach (var record in records.Values)
        {
            MemberRecords.Finish(record);
            operations.Store(record);
        }
    }
}

/// <summary>How one process contributes to a member's record (shared by the projection and the rebuild).</summary>
internal static class MemberRecords
{
    /// <summary>Adds <paramref name="process"/>'s ratification and vetoes by the record's member (none there yet).</summary>
    public static void Add(MemberRecord record, string process, AccessionStatus status, RatificationRegister register)
    {
        if (register.Rows.FirstOrDefault(r => r.Member == record.Id) is { } row)
        {
            record.Ratifications.Add(Ratification(process, status, row));
        }
        record.Vetoes.AddRange(status.Vetoes.Where(v => v.Member == record.Id).Select(v => Veto(process, status, v)));
    }

    /// <summary>
    /// What <see cref="Add"/> adds to the record of every member of <see cref="Of"/> (none there yet), in one pass over
    /// the rows and the vetoes instead of one per member; <paramref name="recordOf"/> gives a member's record.
    /// </summary>
    public static void AddAll(Func<string, MemberRecord> recordOf, string process, AccessionStatus status, RatificationRegister register)
    {
        foreach (var row in register.Rows)
        {
            var record = recordOf(row.Member);
            // The member's first row only, as Add takes it.
            if (record.Ratifications.Count == 0 || record.Ratifications[^1].Process != process)
            {
                record.Ratifications.Add(Ratification(process, status, row));
            }
        }
        foreach (var veto in status.Vetoes)
        {
            recordOf(veto.Member).Vetoes.Add(Veto(process, status, veto));
        }
    }

    private static MemberRatification Ratification(string process, AccessionStatus status, RegisterRow row) =>
        new(process, status.Candidate, row.RatifiedOn, row.DepositedOn, row.DaysFromSignature, row.Unconfirmed);

    private static MemberVeto Veto(string process, AccessionStatus status, VetoView v) =>
        new(process, status.Candidate, v.Since, v.EndedOn, v.Formal, v.Reason);

    /// <summary>The members a process contributes to: its required ratifiers and the members that vetoed it.</summary>
    public static IEnumerable<string> Of(AccessionStatus status, RatificationRegister register) =>
        register.Rows.Select(r => r.Member).Concat(status.Vetoes.Select(v => v.Member)).Distinct(StringComparer.Ordinal);

    /// <summary>Orders the record and computes its mean, once its contributions are in.</summary>
    public static void Finish(MemberRecord record)
    {
        record.Ratifications.Sort((a, b) => string.CompareOrdinal(a.Process, b.Process));
        record.Vetoes.Sort((a, b) => (a.Since, a.Process).CompareTo((b.Since, b.Process)));
        var days = record.Ratifications.Where(r => r.DaysFromSignature is not null).Select(r => (double)r.DaysFromSignature!.Value).ToList();
        record.MeanDaysFromSignature = days.Count > 0 ? Math.Round(days.Average(), 1) : null;
    }
}

internal static class ProcessStreams
{
    /// <summary>
    /// Every entry of each process stream the events touch: the stored ones and those being appended. Stored entries come
    /// from <paramref name="cache"/> when its copy is still the stream's prefix (checked by reading the stream from the
    /// cached last entry on: one row when nothing else was written), otherwise from a full read; all reads of one call go
    /// to the database in one batch.
    /// </summary>
    public static async Task<List<(string Process, IReadOnlyList<RecordedEntry> Entries)>> LoadAsync(IQuerySession session, IReadOnlyList<IEvent> events, StreamEntriesCache cache, CancellationToken ct)
    {
        var groups = ByProcess(events);
        var result = new List<(string, IReadOnlyList<RecordedEntry>)>(groups.Count);
        if (groups.Count == 0)
        {
            return result;
        }
        // A stream the recorder read in this session, and appends to at the version it read, needs no read when the
        // cached copy ends there with the same event (see SessionStreams); the others are read in one batch.
        var stored = new IReadOnlyList<RecordedEntry>?[groups.Count];
        var reads = new StreamEntriesCache.Read?[groups.Count];
        var lastEventIds = new Guid[groups.Count];
        IBatchedQuery? batch = null;
        for (var i = 0; i < groups.Count; i++)
        {
            if (SessionStreams.TryGet(session, groups[i].Key, out var version, out var lastEventId)
                && cache.TryConfirmed(groups[i].Key, version, lastEventId, out var confirmed))
            {
                stored[i] = confirmed;
                lastEventIds[i] = lastEventId;
                continue;
            }
            reads[i] = cache.Enlist(batch ??= session.CreateBatchQuery(), groups[i].Key);
        }
        if (batch is not null)
        {
            await batch.Execute(ct).ConfigureAwait(false);
        }
        List<(int Index, StreamEntriesCache.Read Read)>? stale = null;
        for (var i = 0; i < groups.Count; i++)
        {
            if (reads[i] is not { } read)
            {
                continue;
            }
            stored[i] = await read.ResolveAsync().ConfigureAwait(false);
            lastEventIds[i] = read.LastEventId;
            if (stored[i] is null)
            {
                (stale ??= []).Add((i, read));
            }
        }
        if (stale is not null)
        {
            // A cached copy that is no longer the stream's prefix (a rolled-back write, a reset store): read those in full.
            var again = session.CreateBatchQuery();
            var full = stale.Select(s => (s.Index, Read: cache.EnlistFull(again, groups[s.Index].Key))).ToList();
            await again.Execute(ct).ConfigureAwait(false);
            foreach (var (index, read) in full)
            {
                stored[index] = await read.ResolveAsync().ConfigureAwait(false);
                lastEventIds[index] = read.LastEventId;
            }
        }
        for (var i = 0; i < groups.Count; i++)
        {
            var known = stored[i]!;
            var last = known.Count > 0 ? known[^1].Number : 0;
            // The daemon hands over events that are already stored; inline projections, events being appended (in
            // version order as a rule: sorted only when not).
            var appended = groups[i].Events;
            appended.RemoveAll(e => e.Version <= last);
            if (!InOrder(appended))
            {
                appended.Sort(static (a, b) => a.Version.CompareTo(b.Version));
            }
            var all = new List<RecordedEntry>(known.Count + appended.Count);
            all.AddRange(known);
            foreach (var e in appended)
            {
                all.Add(RecordedEntry.From(e));
            }
            cache.Remember(groups[i].Key, all, appended.Count > 0 ? appended[^1].Id : lastEventIds[i]);
            result.Add((groups[i].Key, all));
        }
        return result;
    }

    // The events of each process stream, streams in the order of their first event (as GroupBy gives them), each
    // stream's key checked once; events of other streams (the organization's) left out.
    private static List<(string Key, List<IEvent> Events)> ByProcess(IReadOnlyList<IEvent> events)
    {
        var groups = new List<(string Key, List<IEvent> Events)>();
        var at = new Dictionary<string, int>(StringComparer.Ordinal);
        string? lastKey = null;
        var lastAt = -1;
        foreach (var e in events)
        {
            var key = e.StreamKey;
            if (key is null)
            {
                continue;
            }
            if (!ReferenceEquals(key, lastKey))
            {
                if (!at.TryGetValue(key, out lastAt))
                {
                    lastAt = ProcessId.TryParse(key, out _, out _) ? groups.Count : -1;
                    at[key] = lastAt;
                    if (lastAt >= 0)
                    {
                        groups.Add((key, []));
                    }
                }
                lastKey = key;
            }
            if (lastAt >= 0)
            {
                groups[lastAt].Events.Add(e);
            }
        }
        return groups;
    }

    private static bool InOrder(List<IEvent> events)
    {
        for (var i = 1; i < events.Count; i++)
        {
            if (events[i].Version < events[i - 1].Version)
            {
                return false;
            }
        }
        return true;
    }
}
