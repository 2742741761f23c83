using System.Globalization;
using System.Xml.Linq;
using RatificationLedger.Domain;
using RatificationLedger.Projections;
using static RatificationLedger.Presentation.Timeline.Svg;
using static RatificationLedger.Presentation.Timeline.TimelineLayout;

namespace RatificationLedger.Presentation.Timeline;

/// <summary>
/// One timeline picture, composed from its parts: the header and the running count (here), the time scale
/// (<see cref="TimeScale"/>), the milestones' labels (<see cref="LabelPlacement"/>), the rows (<see cref="TimelineRows"/>),
/// their tooltips (<see cref="TimelineTooltips"/>), the legend and footer (<see cref="TimelineLegend"/>) and the stylesheet
/// (<see cref="TimelineStylesheet"/>). <see cref="TimelineSvg.Render"/> is its public face.
/// </summary>
internal sealed class TimelineDrawing
{
    private readonly AccessionStatus _status;
    private readonly RatificationRegister _register;
    private readonly TimelineOptions _options;
    private readonly double _width;
    private readonly double _rowHeight;
    private readonly bool _hasDates;
    private readonly DateOnly _last;
    private readonly TimeScale _scale;
    private readonly TimelineTooltips _tips;
    private readonly TimelineRows _rows;
    private readonly TimelineLegend _legend;

    public TimelineDrawing(AccessionStatus status, RatificationRegister register, IReadOnlyList<AuditEntry> audit, TimelineOptions options)
    {
        _status = status;
        _register = register;
        _options = options;
        _width = options.Width;
        _rowHeight = options.RowHeight;

        var dates = Dates().ToList();
        _hasDates = dates.Count > 0 || options.From is not null || options.To is not null;
        var first = options.From ?? (dates.Count > 0 ? dates.Min() : options.To?.AddMonths(-1) ?? default);
        _last = options.To ?? status.AsOf ?? (dates.Count > 0 ? dates.Max() : first);
        if (_last < first)
        {
            _last = first;
        }
        _scale = new TimeScale(first, _last, Margin + LabelColumn, _width - Margin - RightColumnWidth);
        _tips = new TimelineTooltips(audit);
        _rows = new TimelineRows(status, _scale, _tips, _width, _rowHeight, _last);
        _legend = new TimelineLegend(status, audit, _width, _last);
    }

    private IEnumerable<DateOnly> Dates()
    {
        DateOnly?[] singles = [_status.AppliedOn, _status.InvitedOn, _status.ProtocolSignedOn, _status.AccededOn, _status.WithdrawnOn, _status.AsOf, EntryIntoForceDate];
        foreach (var d in singles.OfType<DateOnly>())
        {
            yield return d;
        }
        foreach (var r in _status.RequiredRatifiers)
        {
            yield return r.On;
        }
        foreach (var v in _status.Vetoes)
        {
            yield return v.Since;
            if (v.EndedOn is { } ended)
            {
                yield return ended;
            }
        }
        foreach (var m in _status.Memoranda)
        {
            yield return m.On;
        }
        foreach (var row in _register.Rows)
        {
            DateOnly?[] rowDates = [row.RatifiedOn, row.DepositedOn, row.CountsFrom, row.RequiredSince];
            foreach (var d in rowDates.OfType<DateOnly>())
            {
                yield return d;
            }
            foreach (var step in row.Steps)
            {
                yield return step.On;
            }
        }
    }

    private double X(DateOnly d) => _scale.X(d);

