using RatificationLedger.Domain;
using RatificationLedger.IntegrationTests.Support;
using RatificationLedger.Recording;
using Npgsql;

namespace RatificationLedger.IntegrationTests.ReadSide;

/// <summary>
/// The audit trail shows both who claims and who wrote: the recorded-by the app stamps on an entry, and the database
/// role that wrote it, as the entry's chain link keeps it.
/// </summary>
public sealed class AuditRoleTests
{
    private static async Task ExecuteAsync(string connection, string sql)
    {
        await using var c = new NpgsqlConnection(connection);
        await c.OpenAsync();
        await using var command = new NpgsqlCommand(sql, c);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<string> CurrentUserAsync(string connection)
    {
        await using var c = new NpgsqlConnection(connection);
        await c.OpenAsync();
        await using var command = new NpgsqlCommand("select current_user::text", c);
        return (string)(await command.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task An_entry_shows_the_role_that_wrote_it_whatever_recorded_by_the_app_claims()
    {
        var connection = await TestSchemas.ConnectionStringAsync();
        var owner = await CurrentUserAsync(connection);
        var schema = TestSchemas.Next("auditrole");
        var role = schema + "_app";
        await using (var first = LedgerHost.Start(connection, schema))
        {
            await first.RegisterAsync(TestOrganizations.Nato());
            await first.RecordAsync(new SubmitApplication("nato/fin", "NATO", "FIN", TestOrganizations.D("2022-05-18")), new Provenance(RecordedBy: "clerk"));
            await first.Store.Storage.ApplyAllConfiguredChangesToDatabaseAsync();
        }
        var asApp = await TestRoles.CreateAppRoleAsync(connection, schema, role);
        try
        {
            await using (var app = LedgerHost.Start(asApp, schema))
            {
                await app.RecordAsync(new ExtendInvitation("nato/fin", TestOrganizations.D("2022-06-29"), "Madrid Summit"), new Provenance(RecordedBy: "alice"));
                // The app claims to be the owner: the chain still says which role wrote it.
                await app.RecordAsync(new SignAccessionProtocol("nato/fin", TestOrganizations.D("2022-07-05")), new Provenance(RecordedBy: owner));
            }

            await using var reader = LedgerHost.Start(connection, schema);
            var audit = (await reader.Queries.AuditAsync("nato/fin"))!;
            audit.Entries.Select(e => (e.Sequence, e.RecordedBy, e.Role, e.Chained)).Should().Equal(
                (1L, "clerk", owner, true),
                (2L, "alice", role, true),
                (3L, owner, role, true));
            audit.Entries.Select(e => e.RecordedByAndRole).Should().Equal(
                $"clerk (role {owner})", $"alice (role {role})", $"{owner} (role {role})");

            // As known when the invitation was recorded: the first two, with their roles.
            var known = (await reader.Queries.AuditAsync("nato/fin", audit.Entries[1].RecordedAt))!;
            known.Entries.Select(e => (e.Sequence, e.Role)).Should().Equal((1L, owner), (2L, role));
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await ExecuteAsync(connection, $"drop owned by {role}; drop role {role}");
        }
    }

    [Fact]
    public async Task Entries_chained_on_upgrade_show_that_their_role_is_unknown()
    {
        var connection = await TestSchemas.ConnectionStringAsync();
        var owner = await CurrentUserAsync(connection);
        var schema = TestSchemas.Next("auditupgrade");
        await using (var before = LedgerHost.Start(connection, schema))
        {
            await before.RegisterAsync(TestOrganizations.Nato());
            await before.RecordAsync(new SubmitApplication("nato/fin", "NATO", "FIN", TestOrganizations.D("2022-05-18")), new Provenance(RecordedBy: "clerk"));
        }
        // As a database of the version before the chain stands: no guard, no chain.
        await ExecuteAsync(connection,
            string.Join(' ', new[] { "mt_events", "ledger_chain", "ledger_digest" }.Select(t => $"drop trigger if exists ledger_guard on {schema}.{t}; drop trigger if exists ledger_guard_truncate on {schema}.{t};"))
            + $" drop table {schema}.ledger_chain; drop table {schema}.ledger_digest;");

        await using var after = LedgerHost.Start(connection, schema);
        await after.RecordAsync(new ExtendInvitation("nato/fin", TestOrganizations.D("2022-06-29"), "Madrid Summit"), new Provenance(RecordedBy: "alice"));

        var audit = (await after.Queries.AuditAsync("nato/fin"))!;
        audit.Entries.Select(e => (e.Sequence, e.Role, e.Chained)).Should().Equal((1L, (string?)null, true), (2L, owner, true));
        audit.Entries.Select(e => e.RecordedByAndRole).Should().Equal("clerk (role unknown: chained on upgrade)", $"alice (role {owner})");
    }
}
