using System.Diagnostics;
using System.Globalization;
using RatificationLedger.Benchmarks.Support;
using RatificationLedger.Benchmarks.Synthetic;
using RatificationLedger.Import;
using RatificationLedger.Storage;
using Marten;

namespace RatificationLedger.Benchmarks.Workloads;

/// <summary>
/// <c>as-of</c>: the status of a random process as of a random date (bitemporal replay through
/// <c>LedgerQueries.StatusAsync(process, asOf)</c>), one query at a time. Baseline: Marten's live aggregation of the same
/// stream (<c>AggregateStreamAsync&lt;AccessionStream&gt;</c>), which can only answer "now". <c>as-of-floor</c>: the floor
/// of any answer that consults the database, a primary-key read of one status document (<c>LoadAsync&lt;AccessionStatus&gt;</c>
/// of the same process, in a fresh session), against ours. Also: how latency grows with stream length (probe processes
/// of exactly 10, 100 and 1,000 entries) and with database size (the same probes in a database holding nothing else).
/// </summary>
internal sealed class AsOfWorkload(BenchServer server, BenchOptions options, Report report, ImportedDatabase database)
{
    private static readonly int[] Lengths = [10, 100, 1000];
    private const int ProbesPerLength = 5;

    public async Task RunAsync()
    {
        var processes = database.History.Processes;
        Console.WriteLine($"as-of: {options.AsOfQueries} queries over {processes.Count} processes ({database.History.EventCount} entries)");
        var random = new Random(options.Seed + 11);
        var probes = Lengths.ToDictionary(l => l, l => database.Generator.Probes(l, ProbesPerLength, 2 + Array.IndexOf(Lengths, l) * ProbesPerLength, random));
        var probeHistory = new SyntheticHistory(database.History.Organization, [.. probes.Values.SelectMany(p => p)]);
        await ImportAsync(database.App, probeHistory);
        await server.ExecuteAsync("DROP SCHEMA IF EXISTS bench_asof_small CASCADE");
        await using var small = await LedgerApp.CreateAsync(server.ConnectionString, "bench_asof_small");
        await ImportAsync(small, probeHistory);

        var queries = Queries(processes, options.AsOfQueries, random);
        // Warm-up (JIT, and the pages of every queried stream), untimed.
        await InterleavedAsync(database.App, queries);

        // Latencies: ours and the baseline alternate query by query, so load from elsewhere on the machine hits both alike.
        await server.ResetStatementsAsync();
        var (ours, baseline, floor) = await InterleavedAsync(database.App, queries);
        await Diagnostics.PrintStatementsAsync(server, TimeSpan.FromMilliseconds((ours.Mean + baseline.Mean + floor.Mean) * queries.Count));
        // Memory: each side alone.
        var (_, oursProbe) = await ProbedAsync(() => OursAsync(database.App, queries));
        var (_, baselineProbe) = await ProbedAsync(() => BaselineAsync(database.App, queries));
        Report.Note(string.Create(CultureInfo.InvariantCulture,
            $"ours: p50 {ours.Percentile(50):0.000} ms, p99 {ours.Percentile(99):0.000} ms; baseline: p50 {baseline.Percentile(50):0.000} ms, p99 {baseline.Percentile(99):0.000} ms; floor (primary-key read): p50 {floor.Percentile(50):0.000} ms, p99 {floor.Percentile(99):0.000} ms; mean stream length {queries.Average(q => q.Process.Recorded):0}, mean entries folded {queries.Average(q => q.Expected):0}"));
        Report.Note("  ours alone: " + oursProbe.Describe());
        Report.Note("  baseline alone: " + baselineProbe.Describe());
        report.Add(BenchResult.Cost("as-of", ours.Percentile(50), "ms (p50)", "Marten live aggregation AggregateStreamAsync p50", baseline.Percentile(50)));
        report.Add(BenchResult.Cost("as-of-p99", ours.Percentile(99), "ms", "Marten live aggregation p99", baseline.Percentile(99)));
        report.Add(BenchResult.Cost("as-of-floor", ours.Percentile(50), "ms (p50)", "primary-key read of one status document p50 (LoadAsync<AccessionStatus>)", floor.Percentile(50)));
        report.Add(BenchResult.Cost("as-of-floor-p99", ours.Percentile(99), "ms", "primary-key read of one status document p99", floor.Percentile(99)));

        var perLength = Math.Max(60, options.AsOfQueries / 4);
        foreach (var length in Lengths)
        {
            var list = Queries(probes[length], perLength, random);
            await InterleavedAsync(small, list);
            var (bigOurs, bigBase, bigFloor) = await InterleavedAsync(database.App, list);
            var (smallOurs, smallBase, smallFloor) = await InterleavedAsync(small, list);
            Report.Note(string.Create(CultureInfo.InvariantCulture,
                $"{length,5} entries: {processes.Count + probeHistory.Processes.Count}-process db: ours p50 {bigOurs.Percentile(50):0.000} ms (p99 {bigOurs.Percentile(99):0.000}), baseline p50 {bigBase.Percentile(50):0.000} ms, floor p50 {bigFloor.Percentile(50):0.000} ms; "
                + $"{probeHistory.Processes.Count}-process db: ours p50 {smallOurs.Percentile(50):0.000} ms, baseline p50 {smallBase.Percentile(50):0.000} ms, floor p50 {smallFloor.Percentile(50):0.000} ms"));
            report.Add(BenchResult.Cost($"as-of-len{length}", bigOurs.Percentile(50), "ms (p50)", $"Marten live aggregation of a {length}-entry stream", bigBase.Percentile(50)));
            report.Add(BenchResult.Cost($"as-of-len{length}-small-db", smallOurs.Percentile(50), "ms (p50)", $"live aggregation, {probeHistory.Processes.Count}-process database", smallBase.Percentile(50)));
            report.Add(BenchResult.Cost($"as-of-floor-len{length}", bigOurs.Percentile(50), "ms (p50)", $"primary-key read of the {length}-entry process's status document", bigFloor.Percentile(50)));
            report.Add(BenchResult.Cost($"as-of-floor-len{length}-small-db", smallOurs.Percentile(50), "ms (p50)", $"primary-key read, {probeHistory.Processes.Count}-process database", smallFloor.Percentile(50)));
        }
    }

