using System.Text.Json.Nodes;
using RatificationLedger.IntegrationTests.Cli.Support;
using RatificationLedger.IntegrationTests.Support;
using Npgsql;

namespace RatificationLedger.IntegrationTests.Cli;

/// <summary>`ledger import FILE --dry-run` and `import - --dry-run` through the real tool: counts, exit codes, nothing written.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class DryRunToolTests
{
    private static async Task<long> EventsAsync(string db)
    {
        await using var connection = new NpgsqlConnection(db);
        await connection.OpenAsync();
        await using var exists = new NpgsqlCommand("select count(*) from pg_tables where tablename = 'mt_events'", connection);
        if ((long)(await exists.ExecuteScalarAsync())! == 0)
        {
            return 0;
        }
        await using var count = new NpgsqlCommand("select (select count(*) from mt_events) + (select count(*) from ledger_chain)", connection);
        return (long)(await count.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task A_dry_run_prints_the_counts_exits_0_and_writes_nothing()
    {
        var db = await LedgerTool.FreshDatabaseAsync("dry");

        var run = await LedgerTool.RunAsync(["import", SampleHistory.Path, "--dry-run", "--connection", db]);

        run.Exit.Should().Be(0, run.ToString());
        // As a real import: Finland's ratifier-added on Sweden's process is the one the ledger adds when Finland accedes.
        run.Out.Should().Contain("118 entries, 117 would be recorded, 1 already there; nothing was written.");
        (await EventsAsync(db)).Should().Be(0);
        var status = await LedgerTool.RunAsync(["status", "nato/fin", "--connection", db]);
        status.Exit.Should().Be(1, "the dry run registered nothing");

        (await LedgerTool.RunAsync(["import", SampleHistory.Path, "--connection", db])).Exit.Should().Be(0);
        var again = await LedgerTool.RunAsync(["import", "-", "--dry-run", "--json", "--connection", db], stdin: await File.ReadAllTextAsync(SampleHistory.Path));
        again.Exit.Should().Be(0, again.ToString());
        var json = JsonNode.Parse(again.Out)!;
        json["file"]!.GetValue<string>().Should().Be("standard input");
        json["recorded"]!.GetValue<int>().Should().Be(0);
        json["alreadyThere"]!.GetValue<int>().Should().Be(118);
        json["dryRun"]!.GetValue<bool>().Should().BeTrue();
    }

    [Fact]
    public async Task A_bad_entry_gives_the_import_s_message_and_exit_1_and_writes_nothing()
    {
        var db = await LedgerTool.FreshDatabaseAsync("drybad");
        var root = JsonNode.Parse(await File.ReadAllTextAsync(SampleHistory.Path))!;
        var swe = root["processes"]!.AsArray().Single(p => p!["id"]!.GetValue<string>() == "nato/swe")!;
        var events = swe["events"]!.AsArray();
        var index = events.Select((e, i) => (e, i)).First(x => x.e!["type"]!.GetValue<string>() == "ratification").i;
        // A ratification dated before Sweden applied (2022-05-18).
        events[index]!["on"] = "2022-01-03";
        var path = LedgerTool.TempFile("bad.json", root.ToJsonString());

        var dry = await LedgerTool.RunAsync(["import", path, "--dry-run", "--connection", db]);
        (await EventsAsync(db)).Should().Be(0);
        var real = await LedgerTool.RunAsync(["import", path, "--connection", db]);

        dry.Exit.Should().Be(1, dry.ToString());
        dry.Out.Should().BeEmpty();
        real.Exit.Should().Be(1, real.ToString());
        var line = real.Err.Split('\n')[0];
        line.Should().StartWith($"ledger: import stopped at nato/swe events[{index}] (ratification, 2022-01-03)");
        dry.Err.Split('\n')[0].Should().Be(line);
        dry.Err.Should().Contain("Dry run, nothing was written.");
    }
}
