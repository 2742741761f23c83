using RatificationLedger.Domain;
using RatificationLedger.IntegrationTests.Support;
using Marten;
using Npgsql;

namespace RatificationLedger.IntegrationTests.Integrity;

/// <summary>The append-only guard: created with the schema, refusing edits from the app's own role, reported when dropped.</summary>
public sealed class GuardTests : IAsyncLifetime
{
    private readonly string _schema = TestSchemas.Next("guard");
    private LedgerHost _host = null!;

    public async Task InitializeAsync()
    {
        _host = LedgerHost.Start(await TestSchemas.ConnectionStringAsync(), _schema);
        await _host.RegisterAsync(TestOrganizations.Nato());
        await _host.RecordAsync(new SubmitApplication("nato/fin", "NATO", "FIN", TestOrganizations.D("2022-05-18")));
        await RatificationLedger.Integrity.LedgerIntegrity.TakeDigestAsync(_host.Store);
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private async Task ExecuteAsAppAsync(string sql)
    {
        // The app's own connection: the role the ledger writes with.
        await using var connection = (NpgsqlConnection)_host.Store.Storage.Database.CreateConnection();
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    [Theory]
    [InlineData("update {0}.mt_events set data = jsonb_set(data, '{{on}}', '\"2022-07-01\"')", "UPDATE on {0}.mt_events refused")]
    [InlineData("delete from {0}.mt_events where version = 1", "DELETE on {0}.mt_events refused")]
    [InlineData("truncate {0}.mt_events cascade", "TRUNCATE on {0}.mt_events refused")]
    [InlineData("update {0}.ledger_chain set role = 'someone'", "UPDATE on {0}.ledger_chain refused")]
    [InlineData("delete from {0}.ledger_chain", "DELETE on {0}.ledger_chain refused")]
    [InlineData("delete from {0}.ledger_digest", "DELETE on {0}.ledger_digest refused")]
    public async Task The_apps_role_cannot_change_or_remove_an_entry(string sql, string message)
    {
        var before = await _host.EventCountAsync();

        var change = () => ExecuteAsAppAsync(string.Format(System.Globalization.CultureInfo.InvariantCulture, sql, _schema));

        (await change.Should().ThrowAsync<PostgresException>()).Which.MessageText.Should().Contain(string.Format(System.Globalization.CultureInfo.InvariantCulture, message, _schema));
        (await _host.EventCountAsync()).Should().Be(before);
        (await RatificationLedger.Integrity.LedgerIntegrity.VerifyAsync(_host.Store)).Intact.Should().BeTrue();
    }

    [Fact]
    public async Task Martens_archiving_is_refused_for_ledger_streams()
    {
        await using var session = _host.Store.LightweightSession();
        session.Events.ArchiveStream("nato/fin");

        var archive = () => session.SaveChangesAsync();

        (await archive.Should().ThrowAsync<Exception>()).Which.ToString().Should().Contain("the ledger is append-only");
        (await _host.Queries.StatusAsync("nato/fin")).Should().NotBeNull();
    }

    [Fact]
    public async Task Martens_schema_check_reports_a_dropped_guard()
    {
        await _host.Store.Storage.Database.AssertDatabaseMatchesConfigurationAsync();

        await ExecuteAsAppAsync($"drop trigger ledger_guard on {_schema}.mt_events");
        // The running app's check compares the database with the configuration afresh. (A host started again would
        // not show it: its start ensures the ledger's schema, the guard included, under the schema lock.)
        var check = () => _host.Store.Storage.Database.AssertDatabaseMatchesConfigurationAsync();

        (await check.Should().ThrowAsync<Exception>()).Which.ToString().Should().Contain("ledger_guard");
    }

    [Fact]
    public async Task Martens_schema_check_reports_a_dropped_server_clock()
    {
        await _host.Store.Storage.Database.AssertDatabaseMatchesConfigurationAsync();

        await ExecuteAsAppAsync($"drop trigger ledger_recorded_at on {_schema}.mt_events");
        var check = () => _host.Store.Storage.Database.AssertDatabaseMatchesConfigurationAsync();

        (await check.Should().ThrowAsync<Exception>()).Which.ToString().Should().Contain("ledger_recorded_at");
    }
}
