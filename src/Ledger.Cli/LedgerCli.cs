using System.CommandLine;
using System.Globalization;
using Ledger.Domain;
using Ledger.Import;
using Ledger.Projections;
using Ledger.Recording;
using Ledger.Testing;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Ledger.Cli;

/// <summary>The <c>ledger</c> command line (contract in docs/cli.md). Exit codes: 0 ok, 1 rejected or invalid input, 2 usage.</summary>
public static partial class LedgerCli
{
    /// <summary>Exit code: done.</summary>
    public const int Ok = 0;

    /// <summary>Exit code: a rule refused an entry, or the input is invalid (file, JSON, process).</summary>
    public const int Invalid = 1;

    /// <summary>Exit code: the command line itself is wrong.</summary>
    public const int Usage = 2;

    /// <summary>Runs the tool with <paramref name="args"/>, writing to <paramref name="output"/> and <paramref name="error"/>.</summary>
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        var cli = new Verbs(output, error);
        var root = cli.Build();
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var e in parsed.Errors)
            {
                await error.WriteLineAsync($"ledger: {e.Message}").ConfigureAwait(false);
            }
            await error.WriteLineAsync("Run `ledger --help` for usage.").ConfigureAwait(false);
            return Usage;
        }
        try
        {
            return await parsed.InvokeAsync(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false }, ct).ConfigureAwait(false);
        }
        catch (CliException e)
        {
            await error.WriteLineAsync($"ledger: {e.Message}").ConfigureAwait(false);
            return e.ExitCode;
        }
        catch (Exception e) when (e is LocalPostgresException or ImportInterruptedException or LedgerUnavailableException)
        {
            // The database could not be started or reached, or went away mid-way: the message says what was recorded.
            await error.WriteLineAsync($"ledger: {e.Message}").ConfigureAwait(false);
            return Invalid;
        }
    }

    private sealed class CliException(string message, int exitCode) : Exception(message)
    {
        public int ExitCode { get; } = exitCode;
    }

    private sealed partial class Verbs(TextWriter output, TextWriter error)
    {
        private readonly Option<string?> _connection = new("--connection")
        {
            Description = "PostgreSQL connection string (default: LEDGER_CONNECTION, else a local server the tool manages)",
            Recursive = true,
        };

        private static Argument<string> ProcessArgument() => new("PROCESS") { Description = "process id, e.g. nato/swe" };

        private static Option<bool> JsonOption() => new("--json") { Description = "print JSON (see docs/cli.md)" };

        public RootCommand Build()
        {
            var root = new RootCommand("Ratification Ledger: accession processes as immutable events, status as of any date, who ratified when.");
            root.Options.Add(_connection);
            root.Subcommands.Add(ImportCommand());
            root.Subcommands.Add(StatusCommand());
            root.Subcommands.Add(RegisterCommand());
            root.Subcommands.Add(AuditCommand());
            root.Subcommands.Add(TimelineCommand());
            root.Subcommands.Add(ListCommand());
            root.Subcommands.Add(DbCommand());
            root.Subcommands.Add(ServeCommand.Create(_connection, output, error));
            AddIntegrityCommands(root);
            return root;
        }

        private Command ImportCommand()
        {
            var file = new Argument<string>("FILE") { Description = "a ledger history file (docs/import-format.md)" };
            var command = new Command("import", "record a history file through the normal command path (idempotent)") { file };
            command.SetAction(async (parse, ct) =>
            {
                var path = parse.GetValue(file)!;
                HistoryFile history;
                try
                {
                    history = HistoryFile.Load(path);
                }
                catch (HistoryFileException e)
                {
                    throw new CliException(e.Message, Invalid);
                }
                await using var ledger = await OpenAsync(parse, ct).ConfigureAwait(false);
                ImportResult result;
                try
                {
                    result = await ledger.Sender.Send(new ImportHistoryRequest(history), ct).ConfigureAwait(false);
                }
                catch (HistoryFileException e)
                {
                    throw new CliException(e.Message, Invalid);
                }
                var counts = $"{result.Recorded} recorded, {result.AlreadyThere} already there";
                if (result.Failure is { } failure)
                {
                    await error.WriteLineAsync($"ledger: import stopped at {failure.Message}").ConfigureAwait(false);
                    await error.WriteLineAsync($"Before it: {counts}; {result.Total - result.Recorded - result.AlreadyThere} entries not imported. Fix the entry and import again: what is recorded stays, nothing is recorded twice.").ConfigureAwait(false);
                    return Invalid;
                }
                await output.WriteLineAsync($"Imported {path}: {result.Total} entries, {counts}.").ConfigureAwait(false);
                return Ok;
            });
            return command;
        }

        private Command StatusCommand()
        {
            var process = ProcessArgument();
            var asOf = new Option<string?>("--as-of") { Description = "a date in the world, YYYY-MM-DD" };
            var knownAt = new Option<string?>("--known-at") { Description = "an instant of recording, ISO 8601 (e.g. 2023-06-01T00:00:00Z)" };
            var json = JsonOption();
            var command = new Command("status", "where a process stands, now or as of a date, as known at an instant") { process, asOf, knownAt, json };
            command.SetAction(async (parse, ct) =>
            {
                var id = ProcessIdOf(parse.GetValue(process)!);
                var asOfDate = parse.GetValue(asOf) is { } a ? ParseDate(a, "--as-of") : (DateOnly?)null;
                var knownInstant = parse.GetValue(knownAt) is { } k ? ParseInstant(k, "--known-at") : (DateTimeOffset?)null;
                await using var ledger = await OpenAsync(parse, ct).ConfigureAwait(false);
                var status = await ledger.Queries.StatusAsync(id, asOfDate, knownInstant, ct).ConfigureAwait(false)
                    ?? throw await NotFoundAsync(ledger, id, knownInstant, ct).ConfigureAwait(false);
                if (parse.GetValue(json))
                {
                    await output.WriteLineAsync(CliJson.Write(CliJson.Status(status))).ConfigureAwait(false);
                    return Ok;
                }
                Render.Status(Console(), status);
                await WriteCoveringDigestAsync(ledger, id, knownInstant, ct).ConfigureAwait(false);
                return Ok;
            });
            return command;
        }

        private Command RegisterCommand()
        {
            var process = ProcessArgument();
            var json = JsonOption();
            var command = new Command("register", "who ratified when") { process, json };
            command.SetAction(async (parse, ct) =>
            {
                var id = ProcessIdOf(parse.GetValue(process)!);
                await using var ledger = await OpenAsync(parse, ct).ConfigureAwait(false);
                var register = await ledger.Queries.RegisterAsync(id, ct: ct).ConfigureAwait(false)
                    ?? throw await NotFoundAsync(ledger, id, null, ct).ConfigureAwait(false);
                if (parse.GetValue(json))
                {
                    await output.WriteLineAsync(CliJson.Write(CliJson.Register(register))).ConfigureAwait(false);
                    return Ok;
                }
                Render.Register(Console(), register);
                return Ok;
            });
            return command;
        }

        private Command AuditCommand()
        {
            var process = ProcessArgument();
            var json = JsonOption();
            var command = new Command("audit", "every entry as recorded, retracted ones marked") { process, json };
            command.SetAction(async (parse, ct) =>
            {
                var id = ProcessIdOf(parse.GetValue(process)!);
                await using var ledger = await OpenAsync(parse, ct).ConfigureAwait(false);
                var audit = await ledger.Queries.AuditAsync(id, ct).ConfigureAwait(false)
                    ?? throw await NotFoundAsync(ledger, id, null, ct).ConfigureAwait(false);
                if (parse.GetValue(json))
                {
                    await output.WriteLineAsync(CliJson.Write(CliJson.Audit(audit))).ConfigureAwait(false);
                    return Ok;
                }
                Render.Audit(Console(), audit);
                await WriteCoveringDigestAsync(ledger, id, null, ct).ConfigureAwait(false);
                return Ok;
            });
            return command;
        }

        private Command TimelineCommand()
        {
            var process = ProcessArgument();
            var svg = new Option<string>("--svg") { Description = "the SVG file to write", Required = true };
            var asOf = new Option<string?>("--as-of") { Description = "draw the process as of this date, YYYY-MM-DD" };
            var command = new Command("timeline", "a picture of the process over time") { process, svg, asOf };
            command.SetAction(async (parse, ct) =>
            {
                var id = ProcessIdOf(parse.GetValue(process)!);
                var asOfDate = parse.GetValue(asOf) is { } a ? ParseDate(a, "--as-of") : (DateOnly?)null;
                await using var ledger = await OpenAsync(parse, ct).ConfigureAwait(false);
                var entries = await ledger.Queries.EntriesAsync(id, ct).ConfigureAwait(false);
                if (entries.Count == 0)
                {
                    throw await NotFoundAsync(ledger, id, null, ct).ConfigureAwait(false);
                }
                var (status, register, audit) = ProcessViews.Build(id, entries, asOfDate);
                var file = Path.GetFullPath(parse.GetValue(svg)!);
                await File.WriteAllTextAsync(file, TimelineSvg.Render(status, register, audit.Entries), ct).ConfigureAwait(false);
                await output.WriteLineAsync($"Wrote the timeline of {id} ({register.Rows.Count} ratifiers) to {file}").ConfigureAwait(false);
                return Ok;
            });
            return command;
        }

        private Command ListCommand()
        {
            var org = new Option<string?>("--org") { Description = "only this organization, e.g. NATO" };
            var json = JsonOption();
            var command = new Command("list", "the processes in the ledger") { org, json };
            command.SetAction(async (parse, ct) =>
            {
                await using var ledger = await OpenAsync(parse, ct).ConfigureAwait(false);
                var all = await ledger.Queries.ListAsync(parse.GetValue(org), ct).ConfigureAwait(false);
                if (parse.GetValue(json))
                {
                    await output.WriteLineAsync(CliJson.Write(all.Select(CliJson.Process).ToList())).ConfigureAwait(false);
                    return Ok;
                }
                Render.List(Console(), all);
                return Ok;
            });
            return command;
        }

        private Command DbCommand()
        {
            var stop = new Command("stop", "stop the local PostgreSQL server the tool started");
            stop.SetAction(async (parse, ct) =>
            {
                var dir = LedgerConnection.DataDirectory;
                var stopped = await LocalPostgres.StopPersistentAsync(dir, ct: ct).ConfigureAwait(false);
                await output.WriteLineAsync(stopped ? $"Stopped the local PostgreSQL in {dir}." : $"No local PostgreSQL is running in {dir}.").ConfigureAwait(false);
                return Ok;
            });
            return new Command("db", "the local PostgreSQL server the tool manages") { stop };
        }

        private async Task<LedgerConnection> OpenAsync(ParseResult parse, CancellationToken ct) =>
            await LedgerConnection.OpenAsync(parse.GetValue(_connection), ct).ConfigureAwait(false);

        private IAnsiConsole Console()
        {
            var console = AnsiConsole.Create(new AnsiConsoleSettings
            {
                Out = new AnsiConsoleOutput(output),
                Ansi = AnsiSupport.No,
                ColorSystem = ColorSystemSupport.NoColors,
                Interactive = InteractionSupport.No,
            });
            console.Profile.Width = 140;
            return console;
        }

        private static string ProcessIdOf(string given)
        {
            var id = given.Trim().ToLowerInvariant();
            return ProcessId.TryParse(id, out _, out _)
                ? id
                : throw new CliException($"'{given}' is not a process id: expected organization/candidate, e.g. nato/swe.", Usage);
        }

        private static DateOnly ParseDate(string text, string option) =>
            DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d)
                ? d
                : throw new CliException($"{option} '{text}' is not a date: expected YYYY-MM-DD, e.g. 2023-04-04.", Usage);

        private static DateTimeOffset ParseInstant(string text, string option) =>
            DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t)
                ? t
                : throw new CliException($"{option} '{text}' is not an instant: expected ISO 8601, e.g. 2023-06-01T12:00:00Z.", Usage);

        private static async Task<CliException> NotFoundAsync(LedgerConnection ledger, string id, DateTimeOffset? knownAt, CancellationToken ct)
        {
            var known = (await ledger.Queries.ListAsync(ct: ct).ConfigureAwait(false)).Select(s => s.Id).ToList();
            var when = knownAt is { } k ? $" as known at {CliJson.Instant(k)}" : "";
            return new CliException(
                $"no process '{id}' in the ledger{when} ({(known.Count == 0 ? "the ledger is empty; import a history file first" : "known: " + string.Join(", ", known))}).",
                Invalid);
        }
    }
}

