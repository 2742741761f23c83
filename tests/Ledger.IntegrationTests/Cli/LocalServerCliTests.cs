using System.Diagnostics;
using RatificationLedger.Cli;
using RatificationLedger.IntegrationTests.Support;
using RatificationLedger.Testing;

namespace RatificationLedger.IntegrationTests.Cli;

/// <summary>With no connection, the tool keeps its own PostgreSQL data directory across invocations.</summary>
public sealed class LocalServerCliTests
{
    [Fact]
    public async Task Import_then_status_work_across_invocations_and_db_stop_stops_the_server()
    {
        if (Environment.GetEnvironmentVariable(LocalPostgres.ConnectionVariable) is { Length: > 0 })
        {
            return; // LEDGER_CONNECTION points the tool elsewhere; the local server is not in play.
        }
        var dir = Path.Combine(Path.GetTempPath(), "ledger-cli-data-" + Guid.NewGuid().ToString("N")[..8]);
        Environment.SetEnvironmentVariable("LEDGER_DATA_DIR", dir);
        try
        {
            var file = SampleHistory.Path;
            (await RunAsync("import", file)).Exit.Should().Be(0);
            Directory.Exists(Path.Combine(dir, "data")).Should().BeTrue();

            var status = await RunAsync("status", "nato/swe", "--as-of", "2023-04-05");
            status.Exit.Should().Be(0, status.Err);
            status.Out.Should().Contain("of 31 required ratifiers");

            var stop = await RunAsync("db", "stop");
            stop.Out.Should().Contain("Stopped the local PostgreSQL");
            (await RunAsync("db", "stop")).Out.Should().Contain("No local PostgreSQL is running");

            // Started again on demand, with the data kept.
            var again = await RunAsync("status", "nato/fin", "--json");
            again.Exit.Should().Be(0, again.Err);
            again.Out.Should().Contain("\"accededOn\": \"2023-04-04\"");
        }
        finally
        {
            await LocalPostgres.StopPersistentAsync(dir);
            Environment.SetEnvironmentVariable("LEDGER_DATA_DIR", null);
            Directory.Delete(dir, recursive: true);
        }
    }

    private static async Task<(int Exit, string Out, string Err)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await LedgerCli.RunAsync(args, output, error);
        Debug.WriteLine(error.ToString());
        return (exit, output.ToString(), error.ToString());
    }
}
