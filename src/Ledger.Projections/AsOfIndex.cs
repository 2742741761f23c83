using System.Data.Common;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using JasperFx.Events;
using Marten;
using Npgsql;
using NpgsqlTypes;
using Weasel.Core;
using Weasel.Core.Migrations;
using Weasel.Postgresql;
using Weasel.Postgresql.Tables;
using RatificationLedger.Domain;
using RatificationLedger.Recording;
using RatificationLedger.Storage;

namespace RatificationLedger.Projections;

/// <summary>
/// The bitemporal as-of index: table <c>ledger_asof</c> in the event schema, one row per process and answer, so that the
/// status of a process as of any date, as known at any instant, is one indexed read (the register, whose answer lists
/// every member's steps, is the fold of the process's entries: see <see cref="LedgerQueries.RegisterAsync"/>).
/// <list type="bullet">
/// <item><c>valid_from</c>: the first date the answer holds for (one row per distinct effective date of the process's
/// entries, and one from <c>-infinity</c> for the days before the first); it holds until the next row's
/// <c>valid_from</c> among the rows known at the same instant (the end is implied, so an entry dated after every other
/// one only adds a row and changes none).</item>
/// <item><c>known_from</c> / <c>known_to</c>: the instants (the server's transaction time, as the entries' recorded-at)
/// from which the ledger gave that answer and from which it no longer did (null: it still does).</item>
/// <item><c>status</c>: what the status is rendered from, a few hundred bytes (<see cref="StatusSnapshot"/>).</item>
/// </list>
/// Maintained by <see cref="ProcessViewsProjection"/> in the transaction that records (both write paths apply it), built
/// for the entries already recorded when the table is created (an upgrade), and rebuilt with the read models.
/// </summary>
internal static class AsOfIndex
{
    /// <summary>The table's name, without the schema.</summary>
    public const string Table = "ledger_asof";

    private static readonly ConditionalWeakTable<IDocumentStore, Task> Ensured = new();

    public static string QualifiedName(IDocumentStore store) => $"{store.Options.Events.DatabaseSchemaName}.{Table}";

    /// <summary>
    /// Ensures the table (<see cref="AsOfIndexSchema"/>) and, unless its marker row says it was done, fills it in one
    /// transaction from the entries already recorded (a ledger of an earlier version, or a table just created by a
    /// migration), under an advisory lock so that two processes do not both do it; once per store.
    /// </summary>
    public static async Task EnsureAsync(IDocumentStore store, CancellationToken ct)
    {
        Task ensure;
        lock (Ensured)
        {
            ensure = Ensured.GetValue(store, s => CreateAsync(s));
        }
        if (ensure.IsCompletedSuccessfully)
        {
            return;
        }
        try
        {
            await ensure.WaitAsync(ct).ConfigureAwait(false);
        }
        catch when (ensure.IsFaulted || ensure.IsCanceled)
        {
            lock (Ensured)
            {
                Ensured.Remove(store);
            }
            throw;
        }
    }

    /// <summary>
    /// The marker row that says the table holds every process recorded before it existed (process '' is never a
    /// process's id): written with the upgrade's rows, in the same transaction.
    /// </summary>
    private const string Marker = "";

