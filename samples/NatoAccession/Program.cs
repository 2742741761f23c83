// The NATO enlargement of 2022-2024 in Ratification Ledger: records the real Finland and Sweden histories from
// nato-2022-2024.json through the normal command path, then asks the questions a reader has. Beside them, Croatia's
// accession to the European Union (eu-croatia-2011.json): another organization, the same ledger.
// Run: dotnet run --project samples/NatoAccession   (LEDGER_CONNECTION to use your own PostgreSQL)
// With --serve [--port N] it then serves the web view (`ledger serve`) of the same ledger until Ctrl+C.

using System.Diagnostics;
using System.Globalization;
using RatificationLedger.Import;
using RatificationLedger.Presentation.Timeline;
using RatificationLedger.Presentation.Web;
using RatificationLedger.Projections;
using RatificationLedger.Recording;
using RatificationLedger.Storage;
using RatificationLedger.Testing;
using Marten;
using Mediator;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Spectre.Console;
using Spectre.Console.Rendering;

var clock = Stopwatch.StartNew();
var (connectionString, server) = await LocalPostgres.FromEnvironmentOrStartAsync();
await using var _ = server;
Console.WriteLine(server is null
    ? "Using the PostgreSQL in LEDGER_CONNECTION."
    : $"Started a throwaway PostgreSQL on 127.0.0.1:{server.Port} (removed when the sample ends).");

// 1. Register the ledger as an app would: Marten + the ledger + its read models + Mediator.
var services = new ServiceCollection();
services.AddMarten(o =>
    {
        o.Connection(connectionString);
        o.DatabaseSchemaName = "nato_sample";
        o.DisableNpgsqlLogging = true;
    })
    .UseLightweightSessions()
    .AddRatificationLedger(ledger =>
    {
        ledger.AddReadModels();
        // A command-line program: entries without a named recorder are filed under the OS user, said explicitly.
        ledger.DefaultRecordedBy = Environment.UserName;
    });
services.AddMediator(o =>
{
    o.Assemblies = [typeof(AccessionRequestHandler)];
    o.ServiceLifetime = ServiceLifetime.Singleton;
});
await using var provider = services.BuildServiceProvider();
var sender = provider.GetRequiredService<ISender>();
var queries = provider.GetRequiredService<LedgerQueries>();

// 2. Record the real histories. Every entry goes through the decider; a second run records nothing new.
var file = HistoryFile.Load(Path.Combine(AppContext.BaseDirectory, "nato-2022-2024.json"));
var import = await sender.Send(new ImportHistoryRequest(file, RecordedBy: "nato-sample"));
if (import.Failure is { } failure)
{
    Console.Error.WriteLine($"Import stopped at {failure.Message}");
    return 1;
}
Console.WriteLine($"Recorded {import.Recorded} entries ({import.AlreadyThere} already there) for {string.Join(" and ", file.Entries.Select(e => e.Process).Distinct())}.");
var euFile = HistoryFile.Load(Path.Combine(AppContext.BaseDirectory, "eu-croatia-2011.json"));
var euImport = await sender.Send(new ImportHistoryRequest(euFile, RecordedBy: "nato-sample"));
if (euImport.Failure is { } euFailure)
{
    Console.Error.WriteLine($"Import stopped at {euFailure.Message}");
    return 1;
}
Console.WriteLine($"Recorded {euImport.Recorded} entries ({euImport.AlreadyThere} already there) for eu/hrv.");

var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Out) });
if (Console.IsOutputRedirected)
{
    // Piped to a file or a pager: room for the tables instead of the 80-column default.
    console.Profile.Width = 120;
}
string D(DateOnly? d) => d is { } v ? v.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) : "—";
Text T(string s) => new(s);

