using System.Globalization;
using System.Xml.Linq;
using RatificationLedger.Domain;
using RatificationLedger.Projections;
using static RatificationLedger.Presentation.Timeline.Svg;
using static RatificationLedger.Presentation.Timeline.TimelineLayout;

namespace RatificationLedger.Presentation.Timeline;

/// <summary>
/// The tooltips of the picture: what a row, a mark or a span says on hover, with the notes and sources of the entries
/// that recorded it (retracted entries left out).
/// </summary>
internal sealed class TimelineTooltips(IReadOnlyList<AuditEntry> audit)
{
    private readonly ILookup<(string Type, string Member, DateOnly On), AuditEntry> _entries =
        audit.Where(e => !e.Retracted).ToLookup(e => (e.Type, e.Member ?? "", e.On));

    public string RowTooltip(RegisterRow row, bool late)
    {
        var lines = new List<string>
        {
            $"{row.Member}: required ratifier since {Iso(row.RequiredSince)}{(late ? " (added after the invitation)" : "")}",
        };
        if (row.RatifiedOn is { } approved)
        {
            var days = row.DaysFromSignature is { } d ? $", {Count(d)} days after the protocol signature" : "";
            var counts = row.CountsFrom is { } c && c != approved ? $"; counts from {Iso(c)}" : "";
            lines.Add($"approved {Iso(approved)}{days}{counts}");
        }
        else
        {
            lines.Add("not yet approved");
        }
        foreach (var step in row.Steps)
        {
            var note = string.Join("; ", NotesOfStep(row.Member, step));
            lines.Add($"{Iso(step.On)} {step.Type}: {step.Detail}{(step.Unconfirmed ? " (date unconfirmed)" : "")}{(note.Length > 0 ? " \u2014 " + note : "")}");
        }
        if (row.RecordedBy is not null || row.RecordedAt is not null)
        {
            lines.Add($"recorded {row.RecordedAt?.ToUniversalTime().ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} UTC by {row.RecordedBy ?? "unknown"}".Replace("recorded  UTC", "recorded", StringComparison.Ordinal));
        }
        if (row.Source is not null)
        {
            lines.Add("source: " + row.Source);
        }
        return string.Join("\n", lines);
    }

    private IEnumerable<string> NotesOfStep(string member, RegisterStep step) => step.Type switch
    {
        "vote" => Notes<ParliamentVoted>(member, step.On),
        "ratification" => Notes<RatificationApproved>(member, step.On),
        "deposit" => Notes<InstrumentDeposited>(member, step.On),
        "veto" or "hold" => Notes<VetoDeclared>(member, step.On),
        "veto-lifted" => Notes<VetoLifted>(member, step.On),
        "ratifier-added" => Notes<RatifierAdded>(member, step.On),
        _ => [],
    };

    public string MarkTooltip<TEvent>(string member, DateOnly on, string verb, RegisterStep? step, bool unconfirmed)
    {
        var detail = step is null || string.IsNullOrWhiteSpace(step.Detail) ? "" : $" ({step.Detail})";
        var lines = new List<string> { $"{member} {verb} {Iso(on)}{detail}{(unconfirmed ? " \u2014 date unconfirmed: no source states this exact day" : "")}" };
        lines.AddRange(Notes<TEvent>(member, on));
        if (step?.Source is { } source && !lines.Any(l => l.Contains(source, StringComparison.Ordinal)))
        {
            lines.Add("source: " + source);
        }
        return string.Join("\n", lines);
    }

    public static string Tooltip(string head, IEnumerable<string> notes) => string.Join("\n", [head, .. notes]);

    private IEnumerable<AuditEntry> EntriesOf<TEvent>(string? member, DateOnly on) =>
        _entries[(StoredEventNames.All[typeof(TEvent)], member ?? "", on)];

    public bool Unconfirmed<TEvent>(string? member, DateOnly on) => EntriesOf<TEvent>(member, on).Any(e => e.Unconfirmed);

    // Notes and sources of the entries recording this fact, as lines of a tooltip.
    public IEnumerable<string> Notes<TEvent>(string? member, DateOnly on)
    {
        var entries = EntriesOf<TEvent>(member, on).ToList();
        return entries.Select(e => e.Note).OfType<string>().Where(n => n.Length > 0).Distinct(StringComparer.Ordinal).Select(n => "note: " + n)
            .Concat(entries.Select(e => e.Source).OfType<string>().Where(s => s.Length > 0).Distinct(StringComparer.Ordinal).Select(s => "source: " + s));
    }
}
