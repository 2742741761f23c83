using System.Text;
using System.Text.Json;
using RatificationLedger.Domain;
using RatificationLedger.Presentation.Timeline;
using RatificationLedger.Projections;
using static RatificationLedger.Presentation.Web.Html;

namespace RatificationLedger.Presentation.Web;

/// <summary>The state of the page for one request: the JSON a slider step fetches (<see cref="ProcessPage.View"/>).</summary>
internal sealed record ProcessViewDocument(
    string Process,
    string? AsOf,
    string? KnownAt,
    JsonStatus Status,
    string AsOfLabel,
    string KnownAtLabel,
    string Summary,
    string Ratifiers,
    string Changes,
    string Timeline);

/// <summary>
/// The page of one process as of a date and as known at an instant: a headline ("N of M counted"), the required
/// ratifiers coloured by state, the vetoes and holds, and the whole timeline with a mark at the as-of date. The server
/// renders the URL's state; a slider step fetches the same fragments as JSON (<see cref="View"/>) and swaps them in.
/// </summary>
internal sealed class ProcessPage
{
    private readonly ProcessRequest _request;
    private readonly AccessionStatus _status;
    private readonly RatificationRegister _register;
    private readonly IReadOnlyList<DateOnly> _dates;
    private readonly IReadOnlyList<DateTimeOffset> _instants;
    private readonly int _knownEntries;

    public ProcessPage(ProcessRequest request)
    {
        _request = request;
        var known = request.Known;
        (_status, _register, _) = ProcessViews.Build(request.Process, known, request.AsOf, request.KnownAt);
        // The slider's stops: every day on which something happened, and every instant at which something was recorded.
        _dates = [.. request.Entries.Where(e => e.Event is not EntryRetracted).Select(e => e.On).Distinct().Order()];
        _instants = [.. request.Entries.Select(e => e.RecordedAt).Distinct().Order()];
        _knownEntries = known.Count;
    }

    /// <summary>The ratifier states, in the order of the legend.</summary>
    public static readonly (string State, string Text)[] States =
    [
        ("counted", "counted"),
        ("approved", "approved, not yet deposited (deposit counts)"),
        ("pending", "pending"),
        ("holding", "holding (ratification withheld)"),
        ("vetoing", "vetoing"),
    ];

    public ProcessViewDocument View() => new(
        _request.Process,
        CliJson.Date(_request.AsOf),
        CliJson.Instant(_request.KnownAt),
        CliJson.Status(_status),
        AsOfLabel(),
        KnownAtLabel(),
        Summary(),
        Ratifiers(),
        Changes(),
        TimelinePicture());

    public string Document()
    {
        var s = _status;
        var api = $"/api/processes/{_request.Process}";
        var dateIndex = _request.AsOf is { } a ? Math.Max(0, LastIndexAtOrBefore(_dates, a)) : _dates.Count - 1;
        var instantIndex = _request.KnownAt is { } k ? Math.Max(0, LastIndexAtOrBefore(_instants, k)) : _instants.Count - 1;
        var html = new StringBuilder(64 * 1024);
        html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
            .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
            .Append("<title>").Append(Text($"{s.Id}: accession of {s.Candidate} to {s.Organization}")).Append(" · Ratification Ledger</title>\n")
            .Append("<link rel=\"stylesheet\" href=\"/assets/ledger.css\">\n<script src=\"/assets/ledger.js\" defer></script>\n</head>\n<body>\n")
            .Append("<header class=\"site\"><a href=\"/\">Ratification Ledger</a></header>\n")
            .Append("<main id=\"process\"")
            .Append(" data-process=\"").Append(Text(_request.Process)).Append('"')
            .Append(" data-view=\"").Append(Text(api + "/view")).Append('"')
            .Append(" data-dates=\"").Append(Text(JsonSerializer.Serialize(_dates.Select(d => CliJson.Date(d)).ToList()))).Append('"')
            .Append(" data-instants=\"").Append(Text(JsonSerializer.Serialize(_instants.Select(CliJson.Instant).ToList()))).Append('"')
            .Append(" data-as-of=\"").Append(Text(CliJson.Date(_request.AsOf))).Append('"')
            .Append(" data-known-at=\"").Append(Text(CliJson.Instant(_request.KnownAt))).Append('"')
            .Append(" data-shown=\"").Append(Text(Shown(_request))).Append("\">\n")
            .Append("<h1>Accession of ").Append(Text(s.Candidate)).Append(" to ").Append(Text(s.Organization))
            .Append(" <small>").Append(Text(s.Id)).Append("</small></h1>\n")
            .Append("<section id=\"controls\" aria-label=\"Time\">\n");
        Slider(html, "as-of", "As of", "the process as it stood on this day (steps: days on which something happened)",
            _dates.Count - 1, dateIndex, AsOfLabel(), "previous event", "next event");
        Slider(html, "known-at", "Known at", "what the ledger knew at this instant (steps: the instants at which entries were recorded)",
            _instants.Count - 1, instantIndex, KnownAtLabel(), "previous recording", "next recording");
        html.Append("</section>\n<p id=\"error\" role=\"alert\" hidden></p>\n")
            .Append("<section id=\"summary\" aria-live=\"polite\">").Append(Summary()).Append("</section>\n")
            .Append("<section id=\"ratifiers\" aria-label=\"Required ratifiers\">").Append(Ratifiers()).Append("</section>\n")
            .Append("<section id=\"changes\" aria-label=\"What changed\">").Append(Changes()).Append("</section>\n")
            .Append("<section id=\"timeline\" aria-label=\"Timeline\">").Append(TimelinePicture()).Append("</section>\n")
            .Append("<footer><p>JSON: <a href=\"").Append(Text(api + "/status" + Query())).Append("\">status</a> · <a href=\"")
            .Append(Text(api + "/register" + Query())).Append("\">register</a> · <a href=\"").Append(Text(api + "/audit" + Query(date: false)))
            .Append("\">audit</a> · <a href=\"").Append(Text(api + "/timeline.svg" + Query())).Append("\">timeline.svg</a></p></footer>\n")
            .Append("</main>\n</body>\n</html>\n");
        return html.ToString();
    }

