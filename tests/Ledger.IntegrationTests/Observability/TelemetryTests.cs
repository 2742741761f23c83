using System.Diagnostics;
using RatificationLedger.Domain;
using RatificationLedger.IntegrationTests.Support;
using RatificationLedger.Recording;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using static RatificationLedger.IntegrationTests.Support.TestOrganizations;

namespace RatificationLedger.IntegrationTests.Observability;

// The ledger's ActivitySource and Meter are process-wide: this class runs alone, so that the counts it reads are its own.
[CollectionDefinition(nameof(TelemetryCollection), DisableParallelization = true)]
public sealed class TelemetryCollection;

/// <summary>
/// A command is visible in OpenTelemetry (its span with process, command, outcome, rule code and entries; the counters
/// and the latency histogram) and in the logs (a refusal with its rule code), as an app that turns them on sees them.
/// </summary>
[Collection(nameof(TelemetryCollection))]
public sealed class TelemetryTests
{
    private static readonly Provenance ByAnalyst = new(Source: "https://www.nato.int/", RecordedBy: "analyst@example.org");

    [Fact]
    public async Task A_recorded_and_a_refused_command_have_spans_counters_and_latencies()
    {
        var spans = new List<Activity>();
        var metrics = new List<Metric>();
        using var tracing = Sdk.CreateTracerProviderBuilder().AddSource("RatificationLedger").AddInMemoryExporter(spans).Build();
        using var meters = Sdk.CreateMeterProviderBuilder().AddMeter("RatificationLedger").AddInMemoryExporter(metrics).Build();
        await using var host = LedgerHost.Start(await TestSchemas.ConnectionStringAsync(), TestSchemas.Next("telemetry"));
        (await host.Recorder.RegisterOrganizationAsync(Nato())).Succeeded.Should().BeTrue();

        // The invitation opens the process (no application recorded); a ratification before the protocol's signature is
        // refused by the order rule.
        var applied = await host.Recorder.RecordAsync(new ExtendInvitation("nato/fin", D("2022-06-29"), "Madrid summit", Organization: "NATO", Candidate: "FIN"), ByAnalyst);
        var early = await host.Recorder.RecordAsync(new ApproveRatification("nato/fin", "CAN", D("2022-07-01"), "Parliament"), ByAnalyst);
        applied.Outcome.Should().Be(RecordOutcome.Recorded);
        early.Outcome.Should().Be(RecordOutcome.Rejected);

        tracing!.ForceFlush().Should().BeTrue();
        var records = spans.Where(s => s.OperationName == "ledger.record").ToList();
        records.Should().HaveCount(2);
        records[0].Source.Name.Should().Be("RatificationLedger");
        records[0].Source.Version.Should().Be(typeof(LedgerRecorder).Assembly.GetName().Version!.ToString());
        Tags(records[0]).Should().Contain(new Dictionary<string, object?>
        {
            ["ledger.process"] = "nato/fin",
            ["ledger.command"] = "extend_invitation",
            ["ledger.outcome"] = "recorded",
            ["ledger.entries"] = 1,
        });
        Tags(records[0]).Should().NotContainKey("ledger.rule_code");
        Tags(records[1]).Should().Contain(new Dictionary<string, object?>
        {
            ["ledger.process"] = "nato/fin",
            ["ledger.command"] = "approve_ratification",
            ["ledger.outcome"] = "rejected",
            ["ledger.rule_code"] = "order.protocol_missing",
            ["ledger.entries"] = 0,
        });

        meters!.ForceFlush().Should().BeTrue();
        Sum(metrics, "ledger.commands.recorded", ("ledger.command", "extend_invitation"), ("ledger.outcome", "recorded")).Should().Be(1);
        Sum(metrics, "ledger.commands.refused", ("ledger.command", "approve_ratification"), ("ledger.rule_code", "order.protocol_missing")).Should().Be(1);
        Sum(metrics, "ledger.commands.conflicts").Should().Be(0);
        // Two commands timed, one per outcome.
        HistogramCount(metrics, "ledger.command.duration", ("ledger.command", "extend_invitation"), ("ledger.outcome", "recorded")).Should().Be(1);
        HistogramCount(metrics, "ledger.command.duration", ("ledger.command", "approve_ratification"), ("ledger.outcome", "rejected")).Should().Be(1);
        // The second command on nato/fin found the stream's state the first one left in the cache.
        Sum(metrics, "ledger.cache.hits", ("ledger.cache", "stream")).Should().Be(1);
    }

