using System.CommandLine;
using RatificationLedger.Cli.Commands;

namespace RatificationLedger.Cli;

/// <summary>
/// The <c>ledger</c> command line (contract in docs/cli.md). Exit codes: <see cref="ExitCodes"/>. Every failure ends as
/// one or two lines on stderr and its exit code (<see cref="Failures"/>), never as a stack trace unless <c>--verbose</c>.
/// </summary>
public static class LedgerCli
{
    /// <summary>Exit code: done.</summary>
    public const int Ok = ExitCodes.Ok;

    /// <summary>Exit code: a rule refused an entry, or the input is invalid (file, JSON, process).</summary>
    public const int Invalid = ExitCodes.Invalid;

    /// <summary>Exit code: the command line itself is wrong.</summary>
    public const int Usage = ExitCodes.Usage;

    /// <summary>
    /// Runs the tool with <paramref name="args"/>, writing to <paramref name="output"/> and <paramref name="error"/>.
    /// <paramref name="interrupt"/> is the user's Ctrl+C: an import stops after the batch being written, any other
    /// command at once; either way the exit code is 130.
    /// </summary>
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken interrupt = default)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        var cli = new CliContext(output, error);
        var root = Build(cli, interrupt);
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var e in parsed.Errors)
            {
                await error.WriteLineAsync($"ledger: {e.Message}").ConfigureAwait(false);
            }
            await error.WriteLineAsync("Run `ledger --help` for usage.").ConfigureAwait(false);
            return ExitCodes.Usage;
        }
        try
        {
            return await parsed.InvokeAsync(new InvocationConfiguration
            {
                Output = output,
                Error = error,
                EnableDefaultExceptionHandler = false,
                // The host (Program) owns Ctrl+C: it becomes `interrupt`, so an import can stop between batches.
                ProcessTerminationTimeout = null,
            }, interrupt).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            var (exitCode, message, hint) = Failures.Explain(e, cli.Database, interrupt.IsCancellationRequested);
            await error.WriteLineAsync($"ledger: {message}").ConfigureAwait(false);
            if (hint is not null)
            {
                await error.WriteLineAsync(hint).ConfigureAwait(false);
            }
            if (parsed.GetValue(cli.Verbose))
            {
                await error.WriteLineAsync(e.ToString()).ConfigureAwait(false);
            }
            return exitCode;
        }
    }

    /// <summary>The root command with every verb; a new verb is one <c>Subcommands.Add</c> here and a file under Commands/.</summary>
    private static RootCommand Build(CliContext cli, CancellationToken interrupt)
    {
        var root = new RootCommand("Ratification Ledger: accession processes as immutable events, status as of any date, who ratified when.");
        root.Options.Add(cli.Connection);
        root.Options.Add(cli.Verbose);
        root.Options.Add(cli.Quiet);
        root.Subcommands.Add(ImportCommand.Create(cli, interrupt));
        root.Subcommands.Add(StatusCommand.Create(cli));
        root.Subcommands.Add(RegisterCommand.Create(cli));
        root.Subcommands.Add(AuditCommand.Create(cli));
        root.Subcommands.Add(TimelineCommand.Create(cli));
        root.Subcommands.Add(ListCommand.Create(cli));
        root.Subcommands.Add(DbCommand.Create(cli));
        root.Subcommands.Add(ServeCommand.Create(cli.Connection, cli.Output, cli.Error));
        foreach (var command in IntegrityCommands.Create(cli))
        {
            root.Subcommands.Add(command);
        }
        return root;
    }
}
