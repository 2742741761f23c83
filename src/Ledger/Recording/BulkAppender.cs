using JasperFx.Events;
using JasperFx.Events.Projections;
using RatificationLedger.Storage;
using Marten;
using Npgsql;

namespace RatificationLedger.Recording;

/// <summary>
/// The import's write of a batch: the process streams' events with binary <c>COPY</c> into Marten's own event table, the
/// streams' versions with one statement each for new and existing streams (checked against the versions read, so a
/// concurrent writer still fails the transaction), the receipts with <c>COPY</c>, and the store's inline projections
/// applied to the same events in the same transaction, as Marten applies them when it appends. Rows are exactly what
/// Marten's append writes (same columns, serializer, type names, metadata); the transaction is the session's and
/// commits with its <c>SaveChangesAsync</c>.
/// Used only when the store's event tables have exactly the layout this writes (single tenancy, Marten's default
/// columns); otherwise the recorder appends through Marten.
/// </summary>
internal sealed partial class BulkAppender
{
    private readonly string _schema;
    private readonly Weasel.Core.DbObjectName _receiptTable;
    private readonly ISerializer _serializer;
    private readonly EventJson _eventJson;
    private readonly IReadOnlyList<InlineProjection> _inline;
    private readonly string _streamType;

    // The arrays of the rows, their canonical parts and the chain links, kept between an import's batches.
    private readonly ImportBuffers _buffers = new();

    // The store's inline projections: applied through Marten's inline interface, or in stages (IStagedProjection).
    // Through the inline interface, only the streams with an event the projection declares it handles (Marten's own
    // filter, run on every event of every stream of a batch, made a closure per event: the organization's projection
    // handles two event types, and an import batch has tens of thousands of process events it does not).
    private sealed record InlineProjection(IInlineProjection<IDocumentOperations>? Inline, IStagedProjection? Staged, IReadOnlyList<Type>? Handles = null)
    {
        private readonly System.Collections.Concurrent.ConcurrentDictionary<Type, bool> _applies = new();

        public IReadOnlyList<StreamAction> For(List<StreamAction> actions)
        {
            if (Handles is not { Count: > 0 } handles)
            {
                return actions;
            }
            return actions.FindAll(a =>
            {
                foreach (var e in a.Events)
                {
                    if (_applies.GetOrAdd(e.EventType, static (type, h) => h.Any(t => t.IsAssignableFrom(type)), handles))
                    {
                        return true;
                    }
                }
                return false;
            });
        }
    }

    private BulkAppender(StoreOptions options, IReadOnlyList<InlineProjection> inline)
    {
        _schema = options.Events.DatabaseSchemaName;
        _receiptTable = StorageNames.ReceiptTable(options);
        _serializer = options.Serializer();
        _eventJson = new EventJson(_serializer);
        _inline = inline;
        // Marten's alias for the stream's aggregate type (StartStream<AccessionStream>), as it writes it to mt_streams.type.
        _streamType = LedgerRecorder.CommandName(new AccessionStream());
    }

