using System.Globalization;
using RatificationLedger.Projections;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace RatificationLedger.Cli;

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
        // Who claims and who wrote, on one line: the source (the longest cell) wraps instead.
        var table = new Table().AddColumns("#", "Type", "On", "Member", "Recorded at")
            .AddColumn(new TableColumn("Recorded by (database role that wrote it)").NoWrap())
            .AddColumns("Source", "Retracted");
        foreach (var e in a.Entries)
        {
            table.AddRow(new IRenderable[]
            {
                T(e.Sequence.ToString(CultureInfo.InvariantCulture)),
                T(e.Type),
                T(Q(D(e.On), e.Unconfirmed)),
                T(e.Member ?? "—"),
                T(CliJson.Instant(e.RecordedAt)),
                T(e.RecordedByAndRole),
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
