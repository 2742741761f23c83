using System.Data.Common;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using JasperFx;
using JasperFx.Events;
using RatificationLedger.Observability;
using Marten;
using Microsoft.Extensions.Logging;
using Npgsql;
using Weasel.Core;
using Weasel.Core.Migrations;
using Weasel.Postgresql;

namespace RatificationLedger.Storage;

/// <summary>
/// The ledger's document tables as one Marten storage feature: ensuring it ensures every table of the ledger's documents
/// (its own and its read models'), then, with <see cref="LedgerOptions.CompressDocumentsWithLz4"/>, sets their
/// <c>data</c> columns to compress with lz4. As a feature it is created with the tables, appears in exported migrations
/// (<c>ApplyAllConfiguredChangesToDatabaseAsync</c>, Marten's command line) and in Marten's schema checks. Weasel does
/// not read a column's compression, so Marten never takes it for drift.
/// </summary>
internal sealed class LedgerStorage(StoreOptions store, LedgerOptions options)
    : FeatureSchemaBase("ledger_storage", store.Advanced.Migrator)
{
    private static readonly ConditionalWeakTable<IDocumentStore, object> Ensured = [];

    /// <summary>
    /// Ensures the ledger's tables (events and documents) exist and are set as configured, once per store, under a
    /// PostgreSQL advisory lock: Marten creates a table when a session first uses its type, and guards that only within
    /// one process, so two processes on a fresh database would both try to create the same table or index (42P07).
    /// Under the lock the second finds everything in place. Every entry point of the library (the recorder's writes,
    /// the queries, the bulk appender) calls this before its first use of the store.
    /// </summary>
    public static async ValueTask EnsureAsync(IDocumentStore store, CancellationToken ct)
    {
        if (Ensured.TryGetValue(store, out _))
        {
            return;
        }
        if (store.Options is StoreOptions { AutoCreateSchemaObjects: AutoCreate.None })
        {
            // The app applies migrations itself: only the check that everything is there.
            await EnsureFeaturesAsync(store, ct).ConfigureAwait(false);
        }
        else
        {
            await using var connection = (NpgsqlConnection)store.Storage.Database.CreateConnection();
            await connection.OpenAsync(ct).ConfigureAwait(false);
            var key = LockKey(store);
            await using (var take = new NpgsqlCommand("select pg_advisory_lock($1)", connection))
            {
                take.Parameters.Add(new NpgsqlParameter<long> { TypedValue = key });
                await take.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
            try
            {
                await EnsureFeaturesAsync(store, ct).ConfigureAwait(false);
            }
            finally
            {
                // Closing the connection would release it too; unlocking first hands it over without waiting for the pool.
                await using var release = new NpgsqlCommand("select pg_advisory_unlock($1)", connection);
                release.Parameters.Add(new NpgsqlParameter<long> { TypedValue = key });
                await release.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
            }
        }
        Ensured.AddOrUpdate(store, new object());
    }

    private static async Task EnsureFeaturesAsync(IDocumentStore store, CancellationToken ct)
    {
        await store.Storage.Database.EnsureStorageExistsAsync(typeof(IEvent), ct).ConfigureAwait(false);
        await store.Storage.Database.EnsureStorageExistsAsync(typeof(LedgerStorage), ct).ConfigureAwait(false);
        // The evidence tables, and the chain of entries written before it existed (once per store).
        await Integrity.LedgerIntegrity.EnsureAsync(store, ct).ConfigureAwait(false);
    }

    // One lock per pair of schemas (documents, events): ledgers in other schemas of the same database do not wait.
    private static long LockKey(IDocumentStore store)
    {
        var name = $"ratification-ledger/schema/{store.Options.DatabaseSchemaName}/{store.Options.Events.DatabaseSchemaName}";
        return BitConverter.ToInt64(SHA256.HashData(Encoding.UTF8.GetBytes(name)), 0);
    }

    /// <summary>
    /// After <see cref="EnsureAsync"/>: warns, once per process, about each of the ledger's document tables that kept
    /// its compression although the server has lz4 and <see cref="LedgerOptions.CompressDocumentsWithLz4"/> asks for it
    /// (the tables belong to another role: PostgreSQL lets only the owner set it, and the server's own notice goes
    /// nowhere an app looks).
    /// </summary>
    public static async Task CheckCompressionAsync(IDocumentStore store, LedgerOptions options, ILogger logger, CancellationToken ct)
    {
        if (!options.CompressDocumentsWithLz4 || !logger.IsEnabled(LogLevel.Warning) || options.Documents.Count == 0)
        {
            return;
        }
        var tables = options.Documents.Select(type => store.Options.FindOrResolveDocumentType(type).TableName.QualifiedName).ToArray();
        await using var connection = store.Storage.Database.CreateConnection();
        await connection.OpenAsync(ct).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText =
            "select t.name, coalesce(to_jsonb(a) ->> 'attcompression', '') from unnest(@tables::text[]) t(name) "
            + "join pg_attribute a on a.attrelid = to_regclass(t.name) and a.attname = 'data' and not a.attisdropped "
            + $"where {Lz4Column.Lz4Available} and coalesce(to_jsonb(a) ->> 'attcompression', '') <> 'l' order by t.name";
        command.Parameters.AddWithValue("tables", tables);
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            var compression = reader.GetString(1) switch
            {
                "" => "the server's default",
                "p" => "pglz",
                var other => other,
            };
            logger.Lz4NotSet(reader.GetString(0), compression);
        }
    }

    public override IEnumerable<Type> DependentTypes() => options.Documents;

    protected override IEnumerable<ISchemaObject> schemaObjects() =>
        options.CompressDocumentsWithLz4
            ? options.Documents.Select(type => new Lz4Column(((IReadOnlyStoreOptions)store).FindOrResolveDocumentType(type).TableName, "data"))
            : [];
}

