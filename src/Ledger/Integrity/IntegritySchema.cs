using JasperFx.Events;
using Marten;
using Weasel.Core;
using Weasel.Core.Migrations;
using Weasel.Postgresql;
using Weasel.Postgresql.Tables;

namespace RatificationLedger.Integrity;

/// <summary>
/// The ledger's evidence tables as one Marten storage feature, created with the event tables and reported by Marten's
/// schema checks: <c>ledger_chain</c> (per entry: the database role that wrote it, the entry hash, the chain hash),
/// <c>ledger_digest</c> (every digest taken, with the heads it covers); the server's clock for recorded-at and the chain
/// function of Marten's appends (<see cref="ServerChain"/>); and, unless turned off, the append-only guard on them and the
/// event table (<see cref="AppendOnlyGuard"/>).
/// </summary>
internal sealed class IntegritySchema(StoreOptions store, bool guard) : FeatureSchemaBase("ledger_integrity", store.Advanced.Migrator)
{
    /// <summary>The chain table's name, without the schema.</summary>
    public const string ChainTable = "ledger_chain";

    /// <summary>The digest table's name, without the schema.</summary>
    public const string DigestTable = "ledger_digest";

    public static ValueTask EnsureAsync(IDocumentStore store, CancellationToken ct) =>
        store.Storage.Database.EnsureStorageExistsAsync(typeof(IntegritySchema), ct);

    public override IEnumerable<Type> DependentTypes() => [typeof(IEvent)];

    protected override IEnumerable<ISchemaObject> schemaObjects()
    {
        var schema = store.Events.DatabaseSchemaName;
        var chain = new Table(new PostgresqlObjectName(schema, ChainTable, SchemaUtils.IdentifierUsage.General));
        chain.AddColumn("stream_id", "varchar").NotNull().AsPrimaryKey();
        chain.AddColumn("version", "bigint").NotNull().AsPrimaryKey();
        chain.AddColumn("role", "text");
        chain.AddColumn("entry_hash", "bytea").NotNull();
        chain.AddColumn("chain_hash", "bytea").NotNull();
        yield return chain;

        var digest = new Table(new PostgresqlObjectName(schema, DigestTable, SchemaUtils.IdentifierUsage.General));
        digest.AddColumn("number", "bigint").NotNull().AsPrimaryKey();
        digest.AddColumn("taken_at", "timestamptz").NotNull();
        digest.AddColumn("root", "bytea").NotNull();
        digest.AddColumn("previous", "bytea").NotNull();
        digest.AddColumn("hash", "bytea").NotNull();
        digest.AddColumn("heads", "jsonb").NotNull();
        yield return digest;

        // After the tables it uses: the server's clock on the event table and the chain function of Marten's appends.
        yield return new ServerChain(schema);

        if (guard)
        {
            yield return new AppendOnlyGuard(schema, ["mt_events", ChainTable, DigestTable]);
        }
    }
}
