using System.CommandLine;
using RatificationLedger.Projections;

namespace RatificationLedger.Cli.Commands;

/// <summary><c>ledger timeline PROCESS --svg FILE</c>: a picture of the process over time, written safely (<see cref="SafeFile"/>).</summary>
internal static class TimelineCommand
{
    public static Command Create(CliContext cli)
    {
        var process = CliContext.ProcessArgument();
        var svg = new Option<string>("--svg") { Description = "the SVG file to write", Required = true };
        var force = new Option<bool>("--force") { Description = "replace the file if it exists" };
        var asOf = CliContext.AsOfOption("draw the process as of this date, YYYY-MM-DD");
        var knownAt = CliContext.KnownAtOption();
        var json = CliContext.JsonOption();
        var command = new Command("timeline", "a picture of the process over time") { process, svg, force, asOf, knownAt, json };
        command.SetAction(async (parse, ct) =>
        {
            var id = CliContext.ProcessIdOf(parse.GetValue(process)!);
            var asOfDate = CliContext.DateOf(parse, asOf);
            var knownInstant = CliContext.InstantOf(parse, knownAt);
            var format = CliContext.FormatOf(parse, json);
            await using var ledger = await cli.OpenAsync(parse, ct).ConfigureAwait(false);
            var entries = (await ledger.Queries.EntriesAsync(id, ct).ConfigureAwait(false))
                .Where(e => knownInstant is null || e.RecordedAt <= knownInstant).ToList();
            if (entries.Count == 0)
            {
                throw await CliContext.NotFoundAsync(ledger, id, knownInstant, ct).ConfigureAwait(false);
            }
            var (status, register, audit) = ProcessViews.Build(id, entries, asOfDate, knownInstant);
            var file = await SafeFile.WriteAsync(parse.GetValue(svg)!, TimelineSvg.Render(status, register, audit.Entries), parse.GetValue(force), ct).ConfigureAwait(false);
            await cli.Output.WriteLineAsync(format == OutputFormat.Json
                ? CliJson.Write(new JsonTimeline(CliJson.SchemaVersion, id, file, register.Rows.Count))
                : $"Wrote the timeline of {id} ({register.Rows.Count} ratifiers) to {file}").ConfigureAwait(false);
            return ExitCodes.Ok;
        });
        return command;
    }
}