    private static async Task CreateAsync(IDocumentStore store)
    {
        await LedgerStorage.EnsureAsync(store, CancellationToken.None).ConfigureAwait(false);
        var table = QualifiedName(store);
        await using var connection = (NpgsqlConnection)store.Storage.Database.CreateConnection();
        await connection.OpenAsync().ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync().ConfigureAwait(false);
        await using (var command = new NpgsqlCommand("select pg_advisory_xact_lock($1)", connection, transaction))
        {
            command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = LockKey(table) });
            await command.ExecuteNonQueryAsync().ConfigureAwait(false);
        }
        // The table, as a storage feature (created by Marten's migrations too, or only checked with AutoCreate.None).
        await store.Storage.Database.EnsureStorageExistsAsync(typeof(AsOfIndexSchema)).ConfigureAwait(false);
        await using (var command = new NpgsqlCommand($"select exists (select 1 from {table} where process = $1)", connection, transaction))
        {
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Marker });
            if ((bool)(await command.ExecuteScalarAsync().ConfigureAwait(false))!)
            {
                return;
            }
        }
        // The entries recorded before the index existed (none on a new ledger), read and written in one transaction: a
        // writer waits for the lock before it maintains the index, and finds it complete.
        await using (var command = new NpgsqlCommand($"delete from {table}", connection, transaction))
        {
            await command.ExecuteNonQueryAsync().ConfigureAwait(false);
        }
        var entryReader = new EntryReader(store);
        var processes = await ProcessStreamsAsync(connection, transaction, store).ConfigureAwait(false);
        foreach (var batch in processes.Chunk(200))
        {
            var streams = await ReadAsync(store, entryReader, batch, CancellationToken.None).ConfigureAwait(false);
            await CopyAsync(connection, table, History(streams), CancellationToken.None).ConfigureAwait(false);
        }
        await using (var command = new NpgsqlCommand(
            $"insert into {table} (process, valid_from, known_from, status) values ($1, '-infinity', '-infinity', '')", connection, transaction))
        {
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Marker });
            await command.ExecuteNonQueryAsync().ConfigureAwait(false);
        }
        await transaction.CommitAsync().ConfigureAwait(false);
    }

    private static long LockKey(string table) =>
        BitConverter.ToInt64(SHA256.HashData(Encoding.UTF8.GetBytes($"ratification-ledger/asof/{table}")), 0);

    private static async Task<List<string>> ProcessStreamsAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, IDocumentStore store)
    {
        var list = new List<string>();
        await using var command = new NpgsqlCommand($"select id from {store.Options.Events.DatabaseSchemaName}.mt_streams order by id", connection, transaction);
        await using var reader = await command.ExecuteReaderAsync().ConfigureAwait(false);
        while (await reader.ReadAsync().ConfigureAwait(false))
        {
            var id = reader.GetString(0);
            if (ProcessId.TryParse(id, out _, out _))
            {
                list.Add(id);
            }
        }
        return list;
    }

    /// <summary>Every entry of each of <paramref name="processes"/>, in recorded order (through Marten when the store upcasts events).</summary>
    internal static async Task<List<(string Process, List<RecordedEntry> Entries)>> ReadAsync(IDocumentStore store, EntryReader reader, string[] processes, CancellationToken ct)
    {
        if (reader.Usable)
        {
            return await reader.ReadAllAsync(processes, ct).ConfigureAwait(false);
        }
        await using var session = store.QuerySession();
        var events = await session.Events.QueryAllRawEvents().Where(e => processes.Contains(e.StreamKey!)).ToListAsync(ct).ConfigureAwait(false);
        return [.. events.GroupBy(e => e.StreamKey!, StringComparer.Ordinal)
            .Select(g => (g.Key, g.OrderBy(e => e.Version).Select(RecordedEntry.From).ToList()))];
    }

    /// <summary>The whole index of each stream (see <see cref="ProcessViews.AsOfHistory"/>), folded on every core.</summary>
    internal static (string Process, List<AsOfRow> Rows)[] History<TEntries>(IReadOnlyList<(string Process, TEntries Entries)> streams)
        where TEntries : IReadOnlyList<RecordedEntry>
    {
        var built = new (string, List<AsOfRow>)[streams.Count];
        Parallel.For(0, streams.Count, j => built[j] = (streams[j].Process, ProcessViews.AsOfHistory(streams[j].Process, streams[j].Entries)));
        return built;
    }

    private static async Task CopyAsync(NpgsqlConnection connection, string table, (string Process, List<AsOfRow> Rows)[] rows, CancellationToken ct)
    {
        await using var copy = await connection.BeginBinaryImportAsync(
            $"copy {table} (process, valid_from, known_from, known_to, status) from stdin (format binary)", ct).ConfigureAwait(false);
        foreach (var (process, list) in rows)
        {
            foreach (var row in list)
            {
                await copy.StartRowAsync(ct).ConfigureAwait(false);
                await copy.WriteAsync(process, NpgsqlDbType.Varchar, ct).ConfigureAwait(false);
                await copy.WriteAsync(row.ValidFrom, NpgsqlDbType.Date, ct).ConfigureAwait(false);
                await copy.WriteAsync(row.KnownFrom.ToUniversalTime(), NpgsqlDbType.TimestampTz, ct).ConfigureAwait(false);
                if (row.KnownTo is { } to)
                {
                    await copy.WriteAsync(to.ToUniversalTime(), NpgsqlDbType.TimestampTz, ct).ConfigureAwait(false);
                }
                else
                {
                    await copy.WriteNullAsync(ct).ConfigureAwait(false);
                }
                await copy.WriteAsync(row.Status, NpgsqlDbType.Bytea, ct).ConfigureAwait(false);
            }
        }
        await copy.CompleteAsync(ct).ConfigureAwait(false);
    }

    /// <summary>
    /// What the recording transaction changes in the index for each of <paramref name="streams"/> (every entry of each
    /// process, stored and appended; <paramref name="events"/>: the appended ones), in the same order: the date it
    /// changes the answers from (see <see cref="ProcessViews.AsOfChangesFrom"/>) and whether the stream starts here, or
    /// null for a process that leaves the index, whose rows are deleted by a statement queued here. The answers from
    /// those dates are then folded by the caller (with the views: <see cref="ProcessViews.BuildStoredWithAnswers"/>) and
    /// queued with <see cref="Queue"/>.
    /// </summary>
    public static Change?[] Plan(IDocumentOperations operations, IReadOnlyList<(string Process, IReadOnlyList<RecordedEntry> Entries)> streams, IReadOnlyList<IEvent> events)
    {
        var changes = new Change?[streams.Count];
        if (streams.Count == 0)
        {
            return changes;
        }
        var appended = new Dictionary<string, (long First, long Last)>(StringComparer.Ordinal);
        foreach (var e in events)
        {
            var key = e.StreamKey ?? "";
            appended[key] = appended.TryGetValue(key, out var v) ? (Math.Min(v.First, e.Version), Math.Max(v.Last, e.Version)) : (e.Version, e.Version);
        }
        List<string>? unindexed = null;
        for (var j = 0; j < streams.Count; j++)
        {
            var (process, entries) = streams[j];
            var known = appended.TryGetValue(process, out var v);
            // An event appended without its number (Marten's append without an expected version, by an app writing to
            // the stream directly: the server numbers it) is not in the entries folded here: the process leaves the
            // index, and its questions are answered by the fold until a rebuild (see AsOfIndexReader).
            if (known && v.First <= 0)
            {
                (unindexed ??= []).Add(process);
                continue;
            }
            var first = known ? v.First : 1;
            changes[j] = new Change(ProcessViews.AsOfChangesFrom(entries.Where(e => e.Number >= first)), !known || v.First <= 1);
        }
        if (unindexed is not null)
        {
            operations.QueueSqlCommand($"delete from {QualifiedName(operations.DocumentStore)} where process = any(?)", new object[] { unindexed.ToArray() });
        }
        return changes;
    }

    /// <summary>The index's change for one process in a recording transaction (see <see cref="Plan"/>).</summary>
    /// <param name="From">The first date whose answer the transaction changes.</param>
    /// <param name="Whole">Whether the stream starts in the transaction (rows left by a stream of the same name go).</param>
    internal readonly record struct Change(DateOnly From, bool Whole);

    /// <summary>
    /// Queues, in the recording transaction, the index's change for one process (<paramref name="change"/>, from
    /// <see cref="Plan"/>) with its <paramref name="answers"/> from the change's date on: the answers known so far stop
    /// being known at the appended entries' recorded-at and the refolded ones start being known then
    /// (<c>transaction_timestamp()</c> in the statement: the event table's clock trigger makes it every appended entry's
    /// recorded-at, so the known-at axis is the log's). A stream that starts here has no history: rows left from a
    /// stream of the same name (a wiped ledger) go.
    /// </summary>
    public static void Queue(IDocumentOperations operations, string process, Change change, List<AsOfAnswer> answers)
    {
        // One call of the index's procedure per process (AsOfIndexFunction: its statements' plans kept per connection),
        // queued with the transaction's other statements. The instant the entries appended become known is their
        // recorded-at as stored: the transaction's time, which the event table's clock trigger (ServerChain) writes
        // into every entry whatever the client sent, so the index's known-at axis is the log's by construction.
        var validFrom = new DateOnly[answers.Count];
        var status = new byte[answers.Count][];
        for (var i = 0; i < answers.Count; i++)
        {
            validFrom[i] = answers[i].ValidFrom;
            status[i] = answers[i].Status;
        }
        operations.QueueSqlCommand(AsOfIndexFunction.Call(operations.DocumentStore.Options.Events.DatabaseSchemaName), process, change.From, change.Whole, validFrom, status);
    }
}

