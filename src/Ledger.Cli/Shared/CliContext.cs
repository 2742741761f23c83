using System.CommandLine;
using System.Globalization;
using RatificationLedger.Domain;
using Spectre.Console;

namespace RatificationLedger.Cli;

/// <summary>How a command prints its answer.</summary>
internal enum OutputFormat
{
    Table,
    Json,
    Csv,
}

/// <summary>
/// What every command shares: the output and error writers, the global options (<c>--connection</c>, <c>--verbose</c>,
/// <c>--quiet</c>), opening the ledger (failures map to exit code 3 in <see cref="Failures"/>), the output format
/// options, the terminal-aware console, and the parsers of the common arguments. A new command takes one of these and
/// returns its <see cref="Command"/>; <see cref="LedgerCli"/> adds it to the root.
/// </summary>
internal sealed class CliContext(TextWriter output, TextWriter error)
{
    /// <summary>Width of tables when stdout is not a terminal: fixed, so redirected output does not depend on where it ran.</summary>
    public const int PlainWidth = 140;

    public TextWriter Output { get; } = output;

    public TextWriter Error { get; } = error;

    public Option<string?> Connection { get; } = new("--connection")
    {
        Description = "PostgreSQL connection string (default: LEDGER_CONNECTION, else a local server the tool manages)",
        Recursive = true,
    };

    public Option<bool> Verbose { get; } = new("--verbose")
    {
        Description = "on failure, also print the exception detail (for bug reports)",
        Recursive = true,
    };

    public Option<bool> Quiet { get; } = new("--quiet")
    {
        Description = "no progress on stderr",
        Recursive = true,
    };

    /// <summary>Where the ledger of the current command lives, without any password: for error messages.</summary>
    public string? Database { get; set; }

    /// <summary>True when stdout is the process's own terminal (not a pipe, a file, or a test's writer).</summary>
    public bool OutputIsTerminal => ReferenceEquals(Output, System.Console.Out) && !System.Console.IsOutputRedirected;

    /// <summary>True when progress may be drawn: stderr is a terminal and <c>--quiet</c> was not given.</summary>
    public bool ShowsProgress(ParseResult parse) =>
        ReferenceEquals(Error, System.Console.Error) && !System.Console.IsErrorRedirected && !parse.GetValue(Quiet);

    public async Task<LedgerConnection> OpenAsync(ParseResult parse, CancellationToken ct)
    {
        var connection = await LedgerConnection.OpenAsync(parse.GetValue(Connection), ct).ConfigureAwait(false);
        Database = connection.Description;
        return connection;
    }

    /// <summary>A console for tables: the terminal's width and colours (honouring NO_COLOR) on a terminal, plain text of a fixed width otherwise.</summary>
    public IAnsiConsole Console()
    {
        if (OutputIsTerminal)
        {
            var noColor = Environment.GetEnvironmentVariable("NO_COLOR") is { Length: > 0 };
            return AnsiConsole.Create(new AnsiConsoleSettings
            {
                Out = new AnsiConsoleOutput(Output),
                Ansi = noColor ? AnsiSupport.No : AnsiSupport.Detect,
                ColorSystem = noColor ? ColorSystemSupport.NoColors : ColorSystemSupport.Detect,
                Interactive = InteractionSupport.No,
            });
        }
        var plain = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(Output),
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        });
        plain.Profile.Width = PlainWidth;
        return plain;
    }

    public static Option<bool> JsonOption() => new("--json") { Description = "print JSON (docs/cli.md)" };

    public static Option<bool> CsvOption() => new("--csv") { Description = "print CSV (RFC 4180, a header row; docs/cli.md)" };

    public static Option<string?> AsOfOption(string description = "a date in the world, YYYY-MM-DD") => new("--as-of") { Description = description };

    public static Option<string?> KnownAtOption() => new("--known-at") { Description = "an instant of recording, ISO 8601 (e.g. 2023-06-01T00:00:00Z)" };

    public static Argument<string> ProcessArgument() => new("PROCESS") { Description = "process id, e.g. nato/swe" };

    public static OutputFormat FormatOf(ParseResult parse, Option<bool> json, Option<bool>? csv = null)
    {
        var wantsJson = parse.GetValue(json);
        var wantsCsv = csv is not null && parse.GetValue(csv);
        return (wantsJson, wantsCsv) switch
        {
            (true, true) => throw new CliFailure("--json and --csv exclude each other: choose one.", ExitCodes.Usage),
            (true, false) => OutputFormat.Json,
            (false, true) => OutputFormat.Csv,
            _ => OutputFormat.Table,
        };
    }

    public static string ProcessIdOf(string given)
    {
        var id = given.Trim().ToLowerInvariant();
        return ProcessId.TryParse(id, out _, out _)
            ? id
            : throw new CliFailure($"'{given}' is not a process id: expected organization/candidate, e.g. nato/swe.", ExitCodes.Usage);
    }

    public static DateOnly? DateOf(ParseResult parse, Option<string?> option) =>
        parse.GetValue(option) is not { } text
            ? null
            : DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d)
                ? d
                : throw new CliFailure($"{option.Name} '{text}' is not a date: expected YYYY-MM-DD, e.g. 2023-04-04.", ExitCodes.Usage);

    public static DateTimeOffset? InstantOf(ParseResult parse, Option<string?> option) =>
        parse.GetValue(option) is not { } text
            ? null
            : DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t)
                ? t
                : throw new CliFailure($"{option.Name} '{text}' is not an instant: expected ISO 8601, e.g. 2023-06-01T12:00:00Z.", ExitCodes.Usage);

    /// <summary>The failure for a process the ledger does not hold (exit code 1), naming the ones it does.</summary>
    public static async Task<CliFailure> NotFoundAsync(LedgerConnection ledger, string id, DateTimeOffset? knownAt, CancellationToken ct)
    {
        var known = (await ledger.Queries.ListAsync(ct: ct).ConfigureAwait(false)).Select(s => s.Id).ToList();
        var when = knownAt is { } k ? $" as known at {CliJson.Instant(k)}" : "";
        return new CliFailure(
            $"no process '{id}' in the ledger{when} ({(known.Count == 0 ? "the ledger is empty; import a history file first" : "known: " + string.Join(", ", known))}).",
            ExitCodes.Invalid);
    }
}
