using System.Text.Json;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using RatificationLedger.Cli;
using RatificationLedger.IntegrationTests.Support;
using Npgsql;

namespace RatificationLedger.IntegrationTests.Cli;

/// <summary>The `ledger` tool end to end against the real server, one fresh database per test.</summary>
public sealed class CliTests
{
    private static readonly string SampleFile = SampleHistory.Path;

    private static async Task<string> FreshDatabaseAsync()
    {
        var admin = await TestSchemas.ConnectionStringAsync();
        var name = "cli_" + Guid.NewGuid().ToString("N")[..12];
        await using var connection = new NpgsqlConnection(admin);
        await connection.OpenAsync();
        await using var create = new NpgsqlCommand($"create database {name}", connection);
        await create.ExecuteNonQueryAsync();
        return new NpgsqlConnectionStringBuilder(admin) { Database = name }.ConnectionString;
    }

    private sealed record Run(int Exit, string Out, string Err);

    private static async Task<Run> LedgerAsync(string connection, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await LedgerCli.RunAsync([.. args, "--connection", connection], output, error);
        return new Run(exit, output.ToString(), error.ToString());
    }

    private static string TempFile(string name, string content)
    {
        var dir = Directory.CreateTempSubdirectory("ledger-cli-").FullName;
        var path = Path.Combine(dir, name);
        File.WriteAllText(path, content);
        return path;
    }

    /// <summary>The sample file with only the entries dated up to <paramref name="until"/>.</summary>
    private static string SampleUntil(string until) => TempFile("partial.json", SampleHistory.JsonUntil(until));

    [Fact]
    public async Task Import_records_the_history_once_and_a_second_import_records_nothing()
    {
        var db = await FreshDatabaseAsync();
        var first = await LedgerAsync(db, "import", SampleFile);
        first.Exit.Should().Be(0, first.Err);
        // The file's own ratifier-added for Finland on Sweden's process is already there: the ledger added it when
        // Finland acceded (NATO's policy), one entry earlier in import order.
        first.Out.Should().MatchRegex(@"118 entries, 117 recorded, 1 already there");

        var second = await LedgerAsync(db, "import", SampleFile);
        second.Exit.Should().Be(0, second.Err);
        second.Out.Should().MatchRegex(@"118 entries, 0 recorded, 118 already there");

        var list = await LedgerAsync(db, "list", "--json");
        var processes = JsonNode.Parse(list.Out)!["processes"]!.AsArray();
        processes.Select(p => p!["process"]!.GetValue<string>()).Should().Equal("nato/fin", "nato/swe");
        processes.Select(p => p!["stage"]!.GetValue<string>()).Should().Equal("Member", "Member");
    }

