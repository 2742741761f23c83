using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using RatificationLedger.Import;
using RatificationLedger.IntegrationTests.Reliability;
using RatificationLedger.IntegrationTests.Support;
using Marten;
using Npgsql;
using JasperFx;
using Weasel.Core;

namespace RatificationLedger.IntegrationTests.Foundation;

/// <summary>
/// The ledger's document tables compress with lz4 (<see cref="RatificationLedger.Storage.LedgerOptions.CompressDocumentsWithLz4"/>),
/// set as part of the schema: by the first write, by Marten's migrations, seen by Marten's schema checks, never taken
/// for drift, and only on the ledger's own tables.
/// </summary>
public sealed class DocumentCompressionTests
{
    private static readonly string[] LedgerTables =
    [
        "mt_doc_organizationview", "mt_doc_processentry", "mt_doc_commandreceipt",
        "mt_doc_accessionstatus", "mt_doc_ratificationregister", "mt_doc_memberrecord",
    ];

    [Fact]
    public async Task The_first_write_sets_every_ledger_document_table_to_lz4_and_a_register_is_stored_compressed_so()
    {
        var connection = await TestSchemas.ConnectionStringAsync();
        var lz4 = await ServerHasLz4Async(connection);
        var schema = TestSchemas.Next("lz4");
        await using var host = LedgerHost.Start(connection, schema, configure: l => l.Extend(store => store.Schema.For<FollowUpNote>()));

        var import = await host.Sender.Send(new ImportHistoryRequest(HistoryFile.Load(SampleHistory.Path)));
        import.Failure.Should().BeNull();
        await using (var session = host.Store.LightweightSession())
        {
            session.Store(new FollowUpNote { Id = "n1", Process = "nato/swe", Text = "an app's own document" });
            await session.SaveChangesAsync();
        }

        var methods = await CompressionAsync(connection, schema);
        foreach (var table in LedgerTables)
        {
            methods.Should().ContainKey(table).WhoseValue.Should().Be(lz4 ? "l" : "", table);
        }
        methods["mt_doc_followupnote"].Should().Be("", "an app's own tables are not the ledger's to set");

        // Sweden's register (31 ratifiers with their chambers, approvals and deposits) is larger than PostgreSQL's
        // 2 KB threshold, so it is compressed, with the column's method.
        var stored = await ScalarAsync(connection, $"select coalesce(pg_column_compression(data), 'none') || ' ' || octet_length(data::text) from {schema}.mt_doc_ratificationregister where id = 'nato/swe'");
        var parts = stored.Split(' ');
        int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture).Should().BeGreaterThan(2048);
        parts[0].Should().Be(lz4 ? "lz4" : "pglz");
    }

    [Fact]
    public async Task Marten_sees_no_drift_once_set_and_a_migration_sets_what_is_missing()
    {
        var connection = await TestSchemas.ConnectionStringAsync();
        var schema = TestSchemas.Next("lz4migration");
        await using (var first = LedgerHost.Start(connection, schema))
        {
            // A write first: on a fresh schema the host's async daemon creates the event tables as it starts, and a
            // migration run beside it would race it to create them.
            await first.RegisterAsync(TestOrganizations.Nato());
            await first.Store.Storage.ApplyAllConfiguredChangesToDatabaseAsync();
            await first.Store.Storage.Database.AssertDatabaseMatchesConfigurationAsync();
            if (!await ServerHasLz4Async(connection))
            {
                // Nothing to set on this server, so nothing differs (the test server of this repository has lz4).
                return;
            }
            (await CompressionAsync(connection, schema)).Where(m => LedgerTables.Contains(m.Key)).Should().OnlyContain(m => m.Value == "l");
        }

        // A table whose compression was reset (by hand, or created by an earlier version) is a difference Marten
        // reports, its migration script sets it, and applying it leaves nothing to do. (Reset once the host runs: its
        // start ensures the ledger's tables, which would set it again.)
        await using (var second = LedgerHost.Start(connection, schema))
        {
            await ExecuteAsync(connection, $"alter table {schema}.mt_doc_ratificationregister alter column data set compression default");
            var migration = await second.Store.Storage.Database.CreateMigrationAsync();
            migration.Difference.Should().Be(SchemaPatchDifference.Create);
            var script = new StringWriter();
            migration.WriteAllUpdates(script, ((StoreOptions)second.Store.Options).Advanced.Migrator, AutoCreate.CreateOrUpdate);
            script.ToString().Should().Contain($"ALTER TABLE {schema}.mt_doc_ratificationregister ALTER COLUMN data SET COMPRESSION lz4'")
                .And.NotContain("mt_doc_accessionstatus", "only what differs is in the patch");
            await FluentActions.Awaiting(() => second.Store.Storage.Database.AssertDatabaseMatchesConfigurationAsync()).Should().ThrowAsync<Exception>();

            await second.Store.Storage.ApplyAllConfiguredChangesToDatabaseAsync();
            (await CompressionAsync(connection, schema))["mt_doc_ratificationregister"].Should().Be("l");
            (await second.Store.Storage.Database.CreateMigrationAsync()).Difference.Should().Be(SchemaPatchDifference.None);
        }

        // Without a migration, the ledger sets it itself: at the host's start (without a host, at the first write).
        await ExecuteAsync(connection, $"alter table {schema}.mt_doc_accessionstatus alter column data set compression pglz");
        await using (var third = LedgerHost.Start(connection, schema))
        {
            await third.RegisterAsync(TestOrganizations.Nato());
            (await CompressionAsync(connection, schema))["mt_doc_accessionstatus"].Should().Be("l");
        }
    }

    [Fact]
    public async Task The_creation_script_sets_the_compression_only_where_the_server_has_lz4()
    {
        var connection = await TestSchemas.ConnectionStringAsync();
        var schema = TestSchemas.Next("lz4script");
        await using var host = LedgerHost.Start(connection, schema);

        var script = host.Store.Storage.ToDatabaseScript();

        script.Should().Contain($"ALTER TABLE {schema}.mt_doc_ratificationregister ALTER COLUMN data SET COMPRESSION lz4'")
            .And.Contain("'lz4' = any(enumvals)");
        script.IndexOf($"CREATE TABLE IF NOT EXISTS {schema}.mt_doc_ratificationregister", StringComparison.Ordinal)
            .Should().BeGreaterThanOrEqualTo(0)
            .And.BeLessThan(script.IndexOf($"ALTER TABLE {schema}.mt_doc_ratificationregister ALTER COLUMN data SET COMPRESSION", StringComparison.Ordinal));
    }

    [Fact]
    public async Task With_the_option_off_the_tables_keep_the_servers_default_and_marten_sees_no_difference()
    {
        var connection = await TestSchemas.ConnectionStringAsync();
        var schema = TestSchemas.Next("nolz4");
        await using var host = LedgerHost.Start(connection, schema, configure: l => l.CompressDocumentsWithLz4 = false);

        await host.RegisterAsync(TestOrganizations.Nato());
        await host.Store.Storage.ApplyAllConfiguredChangesToDatabaseAsync();

        var methods = await CompressionAsync(connection, schema);
        foreach (var table in LedgerTables)
        {
            methods.Should().ContainKey(table).WhoseValue.Should().Be("", table);
        }
        await host.Store.Storage.Database.AssertDatabaseMatchesConfigurationAsync();
        host.Store.Storage.ToDatabaseScript().Should().NotContain("SET COMPRESSION");
    }

    [Fact]
    public async Task A_role_that_writes_the_tables_without_owning_them_records_and_leaves_the_compression_as_it_is()
    {
        var connection = await TestSchemas.ConnectionStringAsync();
        var schema = TestSchemas.Next("lz4notowner");
        var role = schema + "_app";
        // The tables made by their owner (without lz4), as a migration role would make them.
        await using (var owner = LedgerHost.Start(connection, schema, configure: l => l.CompressDocumentsWithLz4 = false))
        {
            await owner.RegisterAsync(TestOrganizations.Nato());
            await owner.Store.Storage.ApplyAllConfiguredChangesToDatabaseAsync();
        }
        var asApp = await TestRoles.CreateAppRoleAsync(connection, schema, role);
        var logs = new Observability.CapturedLogs();
        try
        {
            await using (var app = LedgerHost.Start(asApp, schema, app: s => s.AddSingleton<ILoggerProvider>(logs)))
            {
                await app.RecordAsync(new RatificationLedger.Domain.SubmitApplication("nato/swe", "NATO", "SWE", new DateOnly(2022, 5, 18)));
                (await app.Reader.LoadStateAsync("nato/swe")).Version.Should().Be(1);
            }

            (await CompressionAsync(connection, schema)).Where(m => LedgerTables.Contains(m.Key)).Should().OnlyContain(m => m.Value == "");
            // The server's notice goes nowhere an app looks: the recorder logs a warning per table instead.
            var warned = logs.Entries.Where(e => e.Level == LogLevel.Warning && e.Category == typeof(RatificationLedger.Recording.LedgerRecorder).FullName)
                .Select(e => ((string)e.Fields["Table"]!).Split('.')[1]).ToList();
            if (await ServerHasLz4Async(connection))
            {
                warned.Should().BeEquivalentTo(LedgerTables);
            }
            else
            {
                warned.Should().BeEmpty();
            }
        }
        finally
        {
            await ExecuteAsync(connection, $"drop owned by {role}; drop role {role}");
        }
    }

    [Fact]
    public async Task An_app_role_without_update_or_delete_on_the_event_table_records_and_imports()
    {
        var connection = await TestSchemas.ConnectionStringAsync();
        var schema = TestSchemas.Next("approle");
        var role = schema + "_app";
        // The migration owner makes the schema (docs/operations.md, "Roles").
        await using (var owner = LedgerHost.Start(connection, schema))
        {
            await owner.RegisterAsync(TestOrganizations.Nato());
            await owner.Store.Storage.ApplyAllConfiguredChangesToDatabaseAsync();
        }
        var asApp = await TestRoles.CreateAppRoleAsync(connection, schema, role, revokeEvidenceEdits: true);
        try
        {
            await using var app = LedgerHost.Start(asApp, schema);
            await app.RecordAsync(new RatificationLedger.Domain.SubmitApplication("nato/swe", "NATO", "SWE", new DateOnly(2022, 5, 18)));
            // An import's batches are written with COPY into the event table.
            (await app.Recorder.CopyAvailableAsync(CancellationToken.None)).Should().BeTrue();
            (RatificationLedger.Domain.AccessionCommand, RatificationLedger.Recording.Provenance?)[] commands =
            [
                (new RatificationLedger.Domain.SubmitApplication("nato/fin", "NATO", "FIN", new DateOnly(2022, 5, 18)), null),
                (new RatificationLedger.Domain.ExtendInvitation("nato/fin", new DateOnly(2022, 6, 29), "Madrid summit"), null),
                (new RatificationLedger.Domain.SignAccessionProtocol("nato/fin", new DateOnly(2022, 7, 5)), null),
            ];
            var results = new List<RatificationLedger.Recording.RecordResult>();
            await app.Recorder.ImportAsync(commands, 40_000, batch =>
            {
                results.AddRange(batch);
                return ValueTask.FromResult(true);
            }, CancellationToken.None);
            results.Should().HaveCount(3).And.OnlyContain(r => r.Outcome == RatificationLedger.Recording.RecordOutcome.Recorded);
            (await app.Reader.LoadStateAsync("nato/fin")).Version.Should().Be(3);
            (await ScalarAsync(connection, $"select has_table_privilege('{role}', '{schema}.mt_events', 'update')::text")).Should().Be("false");
        }
        finally
        {
            await ExecuteAsync(connection, $"drop owned by {role}; drop role {role}");
        }
    }

    private static async Task<bool> ServerHasLz4Async(string connection) =>
        await ScalarAsync(connection, "select exists (select 1 from pg_settings where name = 'default_toast_compression' and 'lz4' = any(enumvals))::text") == "true";

    // Each document table of the schema with its data column's compression ('' is the server's default).
    private static async Task<Dictionary<string, string>> CompressionAsync(string connection, string schema)
    {
        await using var conn = new NpgsqlConnection(connection);
        await conn.OpenAsync();
        await using var command = new NpgsqlCommand("""
            select c.relname::text, a.attcompression::text from pg_attribute a
            join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
            where n.nspname = @schema and c.relkind = 'r' and c.relname like 'mt_doc_%' and a.attname = 'data'
            """, conn);
        command.Parameters.AddWithValue("schema", schema);
        await using var reader = await command.ExecuteReaderAsync();
        var methods = new Dictionary<string, string>(StringComparer.Ordinal);
        while (await reader.ReadAsync())
        {
            methods[reader.GetString(0)] = reader.GetString(1);
        }
        return methods;
    }

    private static async Task ExecuteAsync(string connection, string sql)
    {
        await using var conn = new NpgsqlConnection(connection);
        await conn.OpenAsync();
        await using var command = new NpgsqlCommand(sql, conn);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<string> ScalarAsync(string connection, string sql)
    {
        await using var conn = new NpgsqlConnection(connection);
        await conn.OpenAsync();
        await using var command = new NpgsqlCommand(sql, conn);
        return (string)(await command.ExecuteScalarAsync())!;
    }
}
