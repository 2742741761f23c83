using System.Diagnostics;
using RatificationLedger.Observability;
using Microsoft.Extensions.Logging;

namespace RatificationLedger.Recording;

// What the recorder tells the app about its work: spans, counters, histograms and logs (see LedgerTelemetry, LedgerLog).
public sealed partial class LedgerRecorder
{
    // One command's answer: counted, logged, tagged on its span, timed.
    private RecordResult Observed(RecordResult result, Item item, Activity? activity, long started)
    {
        LedgerTelemetry.Count(result, item.Name);
        Log(result, item.Name);
        if (activity is not null)
        {
            LedgerTelemetry.Tag(activity, result, item.Name);
        }
        if (LedgerTelemetry.CommandDuration.Enabled)
        {
            LedgerTelemetry.CommandDuration.Record(LedgerTelemetry.Milliseconds(started),
                new(LedgerTelemetry.CommandTag, item.Name), new(LedgerTelemetry.OutcomeTag, LedgerTelemetry.OutcomeName(result.Outcome)));
        }
        return result;
    }

    // A batch's answers (a prefix of its items): each counted and logged; the span and the batch's time carry the
    // first command's process and name, the last answer's outcome and rule code, and the entries written.
    private void ObserveBatch(IReadOnlyList<RecordResult> results, IReadOnlyList<Item> items, Activity? activity, long started, bool import)
    {
        long entries = 0;
        for (var i = 0; i < results.Count; i++)
        {
            var name = items[Math.Min(i, items.Count - 1)].Name;
            LedgerTelemetry.Count(results[i], name);
            Log(results[i], name);
            entries += results[i].IsResend ? 0 : results[i].Entries.Count;
        }
        if (results.Count == 0)
        {
            return;
        }
        var last = results[^1];
        var outcome = LedgerTelemetry.OutcomeName(last.Outcome);
        if (activity is not null)
        {
            activity.SetTag(LedgerTelemetry.ProcessTag, items[0].Command.Process);
            activity.SetTag(LedgerTelemetry.CommandTag, items[0].Name);
            activity.SetTag(LedgerTelemetry.CommandsTag, results.Count);
            activity.SetTag(LedgerTelemetry.OutcomeTag, outcome);
            activity.SetTag(LedgerTelemetry.EntriesTag, entries);
            if (last.Rejection is { } rejection)
            {
                activity.SetTag(LedgerTelemetry.RuleCodeTag, rejection.Code);
            }
        }
        if (import && LedgerTelemetry.ImportedEntries.Enabled)
        {
            LedgerTelemetry.ImportedEntries.Add(entries);
        }
        var ms = LedgerTelemetry.Milliseconds(started);
        if (LedgerTelemetry.BatchDuration.Enabled)
        {
            LedgerTelemetry.BatchDuration.Record(ms, new(LedgerTelemetry.OutcomeTag, outcome), new("ledger.import", import));
        }
        if (import && _logger.IsEnabled(LogLevel.Information))
        {
            _logger.ImportBatch(results.Count, items[0].Command.Process, items[0].Name, entries, outcome, last.Rejection?.Code, ms);
        }
    }

    private void Log(RecordResult result, string command)
    {
        switch (result.Outcome)
        {
            case RecordOutcome.Rejected:
                _logger.CommandRefused(result.Stream, command, LedgerTelemetry.OutcomeName(result.Outcome), result.Rejection?.Code, result.Rejection?.Message, result.CommandId);
                break;
            case RecordOutcome.Conflict:
                _logger.CommandConflict(result.Stream, command, LedgerTelemetry.OutcomeName(result.Outcome), result.Rejection?.Code, result.Rejection?.Message, result.CommandId);
                break;
            default:
                if (_logger.IsEnabled(LogLevel.Debug))
                {
                    _logger.CommandRecorded(result.Stream, command, LedgerTelemetry.OutcomeName(result.Outcome), result.Entries.Count, result.CommandId);
                }
                break;
        }
    }

    private LedgerUnavailableException Unavailable(LedgerUnavailableException e, Item item, Activity? activity)
    {
        _logger.LedgerUnavailable(e.InnerException ?? e, item.Command.Process, item.Name, e.CommandId, e.MayHaveBeenRecorded);
        LedgerTelemetry.Fail(activity, e);
        return e;
    }

    private void Retried(IReadOnlyList<Item> items, int attempt, bool duplicate)
    {
        if (LedgerTelemetry.Retries.Enabled)
        {
            LedgerTelemetry.Retries.Add(1, new KeyValuePair<string, object?>(LedgerTelemetry.CommandTag, items[0].Name));
        }
        if (_logger.IsEnabled(LogLevel.Debug))
        {
            _logger.CommandRetried(items[0].Command.Process, items[0].Name, attempt, duplicate ? "a concurrent receipt of the same command id" : "the stream or the organization moved");
        }
    }
}
