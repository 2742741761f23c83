using JasperFx.Events;
using JasperFx.Events.Daemon;
using JasperFx.Events.Projections;
using RatificationLedger.Domain;
using RatificationLedger.Recording;
using RatificationLedger.Storage;
using Marten;
using Marten.Events;
using Marten.Linq.MatchesSql;
using System.Diagnostics;
using RatificationLedger.Observability;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace RatificationLedger.Projections;

/// <summary>Registers the read models.</summary>
public static class ReadModelRegistration
{
    /// <summary>
    /// Adds the read models: AccessionStatus and RatificationRegister inline; MemberRecord async (the async daemon runs
    /// in Solo mode); and <see cref="LedgerQueries"/> in the container. The audit trail is read from the stream itself.
    /// </summary>
    public static LedgerOptions AddReadModels(this LedgerOptions ledger)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        ledger.AddDocuments(typeof(AccessionStatus), typeof(RatificationRegister), typeof(MemberRecord));
        return ledger.Extend(store =>
            {
                store.Projections.Add(new ProcessViewsProjection(), ProjectionLifecycle.Inline, ProcessViewsProjection.Name, o =>
                {
                    o.DeleteViewTypeOnTeardown<AccessionStatus>();
                    o.DeleteViewTypeOnTeardown<RatificationRegister>();
                });
                store.Projections.Add(new MemberRecordProjection(), ProjectionLifecycle.Async, MemberRecordProjection.Name,
                    o => o.DeleteViewTypeOnTeardown<MemberRecord>());
                store.Schema.For<AccessionStatus>().Index(s => s.Organization);
                store.Schema.For<RatificationRegister>();
                store.Schema.For<MemberRecord>();
                store.Storage.Add(new AsOfIndexSchema(store));
            },
            needsAsyncDaemon: true,
            services =>
            {
                services.TryAddSingleton(sp => new LedgerQueries(LedgerStoreSource.For(sp), sp.GetService<ILoggerFactory>()));
                services.TryAddSingleton<ILedgerQueries>(sp => sp.GetRequiredService<LedgerQueries>());
            });
    }
}

/// <summary>The questions users ask: status (as of a date, as known at an instant), who ratified when, the audit trail, member records, rosters.</summary>
public sealed class LedgerQueries : ILedgerQueries
{
    private readonly IDocumentStore _store;
    private readonly EntryReader _reader;
    private readonly AsOfIndexReader _index;
    private readonly ILogger _logger;

    /// <summary>Queries over a store configured with <c>AddRatificationLedger(l =&gt; l.AddReadModels())</c>.</summary>
    /// <param name="store">The store.</param>
    /// <param name="loggerFactory">Where rebuilds are logged (category <c>RatificationLedger.Projections.LedgerQueries</c>); none when null.</param>
    public LedgerQueries(IDocumentStore store, ILoggerFactory? loggerFactory = null)
    {
        _store = store ?? throw new ArgumentNullException(nameof(store));
        _reader = new EntryReader(store);
        _index = new AsOfIndexReader(store);
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<LedgerQueries>();
    }

    /// <summary>
    /// The status of a process: now (from the inline document), or as of a date in the world (<paramref name="asOf"/>),
    /// as the ledger knew it at an instant (<paramref name="knownAt"/>), or both. Null when the process has no entries
    /// (known at that instant).
    /// </summary>
    public async Task<AccessionStatus?> StatusAsync(string process, DateOnly? asOf = null, DateTimeOffset? knownAt = null, CancellationToken ct = default)
    {
        await LedgerStorage.EnsureAsync(_store, ct).ConfigureAwait(false);
        if (asOf is null && knownAt is null)
        {
            await using var session = _store.QuerySession();
            return await session.LoadAsync<AccessionStatus>(process, ct).ConfigureAwait(false);
        }
        if (ProcessId.TryParse(process, out _, out _))
        {
            // One probe of the as-of index (see AsOfIndex).
            var status = await _index.ReadAsync<AccessionStatus>("status", process, asOf, knownAt, ct).ConfigureAwait(false);
            if (status is not null)
            {
                status.AsOf = asOf;
                status.KnownAt = knownAt;
                return status;
            }
            if (await _index.HoldsAsync(process, ct).ConfigureAwait(false))
            {
                return null;
            }
        }
        // The fold: a stream that is not a process's (an organization's), or a process the index does not hold (see
        // AsOfIndex.Queue).
        return await LoadAsync(process, asOf, knownAt, ct).ConfigureAwait(false) is { } entries
            ? ProcessViews.BuildStatus(process, entries, asOf, knownAt)
            : null;
    }