    public XElement Draw()
    {
        var rows = _register.Rows
            .OrderBy(r => r.RatifiedOn is null)
            .ThenBy(r => r.RatifiedOn)
            .ThenBy(r => r.Member, StringComparer.Ordinal)
            .ToList();
        var members = rows.Select(r => r.Member).ToHashSet(StringComparer.Ordinal);
        var vetoers = _status.Vetoes.Select(v => v.Member).Where(m => !members.Contains(m)).Distinct().Order(StringComparer.Ordinal).ToList();

        var body = new List<object>();
        var y = 0d;
        body.AddRange(Header(ref y));
        if (!_hasDates)
        {
            y += 18;
            body.Add(El("text", Class("muted"), A("x", Margin), A("y", y), "Nothing is recorded for this process."));
            return Document(body, y + Margin);
        }

        if (_status.RequiredRatifiers.Count > 0)
        {
            y += 10;
            body.Add(Strip(y));
            y += StripHeight;
        }

        var milestones = Milestones();
        var labels = new LabelPlacement(X, _width).PlaceLabels(milestones);
        var lanes = labels.Count == 0 ? 0 : labels.Max(l => l.Lane) + 1;
        var axisTop = y + 10 + lanes * LaneHeight;
        var rowsTop = axisTop + 30;
        var rowCount = rows.Count + vetoers.Count;
        var rowsBottom = rowsTop + Math.Max(rowCount, 1) * _rowHeight;

        body.Add(Stripes(rowsTop, rowCount));
        body.Add(_scale.Draw(axisTop, rowsTop, rowsBottom, _width));
        body.Add(MilestoneLayer(labels, axisTop, rowsBottom));
        var rowGroups = new List<object> { Class("rows") };
        for (var i = 0; i < rows.Count; i++)
        {
            rowGroups.Add(_rows.Row(rows[i], rowsTop + i * _rowHeight));
        }
        for (var i = 0; i < vetoers.Count; i++)
        {
            rowGroups.Add(_rows.VetoerRow(vetoers[i], rowsTop + (rows.Count + i) * _rowHeight));
        }
        body.Add(El("g", rowGroups.ToArray()));
        y = rowsBottom + 16;
        body.Add(_legend.Legend(rows, ref y));
        body.Add(_legend.Footer(ref y));
        return Document(body, y + Margin);
    }

    private XElement Document(List<object> body, double height)
    {
        var title = $"{_status.Id}: accession of {_status.Candidate} to {_status.Organization}";
        var content = new List<object>
        {
            A("width", _width),
            A("height", Math.Ceiling(height)),
            A("viewBox", $"0 0 {Num(_width)} {Num(Math.Ceiling(height))}"),
            new XAttribute("role", "img"),
            new XAttribute("aria-labelledby", "ledger-timeline-title ledger-timeline-desc"),
            new XAttribute("direction", "ltr"),
            El("title", new XAttribute("id", "ledger-timeline-title"), Clean(title)),
            El("desc", new XAttribute("id", "ledger-timeline-desc"), Clean(Description())),
            TimelineStylesheet.Defs(),
            El("rect", A("width", "100%"), A("height", "100%"), new XAttribute("fill", "#ffffff")),
        };
        content.AddRange(body);
        return new XElement(TimelineSvg.Namespace + "svg", content);
    }

    private string Description()
    {
        var approved = _status.Ratified.Count;
        var text = $"Stage {StageWords.Of(_status.Stage)}; {Count(_status.RequiredRatifiers.Count)} required ratifiers, {Count(approved)} approved, {Count(_status.Deposited.Count)} deposited";
        var vetoes = _status.Vetoes.Select(v => $"{(v.Formal ? "veto" : "hold")} by {v.Member} from {Iso(v.Since)} {(v.EndedOn is { } e ? "to " + Iso(e) : "ongoing")}");
        return string.Join("; ", [text, .. vetoes]) + ".";
    }

