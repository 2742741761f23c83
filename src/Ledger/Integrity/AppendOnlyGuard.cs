using System.Data.Common;
using Weasel.Core;
using Weasel.Core.Migrations;
using Weasel.Postgresql;

namespace RatificationLedger.Integrity;

/// <summary>
/// The append-only guard as a schema object: a trigger function and, on the event table and the evidence tables,
/// triggers refusing <c>UPDATE</c>, <c>DELETE</c> and <c>TRUNCATE</c> with a message naming the table. Created with the
/// schema, in exported migrations, and missing in Marten's schema check when someone dropped a trigger. A defence, not
/// evidence: a superuser can drop it (verification is what catches what is done then).
/// </summary>
internal sealed class AppendOnlyGuard(string schema, IReadOnlyList<string> tables) : ISchemaObjectWithDependencies
{
    public const string Trigger = "ledger_guard";
    public const string TruncateTrigger = "ledger_guard_truncate";

    public DbObjectName Identifier { get; } = new PostgresqlObjectName(schema, "ledger_guard", SchemaUtils.IdentifierUsage.General);

    public IEnumerable<DbObjectName> DependsOn => tables.Select(t => (DbObjectName)new PostgresqlObjectName(schema, t, SchemaUtils.IdentifierUsage.General));

    private string Function => $"{schema}.ledger_guard";

    public void WriteCreateStatement(Migrator migrator, TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteLine($"CREATE OR REPLACE FUNCTION {Function}() RETURNS trigger LANGUAGE plpgsql AS $guard$");
        writer.WriteLine("BEGIN");
        writer.WriteLine("  RAISE EXCEPTION 'ledger: % on %.% refused: the ledger is append-only (a correction is a retraction entry; Marten''s archiving, masking and compacting are not used on it)', TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME");
        writer.WriteLine("    USING ERRCODE = 'insufficient_privilege', HINT = 'Only someone who can drop this trigger can change the record, and `ledger verify` shows what they changed.';");
        writer.WriteLine("END $guard$;");
        foreach (var table in tables)
        {
            var name = $"{schema}.{table}";
            writer.WriteLine($"DROP TRIGGER IF EXISTS {Trigger} ON {name};");
            writer.WriteLine($"CREATE TRIGGER {Trigger} BEFORE UPDATE OR DELETE ON {name} FOR EACH ROW EXECUTE FUNCTION {Function}();");
            writer.WriteLine($"DROP TRIGGER IF EXISTS {TruncateTrigger} ON {name};");
            writer.WriteLine($"CREATE TRIGGER {TruncateTrigger} BEFORE TRUNCATE ON {name} FOR EACH STATEMENT EXECUTE FUNCTION {Function}();");
        }
    }

    public void WriteDropStatement(Migrator rules, TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        foreach (var table in tables)
        {
            writer.WriteLine($"DROP TRIGGER IF EXISTS {Trigger} ON {schema}.{table};");
            writer.WriteLine($"DROP TRIGGER IF EXISTS {TruncateTrigger} ON {schema}.{table};");
        }
        writer.WriteLine($"DROP FUNCTION IF EXISTS {Function}();");
    }

    public void ConfigureQueryCommand(Weasel.Core.DbCommandBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Append("select count(*) from pg_trigger t join pg_class c on c.oid = t.tgrelid join pg_namespace n on n.oid = c.relnamespace where n.nspname = ");
        builder.AppendParameter(schema);
        builder.Append(" and c.relname = any(");
        builder.AppendParameter(tables.ToArray());
        builder.Append($") and t.tgname in ('{Trigger}', '{TruncateTrigger}') and t.tgenabled <> 'D';");
    }

    public async Task<ISchemaObjectDelta> CreateDeltaAsync(DbDataReader reader, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var present = await reader.ReadAsync(ct).ConfigureAwait(false) ? reader.GetInt64(0) : 0;
        return new SchemaObjectDelta(this, present == tables.Count * 2 ? SchemaPatchDifference.None : SchemaPatchDifference.Create);
    }

    public IEnumerable<DbObjectName> AllNames()
    {
        yield return Identifier;
    }
}