/// <summary>
/// Procedure <c>ledger_asof_apply(process, from, whole, valid_froms, statuses)</c>: the index's change for one process in the
/// transaction that records. A stream that starts (<c>whole</c>) drops rows left by a stream of the same name (a wiped
/// ledger); otherwise the answers known now from <c>from</c> on stop being known at the transaction's time (rows written
/// at that same instant, by an earlier call in the same transaction, are replaced: they were never known outside it),
/// and a process with no rows at all (one that left the index: see <see cref="AsOfIndex.Queue"/>) gets none from a
/// part of its history. Then the answers from <c>from</c> on, known from the transaction's time. One PL/pgSQL procedure
/// so that its statements are planned once per connection, not once per command; planned with sequential scans off
/// (the procedure's own setting), because a plan made once per connection is kept while the table grows: made on an
/// empty or small table (a new or wiped ledger) it scanned the whole table at every call until the next statistics,
/// 0.4 to 5.7 s over the same 1,942 calls of the quick commands workload, where every statement here is one process's
/// rows found by an index.
/// </summary>
internal sealed class AsOfIndexFunction(string schema) : ISchemaObjectWithDependencies
{
    public const string Name = "ledger_asof_apply";

    // Changed whenever the body changes, so that the schema check replaces an older body.
    private const string Revision = "ledger-asof-2";

