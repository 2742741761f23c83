using System.CommandLine;

namespace RatificationLedger.Cli.Commands;

/// <summary><c>ledger status PROCESS</c>: where a process stands, now or as of a date, as known at an instant.</summary>
internal static class StatusCommand
{
    public static Command Create(CliContext cli)
    {
        var process = CliContext.ProcessArgument();
        var asOf = CliContext.AsOfOption();
        var knownAt = CliContext.KnownAtOption();
        var json = CliContext.JsonOption();
        var command = new Command("status", "where a process stands, now or as of a date, as known at an instant") { process, asOf, knownAt, json };
        command.SetAction(async (parse, ct) =>
        {
            var id = CliContext.ProcessIdOf(parse.GetValue(process)!);
            var asOfDate = CliContext.DateOf(parse, asOf);
            var knownInstant = CliContext.InstantOf(parse, knownAt);
            var format = CliContext.FormatOf(parse, json);
            await using var ledger = await cli.OpenAsync(parse, ct).ConfigureAwait(false);
            var status = await ledger.Queries.StatusAsync(id, asOfDate, knownInstant, ct).ConfigureAwait(false)
                ?? throw await CliContext.NotFoundAsync(ledger, id, knownInstant, ct).ConfigureAwait(false);
            if (format == OutputFormat.Json)
            {
                await cli.Output.WriteLineAsync(CliJson.Write(CliJson.Status(status))).ConfigureAwait(false);
            }
            else
            {
                Render.Status(cli.Console(), status);
                await IntegrityCommands.WriteCoveringDigestAsync(cli, ledger, id, knownInstant, ct).ConfigureAwait(false);
            }
            return ExitCodes.Ok;
        });
        return command;
    }
}
