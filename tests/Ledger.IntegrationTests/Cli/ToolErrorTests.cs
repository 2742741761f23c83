using System.Diagnostics;
using RatificationLedger.IntegrationTests.Cli.Support;
using RatificationLedger.IntegrationTests.Support;
using RatificationLedger.Testing;
using Npgsql;
using Xunit.Abstractions;

namespace RatificationLedger.IntegrationTests.Cli;

/// <summary>
/// The real `ledger` process when the database is not there, refuses the login, lacks the database, or goes away in
/// the middle of an import: one or two lines on stderr, exit code 3, no stack trace, no password echoed.
/// </summary>
public sealed class ToolErrorTests(ITestOutputHelper output)
{
    private const string Secret = "s3cret-Never-Echoed";

    [Fact]
    public async Task A_refused_connection_exits_3_in_two_lines_naming_the_host_and_never_the_password()
    {
        var run = await LedgerTool.RunAsync("status", "nato/fin", "--connection", $"Host=127.0.0.1;Port=1;Username=someone;Password={Secret};Database=ledger;Timeout=5");

        run.ShouldBeAShortFailure(3);
        run.Err.Should().Contain("database is unavailable").And.Contain("host 127.0.0.1, port 1").And.Contain("Connection refused");
        run.Err.Should().NotContain(Secret);
    }

    [Fact]
    public async Task A_wrong_password_and_a_missing_database_exit_3_saying_what_to_check()
    {
        var good = new NpgsqlConnectionStringBuilder(await TestSchemas.ConnectionStringAsync());
        if (string.IsNullOrEmpty(good.Password))
        {
            return; // LEDGER_CONNECTION names a server without password authentication: nothing to get wrong.
        }
        var badPassword = new NpgsqlConnectionStringBuilder(good.ConnectionString) { Password = Secret }.ConnectionString;
        var wrong = await LedgerTool.RunAsync("list", "--connection", badPassword);
        wrong.ShouldBeAShortFailure(3);
        wrong.Err.Should().Contain("password authentication failed").And.Contain("Check the user name and password");
        wrong.Err.Should().NotContain(Secret);

        var missing = await LedgerTool.RunAsync("import", SampleHistory.Path, "--connection",
            new NpgsqlConnectionStringBuilder(good.ConnectionString) { Database = "no_such_ledger_db" }.ConnectionString);
        missing.ShouldBeAShortFailure(3);
        missing.Err.Should().Contain("no_such_ledger_db").And.Contain("does not exist").And.Contain("Create the database");
        missing.Err.Should().NotContain(good.Password);
    }

    [Fact]
    public async Task Verbose_adds_the_exception_detail_and_a_malformed_connection_string_is_a_usage_error()
    {
        var verbose = await LedgerTool.RunAsync("status", "nato/fin", "--verbose", "--connection", $"Host=127.0.0.1;Port=1;Password={Secret};Timeout=5");
        verbose.Exit.Should().Be(3);
        verbose.Err.Should().StartWith("ledger: the database is unavailable").And.Contain("NpgsqlException").And.Contain("   at ");
        verbose.Err.Should().NotContain(Secret);

        var malformed = await LedgerTool.RunAsync("list", "--connection", $"Hots=x;Password={Secret}");
        malformed.ShouldBeAShortFailure(2);
        malformed.Err.Should().Contain("--connection is not a valid PostgreSQL connection string");
        malformed.Err.Should().NotContain(Secret);

        var batch = await LedgerTool.RunAsync("import", SampleHistory.Path, "--batch-size", "0", "--connection", $"Host=127.0.0.1;Port=1;Password={Secret};Timeout=5");
        batch.ShouldBeAShortFailure(2);
        batch.Err.Should().Contain("--batch-size 0 is not a batch size: expected at least 1.");
    }

    // The interrupted imports: large enough (66,600 entries) and in batches small enough (at most 500 entries: at
    // least 134 transactions) that the interruption lands while batches remain after the first one commits, even on a
    // loaded machine where the test's polling is slow (with a third of the entries in the default batches, the whole
    // import sometimes ended before the poll saw the first batch; with 30,600 entries in batches of 1,000, once the
    // import decided every batch ahead, a loaded CI run saw it end before Ctrl+C landed).
    private const int InterruptedCandidates = 200;
    private const int InterruptedVotes = 9;
    private const string InterruptedBatch = "500";