    public DbObjectName Identifier { get; } = new PostgresqlObjectName(schema, Name, SchemaUtils.IdentifierUsage.General);

    public IEnumerable<DbObjectName> DependsOn => [new PostgresqlObjectName(schema, AsOfIndex.Table, SchemaUtils.IdentifierUsage.General)];

    /// <summary>The call (parameters: process, from, whole, valid-from dates, snapshots).</summary>
    // A procedure's CALL returns no rows: a function's SELECT would put a result in Marten's batch, whose readers of the
    // operations queued after it take results in order.
    public static string Call(string schema) => $"call {schema}.{Name}(?::varchar, ?::date, ?::boolean, ?::date[], ?::bytea[])";

    public void WriteCreateStatement(Migrator migrator, TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        var table = $"{schema}.{AsOfIndex.Table}";
        writer.WriteLine($"CREATE OR REPLACE PROCEDURE {schema}.{Name}(p_process varchar, p_from date, p_whole boolean, p_valid date[], p_status bytea[]) LANGUAGE plpgsql SET enable_seqscan = off AS $asof$");
        writer.WriteLine($"BEGIN -- {Revision}");
        writer.WriteLine("  IF p_whole THEN");
        writer.WriteLine($"    DELETE FROM {table} WHERE process = p_process;");
        writer.WriteLine($"  ELSIF NOT EXISTS (SELECT 1 FROM {table} WHERE process = p_process) THEN");
        writer.WriteLine("    RETURN;");
        writer.WriteLine("  ELSE");
        writer.WriteLine($"    DELETE FROM {table} WHERE process = p_process AND valid_from >= p_from AND known_from = transaction_timestamp();");
        writer.WriteLine($"    UPDATE {table} SET known_to = transaction_timestamp() WHERE process = p_process AND valid_from >= p_from AND known_to IS NULL AND known_from < transaction_timestamp();");
        writer.WriteLine("  END IF;");
        writer.WriteLine($"  INSERT INTO {table} (process, valid_from, known_from, status) SELECT p_process, u.v, transaction_timestamp(), u.s FROM unnest(p_valid, p_status) AS u(v, s);");
        writer.WriteLine("END $asof$;");
    }

    public void WriteDropStatement(Migrator rules, TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteLine($"DROP PROCEDURE IF EXISTS {schema}.{Name}(varchar, date, boolean, date[], bytea[]);");
    }

    public void ConfigureQueryCommand(Weasel.Core.DbCommandBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Append("select count(*) from pg_proc p join pg_namespace n on n.oid = p.pronamespace where n.nspname = ");
        builder.AppendParameter(schema);
        builder.Append($" and p.proname = '{Name}' and p.prosrc like '%{Revision}%';");
    }

