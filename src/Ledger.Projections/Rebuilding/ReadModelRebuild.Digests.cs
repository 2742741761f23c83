using System.Data;
using Npgsql;

namespace RatificationLedger.Projections.Rebuilding;

/// <summary>
/// The digests of the tables compared process by process (<see cref="IRebuildTable.DigestQuery"/>): read in the
/// reader's snapshot, exported for them, on a connection of their own beside the scan, and handed to the workers in
/// process order as they come.
/// </summary>
internal sealed partial class ReadModelRebuild
{
    // The reader's snapshot, exported for the digests' loader (null: not exported, nothing is compared), and the
    // loader's word that it took it on (or will not).
    private sealed class Snapshot
    {
        public TaskCompletionSource<string?> Exported { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Taken { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    // What a compared table held in the scan's snapshot: each process's digest (DigestQuery), read in the scan's order
    // (by process) while the scan goes on. A worker waits for its process's digest, or for the end of the digests when
    // the table held no row of it: what a rebuild rewrites depends on the data alone, not on which came first.
    // The comparison is given up when the first processes compared all differ (after an upgrade that changes what
    // the table holds, every process does): the digests would be computed for nothing on both sides, so the table is
    // then replaced whole, as when nothing is compared. Once one process matched, it never is: its rows were not staged.
    internal sealed class StoredDigests(string query)
    {
        private const int Loading = 0, Complete = 1, NotCompared = 2, Failed = 3;

        private readonly object _gate = new();
        private readonly Dictionary<string, byte[]> _digests = new(StringComparer.Ordinal);
        private int _state;
        private bool _kept;
        private bool _abandoned;
        private int _differed;

        public string Query => query;

        /// <summary>Every process's digest, once all are read; null when nothing is compared (the log is read through Marten, or the comparison was given up).</summary>
        public Dictionary<string, byte[]>? Digests
        {
            get
            {
                lock (_gate)
                {
                    return _state == Complete ? _digests : null;
                }
            }
        }

        /// <summary>Whether the comparison was given up (the first processes compared all differed).</summary>
        public bool Abandoned
        {
            get
            {
                lock (_gate)
                {
                    return _abandoned;
                }
            }
        }

        public void Add(List<(string Process, byte[] Digest)> read)
        {
            lock (_gate)
            {
                foreach (var (process, digest) in read)
                {
                    _digests[process] = digest;
                }
                Monitor.PulseAll(_gate);
            }
        }

        /// <summary>
        /// Every digest is read (true); or not (false): when none was, nothing is compared (the workers write every row),
        /// and when some were, the reading failed (the workers stop; the scan fails with the reading's error).
        /// </summary>
        public void End(bool complete)
        {
            lock (_gate)
            {
                if (_state == Loading)
                {
                    _state = complete ? Complete : _digests.Count > 0 ? Failed : NotCompared;
                }
                Monitor.PulseAll(_gate);
            }
        }

        /// <summary>A process's rows matched the stored ones (not staged): the comparison is kept. False when it was given up meanwhile (the rows must be staged after all).</summary>
        public bool Matched()
        {
            lock (_gate)
            {
                _kept = !_abandoned;
                return _kept;
            }
        }

        /// <summary>A process's rows differed from the stored ones: the comparison is given up when <paramref name="limit"/> did and none matched.</summary>
        public void Differed(int limit)
        {
            lock (_gate)
            {
                if (!_kept && !_abandoned && ++_differed >= limit)
                {
                    _abandoned = true;
                    if (_state is Loading or Complete)
                    {
                        _state = NotCompared;
                    }
                    Monitor.PulseAll(_gate);
                }
            }
        }

        /// <summary>The process's digest (waiting for it): null when the table held no row of it or nothing is compared.</summary>
        public byte[]? For(string process, CancellationToken ct)
        {
            lock (_gate)
            {
                while (true)
                {
                    if (_abandoned)
                    {
                        return null;
                    }
                    if (_digests.TryGetValue(process, out var digest))
                    {
                        return digest;
                    }
                    switch (_state)
                    {
                        case Complete or NotCompared:
                            return null;
                        case Failed:
                            throw new OperationCanceledException("The read models' digests could not be read.");
                    }
                    ct.ThrowIfCancellationRequested();
                    Monitor.Wait(_gate, 100);
                }
            }
        }
    }

    // How many processes' digests of one table are fetched at a time.
    private const int DigestsPerFetch = 500;

    // The compared tables' digests, read in the reader's snapshot on a connection of their own while the scan goes on.
    private async Task<bool> LoadDigestsAsync(Snapshot snapshot, StoredDigests?[] stored, CancellationToken ct)
    {
        var loaded = false;
        try
        {
            if (await snapshot.Exported.Task.WaitAsync(ct).ConfigureAwait(false) is not { } id)
            {
                return false;
            }
            await using var connection = _store.Storage.Database.CreateConnection();
            await connection.OpenAsync(ct).ConfigureAwait(false);
            await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, ct).ConfigureAwait(false);
            await using (var take = new NpgsqlCommand($"set transaction snapshot '{id.Replace("'", "''", StringComparison.Ordinal)}'", connection, transaction))
            {
                await take.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
            snapshot.Taken.TrySetResult();
            // In the scan's order, as the primary key gives it (a sort would hold every digest back until its end).
            await using (var walk = new NpgsqlCommand("set local enable_sort = off", connection, transaction))
            {
                await walk.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
            // Every table's digests at once, in step (a few hundred processes of each in turn): a worker needs its
            // process's digest of each table, so one table read to its end before the next would hold the workers
            // back for the whole of the first.
            var open = new List<(StoredDigests Table, string Cursor)>();
            for (var t = 0; t < stored.Length; t++)
            {
                if (stored[t] is { } table)
                {
                    var cursor = $"ledger_rebuild_digests_{t}";
                    await using var declare = new NpgsqlCommand($"declare {cursor} no scroll cursor for {table.Query}", connection, transaction);
                    await declare.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
                    open.Add((table, cursor));
                }
            }
            while (open.Count > 0)
            {
                foreach (var (table, cursor) in open.ToArray())
                {
                    if (table.Abandoned)
                    {
                        await using var close = new NpgsqlCommand($"close {cursor}", connection, transaction);
                        await close.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
                        open.Remove((table, cursor));
                        continue;
                    }
                    var read = new List<(string, byte[])>(DigestsPerFetch);
                    await using var fetch = new NpgsqlCommand($"fetch forward {DigestsPerFetch} from {cursor}", connection, transaction);
                    await using var reader = await fetch.ExecuteReaderAsync(ct).ConfigureAwait(false);
                    while (await reader.ReadAsync(ct).ConfigureAwait(false))
                    {
                        read.Add((reader.GetString(0), reader.GetFieldValue<byte[]>(1)));
                    }
                    table.Add(read);
                    if (read.Count < DigestsPerFetch)
                    {
                        table.End(complete: true);
                        open.Remove((table, cursor));
                    }
                }
            }
            loaded = true;
            return true;
        }
        finally
        {
            snapshot.Taken.TrySetResult();
            if (!loaded)
            {
                // Not exported (nothing compared: the workers write every row, the swap replaces the whole table), or
                // failed (the workers stop; the scan fails with this error).
                foreach (var table in stored)
                {
                    table?.End(complete: false);
                }
            }
        }
    }
}
