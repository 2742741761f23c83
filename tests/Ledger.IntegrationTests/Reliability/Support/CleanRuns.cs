using RatificationLedger.Domain;
using RatificationLedger.Import;
using RatificationLedger.IntegrationTests.Support;
using RatificationLedger.Recording;
using Npgsql;
using static RatificationLedger.IntegrationTests.Support.TestOrganizations;

namespace RatificationLedger.IntegrationTests.Reliability.Support;

/// <summary>
/// Reference results: the synthetic history imported, and the ratification workload recorded one command at a
/// time, each into a fresh schema of the shared test server with nothing going wrong. Computed once per run.
/// </summary>
public static class CleanRuns
{
    private static readonly Lazy<Task<IReadOnlyDictionary<string, ProcessSnapshot>>> Import = new(() => ImportCleanAsync());
    private static readonly Lazy<Task<IReadOnlyDictionary<string, ProcessSnapshot>>> Workload = new(() => WorkloadCleanAsync());

    /// <summary>The synthetic history imported into a fresh schema.</summary>
    public static Task<IReadOnlyDictionary<string, ProcessSnapshot>> ImportAsync() => Import.Value;

    /// <summary>The ratification workload recorded sequentially into a fresh schema.</summary>
    public static Task<IReadOnlyDictionary<string, ProcessSnapshot>> WorkloadAsync() => Workload.Value;

    private static async Task<IReadOnlyDictionary<string, ProcessSnapshot>> ImportCleanAsync()
    {
        await using var host = LedgerHost.Start(await TestSchemas.ConnectionStringAsync(), TestSchemas.Next("clean_import"));
        var result = await host.Sender.Send(new ImportHistoryRequest(SyntheticHistory.File()));
        result.Failure.Should().BeNull(result.Failure?.Message);
        (result.Recorded + result.AlreadyThere).Should().Be(result.Total);
        return await LedgerSnapshot.TakeAsync(host.Store);
    }

    private static async Task<IReadOnlyDictionary<string, ProcessSnapshot>> WorkloadCleanAsync()
    {
        await using var host = LedgerHost.Start(await TestSchemas.ConnectionStringAsync(), TestSchemas.Next("clean_workload"));
        await RatificationWorkload.OpenAsync(host);
        foreach (var (command, provenance) in RatificationWorkload.Commands())
        {
            (await host.SendAsync(command, provenance)).Outcome.Should().Be(RecordOutcome.Recorded);
        }
        return await LedgerSnapshot.TakeAsync(host.Store);
    }
}

/// <summary>
/// Four invited processes and every member's vote and ratification of each: commands that are valid in any order, so
/// concurrent writers and a sequential run must end in the same facts.
/// </summary>
public static class RatificationWorkload
{
    public static readonly string[] Processes = ["nato/fin", "nato/swe", "nato/geo", "nato/bih"];

    public static async Task OpenAsync(LedgerHost host)
    {
        (await host.RegisterAsync(Nato())).Succeeded.Should().BeTrue();
        foreach (var process in Processes)
        {
            ProcessId.TryParse(process, out _, out var candidate);
            await host.RecordAsync(new SubmitApplication(process, "NATO", candidate, D("2022-05-18")));
            await host.RecordAsync(new ExtendInvitation(process, D("2022-06-29"), "Madrid Summit"));
            await host.RecordAsync(new SignAccessionProtocol(process, D("2022-07-05")));
        }
    }

    /// <summary>Interleaved across processes, each with its own command id.</summary>
    public static IReadOnlyList<(AccessionCommand Command, Provenance Provenance)> Commands()
    {
        var members = Nato().Members.Select(m => m.State).ToArray();
        var list = new List<(AccessionCommand, Provenance)>();
        for (var i = 0; i < members.Length; i++)
        {
            foreach (var process in Processes)
            {
                var on = D("2022-07-06").AddDays(i);
                list.Add((new RecordParliamentVote(process, members[i], on, "Parliament", 100 + i, i, 1, true), new Provenance(CommandId: $"{process}:{members[i]}:vote")));
                list.Add((new ApproveRatification(process, members[i], on.AddDays(1), $"Parliament of {members[i]}"), new Provenance(CommandId: $"{process}:{members[i]}:approval")));
            }
        }
        return list;
    }
}

/// <summary>Helpers for tests that stop a server under a running workload.</summary>
public static class Faults
{
    /// <summary>The bound on any caller waiting for an answer while the database fails.</summary>
    public static readonly TimeSpan AnswerBound = TimeSpan.FromSeconds(60);

    /// <summary>Waits until the schema's event table holds at least <paramref name="count"/> events, or <paramref name="until"/> ends.</summary>
    public static async Task WaitForEventsAsync(string connectionString, string schema, long count, Task until)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!until.IsCompleted && DateTime.UtcNow < deadline)
        {
            try
            {
                await using var connection = new NpgsqlConnection(connectionString);
                await connection.OpenAsync();
                await using var command = new NpgsqlCommand($"select count(*) from {schema}.mt_events", connection);
                if ((long)(await command.ExecuteScalarAsync())! >= count)
                {
                    return;
                }
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UndefinedTable)
            {
                // The store has not created its tables yet.
            }
            await Task.Delay(25);
        }
    }

    /// <summary>
    /// A clear error says the database could not be reached, the connection broke, it timed out, or the server is
    /// shutting down (a connection opened while it stops is refused with 57P03, "the database system is shutting down").
    /// </summary>
    public static void AssertClear(Exception error)
    {
        var text = Flatten(error);
        text.Should().MatchRegex("(?i)(connect|connection|terminat|shut(ting)? ?down|refused|server closed|stream|timed out)", "the error must say the database connection failed: " + text);
    }

    private static string Flatten(Exception e) =>
        e.InnerException is null ? $"{e.GetType().Name}: {e.Message}" : $"{e.GetType().Name}: {e.Message} -> {Flatten(e.InnerException)}";
}