    public async Task<ISchemaObjectDelta> CreateDeltaAsync(DbDataReader reader, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var present = await reader.ReadAsync(ct).ConfigureAwait(false) ? Convert.ToInt64(reader.GetValue(0), System.Globalization.CultureInfo.InvariantCulture) : 0;
        return new SchemaObjectDelta(this, present == 1 ? SchemaPatchDifference.None : SchemaPatchDifference.Create);
    }

    public IEnumerable<DbObjectName> AllNames()
    {
        yield return Identifier;
    }
}

/// <summary>
/// The as-of index's table as a Marten storage feature: created with the event tables, in Marten's migrations
/// (<c>ApplyAllConfiguredChangesToDatabaseAsync</c>) and reported by its schema checks. Primary key
/// <c>(process, valid_from, known_from)</c>; the answers known now also in <c>ledger_asof_current</c>
/// <c>(process, valid_from) where known_to is null</c>.
/// </summary>
internal sealed class AsOfIndexSchema(StoreOptions store) : FeatureSchemaBase("ledger_asof", store.Advanced.Migrator)
{
    public override IEnumerable<Type> DependentTypes() => [typeof(IEvent)];

    protected override IEnumerable<ISchemaObject> schemaObjects()
    {
        var table = new Table(new PostgresqlObjectName(store.Events.DatabaseSchemaName, AsOfIndex.Table, SchemaUtils.IdentifierUsage.General));
        table.AddColumn("process", "varchar").NotNull().AsPrimaryKey();
        table.AddColumn("valid_from", "date").NotNull().AsPrimaryKey();
        table.AddColumn("known_from", "timestamptz").NotNull().AsPrimaryKey();
        table.AddColumn("known_to", "timestamptz");
        table.AddColumn("status", "bytea").NotNull();
        table.Indexes.Add(new IndexDefinition($"{AsOfIndex.Table}_current") { Columns = ["process", "valid_from"], IsUnique = true, Predicate = "known_to is null" });
        yield return table;
        yield return new AsOfIndexFunction(store.Events.DatabaseSchemaName);
    }
}

/// <summary>Reads the as-of index: one probe for one question.</summary>
internal sealed class AsOfIndexReader(IDocumentStore store)
{
    private readonly string _table = AsOfIndex.QualifiedName(store);

    /// <summary>
    /// The status of <paramref name="process"/> as of <paramref name="asOf"/> (null: every date), as known at
    /// <paramref name="knownAt"/> (null: now), or null when the process has no entry known then: one probe of the
    /// index, its snapshot rendered (see <see cref="StatusSnapshot"/>).
    /// </summary>
    public async Task<AccessionStatus?> StatusAsync(string process, DateOnly? asOf, DateTimeOffset? knownAt, CancellationToken ct)
    {
        await AsOfIndex.EnsureAsync(store, ct).ConfigureAwait(false);
        await using var session = store.QuerySession();
        await using var command = new NpgsqlCommand(
            $"select status from {_table} where process = $1"
            + (asOf is null ? "" : " and valid_from <= $2")
            + (knownAt is null ? " and known_to is null" : " and known_from <= $3 and (known_to is null or known_to > $3)")
            + " order by valid_from desc limit 1");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = process });
        command.Parameters.Add(new NpgsqlParameter<DateOnly> { TypedValue = asOf ?? default });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = knownAt?.ToUniversalTime() ?? default });
        byte[]? snapshot = null;
        await using (var reader = await session.ExecuteReaderAsync(command, ct).ConfigureAwait(false))
        {
            if (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                snapshot = reader.GetFieldValue<byte[]>(0);
            }
        }
        return snapshot is null ? null : ProcessViews.StatusOf(process, snapshot, asOf, knownAt);
    }

    /// <summary>
    /// True when the index holds rows for <paramref name="process"/>: asked only when a question found none (no entry
    /// known then, or a process the index does not hold, whose question the fold answers).
    /// </summary>
    public async Task<bool> HoldsAsync(string process, CancellationToken ct)
    {
        await using var session = store.QuerySession();
        await using var command = new NpgsqlCommand($"select exists (select 1 from {_table} where process = $1)");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = process });
        await using var reader = await session.ExecuteReaderAsync(command, ct).ConfigureAwait(false);
        return await reader.ReadAsync(ct).ConfigureAwait(false) && reader.GetBoolean(0);
    }
}
