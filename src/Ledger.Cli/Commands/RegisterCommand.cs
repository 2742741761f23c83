using System.CommandLine;

namespace RatificationLedger.Cli.Commands;

/// <summary><c>ledger register PROCESS</c>: who ratified when, now or as of a date, as known at an instant.</summary>
internal static class RegisterCommand
{
    public static Command Create(CliContext cli)
    {
        var process = CliContext.ProcessArgument();
        var asOf = CliContext.AsOfOption();
        var knownAt = CliContext.KnownAtOption();
        var json = CliContext.JsonOption();
        var csv = CliContext.CsvOption();
        var command = new Command("register", "who ratified when") { process, asOf, knownAt, json, csv };
        command.SetAction(async (parse, ct) =>
        {
            var id = CliContext.ProcessIdOf(parse.GetValue(process)!);
            var asOfDate = CliContext.DateOf(parse, asOf);
            var knownInstant = CliContext.InstantOf(parse, knownAt);
            var format = CliContext.FormatOf(parse, json, csv);
            await using var ledger = await cli.OpenAsync(parse, ct).ConfigureAwait(false);
            var register = await ledger.Queries.RegisterAsync(id, asOfDate, knownInstant, ct).ConfigureAwait(false)
                ?? throw await CliContext.NotFoundAsync(ledger, id, knownInstant, ct).ConfigureAwait(false);
            switch (format)
            {
                case OutputFormat.Json:
                    await cli.Output.WriteLineAsync(CliJson.Write(CliJson.RegisterDocument(id, register, asOfDate, knownInstant))).ConfigureAwait(false);
                    break;
                case OutputFormat.Csv:
                    await cli.Output.WriteAsync(Csv.Register(register)).ConfigureAwait(false);
                    break;
                default:
                    Render.Register(cli.Console(), register);
                    break;
            }
            return ExitCodes.Ok;
        });
        return command;
    }
}
