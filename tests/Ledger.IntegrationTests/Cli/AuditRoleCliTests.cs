using System.Text.Json.Nodes;
using RatificationLedger.Cli;
using RatificationLedger.IntegrationTests.Support;
using Npgsql;

namespace RatificationLedger.IntegrationTests.Cli;

/// <summary>`ledger audit` shows who claims (recorded-by) and who wrote (the database role), in text, JSON and CSV.</summary>
public sealed class AuditRoleCliTests
{
    private sealed record Run(int Exit, string Out, string Err);

    private static async Task<Run> LedgerAsync(string connection, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await LedgerCli.RunAsync([.. args, "--connection", connection], output, error);
        return new Run(exit, output.ToString(), error.ToString());
    }

    private static async Task<T> ScalarAsync<T>(string connection, string sql)
    {
        await using var c = new NpgsqlConnection(connection);
        await c.OpenAsync();
        await using var command = new NpgsqlCommand(sql, c);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task Audit_shows_the_recorded_by_the_tool_claims_beside_the_role_that_wrote_each_entry()
    {
        var admin = await TestSchemas.ConnectionStringAsync();
        var name = "cli_" + Guid.NewGuid().ToString("N")[..12];
        var role = name + "_app";
        await using (var c = new NpgsqlConnection(admin))
        {
            await c.OpenAsync();
            await using var create = new NpgsqlCommand($"create database {name}", c);
            await create.ExecuteNonQueryAsync();
        }
        var db = new NpgsqlConnectionStringBuilder(admin) { Database = name }.ConnectionString;
        var owner = await ScalarAsync<string>(db, "select current_user::text");
        var dir = Directory.CreateTempSubdirectory("ledger-audit-role-").FullName;
        var early = Path.Combine(dir, "until-2022-07-05.json");
        File.WriteAllText(early, SampleHistory.JsonUntil("2022-07-05"));

        // The owner imports the first entries, then an app role (no superuser, no owner) imports the rest.
        (await LedgerAsync(db, "import", early)).Exit.Should().Be(0);
        var asApp = await TestRoles.CreateAppRoleAsync(db, "public", role);
        try
        {
            var rest = await LedgerAsync(asApp, "import", SampleHistory.Path);
            rest.Exit.Should().Be(0, rest.Err);
            var firstByApp = await ScalarAsync<long>(db, $"select min(version) from public.ledger_chain where stream_id = 'nato/fin' and role = '{role}'");
            firstByApp.Should().BeGreaterThan(1);

            // The tool records as the operating system's user: that is the claim; the role is the database's word.
            var claim = Environment.UserName;
            var json = JsonNode.Parse((await LedgerAsync(db, "audit", "nato/fin", "--json")).Out)!["entries"]!.AsArray();
            json.Should().OnlyContain(e => e!["recordedBy"]!.GetValue<string>() == claim && e["chained"]!.GetValue<bool>());
            json.Where(e => e!["sequence"]!.GetValue<long>() < firstByApp).Should().NotBeEmpty().And.OnlyContain(e => e!["role"]!.GetValue<string>() == owner);
            json.Where(e => e!["sequence"]!.GetValue<long>() >= firstByApp).Should().NotBeEmpty().And.OnlyContain(e => e!["role"]!.GetValue<string>() == role);

            var csv = (await LedgerAsync(db, "audit", "nato/fin", "--csv")).Out.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
            csv[1].Should().Contain($",{claim},{owner},true,");
            csv[^1].Should().Contain($",{claim},{role},true,");

            // The table: the claim with the role beside it, in the row of each entry.
            var text = await LedgerAsync(db, "audit", "nato/fin");
            text.Exit.Should().Be(0, text.Err);
            var rows = text.Out.Split('\n');
            rows.Should().Contain(r => r.Contains("Recorded by (database role", StringComparison.Ordinal));
            rows.Single(r => r.Contains("│ 1 ", StringComparison.Ordinal)).Should().Contain($"{claim} (role {owner})");
            rows.Single(r => r.Contains($"│ {firstByApp} ", StringComparison.Ordinal)).Should().Contain($"{claim} (role {role})");
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await using var c = new NpgsqlConnection(db);
            await c.OpenAsync();
            await using var drop = new NpgsqlCommand($"drop owned by {role}; drop role {role}", c);
            await drop.ExecuteNonQueryAsync();
        }
    }
}