/// <summary>Human-readable tables. Every user-supplied text goes through <see cref="Text"/>, never markup, so it prints verbatim.</summary>
internal static class Render
{
    private static Text T(string? s) => new(s ?? "");

    private static string D(DateOnly? d) => d is { } v ? v.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) : "—";

    private static string Q(string date, bool unconfirmed) => unconfirmed && date != "—" ? date + " (?)" : date;

    public static void Status(IAnsiConsole console, AccessionStatus s)
    {
        var when = (s.AsOf is { } a ? $" as of {D(a)}" : "") + (s.KnownAt is { } k ? $" as known at {CliJson.Instant(k)}" : "");
        console.Write(T($"{s.Id}: {s.Candidate} → {s.Organization}{when}\n"));
        console.Write(T($"Stage: {s.Stage}\n"));
        var dates = new Grid().AddColumn().AddColumn();
        void Row(string label, DateOnly? d)
        {
            if (d is not null)
            {
                dates.AddRow(T(label), T(D(d)));
            }
        }
        Row("Applied", s.AppliedOn);
        Row("Invited", s.InvitedOn);
        Row("Protocol signed", s.ProtocolSignedOn);
        Row("Acceded", s.AccededOn);
        Row("Withdrawn", s.WithdrawnOn);
        console.Write(dates);
        console.Write(T($"Counted: {s.Counted.Count} of {s.RequiredRatifiers.Count} required ratifiers; deposited: {s.Deposited.Count}\n"));
        if (s.ApprovalsImplied.Count > 0)
        {
            console.Write(T($"Approved, exact date unknown (implied by the deposit): {string.Join(", ", s.ApprovalsImplied.Select(m => $"{m.Member} by {D(m.On)}"))}\n"));
        }
        if (s.DepositsImplied.Count > 0)
        {
            console.Write(T($"Deposited, exact date unknown (implied by the accession): {s.DepositsImplied.Count}, by {D(s.DepositsImplied[0].On)}\n"));
        }
        if (s.EntryIntoForce is { } force)
        {
            console.Write(T($"Entry into force ({force.Rule}): {(force.Date is { } f ? D(f) : "not known yet")}. {force.Reason}\n"));
        }
        if (s.Pending.Count > 0)
        {
            console.Write(T($"Pending: {string.Join(", ", s.Pending)}\n"));
        }
        foreach (var v in s.ActiveVetoes)
        {
            console.Write(T($"{(v.Formal ? "Veto" : "Hold")} by {v.Member} since {Q(D(v.Since), v.Unconfirmed)}: {v.Reason}\n"));
        }
        foreach (var m in s.Memoranda)
        {
            console.Write(T($"Memorandum {Q(D(m.On), m.Unconfirmed)}: {m.Title} ({string.Join(", ", m.Parties)})\n"));
        }
    }

    public static void Register(IAnsiConsole console, RatificationRegister r)
    {
        var table = new Table().AddColumns("Member", "Approved", "Deposited", "Counts from", "Days", "Steps", "Source");
        foreach (var row in r.Rows.OrderBy(x => x.RatifiedOn ?? x.RatifiedBy ?? DateOnly.MaxValue).ThenBy(x => x.Member, StringComparer.Ordinal))
        {
            table.AddRow(new IRenderable[]
            {
                T(row.Member),
                T(row.RatifiedBy is { } approvedBy ? $"by {D(approvedBy)}, exact date unknown" : Q(D(row.RatifiedOn), row.Unconfirmed)),
                T(row.DepositedBy is { } depositedBy ? $"by {D(depositedBy)}, exact date unknown" : Q(D(row.DepositedOn), row.Unconfirmed && row.RatifiedOn is null)),
                T(D(row.CountsFrom)),
                T(row.DaysFromSignature?.ToString(CultureInfo.InvariantCulture) ?? "—"),
                T(row.Steps.Count.ToString(CultureInfo.InvariantCulture)),
                T(row.Source),
            });
        }
        console.Write(T($"{r.Id}: who ratified when (protocol signed {D(r.ProtocolSignedOn)}; (?) = date not stated by a source)\n"));
        console.Write(table);
    }

    public static void Audit(IAnsiConsole console, AuditTrail a)
    {
        var table = new Table().AddColumns("#", "Type", "On", "Member", "Recorded at", "By", "Source", "Retracted");
        foreach (var e in a.Entries)
        {
            table.AddRow(new IRenderable[]
            {
                T(e.Sequence.ToString(CultureInfo.InvariantCulture)),
                T(e.Type),
                T(Q(D(e.On), e.Unconfirmed)),
                T(e.Member ?? "—"),
                T(CliJson.Instant(e.RecordedAt)),
                T(e.RecordedBy),
                T(e.Source),
                T(e.Retracted ? $"yes (by #{e.RetractedBy})" : ""),
            });
        }
        console.Write(table);
    }

    public static void List(IAnsiConsole console, IReadOnlyList<AccessionStatus> all)
    {
        var table = new Table().AddColumns("Process", "Candidate", "Stage", "Opened", "Counted", "Acceded");
        foreach (var s in all)
        {
            table.AddRow(new IRenderable[]
            {
                T(s.Id), T(s.Candidate), T(s.Stage.ToString()), T(D(s.AppliedOn ?? s.InvitedOn ?? s.ProtocolSignedOn)),
                T($"{s.Counted.Count}/{s.RequiredRatifiers.Count}"), T(D(s.AccededOn)),
            });
        }
        console.Write(table);
    }
}