    [Fact]
    public async Task Status_as_of_and_known_at_answer_in_the_contract_shape()
    {
        var db = await FreshDatabaseAsync();
        (await LedgerAsync(db, "import", SampleUntil("2022-12-31"))).Exit.Should().Be(0);
        await Task.Delay(50);
        var between = DateTimeOffset.UtcNow;
        await Task.Delay(50);
        (await LedgerAsync(db, "import", SampleFile)).Exit.Should().Be(0);

        var now = JsonNode.Parse((await LedgerAsync(db, "status", "nato/fin", "--json")).Out)!.AsObject();
        now.Select(p => p.Key).Should().Equal("schema", "process", "organization", "candidate", "stage", "asOf", "knownAt", "requiredRatifiers",
            "ratified", "deposited", "counted", "pending", "activeVetoes", "accededOn", "entryIntoForce");
        now["schema"]!.GetValue<int>().Should().Be(1);
        now["stage"]!.GetValue<string>().Should().Be("Member");
        now["accededOn"]!.GetValue<string>().Should().Be("2023-04-04");
        now["asOf"].Should().BeNull();
        now["knownAt"].Should().BeNull();
        now["requiredRatifiers"]!.AsArray().Should().HaveCount(30);

        var september = JsonNode.Parse((await LedgerAsync(db, "status", "nato/fin", "--as-of", "2022-09-30", "--json")).Out)!;
        september["asOf"]!.GetValue<string>().Should().Be("2022-09-30");
        september["pending"]!.AsArray().Select(p => p!.GetValue<string>()).Should().Equal("HUN", "TUR");
        september["activeVetoes"]!.AsArray().Select(v => v!["member"]!.GetValue<string>()).Should().BeEquivalentTo("HUN", "TUR");
        september["ratified"]!.AsArray().Should().HaveCount(28);

        var known = await LedgerAsync(db, "status", "nato/fin", "--as-of", "2023-04-04", "--known-at", between.ToString("O"), "--json");
        known.Exit.Should().Be(0, known.Err);
        var then = JsonNode.Parse(known.Out)!;
        then["stage"]!.GetValue<string>().Should().NotBe("Member");
        then["pending"]!.AsArray().Select(p => p!.GetValue<string>()).Should().Equal("HUN", "TUR");
        then["knownAt"]!.GetValue<string>().Should().StartWith(between.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss"));

        var human = await LedgerAsync(db, "status", "nato/swe", "--as-of", "2023-04-05");
        human.Out.Should().Contain("nato/swe").And.Contain("of 31 required ratifiers");
    }

    [Fact]
    public async Task Register_and_audit_answer_who_ratified_when_and_every_entry_as_recorded()
    {
        var db = await FreshDatabaseAsync();
        (await LedgerAsync(db, "import", SampleFile)).Exit.Should().Be(0);

        var document = JsonNode.Parse((await LedgerAsync(db, "register", "nato/swe", "--json")).Out)!.AsObject();
        document.Select(p => p.Key).Should().Equal("schema", "process", "asOf", "knownAt", "ratifiers");
        var register = document["ratifiers"]!.AsArray();
        register.Should().HaveCount(31);
        register[0]!.AsObject().Select(p => p.Key).Should().Equal("member", "ratifiedOn", "depositedOn", "unconfirmed", "steps", "recordedAt", "recordedBy", "source",
            "ratifiedBy", "depositedBy");
        var finland = register.Single(r => r!["member"]!.GetValue<string>() == "FIN")!;
        finland["ratifiedOn"]!.GetValue<string>().Should().Be("2023-03-01");
        finland["steps"]!.AsArray().Select(s => s!["type"]!.GetValue<string>()).Should().Contain("ratification").And.Contain("ratifier-added");

        var auditDocument = JsonNode.Parse((await LedgerAsync(db, "audit", "nato/fin", "--json")).Out)!.AsObject();
        auditDocument.Select(p => p.Key).Should().Equal("schema", "process", "asOf", "knownAt", "entries");
        var audit = auditDocument["entries"]!.AsArray();
        audit[0]!.AsObject().Select(p => p.Key).Should().Equal("sequence", "type", "on", "member", "recordedAt", "recordedBy", "role", "chained", "source", "commandId", "retracted");
        audit.Select(a => a!["sequence"]!.GetValue<long>()).Should().Equal(Enumerable.Range(1, audit.Count).Select(i => (long)i));
        audit[0]!["type"]!.GetValue<string>().Should().Be("application_submitted");
        audit.Should().OnlyContain(a => a!["commandId"] != null && !a["retracted"]!.GetValue<bool>());

        var table = await LedgerAsync(db, "register", "nato/fin");
        table.Exit.Should().Be(0);
        table.Out.Should().Contain("TUR").And.Contain("2023-03-30");
    }

    [Fact]
    public async Task Timeline_writes_a_well_formed_svg_with_one_row_per_ratifier()
    {
        var db = await FreshDatabaseAsync();
        (await LedgerAsync(db, "import", SampleFile)).Exit.Should().Be(0);
        var svg = Path.Combine(Directory.CreateTempSubdirectory("ledger-svg-").FullName, "swe.svg");

        var run = await LedgerAsync(db, "timeline", "nato/swe", "--svg", svg);

        run.Exit.Should().Be(0, run.Err);
        var doc = XDocument.Load(svg);
        doc.Root!.Name.LocalName.Should().Be("svg");
        doc.Descendants().Where(e => e.Attribute("data-member") is not null).Select(e => e.Attribute("data-member")!.Value)
            .Distinct().Should().HaveCount(31).And.Contain("FIN");
    }

    public static TheoryData<string, string, string[]> BadFiles => new()
    {
        { "missing.json", "", ["does not exist"] },
        { "malformed.json", "{ \"organization\": ", ["not valid JSON"] },
        { "unknown-type.json", Minimal("""{ "type": "coronation", "on": "2022-05-18" }"""), ["nato/fin", "events[1]", "coronation"] },
        { "bad-date.json", Minimal("""{ "type": "protocol-signed", "on": "2022-02-30" }"""), ["nato/fin", "events[1]", "2022-02-30"] },
        { "bad-code.json", Minimal("""{ "type": "veto", "member": "XXX", "on": "2022-05-19", "reason": "r", "formal": true }"""), ["nato/fin", "events[1]", "XXX"] },
        { "rule-breach.json", Minimal("""{ "type": "ratification", "member": "AUT", "on": "2022-05-19", "authority": "Nationalrat" }"""), ["nato/fin events[1]", "AUT", "order.invitation_missing", "2022-05-19"] },
    };

    private static string Minimal(string second) => $$"""
        {
          "organization": { "code": "NATO", "name": "North Atlantic Treaty Organization", "depositary": "USA",
            "ratificationCounts": "approval", "newMembersRatifyOpenProcesses": true,
            "members": [ { "state": "BEL", "since": "1949-08-24" }, { "state": "TUR", "since": "1952-02-18" } ] },
          "processes": [ { "id": "nato/fin", "candidate": "FIN", "events": [
            { "type": "application", "on": "2022-05-18", "source": "https://example.org/letter" },
            {{second}},
            { "type": "invitation", "on": "2022-06-29", "venue": "Madrid" }
          ] } ]
        }
        """;

    [Theory]
    [MemberData(nameof(BadFiles))]
    public async Task A_bad_file_exits_1_with_one_message_naming_the_entry_and_records_nothing_from_it_on(string name, string content, string[] expected)
    {
        var db = await FreshDatabaseAsync();
        var path = content.Length == 0 ? Path.Combine(Path.GetTempPath(), "surely-missing-" + Guid.NewGuid().ToString("N"), name) : TempFile(name, content);

        var run = await LedgerAsync(db, "import", path);

        run.Exit.Should().Be(1);
        run.Out.Should().BeEmpty();
        foreach (var fragment in expected)
        {
            run.Err.Should().Contain(fragment);
        }
        var audit = await LedgerAsync(db, "audit", "nato/fin", "--json");
        if (name == "rule-breach.json")
        {
            // What came before the bad entry is recorded once; nothing from it on.
            JsonNode.Parse(audit.Out)!["entries"]!.AsArray().Select(a => a!["type"]!.GetValue<string>()).Should().Equal("application_submitted");
        }
        else
        {
            audit.Exit.Should().Be(1);
            audit.Err.Should().Contain("no process 'nato/fin'");
        }
    }

    [Fact]
    public async Task Hostile_text_is_stored_and_shown_verbatim()
    {
        var db = await FreshDatabaseAsync();
        const string reason = "Robert'); DROP TABLE mt_events; -- <script>alert(\"x\")</script> & \u202Eevil\u202C \u200F[bold]not markup[/]";
        var file = TempFile("hostile.json", Minimal(JsonSerializer.Serialize(new { type = "veto", member = "TUR", on = "2022-05-19", reason, formal = true })));

        (await LedgerAsync(db, "import", file)).Exit.Should().Be(0);

        var register = JsonNode.Parse((await LedgerAsync(db, "register", "nato/fin", "--json")).Out)!["ratifiers"]!.AsArray();
        register.Single(r => r!["member"]!.GetValue<string>() == "TUR")!["steps"]!.AsArray()
            .Single(s => s!["type"]!.GetValue<string>() == "veto")!["detail"]!.GetValue<string>().Should().Be(reason);
        var status = await LedgerAsync(db, "status", "nato/fin");
        status.Out.Should().Contain(reason);
    }

    [Fact]
    public async Task Usage_errors_exit_2()
    {
        var db = await FreshDatabaseAsync();
        (await LedgerAsync(db, "status")).Exit.Should().Be(2);
        (await LedgerAsync(db, "status", "nato/fin", "--as-of", "04/04/2023")).Should().Match<Run>(r => r.Exit == 2 && r.Err.Contains("YYYY-MM-DD"));
        (await LedgerAsync(db, "status", "finland")).Should().Match<Run>(r => r.Exit == 2 && r.Err.Contains("nato/swe"));
        (await LedgerAsync(db, "frobnicate")).Exit.Should().Be(2);
        var missing = await LedgerAsync(db, "status", "nato/ukr");
        missing.Exit.Should().Be(1);
        missing.Err.Should().Contain("no process 'nato/ukr'");
    }
}
