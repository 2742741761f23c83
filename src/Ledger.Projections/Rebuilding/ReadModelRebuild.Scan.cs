using System.Collections.Concurrent;
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
/// The scan: the log read once in key order, whole streams folded by one worker per core, rows sent with COPY into
/// staging tables. One file (over 400 lines) because it is one pipeline: the reader, the workers and the writer share
/// its channel, its snapshot and its failure handling.
/// </summary>
internal sealed partial class ReadModelRebuild
{
    // The reader, the workers and the writer, joined by bounded channels.
    private async Task<Scan> ScanAsync(NpgsqlConnection connection, string[] staging, CancellationToken ct)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var streams = Channel.CreateBounded<List<RawStream>>(new BoundedChannelOptions(4 * Environment.ProcessorCount) { SingleWriter = true });
        var chunks = Channel.CreateBounded<Chunk>(new BoundedChannelOptions(2 * Environment.ProcessorCount) { SingleReader = true });
        // Row buffers go back to the workers once sent: as many as are in flight, never one per megabyte written.
        var buffers = new ConcurrentBag<CopyRows>();
        // What the tables compared process by process held, loaded in the scan's own snapshot beside it.
        var stored = _tables.Select(t => t.DigestQuery is { } query ? new StoredDigests(query) : null).ToArray();
        var snapshot = new Snapshot();
        var read = Stage(stop, () => ReadAsync(new Batches(streams.Writer), snapshot, stop.Token));
        var loading = Stage(stop, () => LoadDigestsAsync(snapshot, stored, stop.Token));
        var workers = Enumerable.Range(0, Environment.ProcessorCount)
            .Select(_ => Stage(stop, () => OnThread(() => Fold(streams.Reader, chunks.Writer, buffers, stored, stop.Token)))).ToArray();
        var folding = CompleteWhenDone(workers, chunks.Writer);
        var rows = Stage(stop, () => WriteAsync(connection, staging, chunks.Reader, buffers, stop.Token));
        // Once every stream is folded, the member records are merged and their rows written on another core while the
        // writer sends the last document rows and the swap replaces the tables.
        MemberRows? members = null;
        try
        {
            await folding.ConfigureAwait(false);
            var folded = new Dictionary<string, long>(StringComparer.Ordinal);
            var staged = stored.Select(s => s is null ? null : new HashSet<string>(StringComparer.Ordinal)).ToArray();
            MemberRecordsBuilder? merged = null;
            foreach (var worker in workers)
            {
                var result = await worker.ConfigureAwait(false);
                foreach (var (process, version) in result.Versions)
                {
                    folded[process] = version;
                }
                for (var t = 0; t < staged.Length; t++)
                {
                    staged[t]?.UnionWith(result.Staged[t] ?? []);
                }
                if (result.Members is { } theirs)
                {
                    if (merged is null)
                    {
                        merged = theirs;
                    }
                    else
                    {
                        merged.Merge(theirs);
                    }
                }
            }
            if (_members is not null)
            {
                members = new MemberRows(_members, merged ?? new MemberRecordsBuilder());
                members.Start();
            }
            await WhenAll(read, folding, rows, loading).ConfigureAwait(false);
            var compared = stored.Select((s, t) => s?.Digests is { } digests ? new Compared(digests, staged[t]!) : null).ToArray();
            return new Scan(await read.ConfigureAwait(false), folded, members, await rows.ConfigureAwait(false), compared);
        }
        catch
        {
            if (members is not null)
            {
                await members.StopAsync().ConfigureAwait(false);
            }
            // The first failure that is not a consequence of stopping the others.
            await WhenAll(read, folding, rows, loading).ConfigureAwait(false);
            throw;
        }
    }

    // The log once, in key order, in one snapshot that also gives the mark (the last sequence number it holds).
    // The snapshot is shared with the digests' loader (exported: pg_export_snapshot), which says when it has taken it on:
    // the snapshot can be taken on only while the reader's transaction lasts.
    private async Task<long> ReadAsync(Batches output, Snapshot snapshot, CancellationToken ct)
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
            if (_reader.Usable && _tables.Any(t => t.DigestQuery is not null))
            {
                await using var export = new NpgsqlCommand("select pg_export_snapshot()", connection, transaction);
                snapshot.Exported.TrySetResult((string)(await export.ExecuteScalarAsync(ct).ConfigureAwait(false))!);
            }
            else
            {
                snapshot.Exported.TrySetResult(null);
            }
            try
            {
                await ReadLogAsync(connection, transaction, output, ct).ConfigureAwait(false);
            }
            finally
            {
                await snapshot.Taken.Task.WaitAsync(ct).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
            return mark;
        }
        catch (Exception e)
        {
            snapshot.Exported.TrySetException(e);
            output.Fail(e);
            throw;
        }
    }

    private async Task ReadLogAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Batches output, CancellationToken ct)
    {
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
            await output.CompleteAsync(ct).ConfigureAwait(false);
            return;
        }
        // Only what the stored views read: of the headers, the source and the unconfirmed flag, taken out by the
        // server (the command id, the note, the correlation and causation ids are the audit trail's, which is not
        // stored); half the bytes of every row, and no JSON to parse for them here. Read with binary COPY and
        // taken apart here (EventRows): no object per column, no string per row for the stream, the type or the
        // flag, the events' JSON kept in shared arrays until a worker decodes it.
        await using (var copy = await connection.BeginRawBinaryCopyAsync(
            $"copy (select stream_id, version, seq_id, type, data, timestamp, user_name, headers ->> '{LedgerRecorder.Headers.Source}', headers ->> '{LedgerRecorder.Headers.Unconfirmed}' "
            + $"from {_events} order by stream_id, version) to stdout (format binary)", ct).ConfigureAwait(false))
        {
            var rows = new EventRows(copy);
            string? current = null;
            List<RawEntry>? entries = null;
            while (await rows.NextAsync(ct).ConfigureAwait(false))
            {
                if (current is null || !rows.IsStream())
                {
                    if (entries is { Count: > 0 })
                    {
                        await output.AddAsync(new RawStream(current!, entries), entries.Count, ct).ConfigureAwait(false);
                    }
                    current = rows.Stream();
                    // Organization streams are not processes: no read model is folded from them here.
                    entries = ProcessId.TryParse(current, out _, out _) ? [] : null;
                }
                entries?.Add(rows.Entry());
            }
            if (entries is { Count: > 0 })
            {
                await output.AddAsync(new RawStream(current!, entries), entries.Count, ct).ConfigureAwait(false);
            }
        }
        await output.CompleteAsync(ct).ConfigureAwait(false);
    }

    // Marten decodes (the store registers upcasters); streams are handed over already decoded.
    private async Task ReadThroughMartenAsync(Batches output, CancellationToken ct)
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
                    await output.AddAsync(new RawStream(current!, null, entries), entries.Count, ct).ConfigureAwait(false);
                }
                current = e.StreamKey;
                entries = ProcessId.TryParse(current, out _, out _) ? [] : null;
            }
            entries?.Add(RecordedEntry.From(e));
        }
        if (entries is { Count: > 0 })
        {
            await output.AddAsync(new RawStream(current!, null, entries), entries.Count, ct).ConfigureAwait(false);
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
            decoded.Add(_reader.Decode(raw.Process, e.Number, e.Sequence, e.Type, e.Data, e.Offset, e.Length, e.RecordedAt, e.RecordedBy, e.Source, e.Unconfirmed));
        }
        return decoded;
    }

    // One worker, on a thread of its own: decodes and folds whole streams, writes their rows, hands over a table's rows
    // when they pass FlushBytes. It blocks while it waits (for streams, or for the writer to take rows): a thread pool
    // thread would spin each time it went idle, on a core the server needs.
    private Folded Fold(ChannelReader<List<RawStream>> input, ChannelWriter<Chunk> output, ConcurrentBag<CopyRows> buffers, StoredDigests?[] stored, CancellationToken ct)
    {
        var rows = _tables.Select(_ => Buffer(buffers)).ToArray();
        var staged = stored.Select(s => s is null ? null : new List<string>()).ToArray();
        var members = _members is null ? null : new MemberRecordsBuilder();
        var versions = new List<(string, long)>();
        while (Take(input, ct) is { } batch)
        {
            foreach (var raw in batch)
            {
                var stream = new RebuiltStream(raw.Process, Decode(raw), _withHistory);
                for (var t = 0; t < _tables.Count; t++)
                {
                    var digest = stored[t]?.For(stream.Process, ct);
                    var written = _tables[t].WriteRows(stream, rows[t], digest);
                    if (digest is not null)
                    {
                        if (written)
                        {
                            stored[t]!.Differed(_abandonAfter);
                        }
                        else if (!stored[t]!.Matched())
                        {
                            // Given up by another worker meanwhile: the table is replaced whole, these rows too.
                            written = _tables[t].WriteRows(stream, rows[t]);
                        }
                    }
                    if (written)
                    {
                        staged[t]?.Add(stream.Process);
                    }
                    if (rows[t].Length >= FlushBytes)
                    {
                        Put(output, new Chunk(t, rows[t]), ct);
                        rows[t] = Buffer(buffers);
                    }
                }
                members?.Add(stream);
                versions.Add((stream.Process, stream.Version));
            }
        }
        for (var t = 0; t < _tables.Count; t++)
        {
            if (rows[t].Count > 0)
            {
                Put(output, new Chunk(t, rows[t]), ct);
            }
        }
        return new Folded(versions, members, staged);
    }

    // The next item, waiting for it (blocking); null once the channel is complete (its failure is thrown).
    private static T? Take<T>(ChannelReader<T> input, CancellationToken ct) where T : class
    {
        while (true)
        {
            if (input.TryRead(out var item))
            {
                return item;
            }
            if (!input.WaitToReadAsync(ct).AsTask().GetAwaiter().GetResult())
            {
                return null;
            }
        }
    }

    // Writes the item, waiting for room (blocking).
    private static void Put<T>(ChannelWriter<T> output, T item, CancellationToken ct)
    {
        while (!output.TryWrite(item))
        {
            if (!output.WaitToWriteAsync(ct).AsTask().GetAwaiter().GetResult())
            {
                throw new ChannelClosedException();
            }
        }
    }

    // Runs work on a thread of its own (not the thread pool's).
    private static Task<T> OnThread<T>(Func<T> work)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                done.SetResult(work());
            }
            catch (OperationCanceledException e)
            {
                done.SetCanceled(e.CancellationToken);
            }
            catch (Exception e)
            {
                done.SetException(e);
            }
        })
        { IsBackground = true, Name = "Ledger rebuild fold" };
        thread.Start();
        return done.Task;
    }

    private static CopyRows Buffer(ConcurrentBag<CopyRows> buffers) => buffers.TryTake(out var rows) ? rows : new CopyRows(FlushBytes + (FlushBytes >> 3));

    private async Task<long> WriteAsync(NpgsqlConnection connection, string[] staging, ChannelReader<Chunk> input, ConcurrentBag<CopyRows> buffers, CancellationToken ct)
    {
        long rows = 0;
        await foreach (var chunk in input.ReadAllAsync(ct).ConfigureAwait(false))
        {
            await CopyAsync(connection, staging[chunk.Table], _tables[chunk.Table].Columns, chunk.Rows, ct).ConfigureAwait(false);
            rows += chunk.Rows.Count;
            chunk.Rows.Clear();
            buffers.Add(chunk.Rows);
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

    // Whole streams handed to the workers a few at a time: a worker woken per stream spent more on waking than on
    // some streams' folds.
    private sealed class Batches(ChannelWriter<List<RawStream>> output)
    {
        private const int Rows = 512;

        private List<RawStream> _batch = [];
        private int _rows;

        public async ValueTask AddAsync(RawStream stream, int rows, CancellationToken ct)
        {
            _batch.Add(stream);
            _rows += rows;
            if (_rows >= Rows)
            {
                await output.WriteAsync(_batch, ct).ConfigureAwait(false);
                _batch = [];
                _rows = 0;
            }
        }

        public async ValueTask CompleteAsync(CancellationToken ct)
        {
            if (_batch.Count > 0)
            {
                await output.WriteAsync(_batch, ct).ConfigureAwait(false);
            }
            output.Complete();
        }

        public void Fail(Exception e) => output.TryComplete(e);
    }
}