    /// <summary>Who ratified when, now or on either time axis. Null when the process has no entries.</summary>
    public async Task<RatificationRegister?> RegisterAsync(string process, DateOnly? asOf = null, DateTimeOffset? knownAt = null, CancellationToken ct = default)
    {
        await LedgerStorage.EnsureAsync(_store, ct).ConfigureAwait(false);
        if (asOf is null && knownAt is null)
        {
            await using var session = _store.QuerySession();
            return await session.LoadAsync<RatificationRegister>(process, ct).ConfigureAwait(false);
        }
        if (ProcessId.TryParse(process, out _, out _))
        {
            if (await _index.ReadAsync<RatificationRegister>("register", process, asOf, knownAt, ct).ConfigureAwait(false) is { } register)
            {
                return register;
            }
            if (await _index.HoldsAsync(process, ct).ConfigureAwait(false))
            {
                return null;
            }
        }
        return await LoadAsync(process, asOf, knownAt, ct).ConfigureAwait(false) is { } entries
            ? ProcessViews.BuildRegister(process, entries, asOf, knownAt)
            : null;
    }

    /// <summary>
    /// Every entry of a process as recorded, retracted ones marked, read from its stream (the trail is the stream: it
    /// is not kept as a second copy). Null when the process has no entries.
    /// </summary>
    public async Task<AuditTrail?> AuditAsync(string process, CancellationToken ct = default) =>
        ProcessId.TryParse(process, out _, out _) && await LoadAsync(process, null, null, ct).ConfigureAwait(false) is { } entries
            ? ProcessViews.BuildAudit(process, entries)
            : null;

    /// <summary>One member's ratifications and vetoes across processes (async projection: may trail the latest writes briefly).</summary>
    /// <exception cref="InvalidOperationException">
    /// The ledger holds entries but no async daemon has ever projected member records on this store (none is registered
    /// in a running Generic Host, here or on another node): the record would be missing, not empty.
    /// </exception>
    public async Task<MemberRecord?> MemberRecordAsync(string member, CancellationToken ct = default)
    {
        await LedgerStorage.EnsureAsync(_store, ct).ConfigureAwait(false);
        await using var session = _store.QuerySession();
        var record = await session.LoadAsync<MemberRecord>(member.ToUpperInvariant(), ct).ConfigureAwait(false);
        if (record is null)
        {
            await ThrowUnlessDaemonHasRunAsync(session, ct).ConfigureAwait(false);
        }
        return record;
    }

    /// <summary>Waits until the async projections (member records) have caught up with the event log.</summary>
    /// <exception cref="TimeoutException">They did not catch up in time; the message says whether a daemon ever ran.</exception>
    public async Task WaitForAsyncProjectionsAsync(TimeSpan timeout)
    {
        try
        {
            await _store.WaitForNonStaleProjectionDataAsync(timeout).ConfigureAwait(false);
        }
        catch (TimeoutException e)
        {
            await using var session = _store.QuerySession();
            if (await DaemonProgressAsync(session, CancellationToken.None).ConfigureAwait(false) is null)
            {
                throw new TimeoutException(NoDaemonMessage, e);
            }
            throw;
        }
    }

    private const string NoDaemonMessage =
        "member records are projected by Marten's async daemon, and no daemon has ever run on this ledger's store: register one "
        + "(AddRatificationLedger(...).AddAsyncDaemon(DaemonMode.Solo), or HotCold on several nodes) in an app that runs the "
        + ".NET Generic Host (the daemon is a hosted service), or rebuild them with LedgerQueries.RebuildAsync(MemberRecordProjection.Name).";

    private async Task ThrowUnlessDaemonHasRunAsync(IQuerySession session, CancellationToken ct)
    {
        if (await DaemonProgressAsync(session, ct).ConfigureAwait(false) is null)
        {
            var schema = _store.Options.Events.DatabaseSchemaName;
            var any = (await session.AdvancedSql.QueryAsync<bool>($"select exists(select 1 from {schema}.mt_events)", ct).ConfigureAwait(false))[0];
            if (any)
            {
                throw new InvalidOperationException(NoDaemonMessage);
            }
        }
    }