    [Fact]
    public async Task An_import_batch_has_a_span_and_counts_its_entries()
    {
        var spans = new List<Activity>();
        var metrics = new List<Metric>();
        using var tracing = Sdk.CreateTracerProviderBuilder().AddSource("RatificationLedger").AddInMemoryExporter(spans).Build();
        using var meters = Sdk.CreateMeterProviderBuilder().AddMeter("RatificationLedger").AddInMemoryExporter(metrics).Build();
        await using var host = LedgerHost.Start(await TestSchemas.ConnectionStringAsync(), TestSchemas.Next("telemetry_import"));
        (await host.Recorder.RegisterOrganizationAsync(Nato())).Succeeded.Should().BeTrue();

        // Finland's first three steps (application, invitation, protocol): one event each.
        (AccessionCommand, Provenance?)[] commands =
        [
            (new SubmitApplication("nato/fin", "NATO", "FIN", D("2022-05-18")), ByAnalyst),
            (new ExtendInvitation("nato/fin", D("2022-06-29"), "Madrid summit"), ByAnalyst),
            (new SignAccessionProtocol("nato/fin", D("2022-07-05")), ByAnalyst),
        ];
        var answered = new List<RecordResult>();
        await host.Recorder.ImportAsync(commands, 40_000, batch =>
        {
            answered.AddRange(batch);
            return ValueTask.FromResult(true);
        }, CancellationToken.None);
        answered.Should().HaveCount(3).And.OnlyContain(r => r.Outcome == RecordOutcome.Recorded);

        tracing!.ForceFlush();
        var batch = spans.Should().ContainSingle(s => s.OperationName == "ledger.import_batch").Subject;
        Tags(batch).Should().Contain(new Dictionary<string, object?>
        {
            ["ledger.process"] = "nato/fin",
            ["ledger.command"] = "submit_application",
            ["ledger.commands"] = 3,
            ["ledger.outcome"] = "recorded",
            ["ledger.entries"] = 3L,
        });
        meters!.ForceFlush();
        Sum(metrics, "ledger.import.entries").Should().Be(3);
        Sum(metrics, "ledger.commands.recorded", ("ledger.command", "extend_invitation"), ("ledger.outcome", "recorded")).Should().Be(1);
    }

    [Fact]
    public async Task A_refused_command_is_logged_with_its_process_command_outcome_and_rule_code()
    {
        var logs = new CapturedLogs();
        await using var host = LedgerHost.Start(await TestSchemas.ConnectionStringAsync(), TestSchemas.Next("telemetry_logs"),
            app: services => services.AddSingleton<ILoggerProvider>(logs));
        (await host.Recorder.RegisterOrganizationAsync(Nato())).Succeeded.Should().BeTrue();
        await host.Recorder.RecordAsync(new ExtendInvitation("nato/swe", D("2022-06-29"), "Madrid summit", Organization: "NATO", Candidate: "SWE"), ByAnalyst);

        var result = await host.Recorder.RecordAsync(new ApproveRatification("nato/swe", "HUN", D("2022-07-01"), "Országgyűlés"), ByAnalyst);

        result.Rejection!.Code.Should().Be("order.protocol_missing");
        var entry = logs.Entries.Should().ContainSingle(e => e.Category == typeof(LedgerRecorder).FullName && e.Level == LogLevel.Information).Subject;
        entry.Fields.Should().Contain(new Dictionary<string, object?>
        {
            ["Process"] = "nato/swe",
            ["Command"] = "approve_ratification",
            ["Outcome"] = "rejected",
            ["RuleCode"] = "order.protocol_missing",
            ["CommandId"] = result.CommandId,
        });
        entry.Message.Should().Contain("order.protocol_missing").And.Contain("nato/swe");
    }

    private static Dictionary<string, object?> Tags(Activity activity) => activity.TagObjects.ToDictionary(t => t.Key, t => t.Value);

    private static IEnumerable<MetricPoint> Points(List<Metric> metrics, string name, (string Key, object Value)[] tags)
    {
        foreach (var metric in metrics.Where(m => m.Name == name))
        {
            foreach (ref readonly var point in metric.GetMetricPoints())
            {
                var have = new Dictionary<string, object?>();
                foreach (var tag in point.Tags)
                {
                    have[tag.Key] = tag.Value;
                }
                if (tags.All(t => have.TryGetValue(t.Key, out var v) && Equals(v, t.Value)))
                {
                    yield return point;
                }
            }
        }
    }

    // The in-memory exporter keeps each export's cumulative points: the last export holds the totals.
    private static long Sum(List<Metric> metrics, string name, params (string Key, object Value)[] tags) =>
        Points(Last(metrics, name), name, tags).Sum(p => p.GetSumLong());

    private static long HistogramCount(List<Metric> metrics, string name, params (string Key, object Value)[] tags) =>
        Points(Last(metrics, name), name, tags).Sum(p => p.GetHistogramCount());

    private static List<Metric> Last(List<Metric> metrics, string name) =>
        metrics.LastOrDefault(m => m.Name == name) is { } last ? [last] : [];
}

/// <summary>Log entries of a host, with their structured fields.</summary>
public sealed class CapturedLogs : ILoggerProvider
{
    public sealed record Entry(string Category, LogLevel Level, string Message, IReadOnlyDictionary<string, object?> Fields);

    private readonly List<Entry> _entries = [];

    public IReadOnlyList<Entry> Entries
    {
        get
        {
            lock (_entries)
            {
                return [.. _entries];
            }
        }
    }

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(CapturedLogs logs, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var fields = state is IReadOnlyList<KeyValuePair<string, object?>> list
                ? list.Where(f => f.Key != "{OriginalFormat}").ToDictionary(f => f.Key, f => f.Value)
                : [];
            lock (logs._entries)
            {
                logs._entries.Add(new Entry(category, logLevel, formatter(state, exception), fields));
            }
        }
    }
}
