using System.CommandLine;
using RatificationLedger.Projections;

namespace RatificationLedger.Cli.Commands;

/// <summary>
/// <c>ledger audit PROCESS</c>: every entry as recorded, retracted ones marked, with who recorded it (the app's claim) and
/// the database role that wrote it (the hash chain's). <c>--known-at</c>: the entries recorded by then, retractions as
/// known then; <c>--as-of</c>: the entries dated up to that day in the world.
/// </summary>
internal static class AuditCommand
{
    public static Command Create(CliContext cli)
    {
        var process = CliContext.ProcessArgument();
        var asOf = CliContext.AsOfOption("only the entries dated up to this day in the world, YYYY-MM-DD");
        var knownAt = CliContext.KnownAtOption();
        var json = CliContext.JsonOption();
        var csv = CliContext.CsvOption();
        var command = new Command("audit", "every entry as recorded, retracted ones marked") { process, asOf, knownAt, json, csv };
        command.SetAction(async (parse, ct) =>
        {
            var id = CliContext.ProcessIdOf(parse.GetValue(process)!);
            var asOfDate = CliContext.DateOf(parse, asOf);
            var knownInstant = CliContext.InstantOf(parse, knownAt);
            var format = CliContext.FormatOf(parse, json, csv);
            await using var ledger = await cli.OpenAsync(parse, ct).ConfigureAwait(false);
            var audit = await ledger.Queries.AuditAsync(id, knownInstant, ct).ConfigureAwait(false);
            if (audit is null || audit.Entries.Count == 0)
            {
                throw await CliContext.NotFoundAsync(ledger, id, knownInstant, ct).ConfigureAwait(false);
            }
            var entries = audit.Entries.Where(e => asOfDate is null || e.On <= asOfDate).ToList();
            switch (format)
            {
                case OutputFormat.Json:
                    await cli.Output.WriteLineAsync(CliJson.Write(CliJson.AuditDocument(id, entries, asOfDate, knownInstant))).ConfigureAwait(false);
                    break;
                case OutputFormat.Csv:
                    await cli.Output.WriteAsync(Csv.Audit(entries)).ConfigureAwait(false);
                    break;
                default:
                    Render.Audit(cli.Console(), new AuditTrail { Id = id, Entries = entries });
                    await IntegrityCommands.WriteCoveringDigestAsync(cli, ledger, id, knownInstant, ct).ConfigureAwait(false);
                    break;
            }
            return ExitCodes.Ok;
        });
        return command;
    }
}
