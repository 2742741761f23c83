using System.Diagnostics;
using RatificationLedger.IntegrationTests.Reliability.Support;
using RatificationLedger.IntegrationTests.Support;
using RatificationLedger.Recording;
using RatificationLedger.Testing;
using Npgsql;
using Xunit.Abstractions;

namespace RatificationLedger.IntegrationTests.Reliability;

/// <summary>
/// The database server stops answering without closing anything (its processes are suspended with SIGSTOP, as a
/// hung host or a silent network would leave them), on a server of this test's own. Callers get an error within the
/// timeouts of the host's connection string, and nothing is lost or recorded twice once it answers again.
/// </summary>
public sealed class UnresponsiveServerTests(ITestOutputHelper output)
{
    private const string Schema = "ledger";

    [Fact]
    public async Task A_server_that_stops_answering_fails_every_caller_within_the_timeouts_and_nothing_is_lost()
    {
        await using var server = await LocalPostgres.StartAsync(new LocalPostgresOptions { Durable = true });
        // The bound on a silent server is the host's connection string: connect and command timeouts, and how long a
        // cancellation request may take. An app sets these; the ledger passes them through and reports the timeout.
        var connection = new NpgsqlConnectionStringBuilder(server.ConnectionString) { Timeout = 3, CommandTimeout = 3, CancellationTimeout = 1000 }.ConnectionString;
        await using var host = LedgerHost.Start(connection, Schema);
        await RatificationWorkload.OpenAsync(host);
        // Sixteen callers on one process: they must not queue behind each other's timeouts.
        var commands = RatificationWorkload.Commands().Where(c => c.Command.Process == "nato/fin").Take(16).ToArray();
        var answers = new (RecordResult? Result, Exception? Error, TimeSpan Waited)[commands.Length];

        var processes = ServerProcesses(server);
        Signal("STOP", processes);
        try
        {
            var sends = Task.WhenAll(commands.Select((c, i) => Task.Run(async () =>
            {
                var clock = Stopwatch.StartNew();
                try
                {
                    answers[i] = (await host.SendAsync(c.Command, c.Provenance), null, clock.Elapsed);
                }
                catch (Exception e)
                {
                    answers[i] = (null, e, clock.Elapsed);
                }
            })));
            (await Task.WhenAny(sends, Task.Delay(Faults.AnswerBound))).Should().BeSameAs(sends, "a silent server must not hang its callers");
        }
        finally
        {
            Signal("CONT", processes);
        }

        foreach (var (result, error, waited) in answers)
        {
            output.WriteLine($"  {waited.TotalMilliseconds:0} ms: {result?.ToString() ?? $"{error!.GetType().Name}: {error.Message}"}");
            waited.Should().BeLessThan(TimeSpan.FromSeconds(20), "a few 3 s timeouts, a 1 s cancellation and at most one 2 s turn, not sixteen callers queued behind each other");
            result.Should().BeNull("the server was not answering");
            var unavailable = error.Should().BeOfType<LedgerUnavailableException>().Subject;
            Faults.AssertClear(unavailable);
            unavailable.Message.Should().MatchRegex("(?i)time", "it says the database timed out");
        }

        // Once the server answers again, sending the same commands completes them, each exactly once.
        var again = await Task.WhenAll(commands.Select(c => host.SendAsync(c.Command, c.Provenance)));
        again.Should().OnlyContain(r => r.Outcome == RecordOutcome.Recorded);
        for (var i = 0; i < commands.Length; i++)
        {
            if (answers[i].Error is LedgerUnavailableException { MayHaveBeenRecorded: false })
            {
                again[i].IsResend.Should().BeFalse("the error said nothing was recorded");
            }
        }
        foreach (var process in RatificationWorkload.Processes)
        {
            var entries = await host.Reader.ReadEntriesAsync(process);
            entries.Select(e => e.Number).Should().Equal(Enumerable.Range(1, entries.Count).Select(i => (long)i));
            entries.Select(e => LedgerSnapshot.Canonical(e.Event)).Should().OnlyHaveUniqueItems();
        }
        (await LedgerSnapshot.EventCountAsync(host.Store)).Should().Be(1 + RatificationWorkload.Processes.Length * 3 + commands.Length);
    }

    // The postmaster (first line of postmaster.pid) and its children, the backends.
    private static int[] ServerProcesses(LocalPostgres server)
    {
        var postmaster = int.Parse(File.ReadLines(Path.Combine(server.DataDirectory, "postmaster.pid")).First(), System.Globalization.CultureInfo.InvariantCulture);
        var children = File.ReadAllText($"/proc/{postmaster}/task/{postmaster}/children")
            .Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => int.Parse(p, System.Globalization.CultureInfo.InvariantCulture));
        return [postmaster, .. children];
    }

    // Stops (SIGSTOP) or resumes (SIGCONT) exactly the processes of this test's own server.
    private static void Signal(string signal, int[] processes)
    {
        using var kill = Process.Start("kill", [$"-{signal}", .. processes.Select(p => p.ToString(System.Globalization.CultureInfo.InvariantCulture))])!;
        kill.WaitForExit();
        kill.ExitCode.Should().Be(0);
    }
}
