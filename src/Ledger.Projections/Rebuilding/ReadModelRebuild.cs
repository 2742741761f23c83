using System.Data;
using System.Globalization;
using System.Runtime.ExceptionServices;
using System.Threading.Channels;
using Marten;
using Microsoft.Extensions.Logging;
using Npgsql;
using RatificationLedger.Domain;
using RatificationLedger.Observability;
using RatificationLedger.Recording;
using RatificationLedger.Storage;

namespace RatificationLedger.Projections.Rebuilding;

/// <summary>
/// Rebuilds read models from the event log in one pass: a reader scans the log once in key order (stream, version)
/// and hands whole streams, as raw rows, through a bounded channel to one worker per core; each worker decodes a
/// stream, folds it with the write side's <c>Evolve</c> (<see cref="ProcessViews"/>) and writes the rows of every
/// table (<see cref="IRebuildTable"/>) in <c>COPY</c>'s binary format; one writer sends them with <c>COPY</c> into
/// temporary staging tables. At the end one transaction locks the tables against writers (readers go on), folds again
/// the streams written since the scan, and replaces each table's rows with the staged ones; member records, gathered
/// per worker and merged, are written in the same transaction with the async daemon's progress. Nothing touches the
/// read models before that transaction: a rebuild cancelled or failing leaves them as they were. Memory holds the
/// streams in flight and a megabyte of rows per table and worker, never the log.
/// </summary>
internal sealed class ReadModelRebuild
{
    // Rows are sent when a worker's buffer for a table passes this size.
    private const int FlushBytes = 1 << 20;

    private readonly IDocumentStore _store;
    private readonly EntryReader _reader;
    private readonly ILogger _logger;
    private readonly string _events;
    private readonly string _schema;
    private readonly IReadOnlyList<IRebuildTable> _tables;
    private readonly DocumentTable<MemberRecord>? _members;

    private ReadModelRebuild(IDocumentStore store, EntryReader reader, ILogger logger, IReadOnlyList<IRebuildTable> tables, DocumentTable<MemberRecord>? members)
    {
        _store = store;
        _reader = reader;
        _logger = logger;
        _schema = store.Options.Events.DatabaseSchemaName;
        _events = $"{_schema}.{StorageNames.Events}";
        _tables = tables;
        _members = members;
    }

    /// <summary>
    /// The rebuild of the process views (status and register) and/or the member records. A read model kept as rows per
    /// process stream plugs in as one more <see cref="IRebuildTable"/> in this list.
    /// </summary>
    public static ReadModelRebuild For(IDocumentStore store, EntryReader reader, ILogger logger, bool views, bool members)
    {
        var tables = new List<IRebuildTable>();
        if (views)
        {
            tables.Add(new DocumentTable<AccessionStatus>(store, s => s.Views.Status));
            tables.Add(new DocumentTable<RatificationRegister>(store, s => s.Views.Register));
            tables.Add(new AsOfIndexTable(store));
        }
        return new ReadModelRebuild(store, reader, logger, tables, members ? new DocumentTable<MemberRecord>(store, null) : null);
    }