    /// <summary>What the page shows, as the script and the tests read it: "asOf|knownAt" (empty for now).</summary>
    public static string Shown(ProcessRequest r) => $"{CliJson.Date(r.AsOf)}|{CliJson.Instant(r.KnownAt)}";

    private string Query(bool date = true)
    {
        var parts = new List<string>();
        if (date && _request.AsOf is { } a)
        {
            parts.Add("asOf=" + CliJson.Date(a));
        }
        if (_request.KnownAt is { } k)
        {
            parts.Add("knownAt=" + Uri.EscapeDataString(CliJson.Instant(k)));
        }
        return parts.Count == 0 ? "" : "?" + string.Join('&', parts);
    }

    // A single stop (everything recorded at one instant, or one day) leaves nothing to slide: the controls are disabled.
    private static void Slider(StringBuilder html, string id, string label, string help, int max, int value, string valueText, string previous, string next)
    {
        var disabled = max <= 0 ? " disabled" : "";
        html.Append("<div class=\"slider\">")
            .Append("<label for=\"").Append(id).Append("\">").Append(label).Append("</label>")
            .Append("<button type=\"button\" id=\"").Append(id).Append("-prev\" aria-label=\"").Append(previous).Append("\" title=\"").Append(previous).Append('"').Append(disabled).Append(">◀</button>")
            .Append("<input type=\"range\" id=\"").Append(id).Append("\" min=\"0\" max=\"").Append(Count(Math.Max(max, 0))).Append("\" step=\"1\" value=\"")
            .Append(Count(Math.Max(value, 0))).Append("\" aria-valuetext=\"").Append(Text(valueText)).Append("\" aria-describedby=\"").Append(id).Append("-help\"").Append(disabled).Append('>')
            .Append("<button type=\"button\" id=\"").Append(id).Append("-next\" aria-label=\"").Append(next).Append("\" title=\"").Append(next).Append('"').Append(disabled).Append(">▶</button>")
            .Append("<output id=\"").Append(id).Append("-label\" for=\"").Append(id).Append("\">").Append(Text(valueText)).Append("</output>")
            .Append("<small id=\"").Append(id).Append("-help\">").Append(help).Append("</small>")
            .Append("</div>\n");
    }

    private static int LastIndexAtOrBefore<T>(IReadOnlyList<T> sorted, T value) where T : IComparable<T>
    {
        var index = -1;
        for (var i = 0; i < sorted.Count && sorted[i].CompareTo(value) <= 0; i++)
        {
            index = i;
        }
        return index;
    }

    private string AsOfLabel() => _request.AsOf is { } a ? Date(a) : "now";

    private string KnownAtLabel() => _request.KnownAt is { } k
        ? $"{Instant(k)} ({Count(_knownEntries)} of {Count(_request.Entries.Count)} entries)"
        : $"now (all {Count(_request.Entries.Count)} entries)";

