using JasperFx;
using RatificationLedger.IntegrationTests.Support;
using RatificationLedger.Projections;
using RatificationLedger.Recording;
using RatificationLedger.Storage;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using static RatificationLedger.IntegrationTests.Support.TestOrganizations;

namespace RatificationLedger.IntegrationTests.Foundation;

/// <summary>docs/operations.md's migration step, as written there: a creation script, the changes applied by the owner, the assertion, then an app with AutoCreate.None.</summary>
public sealed class OperationsTests
{
    [Fact]
    public async Task The_migration_step_of_the_operations_guide_prepares_a_schema_an_app_with_AutoCreate_None_records_in()
    {
        var connection = await TestSchemas.ConnectionStringAsync();
        var schema = TestSchemas.Next("ops");
        ServiceProvider Ledger() => new ServiceCollection()
            .AddRatificationLedger(connection, ledger =>
                {
                    ledger.Schema = schema;
                    ledger.DefaultRecordedBy = "operations-tests";
                    ledger.AddReadModels();
                }, store: o => o.AutoCreateSchemaObjects = AutoCreate.None)
            .Services.BuildServiceProvider();

        await using (var migration = Ledger())
        {
            var store = migration.GetRequiredService<ILedgerStore>();
            var script = Path.Combine(Path.GetTempPath(), $"{schema}.sql");
            await store.Storage.WriteCreationScriptToFile(script);
            var sql = await File.ReadAllTextAsync(script);
            File.Delete(script);
            sql.Should().Contain($"{schema}.mt_events").And.Contain($"{schema}.mt_doc_ratificationregister")
                .And.Contain("ALTER COLUMN data SET COMPRESSION lz4");

            // AutoCreate.None: nothing exists yet, so the assertion fails until the owner applies the changes.
            await FluentActions.Awaiting(() => store.Storage.Database.AssertDatabaseMatchesConfigurationAsync()).Should().ThrowAsync<Exception>();
            await store.Storage.ApplyAllConfiguredChangesToDatabaseAsync();
            await store.Storage.Database.AssertDatabaseMatchesConfigurationAsync();
        }

        await using var app = Ledger();
        var recorder = app.GetRequiredService<LedgerRecorder>();
        (await recorder.RegisterOrganizationAsync(Nato())).Succeeded.Should().BeTrue();
        (await recorder.RecordAsync(new RatificationLedger.Domain.SubmitApplication("nato/fin", "NATO", "FIN", D("2022-05-18")))).Outcome.Should().Be(RecordOutcome.Recorded);
    }
}