    /// <summary>The member records' progress through the log, or null when no daemon (or rebuild) has ever recorded any.</summary>
    private async Task<long?> DaemonProgressAsync(IQuerySession session, CancellationToken ct)
    {
        var schema = _store.Options.Events.DatabaseSchemaName;
        try
        {
            var rows = await session.AdvancedSql.QueryAsync<long>(
                $"select last_seq_id from {schema}.mt_event_progression where name like '{MemberRecordProjection.Name}:%'", ct).ConfigureAwait(false);
            return rows.Count > 0 ? rows.Max() : null;
        }
        catch (Npgsql.PostgresException e) when (e.SqlState == "42P01")
        {
            return null; // no progression table yet: nothing has ever been projected
        }
    }

    /// <summary>The members of an organization on a date, with their join dates; null when the organization is unknown.</summary>
    public async Task<IReadOnlyList<Membership>?> RosterAsync(string organization, DateOnly on, CancellationToken ct = default)
    {
        await LedgerStorage.EnsureAsync(_store, ct).ConfigureAwait(false);
        await using var session = _store.QuerySession();
        var view = await session.LoadAsync<OrganizationView>(OrganizationDecider.StreamKey(organization), ct).ConfigureAwait(false);
        return view is null ? null : [.. view.Organization.Members.Where(m => m.Since <= on).OrderBy(m => m.State, StringComparer.Ordinal)];
    }

    /// <summary>The organization as recorded (policy and roster), or null.</summary>
    public async Task<Organization?> OrganizationAsync(string organization, CancellationToken ct = default)
    {
        await LedgerStorage.EnsureAsync(_store, ct).ConfigureAwait(false);
        await using var session = _store.QuerySession();
        return (await session.LoadAsync<OrganizationView>(OrganizationDecider.StreamKey(organization), ct).ConfigureAwait(false))?.Organization;
    }

    /// <summary>The present status of every process (of one organization), by process id.</summary>
    public async Task<IReadOnlyList<AccessionStatus>> ListAsync(string? organization = null, CancellationToken ct = default)
    {
        await LedgerStorage.EnsureAsync(_store, ct).ConfigureAwait(false);
        await using var session = _store.QuerySession();
        var query = organization is null
            ? session.Query<AccessionStatus>()
            : session.Query<AccessionStatus>().Where(s => s.Organization == organization.ToUpperInvariant());
        var list = await query.ToListAsync(ct).ConfigureAwait(false);
        return [.. list.OrderBy(s => s.Id, StringComparer.Ordinal)];
    }

    /// <summary>Every entry of a process with its recording metadata, in recorded order.</summary>
    public async Task<IReadOnlyList<RecordedEntry>> EntriesAsync(string process, CancellationToken ct = default)
    {
        await LedgerStorage.EnsureAsync(_store, ct).ConfigureAwait(false);
        await using var session = _store.QuerySession();
        var events = await session.Events.FetchStreamAsync(process, token: ct).ConfigureAwait(false);
        return [.. events.Select(RecordedEntry.From)];
    }

    /// <summary>
    /// Rebuilds a projection from the event log: <see cref="ProcessViewsProjection.Name"/> (status, register, audit) or
    /// <see cref="MemberRecordProjection.Name"/>; any other name is replayed by the async daemon. Writers are not
    /// blocked. See <see cref="RebuildAllAsync"/>.
    /// </summary>
    public async Task RebuildAsync(string projection, TimeSpan? timeout = null, CancellationToken ct = default)
    {
        switch (projection)
        {
            case ProcessViewsProjection.Name:
                await RebuildAsync(views: true, members: false, ct).ConfigureAwait(false);
                return;
            case MemberRecordProjection.Name:
                await RebuildAsync(views: false, members: true, ct).ConfigureAwait(false);
                return;
            default:
                using (var daemon = await _store.BuildProjectionDaemonAsync().ConfigureAwait(false))
                {
                    await daemon.RebuildProjectionAsync(projection, timeout ?? TimeSpan.FromMinutes(10), ct).ConfigureAwait(false);
                }
                return;
        }
    }

