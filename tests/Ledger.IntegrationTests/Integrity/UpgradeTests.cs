using RatificationLedger.Domain;
using RatificationLedger.Integrity;
using RatificationLedger.IntegrationTests.Support;
using Npgsql;

namespace RatificationLedger.IntegrationTests.Integrity;

/// <summary>A database written before the chain existed is chained once, on first use, and the chain says where it began.</summary>
public sealed class UpgradeTests
{
    [Fact]
    public async Task Entries_written_before_the_chain_are_chained_once_and_verify_says_where_the_chain_began()
    {
        var connection = await TestSchemas.ConnectionStringAsync();
        var schema = TestSchemas.Next("upgrade");
        await using (var before = LedgerHost.Start(connection, schema))
        {
            await before.RegisterAsync(TestOrganizations.Nato());
            await before.RecordAsync(new SubmitApplication("nato/fin", "NATO", "FIN", TestOrganizations.D("2022-05-18")));
            await before.RecordAsync(new ExtendInvitation("nato/fin", TestOrganizations.D("2022-06-29"), "Madrid Summit"));
        }
        // As a database of the earlier version stands: no guard, no chain.
        await using (var c = new NpgsqlConnection(connection))
        {
            await c.OpenAsync();
            await using var command = new NpgsqlCommand(
                string.Join(' ', new[] { "mt_events", "ledger_chain", "ledger_digest" }.Select(t => $"drop trigger if exists ledger_guard on {schema}.{t}; drop trigger if exists ledger_guard_truncate on {schema}.{t};"))
                + $" drop table {schema}.ledger_chain; drop table {schema}.ledger_digest;", c);
            await command.ExecuteNonQueryAsync();
        }

        await using var after = LedgerHost.Start(connection, schema);
        await after.RecordAsync(new SignAccessionProtocol("nato/fin", TestOrganizations.D("2022-07-05")));

        var report = await LedgerIntegrity.VerifyAsync(after.Store);
        report.Findings.Should().BeEmpty();
        report.Entries.Should().Be(4);
        report.Notes.Should().BeEquivalentTo(
            "nato: entries 1 to 1 were written before the chain and chained on upgrade; the chain vouches for them only from then on.",
            "nato/fin: entries 1 to 2 were written before the chain and chained on upgrade; the chain vouches for them only from then on.");
        await using var check = new NpgsqlConnection(connection);
        await check.OpenAsync();
        await using var roles = new NpgsqlCommand($"select string_agg(version || ':' || coalesce(role, '-'), ',' order by version) from {schema}.ledger_chain where stream_id = 'nato/fin'", check);
        await using var user = new NpgsqlCommand("select current_user::text", check);
        var role = (string)(await user.ExecuteScalarAsync())!;
        ((string)(await roles.ExecuteScalarAsync())!).Should().Be($"1:-,2:-,3:{role}");
    }
}