    private async Task ImportAsync(LedgerApp app, SyntheticHistory history)
    {
        var file = HistoryFile.Parse(new MemoryStream(history.ToJsonBytes()));
        var result = await app.Sender.Send(new ImportHistoryRequest(file, RecordedBy: "bench-probes"));
        Check.That(result.Succeeded && result.Recorded == history.EventCount, $"the probe processes import ({result.Failure?.Message})");
    }

    private sealed record Query(GenProcess Process, DateOnly AsOf, int Expected);

    private static List<Query> Queries(IReadOnlyList<GenProcess> processes, int count, Random random)
    {
        var list = new List<Query>(count);
        for (var i = 0; i < count; i++)
        {
            var process = processes[random.Next(processes.Count)];
            var first = process.Entries.Min(e => e.On);
            var last = process.Entries.Max(e => e.On);
            var asOf = first.AddDays(random.Next(-30, last.DayNumber - first.DayNumber + 31));
            list.Add(new Query(process, asOf, process.EntriesBy(asOf)));
        }
        return list;
    }

    private static async Task<(Latencies, ProbeResult)> ProbedAsync(Func<Task<Latencies>> run)
    {
        Latencies latencies;
        await using var probe = new Probe(null);
        latencies = await run();
        await probe.DisposeAsync();
        return (latencies, probe.Result);
    }

    private static async Task<(Latencies Ours, Latencies Baseline, Latencies Floor)> InterleavedAsync(LedgerApp app, List<Query> queries)
    {
        var ours = new Latencies();
        var baseline = new Latencies();
        var floor = new Latencies();
        var sides = new (Func<List<Query>, Task<Latencies>> Run, Latencies Into)[]
        {
            (q => OursAsync(app, q), ours), (q => BaselineAsync(app, q), baseline), (q => FloorAsync(app, q), floor),
        };
        for (var i = 0; i < queries.Count; i++)
        {
            // Rotate which goes first, so none always meets another's warm cache.
            var one = new List<Query>(1) { queries[i] };
            for (var k = 0; k < sides.Length; k++)
            {
                var (run, into) = sides[(i + k) % sides.Length];
                into.Add((await run(one)).Single());
            }
        }
        return (ours, baseline, floor);
    }

    // The floor: one primary-key read of the process's status document, as an app reads a document it knows the id of.
    private static async Task<Latencies> FloorAsync(LedgerApp app, List<Query> queries)
    {
        var latencies = new Latencies();
        foreach (var q in queries)
        {
            var start = Stopwatch.GetTimestamp();
            await using var session = app.Store.QuerySession();
            var status = await session.LoadAsync<RatificationLedger.Projections.AccessionStatus>(q.Process.Id);
            latencies.Add(start);
            Check.That(status is not null && status.Version == q.Process.Recorded, $"the status document of {q.Process.Id}");
        }
        return latencies;
    }

    private static async Task<Latencies> OursAsync(LedgerApp app, List<Query> queries)
    {
        var latencies = new Latencies();
        foreach (var q in queries)
        {
            var start = Stopwatch.GetTimestamp();
            var status = await app.Queries.StatusAsync(q.Process.Id, q.AsOf);
            latencies.Add(start);
            Check.That(status is not null && status.Entries == q.Expected, $"status of {q.Process.Id} as of {q.AsOf} folds {q.Expected} entries (got {status?.Entries})");
        }
        return latencies;
    }

    private static async Task<Latencies> BaselineAsync(LedgerApp app, List<Query> queries)
    {
        var latencies = new Latencies();
        foreach (var q in queries)
        {
            var start = Stopwatch.GetTimestamp();
            await using var session = app.Store.QuerySession();
            var aggregate = await session.Events.AggregateStreamAsync<AccessionStream>(q.Process.Id);
            latencies.Add(start);
            Check.That(aggregate is not null && aggregate.State.Version == q.Process.Recorded, $"live aggregation of {q.Process.Id}");
        }
        return latencies;
    }
}
