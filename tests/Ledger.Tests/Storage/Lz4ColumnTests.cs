using System.Data;
using RatificationLedger.Storage;
using Weasel.Core;
using Weasel.Postgresql;

namespace RatificationLedger.Tests.Storage;

/// <summary>
/// What the lz4 schema object makes of what the server says: only a server with lz4 and a column not yet set to it has
/// something to create (the integration tests run on a server with lz4; these cover the other answers).
/// </summary>
public sealed class Lz4ColumnTests
{
    private static readonly Lz4Column Column = new(new PostgresqlObjectName("ledger", "mt_doc_ratificationregister", SchemaUtils.IdentifierUsage.General), "data");

    [Theory]
    [InlineData(false, null, SchemaPatchDifference.None)] // older than PostgreSQL 14 (no attcompression), or built without lz4
    [InlineData(false, "", SchemaPatchDifference.None)]
    [InlineData(true, "l", SchemaPatchDifference.None)]
    [InlineData(true, "", SchemaPatchDifference.Create)] // the server's default
    [InlineData(true, "p", SchemaPatchDifference.Create)] // pglz, set by hand
    [InlineData(true, null, SchemaPatchDifference.Create)] // the table does not exist yet: set right after it is created
    public async Task The_difference_follows_the_servers_lz4_and_the_columns_compression(bool lz4, string? method, SchemaPatchDifference expected)
    {
        using var table = new DataTable();
        table.Columns.Add("lz4", typeof(bool));
        table.Columns.Add("method", typeof(string));
        table.Rows.Add(lz4, (object?)method ?? DBNull.Value);
        using var reader = table.CreateDataReader();

        var delta = await Column.CreateDeltaAsync(reader);

        delta.Difference.Should().Be(expected);
    }

    [Fact]
    public void The_script_checks_for_the_table_and_for_lz4_alters_through_EXECUTE_and_warns_a_role_that_does_not_own_the_table()
    {
        var create = new StringWriter();
        Column.WriteCreateStatement(new PostgresqlMigrator(), create);
        var drop = new StringWriter();
        Column.WriteDropStatement(new PostgresqlMigrator(), drop);

        create.ToString().Should().Contain("IF to_regclass('ledger.mt_doc_ratificationregister') IS NOT NULL AND exists (select 1 from pg_settings where name = 'default_toast_compression' and 'lz4' = any(enumvals)) THEN")
            .And.Contain("EXECUTE 'ALTER TABLE ledger.mt_doc_ratificationregister ALTER COLUMN data SET COMPRESSION lz4';")
            .And.Contain("EXCEPTION WHEN insufficient_privilege THEN");
        drop.ToString().Should().Contain("EXECUTE 'ALTER TABLE ledger.mt_doc_ratificationregister ALTER COLUMN data SET COMPRESSION default';");
        Column.DependsOn.Should().Equal(Column.Table);
    }
}
