using System.Diagnostics;
using System.Globalization;
using Ledger.Benchmarks.Support;
using Ledger.Projections;
using Marten;
using Npgsql;

namespace Ledger.Benchmarks.Workloads;

/// <summary>
/// <c>rebuild</c>: every projection rebuilt from the full event log with <c>LedgerQueries.RebuildAsync</c> (process views:
/// status, register, audit trail; then member records). Baseline: one sequential read of the same events' JSON from the
/// event table to the client.
/// </summary>
internal sealed class RebuildWorkload(BenchServer server, BenchOptions options, Report report, ImportedDatabase database)
{
    public async Task RunAsync()
    {
        var app = database.App;
        var events = await server.ScalarAsync<long>($"SELECT count(*) FROM {app.Schema}.mt_events");
        Console.WriteLine($"rebuild: {events} events ({options.Processes}+ processes)");

        // Baseline first (it warms the same pages ours reads).
        var (bytes, baselineProbe) = await ProbedAsync(() => ReadAllAsync(app.Schema));
        var baselineRate = events / baselineProbe.Wall.TotalSeconds;
        Report.Note(string.Create(CultureInfo.InvariantCulture,
            $"baseline: read {events} events' JSON ({bytes / 1048576.0:0} MiB) in {baselineProbe.Wall.TotalSeconds:0.00} s = {baselineRate:0} events/s"));
        Report.Note("  " + baselineProbe.Describe());

        await server.ResetStatementsAsync();
        var (_, views) = await ProbedAsync(async () =>
        {
            await app.Queries.RebuildAsync(ProcessViewsProjection.Name);
            return 0L;
        });
        Report.Note(string.Create(CultureInfo.InvariantCulture, $"ours: process views rebuilt in {views.Wall.TotalSeconds:0.00} s"));
        Report.Note("  " + views.Describe());
        await Diagnostics.PrintStatementsAsync(server, views.Wall, top: 4);
        await server.ResetStatementsAsync();
        var (_, members) = await ProbedAsync(async () =>
        {
            await app.Queries.RebuildAsync(MemberRecordProjection.Name, TimeSpan.FromHours(2));
            return 0L;
        });
        Report.Note(string.Create(CultureInfo.InvariantCulture, $"ours: member records rebuilt in {members.Wall.TotalSeconds:0.00} s"));
        Report.Note("  " + members.Describe());
        await Diagnostics.PrintStatementsAsync(server, members.Wall, top: 4);

        await Diagnostics.VerifyViewsAsync(app, [.. database.History.Processes.Select(p => p.Id)]);
        await using (var session = app.Store.QuerySession())
        {
            var records = await session.Query<MemberRecord>().CountAsync();
            Check.That(records > 0, "member records exist after the rebuild");
        }

        var wall = views.Wall + members.Wall;
        var rate = events / wall.TotalSeconds;
        Report.Note(string.Create(CultureInfo.InvariantCulture, $"ours: every projection rebuilt in {wall.TotalSeconds:0.00} s = {rate:0} events/s"));
        report.Add(BenchResult.Throughput("rebuild", rate, "events/s", "one sequential read of the events' JSON", baselineRate));
        report.Add(BenchResult.Throughput("rebuild-process-views", events / views.Wall.TotalSeconds, "events/s", "one sequential read of the events' JSON", baselineRate));
        report.Add(BenchResult.Throughput("rebuild-member-records", events / members.Wall.TotalSeconds, "events/s", "one sequential read of the events' JSON", baselineRate));
        report.Add(BenchResult.Cost("rebuild-peak-memory", Math.Max(views.PeakWorkingSet, members.PeakWorkingSet) / 1048576.0, "MiB", "peak working set during the sequential read", baselineProbe.PeakWorkingSet / 1048576.0));
    }

    private async Task<(long, ProbeResult)> ProbedAsync(Func<Task<long>> run)
    {
        await using var probe = new Probe(Probe.PostmasterPid(server.Server?.DataDirectory));
        var value = await run();
        await probe.DisposeAsync();
        return (value, probe.Result);
    }

    private async Task<long> ReadAllAsync(string schema)
    {
        await using var connection = new NpgsqlConnection(server.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"SELECT data FROM {schema}.mt_events ORDER BY seq_id", connection);
        await using var reader = await command.ExecuteReaderAsync();
        long bytes = 0;
        while (await reader.ReadAsync())
        {
            bytes += reader.GetString(0).Length;
        }
        return bytes;
    }
}