// 3. Status at the dates that mattered, replayed from the same events (as of a date in the world).
var moments = new (string Label, DateOnly On)[]
{
    ("Applications handed in", new(2022, 5, 18)),
    ("Madrid summit invitation", new(2022, 6, 29)),
    ("September 2022 holdouts", new(2022, 9, 30)),
    ("Finland joins", new(2023, 4, 4)),
    ("Sweden joins", new(2024, 3, 7)),
};
var processes = new[] { "nato/fin", "nato/swe" };
var statusTable = new Table().Title("Status as of key dates").AddColumn("Date").AddColumn("Moment");
foreach (var p in processes)
{
    statusTable.AddColumn(p);
}
foreach (var (label, on) in moments)
{
    var cells = new List<IRenderable> { T(D(on)), T(label) };
    foreach (var p in processes)
    {
        var s = await queries.StatusAsync(p, asOf: on);
        cells.Add(T(s is null ? "—" : Describe(s)));
    }
    statusTable.AddRow(cells);
}
console.Write(statusTable);

static string Describe(AccessionStatus s)
{
    var text = s.RequiredRatifiers.Count == 0
        ? $"{s.Stage}: not yet invited"
        : $"{s.Stage}: {s.Counted.Count}/{s.RequiredRatifiers.Count} counted";
    if (s.Pending.Count is > 0 and <= 4)
    {
        text += $"\npending {string.Join(", ", s.Pending)}";
    }
    if (s.ActiveVetoes.Count > 0)
    {
        text += "\n" + string.Join("; ", s.ActiveVetoes.Select(v => $"{(v.Formal ? "veto" : "hold")}: {v.Member}"));
    }
    return text;
}

// 4. Who ratified when.
foreach (var p in processes)
{
    var register = (await queries.RegisterAsync(p))!;
    var table = new Table()
        .Title($"Who ratified when: {p} (protocol signed {D(register.ProtocolSignedOn)}; ? = no source states the exact date; counts from: only where it is not the approval; \"by\": done by then, implied by the accession, exact date unknown)")
        .AddColumns("Member", "Approved", "Deposited", "Counts from", "Days since signature");
    foreach (var row in register.Rows.OrderBy(r => r.RatifiedOn ?? DateOnly.MaxValue).ThenBy(r => r.Member, StringComparer.Ordinal))
    {
        table.AddRow(
            T(row.Member),
            T(D(row.RatifiedOn) + (row.Unconfirmed ? " ?" : "")),
            T(row.DepositedBy is { } by ? $"by {D(by)}" : D(row.DepositedOn)),
            T(row.CountsFrom != row.RatifiedOn ? D(row.CountsFrom) : ""),
            T(row.DaysFromSignature?.ToString(CultureInfo.InvariantCulture) ?? "—"));
    }
    console.Write(table);
}

// 5. Beside them, Croatia's accession to the EU: the treaty is ratified by every member and by Croatia itself, what
// counts is the deposit with Italy, and it enters into force on a fixed date provided every instrument is deposited
// before it. For 21 of the 28 parties only the deposit date is known: the approval is shown as done by then, its
// date unknown, never invented.
var euMoments = new (string Label, DateOnly On)[]
{
    ("Treaty of Accession signed", new(2011, 12, 9)),
    ("Croatia deposits", new(2012, 4, 4)),
    ("End of 2012", new(2012, 12, 31)),
    ("Germany deposits, the last", new(2013, 6, 21)),
    ("In force: Croatia joins", new(2013, 7, 1)),
};
var euTable = new Table().Title("eu/hrv: status as of key dates").AddColumns("Date", "Moment", "eu/hrv", "Entry into force");
foreach (var (label, on) in euMoments)
{
    var s = (await queries.StatusAsync("eu/hrv", asOf: on))!;
    euTable.AddRow(T(D(on)), T(label), T(Describe(s)), T(s.EntryIntoForce is { } f ? $"{(f.Date is { } date ? D(date) : "not known yet")}: {f.Reason}" : "—"));
}
console.Write(euTable);

var euRegister = (await queries.RegisterAsync("eu/hrv"))!;
var deposits = new Table()
    .Title("eu/hrv: who deposited when (treaty signed 2011-12-09; ? = sources disagree on the date; \"by\": approved by then, exact date unknown)")
    .AddColumns("Member", "Approved", "Deposited", "Days since signature");
