using System.Text.Json.Nodes;
using RatificationLedger.Cli;
using RatificationLedger.IntegrationTests.Support;
using Npgsql;

namespace RatificationLedger.IntegrationTests.Cli;

/// <summary>
/// The second sample history (Croatia's accession to the EU, samples/NatoAccession/eu-croatia-2011.json) through the
/// `ledger` tool. Expected values come from the reference facts (reference/eu-croatia-2011.json).
/// </summary>
public sealed class CroatiaCliTests
{
    private static readonly string s_croatia = Path.Combine(AppContext.BaseDirectory, "Data", "eu-croatia-2011.json");

    private static async Task<string> FreshDatabaseAsync()
    {
        var admin = await TestSchemas.ConnectionStringAsync();
        var name = "cli_eu_" + Guid.NewGuid().ToString("N")[..12];
        await using var connection = new NpgsqlConnection(admin);
        await connection.OpenAsync();
        await using var create = new NpgsqlCommand($"create database {name}", connection);
        await create.ExecuteNonQueryAsync();
        return new NpgsqlConnectionStringBuilder(admin) { Database = name }.ConnectionString;
    }

    private static async Task<(int Exit, string Out, string Err)> LedgerAsync(string connection, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await LedgerCli.RunAsync([.. args, "--connection", connection], output, error);
        return (exit, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task Croatia_imports_and_status_register_and_list_answer_as_the_facts_say()
    {
        var db = await FreshDatabaseAsync();
        var import = await LedgerAsync(db, "import", s_croatia);
        import.Exit.Should().Be(0, import.Err);
        import.Out.Should().MatchRegex(@"37 entries, 37 recorded, 0 already there");
        (await LedgerAsync(db, "import", s_croatia)).Out.Should().MatchRegex(@"37 entries, 0 recorded, 37 already there");

        var status = JsonNode.Parse((await LedgerAsync(db, "status", "eu/hrv", "--json")).Out)!.AsObject();
        status["stage"]!.GetValue<string>().Should().Be("Member");
        status["accededOn"]!.GetValue<string>().Should().Be("2013-07-01");
        status["requiredRatifiers"]!.AsArray().Should().HaveCount(28);
        status["deposited"]!.AsArray().Should().HaveCount(28);
        status["ratified"]!.AsArray().Should().HaveCount(7, "7 of the 28 approval dates are known");
        status["entryIntoForce"]!.ToJsonString().Should().Be(
            """{"rule":"fixed-date","date":"2013-07-01","reason":"all 28 instruments deposited by 2013-06-21 (the last: DEU); in force on the fixed date 2013-07-01."}""");

        var before = JsonNode.Parse((await LedgerAsync(db, "status", "eu/hrv", "--as-of", "2013-06-20", "--json")).Out)!.AsObject();
        before["pending"]!.AsArray().Select(p => p!.GetValue<string>()).Should().Equal("DEU");
        before["entryIntoForce"]!["date"].Should().BeNull("one instrument is missing");
        before["entryIntoForce"]!["reason"]!.GetValue<string>().Should().Contain("(DEU)").And.Contain("2013-07-01");

        var register = JsonNode.Parse((await LedgerAsync(db, "register", "eu/hrv", "--json")).Out)!["ratifiers"]!.AsArray();
        var austria = register.Single(r => r!["member"]!.GetValue<string>() == "AUT")!;
        austria["ratifiedOn"].Should().BeNull("no source states Austria's approval date");
        austria["ratifiedBy"]!.GetValue<string>().Should().Be("2012-08-08");
        austria["depositedOn"]!.GetValue<string>().Should().Be("2012-08-08");
        var romania = register.Single(r => r!["member"]!.GetValue<string>() == "ROU")!;
        romania["unconfirmed"]!.GetValue<bool>().Should().BeTrue();
        romania["depositedOn"]!.GetValue<string>().Should().Be("2012-08-02");
        var germany = register.Single(r => r!["member"]!.GetValue<string>() == "DEU")!;
        germany["ratifiedOn"]!.GetValue<string>().Should().Be("2013-06-07");
        germany["ratifiedBy"].Should().BeNull();

        var table = await LedgerAsync(db, "register", "eu/hrv");
        table.Out.Should().Contain("by 2012-08-08, exact date unknown").And.Contain("2012-08-02 (?)");
        var text = await LedgerAsync(db, "status", "eu/hrv");
        text.Out.Should().Contain("Entry into force (fixed-date): 2013-07-01.").And.Contain("AUT by 2012-08-08");

        var list = JsonNode.Parse((await LedgerAsync(db, "list", "--json")).Out)!["processes"]!.AsArray();
        list.Should().ContainSingle().Which!["appliedOn"]!.GetValue<string>().Should().Be("2011-12-09", "the signature opened the process");
    }

    [Fact]
    public async Task An_accession_before_the_fixed_date_is_refused_naming_the_entry_and_the_rule()
    {
        var db = await FreshDatabaseAsync();
        var root = JsonNode.Parse(await File.ReadAllTextAsync(s_croatia))!;
        var events = root["processes"]![0]!["events"]!.AsArray();
        events[^1]!["on"] = "2013-06-30";
        var path = Path.Combine(Directory.CreateTempSubdirectory("ledger-eu-").FullName, "early.json");
        await File.WriteAllTextAsync(path, root.ToJsonString());

        var run = await LedgerAsync(db, "import", path);
        run.Exit.Should().Be(1);
        run.Err.Should().Contain("eu/hrv events[36] (accession, 2013-06-30)").And.Contain("order.before_entry_into_force").And.Contain("2013-07-01");
    }
}