    /// <summary>
    /// Rebuilds every read model in one pass over the event log, stream by stream in batches: the process views are
    /// written batch by batch without being torn down first, then streams written during the rebuild are recomputed
    /// again; member records are accumulated in memory, replace the stored ones in one transaction with the async
    /// daemon's progress for them set to the log's end as it was when the pass began, and events appended since are
    /// applied on top (applying an event twice gives the same record: a process's contribution is recomputed from its
    /// whole stream).
    /// </summary>
    public Task RebuildAllAsync(CancellationToken ct = default) => RebuildAsync(views: true, members: true, ct);

    private async Task RebuildAsync(bool views, bool members, CancellationToken ct)
    {
        var projection = views && members ? "all read models" : views ? ProcessViewsProjection.Name : MemberRecordProjection.Name;
        var started = Stopwatch.GetTimestamp();
        using var activity = LedgerTelemetry.Start("ledger.rebuild");
        activity?.SetTag("ledger.projection", projection);
        _logger.RebuildStarted(projection);
        var streams = await RebuildPassAsync(views, members, ct).ConfigureAwait(false);
        activity?.SetTag("ledger.streams", streams);
        _logger.RebuildFinished(projection, streams, LedgerTelemetry.Milliseconds(started));
    }

    // Returns how many process streams it read.
    private async Task<int> RebuildPassAsync(bool views, bool members, CancellationToken ct)
    {
        await LedgerStorage.EnsureAsync(_store, ct).ConfigureAwait(false);
        await AsOfIndex.EnsureAsync(_store, ct).ConfigureAwait(false);
        var schema = _store.Options.Events.DatabaseSchemaName;
        long mark;
        await using (var query = _store.QuerySession())
        {
            mark = (await query.AdvancedSql.QueryAsync<long>($"select coalesce(max(seq_id), 0) from {schema}.mt_events", ct).ConfigureAwait(false))[0];
        }
        var records = new Dictionary<string, MemberRecord>(StringComparer.Ordinal);
        var ids = await ProcessStreamIdsAsync(ct).ConfigureAwait(false);
        var batches = ids.Chunk(200).ToArray();
        // While one batch is folded and written, the next one is read: the database and the folding overlap.
        var next = batches.Length > 0 ? ReadStreamsAsync(batches[0], ct) : null;
        for (var i = 0; i < batches.Length; i++)
        {
            var streams = await next!.ConfigureAwait(false);
            next = i + 1 < batches.Length ? ReadStreamsAsync(batches[i + 1], ct) : null;
            await using var session = _store.LightweightSession();
            // The folds are independent and pure: on every core.
            var built = ProcessViews.BuildAll(streams, ct);
            if (views)
            {
                foreach (var (status, register) in built)
                {
                    session.Store(status);
                    session.Store(register);
                }
                AsOfIndex.QueueRebuild(session, streams);
            }
            for (var j = 0; j < streams.Count; j++)
            {
                var (status, register) = built[j];
                var process = streams[j].Process;
                if (members)
                {
                    foreach (var member in MemberRecords.Of(status, register))
                    {
                        if (!records.TryGetValue(member, out var record))
                        {
                            records[member] = record = new MemberRecord { Id = member };
                        }
                        MemberRecords.Add(record, process, status, register);
                    }
                }
            }
            if (views)
            {
                await session.SaveChangesAsync(ct).ConfigureAwait(false);
            }
        }
        if (members)
        {
            await using (var session = _store.LightweightSession())
            {
                session.DeleteWhere<MemberRecord>(m => true);
                foreach (var record in records.Values)
                {
                    MemberRecords.Finish(record);
                    session.Store(record);
                }
                // The daemon continues from the mark instead of replaying the whole log into what was just written.
                session.QueueSqlCommand(
                    $"insert into {schema}.mt_event_progression (name, last_seq_id, last_updated) values (?, ?, transaction_timestamp()) "
                    + $"on conflict (name) do update set last_seq_id = greatest({schema}.mt_event_progression.last_seq_id, excluded.last_seq_id), last_updated = transaction_timestamp()",
                    $"{MemberRecordProjection.Name}:All", mark);
                await session.SaveChangesAsync(ct).ConfigureAwait(false);
            }
            await using (var session = _store.LightweightSession())
            {
                var since = await session.Events.QueryAllRawEvents().Where(e => e.Sequence > mark).ToListAsync(ct).ConfigureAwait(false);
                if (since.Count > 0)
                {
                    await new MemberRecordProjection().ApplyAsync(session, since, ct).ConfigureAwait(false);
                    await session.SaveChangesAsync(ct).ConfigureAwait(false);
                }
            }
        }
        if (views)
        {
            var streams = await TrailingStreamsAsync(ct).ConfigureAwait(false);
            for (var pass = 0; pass < 4 && streams.Count > 0; pass++)
            {
                foreach (var batch in streams.Chunk(200))
                {
                    await using var session = _store.LightweightSession();
                    var read = await ReadStreamsAsync(batch, ct).ConfigureAwait(false);
                    foreach (var (status, register) in ProcessViews.BuildAll(read, ct))
                    {
                        session.Store(status);
                        session.Store(register);
                    }
                    AsOfIndex.QueueRebuild(session, read);
                    await session.SaveChangesAsync(ct).ConfigureAwait(false);
                }
                streams = await TrailingStreamsAsync(ct).ConfigureAwait(false);
            }
        }
        return ids.Count;
    }

