using System.Text.Json.Nodes;
using RatificationLedger.IntegrationTests.Cli.Support;
using RatificationLedger.IntegrationTests.Support;

namespace RatificationLedger.IntegrationTests.Cli;

/// <summary>
/// The output contract through the real tool: versioned JSON documents, CSV, time travel on register/audit/list, plain
/// text when redirected, standard input, and files written without clobbering or following links.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class ToolOutputTests
{
    private static readonly Lazy<Task<string>> Imported = new(async () =>
    {
        var db = await LedgerTool.FreshDatabaseAsync("out");
        // From standard input: `import -`.
        var run = await LedgerTool.RunAsync(["import", "-", "--json", "--connection", db], stdin: await File.ReadAllTextAsync(SampleHistory.Path));
        run.Exit.Should().Be(0, run.ToString());
        var result = JsonNode.Parse(run.Out)!;
        result["schema"]!.GetValue<int>().Should().Be(1);
        result["file"]!.GetValue<string>().Should().Be("standard input");
        result["entries"]!.GetValue<int>().Should().Be(118);
        result["recorded"]!.GetValue<int>().Should().Be(117);
        return db;
    });

    private static async Task<ToolRun> LedgerAsync(params string[] args) =>
        await LedgerTool.RunAsync([.. args, "--connection", await Imported.Value]);

    [Fact]
    public async Task Status_json_counts_each_ratifier_from_the_date_its_step_counts()
    {
        var swe = JsonNode.Parse((await LedgerAsync("status", "nato/swe", "--json")).Out)!;
        swe["schema"]!.GetValue<int>().Should().Be(1);
        var counted = swe["counted"]!.AsArray().ToDictionary(c => c!["member"]!.GetValue<string>(), c => c!["on"]!.GetValue<string>());
        var ratified = swe["ratified"]!.AsArray().ToDictionary(c => c!["member"]!.GetValue<string>(), c => c!["on"]!.GetValue<string>());
        counted.Should().HaveCount(31);
        // Finland approved on 2023-03-01 as a candidate; its approval counts from the day it joined, 2023-04-04.
        ratified["FIN"].Should().Be("2023-03-01");
        counted["FIN"].Should().Be("2023-04-04");
        counted["CAN"].Should().Be("2022-07-05");
        counted["HUN"].Should().Be("2024-02-26");

        var autumn = JsonNode.Parse((await LedgerAsync("status", "nato/fin", "--as-of", "2022-09-30", "--json")).Out)!;
        autumn["counted"]!.AsArray().Select(c => c!["member"]!.GetValue<string>()).Should().HaveCount(28).And.NotContain(["HUN", "TUR"]);
    }

    [Fact]
    public async Task Register_audit_and_list_answer_as_of_a_date_and_as_known_at_an_instant()
    {
        var register = JsonNode.Parse((await LedgerAsync("register", "nato/fin", "--as-of", "2022-09-30", "--json")).Out)!;
        register["asOf"]!.GetValue<string>().Should().Be("2022-09-30");
        var hungary = register["ratifiers"]!.AsArray().Single(r => r!["member"]!.GetValue<string>() == "HUN")!;
        hungary["ratifiedOn"].Should().BeNull();
        hungary["steps"]!.AsArray().Select(s => s!["type"]!.GetValue<string>()).Should().Equal("hold"); // a de facto hold, not a formal veto

        var audit = JsonNode.Parse((await LedgerAsync("audit", "nato/fin", "--as-of", "2022-05-18", "--json")).Out)!["entries"]!.AsArray();
        audit.Should().NotBeEmpty().And.OnlyContain(e => e!["on"]!.GetValue<string>() == "2022-05-18");

        var before = JsonNode.Parse((await LedgerAsync("list", "--known-at", "2000-01-01T00:00:00Z", "--json")).Out)!;
        before["knownAt"]!.GetValue<string>().Should().StartWith("2000-01-01T00:00:00");
        before["processes"]!.AsArray().Should().BeEmpty("nothing was recorded by 2000");
        var unknown = await LedgerAsync("audit", "nato/fin", "--known-at", "2000-01-01T00:00:00Z");
        unknown.ShouldBeAShortFailure(1);
        unknown.Err.Should().Contain("no process 'nato/fin' in the ledger as known at 2000-01-01");

        var spring = JsonNode.Parse((await LedgerAsync("list", "--as-of", "2022-06-01", "--json")).Out)!["processes"]!.AsArray();
        // Türkiye blocked both from the day they applied (18 May 2022) until the memorandum.
        spring.Select(p => p!["stage"]!.GetValue<string>()).Should().Equal("Blocked", "Blocked");
        spring.Select(p => p!["counted"]!.GetValue<int>()).Should().Equal(0, 0);
    }

    [Fact]
    public async Task Csv_has_a_header_one_row_per_element_and_quotes_what_needs_quoting()
    {
        var list = await LedgerAsync("list", "--csv");
        list.Exit.Should().Be(0, list.ToString());
        list.Out.Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Should().Equal(
            "process,organization,candidate,stage,appliedOn,accededOn,requiredRatifiers,counted",
            "nato/fin,NATO,FIN,Member,2022-05-18,2023-04-04,30,30",
            "nato/swe,NATO,SWE,Member,2022-05-18,2024-03-07,31,31");

        var register = (await LedgerAsync("register", "nato/swe", "--csv")).Out.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        register[0].Should().Be("member,ratifiedOn,depositedOn,unconfirmed,steps,recordedAt,recordedBy,source,ratifiedBy,depositedBy");
        register.Should().HaveCount(32);
        register.Single(r => r.StartsWith("FIN,", StringComparison.Ordinal)).Should().StartWith("FIN,2023-03-01,2023-04-04,");

        var audit = (await LedgerAsync("audit", "nato/fin", "--csv")).Out.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        audit[0].Should().Be("sequence,type,on,member,recordedAt,recordedBy,role,chained,source,commandId,retracted");
        audit[1].Should().StartWith("1,application_submitted,2022-05-18,,");
        audit.Should().HaveCount(58);

        var both = await LedgerAsync("list", "--csv", "--json");
        both.ShouldBeAShortFailure(2);
        both.Err.Should().Contain("--json and --csv exclude each other");
    }

    [Fact]
    public async Task A_csv_field_is_quoted_and_a_formula_is_defused()
    {
        var db = await LedgerTool.FreshDatabaseAsync("csv");
        var file = LedgerTool.TempFile("formula.json", """
            {
              "organization": { "code": "NATO", "name": "North Atlantic Treaty Organization", "depositary": "USA",
                "ratificationCounts": "approval", "newMembersRatifyOpenProcesses": true,
                "members": [ { "state": "BEL", "since": "1949-08-24" } ] },
              "processes": [ { "id": "nato/fin", "candidate": "FIN", "events": [
                { "type": "application", "on": "2022-05-18", "source": "=HYPERLINK(\"x\"),q" } ] } ]
            }
            """);
        (await LedgerTool.RunAsync("import", file, "--connection", db)).Exit.Should().Be(0);
        var audit = (await LedgerTool.RunAsync("audit", "nato/fin", "--csv", "--connection", db)).Out.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        audit[1].Should().Contain(",\"'=HYPERLINK(\"\"x\"\"),q\",");
    }

    [Fact]
    public async Task Tables_written_to_a_pipe_are_plain_text_even_with_a_colour_terminal_declared()
    {
        var run = await LedgerTool.RunAsync(["register", "nato/swe", "--connection", await Imported.Value],
            new Dictionary<string, string?> { ["TERM"] = "xterm-256color", ["COLORTERM"] = "truecolor" });
        run.Exit.Should().Be(0, run.ToString());
        run.Out.Should().NotContain("\u001b[").And.Contain("FIN");
        run.Out.Split('\n').Max(l => l.Length).Should().BeLessThanOrEqualTo(140);
    }

    [Fact]
    public async Task Timeline_refuses_to_overwrite_without_force_and_never_writes_through_a_link()
    {
        var dir = Directory.CreateTempSubdirectory("ledger-safe-").FullName;
        var svg = Path.Combine(dir, "swe.svg");
        await File.WriteAllTextAsync(svg, "keep me");

        var refused = await LedgerAsync("timeline", "nato/swe", "--svg", svg);
        refused.ShouldBeAShortFailure(1);
        refused.Err.Should().Contain("is an existing file").And.Contain("--force");
        (await File.ReadAllTextAsync(svg)).Should().Be("keep me");

        var forced = await LedgerAsync("timeline", "nato/swe", "--svg", svg, "--force");
        forced.Exit.Should().Be(0, forced.ToString());
        (await File.ReadAllTextAsync(svg)).Should().Contain("<svg");

        var target = Path.Combine(dir, "victim.txt");
        await File.WriteAllTextAsync(target, "untouched");
        var link = Path.Combine(dir, "link.svg");
        File.CreateSymbolicLink(link, target);
        var viaLink = await LedgerAsync("timeline", "nato/swe", "--svg", link);
        viaLink.ShouldBeAShortFailure(1);
        viaLink.Err.Should().Contain("symbolic link");
        var replaced = await LedgerAsync("timeline", "nato/swe", "--svg", link, "--force");
        replaced.Exit.Should().Be(0, replaced.ToString());
        (await File.ReadAllTextAsync(target)).Should().Be("untouched", "the link itself is replaced, its target never written");
        new FileInfo(link).LinkTarget.Should().BeNull();
        Directory.GetFiles(dir).Select(Path.GetFileName).Should().BeEquivalentTo("swe.svg", "victim.txt", "link.svg");
    }
}