    public string Summary()
    {
        var s = _status;
        var html = new StringBuilder();
        html.Append("<p class=\"headline\">");
        if (s.RequiredRatifiers.Count > 0)
        {
            html.Append("<span id=\"counted\" data-counted=\"").Append(Count(s.Counted.Count)).Append("\" data-required=\"").Append(Count(s.RequiredRatifiers.Count))
                .Append("\"><strong>").Append(Count(s.Counted.Count)).Append(" of ").Append(Count(s.RequiredRatifiers.Count)).Append("</strong> counted</span> · ");
        }
        html.Append("stage <strong id=\"stage\" class=\"stage-").Append(Text(s.Stage.ToString().ToLowerInvariant())).Append("\" data-stage=\"").Append(Text(s.Stage.ToString())).Append("\">")
            .Append(Text(StageWords.Of(s.Stage))).Append("</strong>");
        if (s.AccededOn is { } acceded)
        {
            html.Append(" · <span id=\"joined\">").Append(Text($"{s.Candidate} joined {s.Organization} on {Date(acceded)}")).Append("</span>");
        }
        html.Append("</p>\n");
        html.Append("<p class=\"when\">").Append(Text(_request.AsOf is { } a ? $"as of {Date(a)}" : "now"))
            .Append(" · ").Append(Text(_request.KnownAt is { } k ? $"as known at {Instant(k)}" : "as known now")).Append("</p>\n");
        html.Append("<dl class=\"dates\">");
        void Row(string label, DateOnly? d, string? detail = null)
        {
            if (d is not null)
            {
                html.Append("<dt>").Append(label).Append("</dt><dd>").Append(Date(d)).Append(detail is null ? "" : " · " + Text(detail)).Append("</dd>");
            }
        }
        Row("Applied", s.AppliedOn);
        Row("Invited", s.InvitedOn, s.InvitationVenue);
        Row("Protocol signed", s.ProtocolSignedOn);
        Row("Acceded", s.AccededOn);
        Row("Withdrawn", s.WithdrawnOn);
        html.Append("</dl>\n");
        if (s.ActiveVetoes.Count > 0)
        {
            html.Append("<ul class=\"vetoes\">");
            foreach (var v in s.ActiveVetoes)
            {
                var state = v.Formal ? "vetoing" : "holding";
                html.Append("<li class=\"").Append(state).Append("\" data-member=\"").Append(Text(v.Member)).Append("\"><strong>").Append(Text(v.Member)).Append("</strong> ")
                    .Append(state).Append(" since ").Append(Date(v.Since)).Append(v.Unconfirmed ? " (?)" : "").Append(": <span class=\"reason\">").Append(Text(v.Reason)).Append("</span></li>");
            }
            html.Append("</ul>\n");
        }
        return html.ToString();
    }

    /// <summary>The state of a required ratifier: counted, approved (not deposited where deposit counts), pending, holding or vetoing.</summary>
    public static string StateOf(AccessionStatus status, string member)
    {
        if (status.Counted.Any(c => c.Member == member))
        {
            return "counted";
        }
        if (status.Ratified.Any(r => r.Member == member))
        {
            return "approved";
        }
        return status.ActiveVetoes.LastOrDefault(v => v.Member == member) is { } veto ? veto.Formal ? "vetoing" : "holding" : "pending";
    }

    public string Ratifiers()
    {
        var s = _status;
        var html = new StringBuilder();
        if (s.RequiredRatifiers.Count == 0)
        {
            return "<p class=\"muted\">The required ratifiers are fixed by the invitation (or the signature of the treaty): none yet.</p>\n";
        }
        var rows = _register.Rows.ToDictionary(r => r.Member, StringComparer.Ordinal);
        html.Append("<ul class=\"grid\">");
        foreach (var required in s.RequiredRatifiers.OrderBy(r => r.Member, StringComparer.Ordinal))
        {
            var member = required.Member;
            var state = StateOf(s, member);
            rows.TryGetValue(member, out var row);
            var date = state switch
            {
                "counted" => s.Counted.First(c => c.Member == member).On,
                "approved" => s.Ratified.First(r => r.Member == member).On,
                "holding" or "vetoing" => s.ActiveVetoes.Last(v => v.Member == member).Since,
                _ => (DateOnly?)null,
            };
            html.Append("<li class=\"ratifier ").Append(state).Append("\" data-member=\"").Append(Text(member)).Append("\" data-state=\"").Append(state).Append("\">")
                .Append("<span class=\"code\">").Append(Text(member)).Append("</span>")
                .Append("<span class=\"state\">").Append(state).Append("</span>")
                .Append("<span class=\"on\">").Append(date is null ? "" : Date(date) + (row?.Unconfirmed == true && state is "counted" or "approved" ? " (?)" : "")).Append("</span>");
            if (row is not null)
            {
                html.Append(Source(row.Source));
            }
            html.Append("</li>");
        }
        html.Append("</ul>\n<ul class=\"legend\">");
        foreach (var (state, text) in States)
        {
            html.Append("<li class=\"").Append(state).Append("\"><span class=\"swatch\"></span>").Append(text).Append("</li>");
        }
        html.Append("</ul>\n");
        return html.ToString();
    }