foreach (var row in euRegister.Rows.OrderBy(r => r.DepositedOn ?? DateOnly.MaxValue).ThenBy(r => r.Member, StringComparer.Ordinal))
{
    var depositStep = row.Steps.FirstOrDefault(x => x.Type == "deposit");
    var approvalStep = row.Steps.FirstOrDefault(x => x.Type == "ratification");
    deposits.AddRow(
        T(row.Member),
        T(row.RatifiedBy is { } by ? $"by {D(by)}" : D(row.RatifiedOn) + (approvalStep?.Unconfirmed == true ? " ?" : "")),
        T(D(row.DepositedOn) + (depositStep?.Unconfirmed == true ? " ?" : "")),
        T(row.DepositedOn is { } dep && euRegister.ProtocolSignedOn is { } signedOn ? (dep.DayNumber - signedOn.DayNumber).ToString(CultureInfo.InvariantCulture) : "—"));
}
console.Write(deposits);
var croatia = (await queries.StatusAsync("eu/hrv"))!;
var lastDeposit = croatia.Deposited.OrderBy(x => x.On).Last();
Console.WriteLine($"Last deposit: {lastDeposit.Member} on {D(lastDeposit.On)}, {croatia.EntryIntoForce!.Date!.Value.DayNumber - lastDeposit.On.DayNumber} days before the fixed date {D(croatia.EntryIntoForce.Date)}; " +
    $"{croatia.ApprovalsImplied.Count} of {croatia.RequiredRatifiers.Count} approval dates unknown; Croatia acceded on {D(croatia.AccededOn)}.");

// 6. The longest holds and vetoes.
var holds = new List<(string Process, VetoView Veto, int Days)>();
foreach (var p in processes)
{
    var status = (await queries.StatusAsync(p))!;
    var end = status.AccededOn ?? DateOnly.FromDateTime(DateTime.UtcNow);
    holds.AddRange(status.Vetoes.Select(v => (p, v, (v.EndedOn ?? end).DayNumber - v.Since.DayNumber)));
}
var holdTable = new Table().Title("Longest holds and vetoes").AddColumns("Process", "Member", "Kind", "From", "To", "Days", "Ended by");
foreach (var (p, v, days) in holds.OrderByDescending(h => h.Days).Take(6))
{
    holdTable.AddRow(T(p), T(v.Member), T(v.Formal ? "veto" : "hold"), T(D(v.Since) + (v.Unconfirmed ? " ?" : "")), T(D(v.EndedOn)),
        T(days.ToString(CultureInfo.InvariantCulture)), T(Shorten(v.EndedBy ?? "—", 60)));
}
console.Write(holdTable);

static string Shorten(string text, int max) => text.Length <= max ? text : text[..(max - 1)].TrimEnd() + "…";

// 7. The timeline pictures, in out/ under the current directory.
Directory.CreateDirectory("out");
foreach (var p in processes.Append("eu/hrv"))
{
    var (status, register, audit) = ProcessViews.Build(p, await queries.EntriesAsync(p));
    var path = Path.GetFullPath(Path.Combine("out", $"{p.Replace('/', '-')}-timeline.svg"));
    await File.WriteAllTextAsync(path, TimelineSvg.Render(status, register, audit.Entries));
    Console.WriteLine($"Timeline of {p}: {path}");
}

Console.WriteLine($"Done in {clock.Elapsed.TotalSeconds:0.0} s.");

// 7. With --serve: the web view over the same ledger, on loopback, until Ctrl+C.
if (args.Contains("--serve"))
{
    var portIndex = Array.IndexOf(args, "--port");
    var port = portIndex >= 0 && portIndex + 1 < args.Length && int.TryParse(args[portIndex + 1], CultureInfo.InvariantCulture, out var p) ? p : 5080;
    await using var web = LedgerWeb.Build(queries, [$"http://127.0.0.1:{port}"]);
    await web.StartAsync();
    foreach (var process in processes)
    {
        Console.WriteLine($"{process}: http://127.0.0.1:{port}/processes/{process}?asOf=2022-09-30");
    }
    Console.WriteLine("Serving the web view (Ctrl+C stops; the throwaway PostgreSQL goes with it).");
    await web.WaitForShutdownAsync();
}
return 0;