/// <summary>
/// One column's lz4 compression as a schema object: missing until <c>pg_attribute</c> says lz4, created with
/// <c>ALTER TABLE ... SET COMPRESSION lz4</c> (catalog only: values already stored keep their compression until
/// rewritten). On a server without lz4 (older than PostgreSQL 14, or built without it) there is nothing to create, and
/// the statement written into scripts checks for it before it alters anything.
/// </summary>
internal sealed class Lz4Column(DbObjectName table, string column) : ISchemaObjectWithDependencies
{
    // lz4 is among default_toast_compression's values exactly when the server can compress with it.
    internal const string Lz4Available = "exists (select 1 from pg_settings where name = 'default_toast_compression' and 'lz4' = any(enumvals))";

    public DbObjectName Table { get; } = table;

    public string Column { get; } = column;

    public DbObjectName Identifier { get; } = new PostgresqlObjectName(table.Schema, $"{table.Name}_{column}_lz4", SchemaUtils.IdentifierUsage.General);

    public IEnumerable<DbObjectName> DependsOn => [Table];

    public void WriteCreateStatement(Migrator migrator, TextWriter writer) => WriteSet(writer, "lz4");

    public void WriteDropStatement(Migrator rules, TextWriter writer) => WriteSet(writer, "default");

    // The ALTER is run with EXECUTE, so that a server older than PostgreSQL 14 (which has no SET COMPRESSION) never parses
    // it. A role that may write the table but does not own it (the tables made by another role, AutoCreate left on) gets
    // a warning instead of an error: the compression saves the server time, and its absence must not stop the ledger.
    private void WriteSet(TextWriter writer, string method)
    {
        var table = Table.QualifiedName.Replace("'", "''", StringComparison.Ordinal);
        writer.WriteLine("DO $$");
        writer.WriteLine("BEGIN");
        writer.WriteLine($"  IF to_regclass('{table}') IS NOT NULL AND {Lz4Available} THEN");
        writer.WriteLine($"    EXECUTE 'ALTER TABLE {table} ALTER COLUMN {Column} SET COMPRESSION {method}';");
        writer.WriteLine("  END IF;");
        writer.WriteLine("EXCEPTION WHEN insufficient_privilege THEN");
        writer.WriteLine($"  RAISE WARNING 'ledger: {table}.{Column} keeps its compression: only the table''s owner can set it to {method} (ALTER TABLE {table} ALTER COLUMN {Column} SET COMPRESSION {method})';");
        writer.WriteLine("END $$;");
    }

    public void ConfigureQueryCommand(Weasel.Core.DbCommandBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        // to_jsonb(a) reads attcompression where it exists (PostgreSQL 14+) and gives null before.
        builder.Append($"select {Lz4Available}, (select to_jsonb(a) ->> 'attcompression' from pg_attribute a where a.attrelid = to_regclass(");
        builder.AppendParameter(Table.QualifiedName);
        builder.Append(") and a.attname = ");
        builder.AppendParameter(Column);
        builder.Append(" and not a.attisdropped);");
    }

    public async Task<ISchemaObjectDelta> CreateDeltaAsync(DbDataReader reader, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var difference = SchemaPatchDifference.None;
        if (await reader.ReadAsync(ct).ConfigureAwait(false) && reader.GetBoolean(0))
        {
            // 'l' is lz4; '' the server's default, 'p' pglz. A missing table gets the setting right after it is created.
            var method = await reader.IsDBNullAsync(1, ct).ConfigureAwait(false) ? null : reader.GetString(1);
            difference = method == "l" ? SchemaPatchDifference.None : SchemaPatchDifference.Create;
        }
        return new SchemaObjectDelta(this, difference);
    }

    public IEnumerable<DbObjectName> AllNames()
    {
        yield return Identifier;
    }
}
