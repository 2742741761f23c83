using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using RatificationLedger.Domain;
using RatificationLedger.IntegrationTests.Reliability.Support;
using RatificationLedger.IntegrationTests.Support;
using Npgsql;

namespace RatificationLedger.IntegrationTests.Cli.Support;

/// <summary>What one run of the tool did: its exit code and everything it wrote.</summary>
public sealed record ToolRun(int Exit, string Out, string Err)
{
    public override string ToString() => $"exit {Exit}\nstdout: {Out}\nstderr: {Err}";
}

/// <summary>
/// The real `ledger` executable (the apphost built beside the tests), run as a separate process with its own
/// environment: exit codes, stdout and stderr as a user or a script sees them, and nothing caught in-process.
/// </summary>
public static class LedgerTool
{
    public static readonly string Executable = Path.Combine(AppContext.BaseDirectory, "RatificationLedger.Cli");

    public static ProcessStartInfo StartInfo(IEnumerable<string> args, IReadOnlyDictionary<string, string?>? environment = null)
    {
        var start = new ProcessStartInfo(Executable, args)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        // The tool must not pick up the test run's own connection unless a test gives it one.
        start.Environment.Remove("LEDGER_CONNECTION");
        start.Environment.Remove("LEDGER_DATA_DIR");
        start.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (key, value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null)
            {
                start.Environment.Remove(key);
            }
            else
            {
                start.Environment[key] = value;
            }
        }
        return start;
    }

    public static async Task<ToolRun> RunAsync(IEnumerable<string> args, IReadOnlyDictionary<string, string?>? environment = null, string? stdin = null, TimeSpan? timeout = null)
    {
        using var process = Process.Start(StartInfo(args, environment))!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
        }
        process.StandardInput.Close();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromMinutes(3));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"ledger {string.Join(' ', args)} did not finish; stderr so far: {await stderr}");
        }
        return new ToolRun(process.ExitCode, await stdout, await stderr);
    }

    public static Task<ToolRun> RunAsync(params string[] args) => RunAsync((IEnumerable<string>)args);

    /// <summary>Asserts the failure is explained in one or two lines on stderr, without a stack trace, and that nothing went to stdout.</summary>
    public static void ShouldBeAShortFailure(this ToolRun run, int exitCode)
    {
        run.Exit.Should().Be(exitCode, run.ToString());
        run.Out.Should().BeEmpty();
        run.Err.Should().StartWith("ledger: ");
        run.Err.Should().NotContain("   at ").And.NotContain("Unhandled exception").And.NotContain("Exception:");
        run.Err.TrimEnd().Split('\n').Should().HaveCountLessThanOrEqualTo(2, run.Err);
    }

    /// <summary>A new empty database on the test server.</summary>
    public static async Task<string> FreshDatabaseAsync(string prefix = "tool")
    {
        var admin = await TestSchemas.ConnectionStringAsync();
        var name = prefix + "_" + Guid.NewGuid().ToString("N")[..12];
        await using var connection = new NpgsqlConnection(admin);
        await connection.OpenAsync();
        await using var create = new NpgsqlCommand($"create database {name}", connection);
        await create.ExecuteNonQueryAsync();
        return new NpgsqlConnectionStringBuilder(admin) { Database = name }.ConnectionString;
    }

    public static string TempFile(string name, string content)
    {
        var dir = Directory.CreateTempSubdirectory("ledger-tool-").FullName;
        var path = Path.Combine(dir, name);
        File.WriteAllText(path, content);
        return path;
    }

    /// <summary>
    /// A large valid history: NATO's roster before 2022 and <paramref name="candidates"/> invented processes, each an
    /// application, an invitation, the protocol's signature, and the approval and deposit of all 30 members (63 entries
    /// each): large enough that an import runs in several batches (the first ones of 2,500 and 5,000 entries).
    /// </summary>
    public const int EntriesPerLargeProcess = 63;

    /// <summary>Entries per process of <see cref="LargeHistory"/> with <paramref name="votesPerMember"/> chamber votes per member.</summary>
    public static int EntriesPerProcess(int votesPerMember) => EntriesPerLargeProcess + (EntriesPerLargeProcess - 3) / 2 * votesPerMember;

    public static string LargeHistory(int candidates, int votesPerMember = 0)
    {
        var members = TestOrganizations.Nato().Members.Select(m => m.State).ToHashSet(StringComparer.Ordinal);
        var codes = CountryCode.All.Where(c => !members.Contains(c) && c is not ("FIN" or "SWE")).Order(StringComparer.Ordinal).Take(candidates).ToList();
        codes.Should().HaveCount(candidates);
        var processes = new JsonArray();
        var start = new DateOnly(2022, 1, 3);
        foreach (var code in codes)
        {
            var events = new JsonArray
            {
                SyntheticHistory.E("application", D(start)),
                SyntheticHistory.E("invitation", D(start.AddDays(10)), ("venue", "Brussels")),
                SyntheticHistory.E("protocol-signed", D(start.AddDays(20))),
            };
            var i = 0;
            foreach (var member in members.Order(StringComparer.Ordinal))
            {
                for (var v = 1; v <= votesPerMember; v++)
                {
                    events.Add(SyntheticHistory.E("vote", D(start.AddDays(30 + i)), ("member", member), ("chamber", $"Chamber {v}"), ("passed", true)));
                }
                events.Add(SyntheticHistory.E("ratification", D(start.AddDays(30 + i)), ("member", member), ("authority", "Parliament")));
                events.Add(SyntheticHistory.E("deposit", D(start.AddDays(31 + i++)), ("member", member)));
            }
            processes.Add(new JsonObject { ["id"] = "nato/" + code.ToLowerInvariant(), ["candidate"] = code, ["events"] = events });
        }
        return new JsonObject { ["organization"] = SyntheticHistory.Organization(), ["processes"] = processes }.ToJsonString();
    }

    private static string D(DateOnly d) => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>
    /// Runs <paramref name="act"/> as soon as the ledger at <paramref name="connectionString"/> holds
    /// <paramref name="atLeast"/> entries while <paramref name="tool"/> runs; returns the count seen then, or -1 when the
    /// tool ended (or two minutes passed) first. Watched from a thread of its own with blocking calls: in the full suite
    /// the thread pool is busy with the other test classes, and an awaited poll came back only after an import had
    /// ended (twice in CI).
    /// </summary>
    public static Task<long> WhenEventsAsync(Process tool, string connectionString, long atLeast, Action act)
    {
        var seen = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        var watcher = new Thread(() =>
        {
            try
            {
                using var connection = new NpgsqlConnection(connectionString);
                connection.Open();
                using var count = new NpgsqlCommand("select count(*) from public.mt_events", connection);
                var deadline = DateTime.UtcNow.AddSeconds(120);
                while (!tool.HasExited && DateTime.UtcNow < deadline)
                {
                    long events;
                    try
                    {
                        events = (long)count.ExecuteScalar()!;
                    }
                    catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UndefinedTable)
                    {
                        events = 0;
                    }
                    if (events >= atLeast)
                    {
                        act();
                        seen.SetResult(events);
                        return;
                    }
                    Thread.Sleep(10);
                }
                seen.SetResult(-1);
            }
            catch (Exception e)
            {
                seen.SetException(e);
            }
        })
        { IsBackground = true };
        watcher.Start();
        return seen.Task.WaitAsync(TimeSpan.FromSeconds(150));
    }

    public static async Task<long> EventCountAsync(string connectionString, string schema = "public")
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"select count(*) from {schema}.mt_events", connection);
        try
        {
            return (long)(await command.ExecuteScalarAsync())!;
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UndefinedTable)
        {
            return 0;
        }
    }
}
