using System.CommandLine;
using RatificationLedger.Projections;

namespace RatificationLedger.Cli.Commands;

/// <summary><c>ledger list</c>: the processes in the ledger, now or as of a date, as known at an instant.</summary>
internal static class ListCommand
{
    public static Command Create(CliContext cli)
    {
        var org = new Option<string?>("--org") { Description = "only this organization, e.g. NATO" };
        var asOf = CliContext.AsOfOption();
        var knownAt = CliContext.KnownAtOption();
        var json = CliContext.JsonOption();
        var csv = CliContext.CsvOption();
        var command = new Command("list", "the processes in the ledger") { org, asOf, knownAt, json, csv };
        command.SetAction(async (parse, ct) =>
        {
            var asOfDate = CliContext.DateOf(parse, asOf);
            var knownInstant = CliContext.InstantOf(parse, knownAt);
            var format = CliContext.FormatOf(parse, json, csv);
            var organization = parse.GetValue(org);
            await using var ledger = await cli.OpenAsync(parse, ct).ConfigureAwait(false);
            var all = await ledger.Queries.ListAsync(organization, ct).ConfigureAwait(false);
            if (asOfDate is not null || knownInstant is not null)
            {
                var then = new List<AccessionStatus>(all.Count);
                foreach (var current in all)
                {
                    // A process not yet recorded at the known-at instant is not listed.
                    if (await ledger.Queries.StatusAsync(current.Id, asOfDate, knownInstant, ct).ConfigureAwait(false) is { } status)
                    {
                        then.Add(status);
                    }
                }
                all = then;
            }
            switch (format)
            {
                case OutputFormat.Json:
                    await cli.Output.WriteLineAsync(CliJson.Write(CliJson.ListDocument(organization, all, asOfDate, knownInstant))).ConfigureAwait(false);
                    break;
                case OutputFormat.Csv:
                    await cli.Output.WriteAsync(Csv.List(all)).ConfigureAwait(false);
                    break;
                default:
                    Render.List(cli.Console(), all);
                    break;
            }
            return ExitCodes.Ok;
        });
        return command;
    }
}