    private IEnumerable<XElement> Header(ref double y)
    {
        y += 26;
        var title = El("text", Class("title"), A("x", Margin), A("y", y),
            Clean($"Accession of {_status.Candidate} to {_status.Organization} "),
            El("tspan", Class("muted"), A("font-weight", "normal"), Clean($"({_status.Id})")));
        y += 19;
        var asOf = _status.AsOf is { } a ? $"as of {Iso(a)}" : _hasDates ? $"as of the latest entry ({Iso(_last)})" : "nothing recorded";
        var knownAt = _status.KnownAt is { } k ? $" as known at {k.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)} UTC" : "";
        var counts = _status.RequiredRatifiers.Count == 0
            ? "required ratifiers not yet fixed"
            : $"{Count(_status.RequiredRatifiers.Count)} required ratifiers: {Count(_status.Ratified.Count)} approved, {Count(_status.Deposited.Count)} deposited, {Count(_status.Pending.Count)} pending";
        string[] parts = [_status.Organization, $"candidate {_status.Candidate}", $"stage: {StageWords.Of(_status.Stage)}", counts, asOf + knownAt];
        var lines = Wrap(parts, " \u00b7 ", 12, _width - 2 * Margin);
        var subtitle = new List<XElement> { title };
        for (var i = 0; i < lines.Count; i++)
        {
            subtitle.Add(El("text", Class("subtitle"), A("x", Margin), A("y", y), Clean(lines[i])));
            y += i < lines.Count - 1 ? 16 : 0;
        }
        return subtitle;
    }

    // The running count of ratifications that count under the policy, against the number of required ratifiers.
    private XElement Strip(double top)
    {
        var bottom = top + StripHeight - 4;
        var required = _status.RequiredRatifiers.Count;
        double Y(int n) => bottom - n * (StripHeight - 8) / Math.Max(required, 1);
        string Steps(IEnumerable<DateOnly> dates, bool close)
        {
            var ordered = dates.Order().ToList();
            var path = $"M{Num(X(_scale.Start))},{Num(Y(0))}";
            var n = 0;
            foreach (var group in ordered.GroupBy(d => d))
            {
                n += group.Count();
                path += $" H{Num(X(group.Key))} V{Num(Y(n))}";
            }
            path += $" H{Num(X(_last))}";
            return close ? path + $" V{Num(Y(0))} Z" : path;
        }
        var counted = _status.Counted.Select(c => c.On).ToList();
        var requiredDates = _status.RequiredRatifiers.Select(r => r.On).ToList();
        return El("g", Class("strip"),
            El("title", Clean($"Ratifications that count: {Count(counted.Count)} of {Count(required)} required (dashed: required ratifiers)")),
            El("line", Class("grid"), A("x1", _scale.Left), A("y1", bottom), A("x2", _scale.Right), A("y2", bottom)),
            El("path", Class("count-area"), A("d", Steps(counted, close: true))),
            El("path", Class("required-line"), A("d", Steps(requiredDates, close: false))),
            El("path", Class("count-line"), A("d", Steps(counted, close: false))),
            El("text", Class("muted small"), A("x", _scale.Left - 8), A("y", bottom - 8), A("text-anchor", "end"), "counted"),
            El("text", Class("small"), A("x", _scale.Right + 10), A("y", bottom - 8),
                Clean($"{Count(counted.Count)} of {Count(required)} counted")));
    }

    private XElement Stripes(double rowsTop, int rowCount)
    {
        var g = new XElement(TimelineSvg.Namespace + "g", Class("stripes"));
        for (var i = 1; i < rowCount; i += 2)
        {
            g.Add(El("rect", Class("stripe"), A("x", Margin), A("y", rowsTop + i * _rowHeight), A("width", _width - 2 * Margin), A("height", _rowHeight)));
        }
        return g;
    }

    // The treaty's computed entry into force, drawn where a treaty states its own rule (a fixed date, days after
    // completion); on completion it is the last counted step, already drawn.
    private DateOnly? EntryIntoForceDate =>
        _status.EntryIntoForce is { Rule: not "on-completion", Date: { } date } ? date : null;

