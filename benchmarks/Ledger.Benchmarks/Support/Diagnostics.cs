using System.Globalization;
using RatificationLedger.Projections;
using Marten;

namespace RatificationLedger.Benchmarks.Support;

internal static class Check
{
    public static void That(bool condition, string what)
    {
        if (!condition)
        {
            throw new InvalidOperationException($"Benchmark check failed: {what}");
        }
    }
}

/// <summary>Where the time went (pg_stat_statements) and whether the results are right.</summary>
internal static class Diagnostics
{
    /// <summary>
    /// The phase's statement time and its <paramref name="top"/> statements (<c>LEDGER_BENCH_TOP</c>, when set, says how
    /// many for every phase: every statement a command sends shows with 25).
    /// </summary>
    public static async Task PrintStatementsAsync(BenchServer server, TimeSpan wall, int top = 6)
    {
        if (int.TryParse(Environment.GetEnvironmentVariable("LEDGER_BENCH_TOP"), CultureInfo.InvariantCulture, out var asked) && asked > 0)
        {
            top = asked;
        }
        if (!server.HasStatements)
        {
            return;
        }
        var total = await server.TotalStatementTimeAsync();
        var calls = await server.TotalCallsAsync();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"    server statements: {calls} calls, {total / 1000:0.00} s execution ({total / 10 / wall.TotalSeconds:0}% of wall)"));
        foreach (var s in await server.TopStatementsAsync(top))
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"    {s.TotalMs / 1000,7:0.00} s {s.Calls,9} calls {s.Rows,10} rows  {s.Query}"));
        }
    }

    /// <summary>Every process's status document exists and is at its stream's version.</summary>
    public static async Task VerifyViewsAsync(LedgerApp app, IReadOnlyList<string> processes)
    {
        await using var session = app.Store.QuerySession();
        var versions = (await session.Query<AccessionStatus>().Select(s => new { s.Id, s.Version }).ToListAsync())
            .ToDictionary(s => s.Id, s => s.Version, StringComparer.Ordinal);
        var streams = (await session.AdvancedSql.QueryAsync<string>($"select id || ' ' || version::text from {app.Schema}.mt_streams", CancellationToken.None))
            .Select(r => r.Split(' ')).ToDictionary(r => r[0], r => long.Parse(r[1], CultureInfo.InvariantCulture), StringComparer.Ordinal);
        foreach (var p in processes)
        {
            Check.That(versions.TryGetValue(p, out var v) && streams.TryGetValue(p, out var s) && v == s,
                $"{app.Schema}: the status of {p} is at its stream's version");
        }
    }
}