    /// <summary>
    /// What changed between two dates: the entries (known at the instant, not retracted) dated after the slider's
    /// previous stop and up to the as-of date, so each step shows what it added.
    /// </summary>
    public string Changes()
    {
        var to = _request.AsOf ?? _dates[^1];
        var stop = LastIndexAtOrBefore(_dates, to);
        DateOnly? from = stop > 0 ? _dates[stop - 1] : null;
        var known = _request.Known;
        var retracted = known.Select(e => e.Event).OfType<EntryRetracted>().Select(r => r.Entry).ToHashSet();
        var changes = known
            .Where(e => e.Event is not EntryRetracted && !retracted.Contains(e.Number) && e.On <= to && (from is null || e.On > from))
            .OrderBy(e => e.On).ThenBy(e => e.Number)
            .ToList();
        var html = new StringBuilder();
        html.Append("<h2>What changed</h2><p class=\"muted\">")
            .Append(Text(from is { } f ? $"Entries dated after {Date(f)} up to {Date(to)}" : $"Entries dated up to {Date(to)}"))
            .Append(changes.Count == 0 ? ": none." : ":").Append("</p>\n");
        if (changes.Count > 0)
        {
            html.Append("<ul class=\"changes\">");
            foreach (var e in changes)
            {
                html.Append("<li data-type=\"").Append(Text(e.Type)).Append("\"><span class=\"on\">").Append(Date(e.On)).Append(e.Unconfirmed ? " (?)" : "").Append("</span> ")
                    .Append(Text(Describe(e.Event))).Append("</li>");
            }
            html.Append("</ul>\n");
        }
        return html.ToString();
    }

    private static string Describe(object e) => e switch
    {
        ApplicationSubmitted a => $"{a.Candidate} applied to join {a.Organization}",
        InvitationExtended i => $"invitation extended{(string.IsNullOrEmpty(i.Venue) ? "" : " at " + i.Venue)}",
        AccessionProtocolSigned => "accession protocol signed",
        MemorandumSigned m => $"memorandum signed: {m.Title} ({string.Join(", ", m.Parties)})",
        ParliamentVoted v => $"{v.Member}: {v.Chamber} vote{(v.For is null ? "" : $" {v.For}-{v.Against?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?"}-{v.Abstained?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?"}")}, {(v.Passed ? "passed" : "rejected")}",
        RatificationApproved r => $"{r.Member} approved ({r.Authority})",
        InstrumentDeposited d => $"{d.Member} deposited its instrument with {d.Depositary}",
        VetoDeclared v => $"{v.Member} {(v.Formal ? "vetoed" : "began holding")}: {v.Reason}",
        VetoLifted v => $"{v.Member} lifted its hold or veto: {v.Reason}",
        RatifierAdded r => $"{r.Member} became a required ratifier: {r.Reason}",
        AccessionCompleted => "accession completed",
        ApplicationWithdrawn w => $"application withdrawn: {w.Reason}",
        MemberAdmitted m => $"{m.State} admitted",
        _ => e.GetType().Name,
    };

    // The whole process as known at the instant, with a mark at the as-of date: the picture stays put while the mark moves.
    public string TimelinePicture()
    {
        var known = _request.Known;
        var (status, register, audit) = ProcessViews.Build(_request.Process, known, null, _request.KnownAt);
        // A mark past everything known then stretches the picture to it.
        var last = known.Max(e => e.On);
        var options = new TimelineOptions { Marker = _request.AsOf, To = _request.AsOf > last ? _request.AsOf : null };
        var svg = TimelineSvg.Render(status, register, audit.Entries, options);
        // Inline in HTML: the XML declaration goes.
        return svg.StartsWith("<?xml", StringComparison.Ordinal) ? svg[(svg.IndexOf("?>", StringComparison.Ordinal) + 2)..].TrimStart() : svg;
    }
}
