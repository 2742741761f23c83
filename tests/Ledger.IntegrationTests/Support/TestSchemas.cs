namespace Ledger.IntegrationTests.Support;

/// <summary>Unique schema names per test class, and the connection string of the run's server.</summary>
public static class TestSchemas
{
    private static int _counter;

    public static string Next(string prefix) =>
        $"{prefix}_{Environment.ProcessId}_{Interlocked.Increment(ref _counter)}_{Guid.NewGuid().ToString("N")[..6]}";

    public static Task<string> ConnectionStringAsync() =>
        Task.FromResult(Environment.GetEnvironmentVariable("LEDGER_CONNECTION") ?? throw new InvalidOperationException("LEDGER_CONNECTION"));
}
