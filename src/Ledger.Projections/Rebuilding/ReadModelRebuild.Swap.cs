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

/// <summary>The swap: one transaction that locks the read models against writers, folds again what was written since the scan, and replaces each table's rows with the staged ones.</summary>
internal sealed partial class ReadModelRebuild
{
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
                // The transaction rolled back: the staging tables are as the scan left them; try again (the member
                // records' rows, partly sent, are written again).
                if (scan.Members is not null)
                {
                    await scan.Members.StopAsync().ConfigureAwait(false);
                    scan.Members.Start();
                }
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
                // The records change: their rows, written ahead, are written again once they have.
                await members.StopAsync().ConfigureAwait(false);
                foreach (var process in replaced)
                {
                    members.Members.Remove(process);
                }
                foreach (var stream in streams)
                {
                    members.Members.Add(stream);
                }
                members.Start();
            }
            _logger.RebuildCaughtUp(replaced.Length);
        }

        for (var t = 0; t < _tables.Count; t++)
        {
            var columns = string.Join(", ", _tables[t].Columns);
            var insert = $"insert into {_tables[t].Table} ({columns}) select {columns} from {staging[t]}";
            if (scan.Compared[t] is { } compared)
            {
                // Only the rows of the processes staged: those whose rows differed from the table's in the scan's
                // snapshot, those folded again above, and the processes the table held that the log has not. (Rows
                // whose key is not a process are not the rebuild's: the as-of index's marker row stays.)
                var processes = new HashSet<string>(compared.Staged, StringComparer.Ordinal);
                processes.UnionWith(replaced);
                processes.UnionWith(compared.Stored.Keys.Where(p => !scan.Folded.ContainsKey(p) && ProcessId.TryParse(p, out _, out _)));
                await ExecuteAsync(connection, transaction, $"delete from {_tables[t].Table} where {_tables[t].ProcessColumn} = any($1)", ct,
                    new NpgsqlParameter<string[]> { TypedValue = [.. processes] }).ConfigureAwait(false);
                await ExecuteAsync(connection, transaction, insert, ct).ConfigureAwait(false);
                _logger.RebuildCompared(_tables[t].Table, scan.Folded.Count, processes.Count);
            }
            else
            {
                // Every row (a table compared by digest, when nothing was compared, keeps its rows that are no process's:
                // the as-of index's marker row).
                var comparable = _tables[t].DigestQuery is not null;
                var rows = comparable ? $" where {_tables[t].ProcessColumn} <> ''" : "";
                await ExecuteAsync(connection, transaction, $"delete from {_tables[t].Table}{rows}; {insert}", ct).ConfigureAwait(false);
                if (comparable)
                {
                    _logger.RebuildReplacedWhole(_tables[t].Table, scan.Folded.Count);
                }
            }
        }
        if (_members is not null && members is not null)
        {
            await ExecuteAsync(connection, transaction, $"delete from {_members.Table}", ct).ConfigureAwait(false);
            // A member's record holds every process it ratified (a megabyte at a million entries): written on another
            // core since the scan ended, sent as they come.
            await members.CopyAsync(connection, ct).ConfigureAwait(false);
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
            return [.. (await _reader.ReadAllAsync(streams, ct).ConfigureAwait(false)).Select(s => new RebuiltStream(s.Process, s.Entries, _withHistory))];
        }
        await using var session = _store.QuerySession();
        var events = await session.Events.QueryAllRawEvents().Where(e => streams.Contains(e.StreamKey!)).ToListAsync(ct).ConfigureAwait(false);
        return [.. events.GroupBy(e => e.StreamKey!, StringComparer.Ordinal)
            .Select(g => new RebuiltStream(g.Key, [.. g.OrderBy(e => e.Version).Select(RecordedEntry.From)], _withHistory))];
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
}