    private List<Milestone> Milestones()
    {
        var list = new List<Milestone>();
        void Add<TEvent>(DateOnly? on, string kind, string name, string? detail, string description)
        {
            if (on is not { } d)
            {
                return;
            }
            var unconfirmed = _tips.Unconfirmed<TEvent>(null, d);
            list.Add(new Milestone(d, kind, name, detail, unconfirmed, TimelineTooltips.Tooltip($"{description} {Iso(d)}{(unconfirmed ? " (date unconfirmed)" : "")}", _tips.Notes<TEvent>(null, d))));
        }
        Add<ApplicationSubmitted>(_status.AppliedOn, "application", "Applied", null, "Application submitted");
        Add<InvitationExtended>(_status.InvitedOn, "invitation", "Invited", _status.InvitationVenue, $"Invitation extended{(_status.InvitationVenue is { } v ? " at " + v : "")}");
        Add<AccessionProtocolSigned>(_status.ProtocolSignedOn, "protocol", "Protocol signed", null, "Accession protocol signed");
        foreach (var m in _status.Memoranda)
        {
            var lines = new List<string> { $"{m.Title} {Iso(m.On)}{(m.Unconfirmed ? " (date unconfirmed)" : "")}" };
            if (m.Parties.Count > 0)
            {
                lines.Add("Parties: " + string.Join(", ", m.Parties));
            }
            if (!string.IsNullOrWhiteSpace(m.Summary))
            {
                lines.Add(m.Summary);
            }
            list.Add(new Milestone(m.On, "memorandum", null, m.Title, m.Unconfirmed || _tips.Unconfirmed<MemorandumSigned>(null, m.On), TimelineTooltips.Tooltip(string.Join("\n", lines), _tips.Notes<MemorandumSigned>(null, m.On))));
        }
        Add<AccessionCompleted>(_status.AccededOn, "accession", "Acceded", null, $"{_status.Candidate} acceded to {_status.Organization}");
        Add<ApplicationWithdrawn>(_status.WithdrawnOn, "withdrawal", "Withdrawn", null, "Application withdrawn");
        if (EntryIntoForceDate is { } inForce)
        {
            var rule = _status.EntryIntoForce!;
            list.Add(new Milestone(inForce, "entry-into-force", "In force", rule.Rule, false, $"Treaty in force {Iso(inForce)} ({rule.Rule}): {rule.Reason}"));
        }
        if (_status.AsOf is { } asOf && asOf != _status.AccededOn && asOf != _status.WithdrawnOn)
        {
            list.Add(new Milestone(asOf, "asof", "as-of date", null, false, $"Status as of {Iso(asOf)}: later entries are not drawn"));
        }
        if (_options.Marker is { } marker)
        {
            list.Add(new Milestone(marker, "asof marker", "as of", null, false, $"The page shows the process as of {Iso(marker)}"));
        }
        return [.. list.Where(m => m.On >= _scale.Start && m.On <= _scale.End)];
    }

    private XElement MilestoneLayer(List<Placed> labels, double axisTop, double rowsBottom)
    {
        var g = new XElement(TimelineSvg.Namespace + "g", Class("milestones"));
        foreach (var p in labels)
        {
            var m = p.Milestone;
            var baseline = axisTop - 5 - p.Lane * LaneHeight;
            var text = El("text", Class("ms-label"), A("x", p.AnchorEnd ? p.LineX - 3 : p.LineX + 3), A("y", baseline),
                p.AnchorEnd ? A("text-anchor", "end") : null,
                Iso(m.On) + " ",
                m.Name is null ? null : El("tspan", Class("ms-name"), m.Name),
                m.Name is not null && p.Detail is not null ? " \u00b7 " : null,
                p.Detail is null ? null : El("tspan", Class("user"), Clean(p.Detail)),
                m.Unconfirmed ? El("tspan", Class("q"), " ?") : null);
            g.Add(El("g", Class($"milestone {m.Kind}{(m.Unconfirmed ? " unconfirmed" : "")}"), A("data-date", Iso(m.On)),
                Title(m.Tooltip),
                El("line", Class($"ms {m.Kind}{(m.Unconfirmed ? " unconfirmed" : "")}"), A("x1", p.LineX), A("y1", baseline - 9), A("x2", p.LineX), A("y2", rowsBottom)),
                text));
        }
        return g;
    }


}
