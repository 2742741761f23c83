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
/// per worker, merged once every stream is folded and written as rows on another core while the swap runs, are sent in
/// the same transaction with the async daemon's progress. Nothing touches the read models before that transaction: a
/// rebuild cancelled or failing leaves them as they were. Memory holds the streams in flight, a megabyte of rows per
/// table and worker (buffers reused once sent), the member records and a few megabytes of their rows, never the log.
/// </summary>
internal sealed partial class ReadModelRebuild
{
    // Rows are sent when a worker's buffer for a table passes this size. What is queued for the writer when the last
    // stream is folded is parsed by the server on one core while the other waits (about 70 ms at a megabyte, 30 ms at a
    // quarter, measured at 100,000 entries), but every COPY statement has its own cost on the server, and the tail does
    // not grow with the log while the number of statements does: a megabyte.
    private const int FlushBytes = 1 << 20;

    private readonly IDocumentStore _store;
    private readonly EntryReader _reader;
    private readonly ILogger _logger;
    private readonly string _events;
    private readonly string _schema;
    private readonly IReadOnlyList<IRebuildTable> _tables;
    private readonly DocumentTable<MemberRecord>? _members;

    // How many processes compared must differ, none matching, before a table's comparison is given up.
    private readonly int _abandonAfter;

    private ReadModelRebuild(IDocumentStore store, EntryReader reader, ILogger logger, IReadOnlyList<IRebuildTable> tables, DocumentTable<MemberRecord>? members, int abandonAfter)
    {
        _abandonAfter = Math.Max(1, abandonAfter);
        _store = store;
        _reader = reader;
        _logger = logger;
        _schema = store.Options.Events.DatabaseSchemaName;
        _events = $"{_schema}.{StorageNames.Events}";
        _tables = tables;
        _members = members;
        _withHistory = tables.Any(t => t is AsOfIndexTable);
    }

    // Whether the as-of index is rebuilt: each stream is then folded once for it and the views together.
    private readonly bool _withHistory;

    /// <summary>
    /// The rebuild of the process views (status and register) and/or the member records. A read model kept as rows per
    /// process stream plugs in as one more <see cref="IRebuildTable"/> in this list. A table compared process by process
    /// is replaced whole instead once <paramref name="abandonAfter"/> processes compared differed and none matched.
    /// </summary>
    public static ReadModelRebuild For(IDocumentStore store, EntryReader reader, ILogger logger, bool views, bool members, int abandonAfter = 64)
    {
        var tables = new List<IRebuildTable>();
        if (views)
        {
            tables.Add(new DocumentTable<AccessionStatus>(store, s => s.Views.Status, compared: true, static (d, text) => text.TryWrite(d)));
            tables.Add(new DocumentTable<RatificationRegister>(store, s => s.Views.Register, compared: true, static (d, text) => text.TryWrite(d)));
            tables.Add(new AsOfIndexTable(store));
        }
        return new ReadModelRebuild(store, reader, logger, tables, members ? new DocumentTable<MemberRecord>(store, null) : null, abandonAfter);
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
            var create = new List<string>(_tables.Count);
            for (var t = 0; t < _tables.Count; t++)
            {
                staging[t] = $"ledger_rebuild_{t}";
                create.Add($"drop table if exists pg_temp.{staging[t]}; create temp table {staging[t]} (like {_tables[t].Table} including defaults including compression)");
            }
            if (create.Count > 0)
            {
                await ExecuteAsync(connection, null, string.Join("; ", create), ct).ConfigureAwait(false);
            }
            var scan = await ScanAsync(connection, staging, ct).ConfigureAwait(false);
            _logger.RebuildStaged(scan.Folded.Count, scan.Rows);
            try
            {
                await SwapAsync(connection, staging, scan, ct).ConfigureAwait(false);
            }
            finally
            {
                if (scan.Members is not null)
                {
                    await scan.Members.StopAsync().ConfigureAwait(false);
                }
            }
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
    // document member copied into a column of its own) would be left empty, so such a table is refused up front. One
    // query for every table: the columns without a default that are not Marten's, checked against what each table writes.
    private async Task CheckColumnsAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        var tables = _tables.Concat(_members is null ? [] : [_members]).ToList();
        await using var command = new NpgsqlCommand(
            "select table_schema || '.' || table_name, column_name from information_schema.columns where table_schema || '.' || table_name = any($1) "
            + "and column_default is null and column_name not like 'mt\\_%' order by ordinal_position", connection);
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. tables.Select(t => t.Table).Distinct(StringComparer.Ordinal)] });
        var unfilled = new List<(string Table, string Column)>();
        await using (var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                unfilled.Add((reader.GetString(0), reader.GetString(1)));
            }
        }
        foreach (var table in tables)
        {
            if (unfilled.FirstOrDefault(u => u.Table == table.Table && !table.Columns.Contains(u.Column)) is { Column: { } column })
            {
                throw new InvalidOperationException(
                    $"{table.Table} has the column {column}, which the rebuild does not fill (it writes {string.Join(", ", table.Columns)}; "
                    + "other columns take their defaults): a duplicated field on a read model is not supported by the rebuild.");
            }
        }
    }

    // Compared: per table, for a table compared process by process (IRebuildTable.DigestQuery) whose digests were
    // loaded, what it held and which processes' rows were staged; otherwise null (every row is replaced).
    private sealed record Scan(long Mark, Dictionary<string, long> Folded, MemberRows? Members, long Rows, Compared?[] Compared);

    // A compared table: each process's digest as it held it in the scan's snapshot, and the processes whose rows were staged.
    private sealed record Compared(Dictionary<string, byte[]> Stored, HashSet<string> Staged);

    // A whole stream as read: raw rows to decode, or entries Marten decoded.
    private sealed record RawStream(string Process, List<RawEntry>? Raw, List<RecordedEntry>? Decoded = null);

    // An entry as read: its event's JSON is Length bytes of Data from Offset (an array shared with other rows).
    private readonly record struct RawEntry(long Number, long Sequence, string Type, byte[] Data, int Offset, int Length, DateTimeOffset RecordedAt,
        string? RecordedBy, string? Source, string? Unconfirmed);

    private sealed record Chunk(int Table, CopyRows Rows);

    private sealed record Folded(List<(string Process, long Version)> Versions, MemberRecordsBuilder? Members, List<string>?[] Staged);
}