    /// <summary>Runs the rebuild; returns how many process streams it folded.</summary>
    public async Task<int> RunAsync(CancellationToken ct)
    {
        await using var connection = _store.Storage.Database.CreateConnection();
        await connection.OpenAsync(ct).ConfigureAwait(false);
        var staging = new string[_tables.Count];
        try
        {
            await CheckColumnsAsync(connection, ct).ConfigureAwait(false);
            for (var t = 0; t < _tables.Count; t++)
            {
                staging[t] = $"ledger_rebuild_{t}";
                await ExecuteAsync(connection, null, $"drop table if exists pg_temp.{staging[t]}; create temp table {staging[t]} (like {_tables[t].Table} including defaults including compression)", ct).ConfigureAwait(false);
            }
            var scan = await ScanAsync(connection, staging, ct).ConfigureAwait(false);
            _logger.RebuildStaged(scan.Folded.Count, scan.Rows);
            await SwapAsync(connection, staging, scan, ct).ConfigureAwait(false);
            return scan.Folded.Count;
        }
        finally
        {
            // Temporary tables end with the session anyway; a pooled connection lives on, so they are dropped here.
            // A connection broken by a cancellation mid-COPY cannot drop them, and its session, which ends, takes them
            // along: that is not worth hiding the rebuild's own exception for.
            try
            {
                if (connection.State == ConnectionState.Open && staging.Any(s => s is not null))
                {
                    await ExecuteAsync(connection, null, string.Join("; ", staging.Where(s => s is not null).Select(s => $"drop table if exists pg_temp.{s}")),
                        CancellationToken.None).ConfigureAwait(false);
                }
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
            {
                connection.Close();
            }
        }
    }

    // A column the rebuild does not write takes its default: Marten's metadata columns do, a duplicated field (a
    // document member copied into a column of its own) would be left empty, so such a table is refused up front.
    private async Task CheckColumnsAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        foreach (var table in _tables.Concat(_members is null ? [] : [_members]))
        {
            await using var command = new NpgsqlCommand(
                "select column_name from information_schema.columns where table_schema || '.' || table_name = $1 "
                + "and column_default is null and column_name not like 'mt\\_%' and column_name <> all($2)", connection);
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = table.Table });
            command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. table.Columns] });
            await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            if (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                throw new InvalidOperationException(
                    $"{table.Table} has the column {reader.GetString(0)}, which the rebuild does not fill (it writes {string.Join(", ", table.Columns)}; "
                    + "other columns take their defaults): a duplicated field on a read model is not supported by the rebuild.");
            }
        }
    }

    private sealed record Scan(long Mark, Dictionary<string, long> Folded, MemberRecordsBuilder? Members, long Rows);

    // A whole stream as read: raw rows to decode, or entries Marten decoded.
    private sealed record RawStream(string Process, List<RawEntry>? Raw, List<RecordedEntry>? Decoded = null);

    private readonly record struct RawEntry(long Number, long Sequence, string Type, byte[] Data, DateTimeOffset RecordedAt, string? RecordedBy,
        byte[]? Headers, string? CorrelationId, string? CausationId);

    private sealed record Chunk(int Table, CopyRows Rows);

    private sealed record Folded(List<(string Process, long Version)> Versions, MemberRecordsBuilder? Members);

    // The reader, the workers and the writer, joined by bounded channels.
    private async Task<Scan> ScanAsync(NpgsqlConnection connection, string[] staging, CancellationToken ct)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var streams = Channel.CreateBounded<RawStream>(new BoundedChannelOptions(16 * Environment.ProcessorCount) { SingleWriter = true });
        var chunks = Channel.CreateBounded<Chunk>(new BoundedChannelOptions(2 * Environment.ProcessorCount) { SingleReader = true });
        var read = Stage(stop, () => ReadAsync(streams.Writer, stop.Token));
        var workers = Enumerable.Range(0, Environment.ProcessorCount)
            .Select(_ => Stage(stop, () => Task.Run(() => FoldAsync(streams.Reader, chunks.Writer, stop.Token), stop.Token))).ToArray();
        var folding = CompleteWhenDone(workers, chunks.Writer);
        var rows = Stage(stop, () => WriteAsync(connection, staging, chunks.Reader, stop.Token));
        await WhenAll(read, folding, rows).ConfigureAwait(false);

        var folded = new Dictionary<string, long>(StringComparer.Ordinal);
        MemberRecordsBuilder? members = null;
        foreach (var worker in workers)
        {
            var result = await worker.ConfigureAwait(false);
            foreach (var (process, version) in result.Versions)
            {
                folded[process] = version;
            }
            if (result.Members is { } theirs)
            {
                if (members is null)
                {
                    members = theirs;
                }
                else
                {
                    members.Merge(theirs);
                }
            }
        }
        if (_members is not null)
        {
            members ??= new MemberRecordsBuilder();
        }
        return new Scan(await read.ConfigureAwait(false), folded, members, await rows.ConfigureAwait(false));
    }

    // The log once, in key order, in one snapshot that also gives the mark (the last sequence number it holds).
    private async Task<long> ReadAsync(ChannelWriter<RawStream> output, CancellationToken ct)
    {
        try
        {
            await using var connection = _store.Storage.Database.CreateConnection();
            await connection.OpenAsync(ct).ConfigureAwait(false);
            await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, ct).ConfigureAwait(false);
            long mark;
            await using (var max = new NpgsqlCommand($"select coalesce(max(seq_id), 0) from {_events}", connection, transaction))
            {
                mark = (long)(await max.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
            }
            // Key order from the primary key (stream, version) rather than a sort of the whole log: the planner prefers
            // a parallel sort, which took twice the index walk's time at 100,000 entries in the benchmark and spills to
            // disk beyond work_mem; the walk also streams its first rows at once.
            await using (var walk = new NpgsqlCommand("set local enable_sort = off", connection, transaction))
            {
                await walk.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
            if (!_reader.Usable)
            {
                // Upcast events are decoded by Marten alone: the same key order, through Marten's reader.
                await ReadThroughMartenAsync(output, ct).ConfigureAwait(false);
                output.Complete();
                return mark;
            }
            await using var command = new NpgsqlCommand(
                $"select stream_id, version, seq_id, type, data, timestamp, user_name, headers, correlation_id, causation_id from {_events} order by stream_id, version",
                connection, transaction);
            await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            string? current = null;
            List<RawEntry>? entries = null;
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                var stream = reader.GetString(0);
                if (stream != current)
                {
                    if (entries is { Count: > 0 })
                    {
                        await output.WriteAsync(new RawStream(current!, entries), ct).ConfigureAwait(false);
                    }
                    current = stream;
                    // Organization streams are not processes: no read model is folded from them here.
                    entries = ProcessId.TryParse(stream, out _, out _) ? [] : null;
                }
                entries?.Add(new RawEntry(reader.GetInt64(1), reader.GetInt64(2), reader.GetString(3), reader.GetFieldValue<byte[]>(4),
                    reader.GetFieldValue<DateTimeOffset>(5), reader.IsDBNull(6) ? null : reader.GetString(6),
                    reader.IsDBNull(7) ? null : reader.GetFieldValue<byte[]>(7), reader.IsDBNull(8) ? null : reader.GetString(8),
                    reader.IsDBNull(9) ? null : reader.GetString(9)));
            }
            if (entries is { Count: > 0 })
            {
                await output.WriteAsync(new RawStream(current!, entries), ct).ConfigureAwait(false);
            }
            output.Complete();
            return mark;
        }
        catch (Exception e)
        {
            output.TryComplete(e);
            throw;
        }
    }

    // Marten decodes (the store registers upcasters); streams are handed over already decoded.
    private async Task ReadThroughMartenAsync(ChannelWriter<RawStream> output, CancellationToken ct)
    {
        await using var session = _store.QuerySession();
        var events = session.Events.QueryAllRawEvents().OrderBy(e => e.StreamKey).ThenBy(e => e.Version).ToAsyncEnumerable(ct);
        string? current = null;
        List<RecordedEntry>? entries = null;
        await foreach (var e in events.ConfigureAwait(false))
        {
            if (e.StreamKey != current)
            {
                if (entries is { Count: > 0 })
                {
                    await output.WriteAsync(new RawStream(current!, null, entries), ct).ConfigureAwait(false);
                }
                current = e.StreamKey;
                entries = ProcessId.TryParse(current, out _, out _) ? [] : null;
            }
            entries?.Add(RecordedEntry.From(e));
        }
        if (entries is { Count: > 0 })
        {
            await output.WriteAsync(new RawStream(current!, null, entries), ct).ConfigureAwait(false);
        }
    }

    private List<RecordedEntry> Decode(RawStream raw)
    {
        if (raw.Raw is null)
        {
            return raw.Decoded ?? [];
        }
        var decoded = new List<RecordedEntry>(raw.Raw.Count);
        foreach (var e in raw.Raw)
        {
            decoded.Add(_reader.Decode(raw.Process, e.Number, e.Sequence, e.Type, e.Data, e.RecordedAt, e.RecordedBy, e.Headers, e.CorrelationId, e.CausationId));
        }
        return decoded;
    }

    // One worker: decodes and folds whole streams, writes their rows, hands over a table's rows when they pass FlushBytes.
    private async Task<Folded> FoldAsync(ChannelReader<RawStream> input, ChannelWriter<Chunk> output, CancellationToken ct)
    {
        var rows = _tables.Select(_ => new CopyRows(FlushBytes + (FlushBytes >> 3))).ToArray();
        var members = _members is null ? null : new MemberRecordsBuilder();
        var versions = new List<(string, long)>();
        await foreach (var raw in input.ReadAllAsync(ct).ConfigureAwait(false))
        {
            var stream = new RebuiltStream(raw.Process, Decode(raw));
            for (var t = 0; t < _tables.Count; t++)
            {
                _tables[t].WriteRows(stream, rows[t]);
                if (rows[t].Length >= FlushBytes)
                {
                    await output.WriteAsync(new Chunk(t, rows[t]), ct).ConfigureAwait(false);
                    rows[t] = new CopyRows(FlushBytes + (FlushBytes >> 3));
                }
            }
            members?.Add(stream);
            versions.Add((stream.Process, stream.Version));
        }
        for (var t = 0; t < _tables.Count; t++)
        {
            if (rows[t].Count > 0)
            {
                await output.WriteAsync(new Chunk(t, rows[t]), ct).ConfigureAwait(false);
            }
        }
        return new Folded(versions, members);
    }

    private async Task<long> WriteAsync(NpgsqlConnection connection, string[] staging, ChannelReader<Chunk> input, CancellationToken ct)
    {
        long rows = 0;
        await foreach (var chunk in input.ReadAllAsync(ct).ConfigureAwait(false))
        {
            await CopyAsync(connection, staging[chunk.Table], _tables[chunk.Table].Columns, chunk.Rows, ct).ConfigureAwait(false);
            rows += chunk.Rows.Count;
        }
        return rows;
    }

    private static async Task CopyAsync(NpgsqlConnection connection, string table, IReadOnlyList<string> columns, CopyRows rows, CancellationToken ct)
    {
        await using var copy = await connection.BeginRawBinaryCopyAsync(
            $"copy {table} ({string.Join(", ", columns)}) from stdin (format binary)", ct).ConfigureAwait(false);
        await copy.WriteAsync(CopyRows.Header.ToArray(), ct).ConfigureAwait(false);
        await copy.WriteAsync(rows.Written, ct).ConfigureAwait(false);
        await copy.WriteAsync(CopyRows.Trailer.ToArray(), ct).ConfigureAwait(false);
    }

    // The swap: one transaction, retried when PostgreSQL picks it as a deadlock's victim (a writer holding one table
    // and waiting for another this transaction locked first).
    private async Task SwapAsync(NpgsqlConnection connection, string[] staging, Scan scan, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await SwapOnceAsync(connection, staging, scan, ct).ConfigureAwait(false);
                return;
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.DeadlockDetected && attempt < 3)
            {
                // The transaction rolled back: the staging tables are as the scan left them; try again.
            }
        }
    }

    private async Task SwapOnceAsync(NpgsqlConnection connection, string[] staging, Scan scan, CancellationToken ct)
    {
        await using var transaction = await connection.BeginTransactionAsync(ct).ConfigureAwait(false);
        // From here to the commit, writers of these tables wait (in the order the inline projection writes them);
        // readers go on reading the rows being replaced.
        var locked = _tables.Select(t => t.Table).Concat(_members is null ? [] : [_members.Table]);
        foreach (var table in locked)
        {
            await ExecuteAsync(connection, transaction, $"lock table {table} in share row exclusive mode", ct).ConfigureAwait(false);
        }

        // Streams written since the scan (committed before the lock): folded again, their staged rows replaced.
        var current = await StreamVersionsAsync(connection, transaction, ct).ConfigureAwait(false);
        var moved = current.Where(s => !scan.Folded.TryGetValue(s.Key, out var v) || v != s.Value).Select(s => s.Key).ToArray();
        var replaced = moved.Concat(scan.Folded.Keys.Where(k => !current.ContainsKey(k))).ToArray();
        var members = scan.Members;
        if (replaced.Length > 0)
        {
            var streams = await ReadStreamsAsync(moved, ct).ConfigureAwait(false);
            for (var t = 0; t < _tables.Count; t++)
            {
                await ExecuteAsync(connection, transaction, $"delete from {staging[t]} where {_tables[t].ProcessColumn} = any($1)", ct, new NpgsqlParameter<string[]> { TypedValue = replaced }).ConfigureAwait(false);
                var rows = new CopyRows();
                foreach (var stream in streams)
                {
                    _tables[t].WriteRows(stream, rows);
                }
                if (rows.Count > 0)
                {
                    await CopyAsync(connection, staging[t], _tables[t].Columns, rows, ct).ConfigureAwait(false);
                }
            }
            if (members is not null)
            {
                foreach (var process in replaced)
                {
                    members.Remove(process);
                }
                foreach (var stream in streams)
                {
                    members.Add(stream);
                }
            }
            _logger.RebuildCaughtUp(replaced.Length);
        }

        for (var t = 0; t < _tables.Count; t++)
        {
            var columns = string.Join(", ", _tables[t].Columns);
            await ExecuteAsync(connection, transaction,
                $"delete from {_tables[t].Table}; insert into {_tables[t].Table} ({columns}) select {columns} from {staging[t]}", ct).ConfigureAwait(false);
        }
        if (_members is not null && members is not null)
        {
            members.Finish();
            await ExecuteAsync(connection, transaction, $"delete from {_members.Table}", ct).ConfigureAwait(false);
            // A member's record holds every process it ratified (a megabyte at a million entries): sent a few at a time.
            var rows = new CopyRows();
            foreach (var record in members.Records)
            {
                _members.Write(rows, record.Id, record);
                if (rows.Length >= FlushBytes)
                {
                    await CopyAsync(connection, _members.Table, _members.Columns, rows, ct).ConfigureAwait(false);
                    rows = new CopyRows();
                }
            }
            if (rows.Count > 0)
            {
                await CopyAsync(connection, _members.Table, _members.Columns, rows, ct).ConfigureAwait(false);
            }
            // The daemon continues from the scan's mark instead of replaying the whole log into what was just written;
            // events after it are applied again, which gives the same records (a process's part is computed from its
            // whole stream).
            await ExecuteAsync(connection, transaction,
                $"insert into {_schema}.mt_event_progression (name, last_seq_id, last_updated) values ($1, $2, transaction_timestamp()) "
                + $"on conflict (name) do update set last_seq_id = greatest({_schema}.mt_event_progression.last_seq_id, excluded.last_seq_id), last_updated = transaction_timestamp()",
                ct, new NpgsqlParameter<string> { TypedValue = $"{MemberRecordProjection.Name}:All" }, new NpgsqlParameter<long> { TypedValue = scan.Mark }).ConfigureAwait(false);
        }
        await transaction.CommitAsync(ct).ConfigureAwait(false);
    }

    // Every entry of each stream, decoded, in recorded order.
    private async Task<List<RebuiltStream>> ReadStreamsAsync(string[] streams, CancellationToken ct)
    {
        if (streams.Length == 0)
        {
            return [];
        }
        if (_reader.Usable)
        {
            return [.. (await _reader.ReadAllAsync(streams, ct).ConfigureAwait(false)).Select(s => new RebuiltStream(s.Process, s.Entries))];
        }
        await using var session = _store.QuerySession();
        var events = await session.Events.QueryAllRawEvents().Where(e => streams.Contains(e.StreamKey!)).ToListAsync(ct).ConfigureAwait(false);
        return [.. events.GroupBy(e => e.StreamKey!, StringComparer.Ordinal)
            .Select(g => new RebuiltStream(g.Key, [.. g.OrderBy(e => e.Version).Select(RecordedEntry.From)]))];
    }

    private async Task<Dictionary<string, long>> StreamVersionsAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken ct)
    {
        var versions = new Dictionary<string, long>(StringComparer.Ordinal);
        await using var command = new NpgsqlCommand($"select id, version from {_schema}.{StorageNames.Streams}", connection, transaction);
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            var id = reader.GetString(0);
            if (ProcessId.TryParse(id, out _, out _))
            {
                versions[id] = reader.GetInt64(1);
            }
        }
        return versions;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, CancellationToken ct, params NpgsqlParameter[] parameters)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        command.Parameters.AddRange(parameters);
        await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    // A stage of the scan: when it fails, the others stop.
    private static async Task<T> Stage<T>(CancellationTokenSource stop, Func<Task<T>> run)
    {
        try
        {
            return await run().ConfigureAwait(false);
        }
        catch
        {
            await stop.CancelAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static async Task CompleteWhenDone<T>(Task<T>[] workers, ChannelWriter<Chunk> output)
    {
        try
        {
            await Task.WhenAll(workers).ConfigureAwait(false);
            output.Complete();
        }
        catch (Exception e)
        {
            output.TryComplete(e);
            throw;
        }
    }

    // Waits for every stage; the first failure that is not a consequence of stopping the others is the one thrown.
    private static async Task WhenAll(params Task[] stages)
    {
        try
        {
            await Task.WhenAll(stages).ConfigureAwait(false);
        }
        catch (Exception)
        {
            var cause = stages.Where(s => s.IsFaulted).SelectMany(s => s.Exception!.InnerExceptions)
                .FirstOrDefault(e => e is not OperationCanceledException and not ChannelClosedException);
            if (cause is not null)
            {
                ExceptionDispatchInfo.Throw(cause);
            }
            throw;
        }
    }
}
