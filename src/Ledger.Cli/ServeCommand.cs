using System.CommandLine;
using RatificationLedger.Presentation.Web;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace RatificationLedger.Cli;

/// <summary><c>ledger serve</c>: the read-only web view (docs/web.md) over the same ledger and queries as the other verbs.</summary>
internal static class ServeCommand
{
    public static Command Create(Option<string?> connection, TextWriter output, TextWriter error)
    {
        var port = new Option<int>("--port") { Description = "the loopback port to listen on", DefaultValueFactory = _ => 5080 };
        var urls = new Option<string?>("--urls") { Description = "where to listen instead, e.g. http://0.0.0.0:8080 (separate several with ';'); mind that the pages are public to whoever reaches them" };
        var command = new Command("serve", "a read-only web view: a page per process with as-of and known-at sliders, and the --json documents") { port, urls };
        command.Validators.Add(result =>
        {
            if (result.GetValue(port) is < 1 or > 65535)
            {
                result.AddError($"--port {result.GetValue(port)} is not a port: expected 1 to 65535.");
            }
        });
        command.SetAction(async (parse, ct) =>
        {
            var listen = parse.GetValue(urls) is { Length: > 0 } given
                ? given.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                : [$"http://127.0.0.1:{parse.GetValue(port)}"];
            await using var ledger = await LedgerConnection.OpenAsync(parse.GetValue(connection), ct).ConfigureAwait(false);
            await using var app = LedgerWeb.Build(ledger.Queries, listen);
            try
            {
                await app.StartAsync(ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or InvalidOperationException or UriFormatException)
            {
                await error.WriteLineAsync($"ledger: cannot listen on {string.Join(", ", listen)}: {e.Message}").ConfigureAwait(false);
                return LedgerCli.Invalid;
            }
            var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? listen;
            await output.WriteLineAsync($"Serving {ledger.Description} read-only on {string.Join(", ", addresses)} (Ctrl+C stops).").ConfigureAwait(false);
            try
            {
                await app.WaitForShutdownAsync(ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Ctrl+C: a normal end.
            }
            await app.StopAsync(CancellationToken.None).ConfigureAwait(false);
            return LedgerCli.Ok;
        });
        return command;
    }
}
