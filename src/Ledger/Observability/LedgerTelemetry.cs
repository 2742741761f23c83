using System.Diagnostics;
using System.Diagnostics.Metrics;
using RatificationLedger.Recording;

namespace RatificationLedger.Observability;

/// <summary>
/// The ledger's traces and metrics, both named <see cref="Name"/>: a span per command, per batch of commands and per
/// import batch, and counters and histograms an app exports with OpenTelemetry (<c>AddSource("RatificationLedger")</c>,
/// <c>AddMeter("RatificationLedger")</c>). Nothing is built when nothing listens: spans are null without a listener and
/// tags are assembled only for enabled instruments.
/// </summary>
internal static class LedgerTelemetry
{
    /// <summary>The name of the activity source and of the meter.</summary>
    public const string Name = "RatificationLedger";

    private static readonly string? Version = typeof(LedgerTelemetry).Assembly.GetName().Version?.ToString();

    public static readonly ActivitySource Source = new(Name, Version);

    public static readonly Meter Meter = new(Name, Version);

    // Tag names (one spelling for spans, metrics and logs' scopes).
    public const string ProcessTag = "ledger.process";
    public const string CommandTag = "ledger.command";
    public const string OutcomeTag = "ledger.outcome";
    public const string RuleCodeTag = "ledger.rule_code";
    public const string EntriesTag = "ledger.entries";
    public const string CommandsTag = "ledger.commands";
    public const string CacheTag = "ledger.cache";

    public static readonly Counter<long> Recorded = Meter.CreateCounter<long>(
        "ledger.commands.recorded", "{command}", "Commands whose fact is in the ledger after them (recorded now, or already recorded)");

    public static readonly Counter<long> Refused = Meter.CreateCounter<long>(
        "ledger.commands.refused", "{command}", "Commands refused by a rule (tagged with the rule code)");

    public static readonly Counter<long> Conflicts = Meter.CreateCounter<long>(
        "ledger.commands.conflicts", "{command}", "Commands answered with a conflict (expected version missed, or contended past the retries)");

    public static readonly Counter<long> Retries = Meter.CreateCounter<long>(
        "ledger.commands.retries", "{retry}", "Writes decided again on fresh state after a concurrency conflict or a concurrent receipt");

    public static readonly Counter<long> ImportedEntries = Meter.CreateCounter<long>(
        "ledger.import.entries", "{entry}", "Entries (events) written by imports");

    public static readonly Counter<long> CacheHits = Meter.CreateCounter<long>(
        "ledger.cache.hits", "{lookup}", "Reads answered from the recorder's caches (a process stream's state, an organization)");

    public static readonly Counter<long> CacheMisses = Meter.CreateCounter<long>(
        "ledger.cache.misses", "{lookup}", "Reads the recorder's caches could not answer");

    public static readonly Histogram<double> CommandDuration = Meter.CreateHistogram<double>(
        "ledger.command.duration", "ms", "Time to record one command (RecordAsync), from the call to its answer");

    public static readonly Histogram<double> BatchDuration = Meter.CreateHistogram<double>(
        "ledger.batch.duration", "ms", "Time to record one batch of commands (RecordManyAsync, or one import batch)");

    /// <summary>Starts a span, or returns null when nothing listens.</summary>
    public static Activity? Start(string name) => Source.StartActivity(name, ActivityKind.Internal);

    /// <summary>Counts one command's answer.</summary>
    public static void Count(RecordResult result, string command)
    {
        switch (result.Outcome)
        {
            case RecordOutcome.Recorded or RecordOutcome.AlreadyRecorded when Recorded.Enabled:
                Recorded.Add(1, new(CommandTag, command), new(OutcomeTag, OutcomeName(result.Outcome)));
                break;
            case RecordOutcome.Rejected when Refused.Enabled:
                Refused.Add(1, new(CommandTag, command), new(RuleCodeTag, result.Rejection?.Code));
                break;
            case RecordOutcome.Conflict when Conflicts.Enabled:
                Conflicts.Add(1, new(CommandTag, command), new(RuleCodeTag, result.Rejection?.Code));
                break;
        }
    }

    /// <summary>Sets a command's answer on its span.</summary>
    public static void Tag(Activity activity, RecordResult result, string command)
    {
        activity.SetTag(ProcessTag, result.Stream);
        activity.SetTag(CommandTag, command);
        activity.SetTag(OutcomeTag, OutcomeName(result.Outcome));
        activity.SetTag(EntriesTag, result.Entries.Count);
        if (result.Rejection is { } rejection)
        {
            activity.SetTag(RuleCodeTag, rejection.Code);
        }
    }

    /// <summary>Marks a span as failed with the exception that ended it.</summary>
    public static void Fail(Activity? activity, Exception e)
    {
        if (activity is null)
        {
            return;
        }
        activity.SetStatus(ActivityStatusCode.Error, e.Message);
        activity.AddException(e);
    }

    public static void CacheLookup(string cache, bool hit)
    {
        var counter = hit ? CacheHits : CacheMisses;
        if (counter.Enabled)
        {
            counter.Add(1, new KeyValuePair<string, object?>(CacheTag, cache));
        }
    }

    public static double Milliseconds(long startTimestamp) => Stopwatch.GetElapsedTime(startTimestamp).TotalMilliseconds;

    /// <summary>The outcome as tagged and logged: <c>recorded</c>, <c>already_recorded</c>, <c>rejected</c>, <c>conflict</c>.</summary>
    public static string OutcomeName(RecordOutcome outcome) => outcome switch
    {
        RecordOutcome.Recorded => "recorded",
        RecordOutcome.AlreadyRecorded => "already_recorded",
        RecordOutcome.Rejected => "rejected",
        RecordOutcome.Conflict => "conflict",
        _ => outcome.ToString(),
    };
}
