using RatificationLedger.Testing;

namespace RatificationLedger.IntegrationTests.Support;

/// <summary>
/// One PostgreSQL server per test run (LocalPostgres, or LEDGER_CONNECTION), and a fresh schema per test class.
/// The server stops when the test process exits; its watchdog cleans up if the process is killed.
/// </summary>
public static class TestSchemas
{
    private static int _counter;
    private static readonly Lazy<Task<(string ConnectionString, LocalPostgres? Server)>> Server = new(StartAsync);

    public static string Next(string prefix) =>
        $"{prefix}_{Interlocked.Increment(ref _counter)}_{Guid.NewGuid().ToString("N")[..8]}";

    public static async Task<string> ConnectionStringAsync() => (await Server.Value).ConnectionString;

    private static async Task<(string, LocalPostgres?)> StartAsync()
    {
        var started = await LocalPostgres.FromEnvironmentOrStartAsync();
        if (started.Server is { } server)
        {
            AppDomain.CurrentDomain.ProcessExit += (_, _) => server.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
        return started;
    }
}
