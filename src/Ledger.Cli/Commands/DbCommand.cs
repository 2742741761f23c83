using System.CommandLine;
using RatificationLedger.Testing;

namespace RatificationLedger.Cli.Commands;

/// <summary><c>ledger db stop</c>: the local PostgreSQL server the tool manages.</summary>
internal static class DbCommand
{
    public static Command Create(CliContext cli)
    {
        var json = CliContext.JsonOption();
        var stop = new Command("stop", "stop the local PostgreSQL server the tool started") { json };
        stop.SetAction(async (parse, ct) =>
        {
            var dir = LedgerConnection.DataDirectory;
            var stopped = await LocalPostgres.StopPersistentAsync(dir, ct: ct).ConfigureAwait(false);
            await cli.Output.WriteLineAsync(CliContext.FormatOf(parse, json) == OutputFormat.Json
                ? CliJson.Write(new JsonDbStop(CliJson.SchemaVersion, dir, stopped))
                : stopped ? $"Stopped the local PostgreSQL in {dir}." : $"No local PostgreSQL is running in {dir}.").ConfigureAwait(false);
            return ExitCodes.Ok;
        });
        return new Command("db", "the local PostgreSQL server the tool manages") { stop };
    }
}
