using JasperFx.Events;
using JasperFx.Events.Daemon;
using JasperFx.Events.Projections;
using RatificationLedger.Domain;
using RatificationLedger.Integrity;
using RatificationLedger.Recording;
using RatificationLedger.Storage;
using Marten;
using Marten.Events;
using Marten.Linq.MatchesSql;
using System.Diagnostics;
using RatificationLedger.Observability;
using RatificationLedger.Projections.Rebuilding;
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
                StoredDocumentJson.Apply(store);
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
            if (await _index.StatusAsync(process, asOf, knownAt, ct).ConfigureAwait(false) is { } status)
            {
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
        return await LoadAsync(process, asOf, knownAt, ct).ConfigureAwait(false) is { } entries
            ? ProcessViews.BuildRegister(process, entries, asOf, knownAt)
            : null;
    }

    /// <summary>
    /// Every entry of a process as recorded (by <paramref name="knownAt"/>; null: now), retracted ones marked as known
    /// then, read from its stream (the trail is the stream: it is not kept as a second copy), each with who recorded it
    /// (the app's claim) and the database role that wrote it (its chain link's). Null when the process has no entries
    /// known then.
    /// </summary>
    public async Task<AuditTrail?> AuditAsync(string process, DateTimeOffset? knownAt = null, CancellationToken ct = default)
    {
        if (!ProcessId.TryParse(process, out _, out _) || await LoadAsync(process, null, knownAt, ct).ConfigureAwait(false) is not { } entries)
        {
            return null;
        }
        // After the entries: the link of every entry read was committed with it.
        var roles = await WritingRoles.ReadAsync(_store, process, ct).ConfigureAwait(false);
        return ProcessViews.BuildAudit(process, entries, knownAt, roles);
    }

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
    public async Task WaitForAsyncProjectionsAsync(TimeSpan timeout, CancellationToken ct = default)
    {
        try
        {
            await _store.WaitForNonStaleProjectionDataAsync(timeout).WaitAsync(ct).ConfigureAwait(false);
        }
        catch (TimeoutException e)
        {
            await using var session = _store.QuerySession();
            if (await DaemonProgressAsync(session, ct).ConfigureAwait(false) is null)
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
    /// Rebuilds a projection from the event log: <see cref="ProcessViewsProjection.Name"/> (status and register) or
    /// <see cref="MemberRecordProjection.Name"/>, as <see cref="RebuildAllAsync"/> does; any other name is replayed by
    /// the async daemon.
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
    /// Rebuilds every read model (status, register, member records) in one pass over the event log: the log is read once
    /// in key order (stream, version), each stream folded on one of every core with the write side's fold, and the
    /// documents sent with binary <c>COPY</c> into temporary staging tables. Then one transaction replaces the stored
    /// documents with the staged ones: writers of these tables wait for it (readers do not), streams written since the
    /// read are folded again in it, and the async daemon's progress for member records is set to the log's end as the
    /// read saw it (events after that are applied again, which gives the same records). A rebuild that is cancelled or
    /// fails before that transaction commits leaves the read models as they were. Memory holds the streams in flight
    /// and the member records, never the whole log.
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
        return await ReadModelRebuild.For(_store, _reader, _logger, views, members).RunAsync(ct).ConfigureAwait(false);
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