    // Every entry of each stream, in recorded order: straight from the event table (EntryReader), or through Marten when
    // the store upcasts events.
    private async Task<List<(string Process, List<RecordedEntry> Entries)>> ReadStreamsAsync(string[] streams, CancellationToken ct)
    {
        if (_reader.Usable)
        {
            return await _reader.ReadAllAsync(streams, ct).ConfigureAwait(false);
        }
        await using var session = _store.QuerySession();
        var events = await session.Events.QueryAllRawEvents().Where(e => streams.Contains(e.StreamKey!)).ToListAsync(ct).ConfigureAwait(false);
        return [.. events.GroupBy(e => e.StreamKey!, StringComparer.Ordinal)
            .Select(g => (g.Key, g.OrderBy(e => e.Version).Select(RecordedEntry.From).ToList()))];
    }

    private async Task<IReadOnlyList<string>> ProcessStreamIdsAsync(CancellationToken ct) =>
        [.. (await StreamVersionsAsync(ct).ConfigureAwait(false)).Keys];

    private async Task<Dictionary<string, long>> StreamVersionsAsync(CancellationToken ct)
    {
        await using var session = _store.QuerySession();
        var rows = await session.AdvancedSql.QueryAsync<string>(
            $"select id || ' ' || version::text from {_store.Options.Events.DatabaseSchemaName}.mt_streams", ct).ConfigureAwait(false);
        return rows.Select(r => r.Split(' ')).Where(r => ProcessId.TryParse(r[0], out _, out _))
            .ToDictionary(r => r[0], r => long.Parse(r[1], System.Globalization.CultureInfo.InvariantCulture), StringComparer.Ordinal);
    }

    private async Task<IReadOnlyList<string>> TrailingStreamsAsync(CancellationToken ct)
    {
        var streams = await StreamVersionsAsync(ct).ConfigureAwait(false);
        await using var session = _store.QuerySession();
        var documents = (await session.Query<AccessionStatus>().Select(s => new { s.Id, s.Version }).ToListAsync(ct).ConfigureAwait(false))
            .ToDictionary(d => d.Id, d => d.Version, StringComparer.Ordinal);
        return [.. streams.Where(s => !documents.TryGetValue(s.Key, out var v) || v != s.Value).Select(s => s.Key)];
    }


    /// <summary>
    /// The entries a replay on either axis needs, or null when the process has no entries (known at
    /// <paramref name="knownAt"/>). As of a date, only the entries dated on or before it and the retractions (which apply
    /// whatever their date) are read: the others cannot enter the fold.
    /// </summary>
    private async Task<IReadOnlyList<RecordedEntry>?> LoadAsync(string process, DateOnly? asOf, DateTimeOffset? knownAt, CancellationToken ct)
    {
        if (!_reader.Usable)
        {
            var all = await EntriesAsync(process, ct).ConfigureAwait(false);
            return all.Any(e => knownAt is null || e.RecordedAt <= knownAt) ? all : null;
        }
        var entries = await _reader.ReadAsync(process, asOf, knownAt, ct).ConfigureAwait(false);
        if (entries.Count > 0 || asOf is null)
        {
            return entries.Count > 0 ? entries : null;
        }
        // Nothing dated by then: the process had not opened, if it exists (known at that instant) at all.
        return await _reader.ExistsAsync(process, knownAt, ct).ConfigureAwait(false) ? [] : null;
    }
}