    /// <summary>
    /// A bulk appender for the store, or null when its event storage is not the layout the appender writes (tenancy,
    /// extra or missing columns), in which case the recorder appends through Marten.
    /// </summary>
    public static async Task<BulkAppender?> CreateAsync(IDocumentStore store, CancellationToken ct)
    {
        if (store.Options is not StoreOptions options || options.Events.TenancyStyle != JasperFx.MultiTenancy.TenancyStyle.Single)
        {
            return null;
        }
        await LedgerStorage.EnsureAsync(store, ct).ConfigureAwait(false);
        await store.Storage.Database.EnsureStorageExistsAsync(typeof(IEvent), ct).ConfigureAwait(false);
        await store.Storage.Database.EnsureStorageExistsAsync(typeof(CommandReceipt), ct).ConfigureAwait(false);
        await Integrity.IntegritySchema.EnsureAsync(store, ct).ConfigureAwait(false);
        await using var connection = store.Storage.Database.CreateConnection();
        await connection.OpenAsync(ct).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        var receipts = StorageNames.ReceiptTable(options);
        command.CommandText = "select table_name, column_name from information_schema.columns where table_schema = $1 and table_name in ($2, $3, $4) order by table_name, ordinal_position";
        command.Parameters.Add(new NpgsqlParameter { Value = options.Events.DatabaseSchemaName });
        command.Parameters.Add(new NpgsqlParameter { Value = StorageNames.Events });
        command.Parameters.Add(new NpgsqlParameter { Value = StorageNames.Streams });
        command.Parameters.Add(new NpgsqlParameter { Value = receipts.Name });
        var columns = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        await using (var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                var table = reader.GetString(0);
                if (!columns.TryGetValue(table, out var set))
                {
                    columns[table] = set = new HashSet<string>(StringComparer.Ordinal);
                }
                set.Add(reader.GetString(1));
            }
        }
        if (options.Events.DatabaseSchemaName != receipts.Schema
            || !Same(columns, StorageNames.Events, StorageNames.EventColumns) || !Same(columns, StorageNames.Streams, StorageNames.StreamColumns)
            || !Same(columns, receipts.Name, StorageNames.ReceiptColumns))
        {
            return null;
        }
        var inline = options.Projections.All
            .Where(p => p is ProjectionBase { Lifecycle: ProjectionLifecycle.Inline })
            .Select(p => p is IProjectionWrapper { InnerProjection: IStagedProjection staged }
                ? new InlineProjection(null, staged)
                : new InlineProjection(p.BuildForInline(), null, (p as IProjectionWrapper)?.InnerProjection is EventFilterable f ? [.. f.IncludedEventTypes] : (p as EventFilterable)?.IncludedEventTypes.ToArray()))
            .ToArray();
        return new BulkAppender(options, inline);
    }

    private static bool Same(Dictionary<string, HashSet<string>> columns, string table, string[] expected) =>
        columns.TryGetValue(table, out var actual) && actual.SetEquals(expected);

    /// <summary>One process stream's new events, to go after the version it was read at.</summary>
    public sealed record StreamAppend(string Stream, long ReadVersion, IReadOnlyList<IEvent> Events);

    /// <summary>
    /// The streams' event rows in COPY's binary format, the events stamped as the write stamps them (see
    /// <see cref="EventRows"/>). An import encodes a batch while it decides it; <see cref="WriteAsync"/> encodes what it is
    /// not given.
    /// </summary>
    public EventRows Encode(IReadOnlyList<StreamAppend> streams, string tenant, string recordedBy, string? correlationId, string? causationId) =>
        EventRows.Encode(streams, _eventJson, _buffers, tenant, recordedBy, correlationId, causationId);

    /// <summary>
    /// Sizes the arrays an import's batches are encoded into for batches of up to <paramref name="rows"/> rows, so that
    /// its growing batches reuse them instead of each outgrowing the last's (until <see cref="ReleaseBuffers"/>).
    /// </summary>
    public void ExpectBatches(int rows) => _buffers.Expect(rows);

    /// <summary>Lets the arrays kept between an import's batches go (the import is over).</summary>
    public void ReleaseBuffers() => _buffers.Clear();

    /// <summary>
    /// Writes the events, stream versions and receipts in the session's transaction (started here) and applies the
    /// inline projections to them. A stream changed since it was read fails with <see cref="BulkConflictException"/>;
    /// a receipt or stream that exists meanwhile with PostgreSQL's unique violation. Nothing is committed here.
    /// <paramref name="rows"/>: the streams' rows as <see cref="Encode"/> made them for this session and recorded-by, or
    /// null to encode them here; the rows are released either way.
    /// </summary>
    public async Task WriteAsync(IDocumentSession session, IReadOnlyList<StreamAppend> streams, IReadOnlyList<CommandReceipt> receipts, string recordedBy, EventRows? rows, CancellationToken ct)
    {
        rows ??= Encode(streams, session.TenantId, recordedBy, session.CorrelationId, session.CausationId);
        try
        {
            await WriteRowsAsync(session, streams, receipts, rows, ct).ConfigureAwait(false);
        }
        finally
        {
            rows.Release();
        }
    }

    private async Task WriteRowsAsync(IDocumentSession session, IReadOnlyList<StreamAppend> streams, IReadOnlyList<CommandReceipt> receipts, EventRows rows, CancellationToken ct)
    {
        await session.BeginTransactionAsync(ct).ConfigureAwait(false);
        var connection = Integrity.ServerClock.ConnectionOf(session);
        var count = streams.Sum(s => s.Events.Count);
        if (rows.Count != count)
        {
            throw new InvalidOperationException($"{rows.Count} encoded rows for {count} events.");
        }

        // One round trip first: sequence numbers (the same sequence Marten's append draws from, in order), recorded-at
        // (the server's transaction time, never the client's clock), the writing role, and the last chain link of each
        // stream appended to.
        var sequence = new long[count];
        var timestamp = default(DateTimeOffset);
        var role = "";
        var previous = new Dictionary<string, (long Version, byte[] Chain)>(StringComparer.Ordinal);
        await using (var batch = new NpgsqlBatch(connection))
        {
            var next = new NpgsqlBatchCommand($"select transaction_timestamp(), current_user::text, array(select nextval('{_schema}.{StorageNames.EventSequence}') from generate_series(1, $1))");
            next.Parameters.Add(new NpgsqlParameter { Value = count });
            batch.BatchCommands.Add(next);
            var links = new NpgsqlBatchCommand(
                $"select s.id, c.version, c.chain_hash from unnest($1::varchar[]) as s(id) " +
                $"join lateral (select version, chain_hash from {_schema}.{Integrity.IntegritySchema.ChainTable} where stream_id = s.id order by version desc limit 1) c on true");
            links.Parameters.Add(new NpgsqlParameter { Value = streams.Select(s => s.Stream).ToArray() });
            batch.BatchCommands.Add(links);
            await using var reader = await batch.ExecuteReaderAsync(ct).ConfigureAwait(false);
            await reader.ReadAsync(ct).ConfigureAwait(false);
            timestamp = new DateTimeOffset(reader.GetFieldValue<DateTime>(0), TimeSpan.Zero);
            role = reader.GetString(1);
            sequence = reader.GetFieldValue<long[]>(2);
            await reader.NextResultAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                previous[reader.GetString(0)] = (reader.GetInt64(1), reader.GetFieldValue<byte[]>(2));
            }
        }
        if (sequence.Length != count)
        {
            throw new InvalidOperationException($"{sequence.Length} sequence numbers for {count} events.");
        }

        // Stream rows: new streams inserted (one that exists by now is a unique violation), existing ones moved on from
        // the version read (one that moved meanwhile is a conflict).
        var started = streams.Where(s => s.ReadVersion == 0).ToArray();
        var appended = streams.Where(s => s.ReadVersion > 0).ToArray();
        if (started.Length > 0)
        {
            await using var insert = connection.CreateCommand();
            insert.CommandText = $"insert into {_schema}.{StorageNames.Streams} (id, type, version, timestamp, tenant_id) select s.id, $2, s.version, now(), $3 from unnest($1::varchar[], $4::bigint[]) as s(id, version)";
            insert.Parameters.Add(new NpgsqlParameter { Value = started.Select(s => s.Stream).ToArray() });
            insert.Parameters.Add(new NpgsqlParameter { Value = _streamType });
            insert.Parameters.Add(new NpgsqlParameter { Value = session.TenantId });
            insert.Parameters.Add(new NpgsqlParameter { Value = started.Select(s => (long)s.Events.Count).ToArray() });
            await insert.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
        if (appended.Length > 0)
        {
            await using var update = connection.CreateCommand();
            update.CommandText = $"update {_schema}.{StorageNames.Streams} as s set version = u.version, timestamp = now() from unnest($1::varchar[], $2::bigint[], $3::bigint[]) as u(id, read, version) where s.id = u.id and s.version = u.read and not s.is_archived";
            update.Parameters.Add(new NpgsqlParameter { Value = appended.Select(s => s.Stream).ToArray() });
            update.Parameters.Add(new NpgsqlParameter { Value = appended.Select(s => s.ReadVersion).ToArray() });
            update.Parameters.Add(new NpgsqlParameter { Value = appended.Select(s => s.ReadVersion + s.Events.Count).ToArray() });
            var moved = await update.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            if (moved != appended.Length)
            {
                throw new BulkConflictException($"{appended.Length - moved} of {appended.Length} streams changed since they were read");
            }
        }

        // The events stamped as Marten stamps them (the rest was stamped when they were encoded), then the inline
        // projections applied to them as Marten applies them at SaveChanges (before the events are stored, so a
        // projection reading its streams sees only the stored part).
        var tenant = session.TenantId;
        var actions = new List<StreamAction>(streams.Count);
        var n = 0;
        foreach (var stream in streams)
        {
            var version = stream.ReadVersion + stream.Events.Count;
            foreach (var e in stream.Events)
            {
                e.Sequence = sequence[n++];
                e.Timestamp = timestamp;
            }
            var action = stream.ReadVersion == 0 ? StreamAction.Start(stream.Stream, [.. stream.Events]) : StreamAction.Append(stream.Stream, [.. stream.Events]);
            action.Version = version;
            action.TenantId = tenant;
            action.AggregateType = typeof(AccessionStream);
            actions.Add(action);
        }
        List<IStagedViews>? staged = null;
        foreach (var projection in _inline)
        {
            if (projection.Staged is { } stages)
            {
                (staged ??= []).Add(await stages.ReadAsync(session, [.. actions.SelectMany(a => a.Events)], _buffers, ct).ConfigureAwait(false));
            }
            else if (projection.For(actions) is { Count: > 0 } handled)
            {
                await projection.Inline!.ApplyAsync(session, handled, ct).ConfigureAwait(false);
            }
        }

        // The rows, as Marten's append writes them.
        rows.Complete(sequence, timestamp);
        // The chain links are hashed, and the staged projections' documents built, while the server stores the rows (the
        // hashes need only the rows' bytes, the time and the role); the links are copied once the rows are in, the
        // documents stored in the session after that.
        var linking = Chained(streams, previous) ? Task.Run(() => Links(rows, timestamp, role, previous), CancellationToken.None) : null;
        var building = staged is null ? null : Task.Run(() => staged.ForEach(v => v.Build(ct)), CancellationToken.None);
        try
        {
            await WriteLinkedRowsAsync(connection, streams, receipts, rows, previous, linking, ct).ConfigureAwait(false);
            if (building is not null)
            {
                await building.ConfigureAwait(false);
                foreach (var views in staged!)
                {
                    await views.StoreAsync(session, connection, ct).ConfigureAwait(false);
                }
            }
        }
        catch
        {
            // Nothing may go on building in the background once the write has failed, and what was built is let go
            // (letting go twice is harmless: a store that failed has let go of its own).
            if (building is not null)
            {
                await building.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                staged!.ForEach(v => v.Release());
            }
            throw;
        }
    }
}

/// <summary>A stream written by someone else between the batch's read and its write (retried like a Marten concurrency conflict).</summary>
internal sealed class BulkConflictException : Exception
{
    public BulkConflictException(string message) : base(message) { }

    public BulkConflictException() { }

    public BulkConflictException(string message, Exception inner) : base(message, inner) { }
}