    [Fact]
    public async Task A_server_stopped_in_the_middle_of_an_import_exits_3_and_the_rerun_completes()
    {
        var file = LedgerTool.TempFile("large.json", LedgerTool.LargeHistory(InterruptedCandidates, InterruptedVotes));
        var entries = InterruptedCandidates * LedgerTool.EntriesPerProcess(InterruptedVotes);
        await using var server = await LocalPostgres.StartAsync(new LocalPostgresOptions { Durable = true });
        var connection = server.ConnectionStringFor("postgres");

        using var import = Process.Start(LedgerTool.StartInfo(["import", file, "--batch-size", InterruptedBatch, "--connection", connection]))!;
        var stdout = import.StandardOutput.ReadToEndAsync();
        var stderr = import.StandardError.ReadToEndAsync();
        var seen = await LedgerTool.WhenEventsAsync(import, connection, 300, () => server.KillAsync().GetAwaiter().GetResult());
        seen.Should().BeGreaterThan(0, $"the stop must land in the middle of the import (stderr: {(import.HasExited ? await stderr : "")})");
        await import.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        var first = new ToolRun(import.ExitCode, await stdout, await stderr);
        output.WriteLine(first.ToString());

        first.ShouldBeAShortFailure(3);
        first.Err.Should().Contain("import interrupted at").And.Contain("Import the same file again");

        await server.StartAgainAsync();
        var recordedBefore = await LedgerTool.EventCountAsync(connection);
        recordedBefore.Should().BeGreaterThan(0).And.BeLessThan(entries);
        var rerun = await LedgerTool.RunAsync("import", file, "--connection", connection);
        rerun.Exit.Should().Be(0, rerun.ToString());
        rerun.Out.Should().MatchRegex($@"{entries} entries, \d+ recorded, [1-9]\d* already there");
        (await LedgerTool.EventCountAsync(connection)).Should().Be(entries + 1, "every entry once, and the organization's registration");
    }

    [Fact]
    public async Task Ctrl_c_stops_an_import_between_batches_with_exit_130_and_the_rerun_continues()
    {
        var file = LedgerTool.TempFile("large.json", LedgerTool.LargeHistory(InterruptedCandidates, InterruptedVotes));
        var entries = InterruptedCandidates * LedgerTool.EntriesPerProcess(InterruptedVotes);
        var db = await LedgerTool.FreshDatabaseAsync("interrupt");

        using var import = Process.Start(LedgerTool.StartInfo(["import", file, "--batch-size", InterruptedBatch, "--connection", db]))!;
        var stdout = import.StandardOutput.ReadToEndAsync();
        var stderr = import.StandardError.ReadToEndAsync();
        var seen = await LedgerTool.WhenEventsAsync(import, db, 300, () =>
        {
            using var interrupt = Process.Start("kill", ["-INT", import.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!;
            interrupt.WaitForExit();
        });
        seen.Should().BeGreaterThan(0, "Ctrl+C must land in the middle of the import");
        await import.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        var first = new ToolRun(import.ExitCode, await stdout, await stderr);
        output.WriteLine(first.ToString());

        first.ShouldBeAShortFailure(130);
        first.Err.Should().MatchRegex($@"^ledger: import interrupted after (\d+) recorded, 0 already there of {entries} entries; \d+ not imported\.");
        first.Err.Should().Contain("import the same file again to continue");
        var recorded = int.Parse(System.Text.RegularExpressions.Regex.Match(first.Err, @"after (\d+) recorded").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        recorded.Should().BeGreaterThan(0).And.BeLessThan(entries);
        // Stopped between batches: exactly what it reported is in the ledger (and the organization's registration).
        (await LedgerTool.EventCountAsync(db)).Should().Be(recorded + 1);

        var rerun = await LedgerTool.RunAsync("import", file, "--connection", db);
        rerun.Exit.Should().Be(0, rerun.ToString());
        rerun.Out.Should().Contain($"{entries} entries, {entries - recorded} recorded, {recorded} already there");
    }

    [Fact]
    public async Task Two_imports_started_together_on_a_fresh_database_both_finish_and_record_everything_once()
    {
        for (var round = 0; round < 3; round++)
        {
            var db = await LedgerTool.FreshDatabaseAsync("race");
            var runs = await Task.WhenAll(
                LedgerTool.RunAsync("import", SampleHistory.Path, "--connection", db),
                LedgerTool.RunAsync("import", SampleHistory.Path, "--connection", db));
            foreach (var run in runs)
            {
                run.Exit.Should().Be(0, run.ToString());
                run.Err.Should().BeEmpty();
            }
            var again = await LedgerTool.RunAsync("import", SampleHistory.Path, "--connection", db);
            again.Out.Should().Contain("118 entries, 0 recorded, 118 already there");
        }
    }
}
