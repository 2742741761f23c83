using System.Globalization;
using System.Xml.Linq;
using Ledger.Domain;
using static Ledger.Presentation.Timeline.Svg;
using Ledger.Projections;

namespace Ledger.Presentation.Timeline;

/// <summary>The layout of one timeline picture; <see cref="TimelineSvg.Render"/> is its public face.</summary>
internal sealed class TimelineDrawing
{
    private const double Margin = 12;
    private const double LabelColumn = 58;
    private const double RightColumnWidth = 150;
    private const double LaneHeight = 14;
    private const int MaxLanes = 8;
    private const double StripHeight = 34;

    private static readonly string[] MonthNames = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

    private static readonly string Style = string.Join('\n',
        "text { font-family: 'DejaVu Sans', 'Segoe UI', 'Helvetica Neue', Arial, sans-serif; font-size: 11px; fill: #1f2937; }",
        ".title { font-size: 17px; font-weight: bold; }",
        ".subtitle { font-size: 12px; fill: #4b5563; }",
        ".muted { fill: #6b7280; }",
        ".small { font-size: 10px; }",
        ".user { unicode-bidi: isolate; }",
        ".code { font-family: 'DejaVu Sans Mono', Consolas, Menlo, monospace; font-weight: bold; }",
        ".vetoer .code { font-weight: normal; font-style: italic; fill: #6b7280; }",
        ".date { font-family: 'DejaVu Sans Mono', Consolas, Menlo, monospace; font-size: 10.5px; }",
        ".stripe { fill: #f3f4f6; }",
        ".grid { stroke: #e5e7eb; stroke-width: 1; }",
        ".grid-year { stroke: #9ca3af; stroke-width: 1; }",
        ".axis-label { font-size: 10px; fill: #6b7280; }",
        ".year-label { font-weight: bold; fill: #374151; }",
        ".wait { fill: #b3c5d7; }",
        ".vote { stroke: #374151; stroke-width: 1.3; }",
        ".approval { fill: #0072b2; stroke: #ffffff; stroke-width: 1; }",
        ".deposit { fill: #009e73; stroke: #ffffff; stroke-width: 1; }",
        ".approval.unconfirmed { fill: #ffffff; stroke: #0072b2; stroke-width: 1.6; stroke-dasharray: 2 1.5; }",
        ".deposit.unconfirmed { fill: #ffffff; stroke: #009e73; stroke-width: 1.6; stroke-dasharray: 2 1.5; }",
        ".q { font-size: 10px; font-weight: bold; fill: #b5006b; }",
        ".early { stroke: #0072b2; stroke-width: 1.6; stroke-dasharray: 1 2.5; }",
        ".added { stroke: #7b3294; stroke-width: 2.5; }",
        ".added-label { font-size: 10px; fill: #7b3294; }",
        "rect.hold { fill: #e69f00; fill-opacity: 0.5; }",
        "rect.veto { fill: #d55e00; fill-opacity: 0.55; }",
        ".hatch { fill: url(#ledger-timeline-hatch); }",
        ".span-edge { stroke: #7c2d12; stroke-width: 1.2; stroke-dasharray: 2 2; }",
        ".span-label { font-size: 10px; fill: #3b1d00; }",
        ".ongoing-hold { fill: #e69f00; }",
        ".ongoing-veto { fill: #d55e00; }",
        ".ongoing-wait { fill: #8aa4bf; }",
        ".ms { stroke: #4b5563; stroke-width: 1; }",
        ".ms.memorandum { stroke-dasharray: 5 3; }",
        ".ms.accession { stroke: #009e73; stroke-width: 2; }",
        ".ms.withdrawal { stroke: #111827; stroke-width: 2; stroke-dasharray: 6 3; }",
        ".ms.asof { stroke: #b5006b; stroke-width: 1.5; stroke-dasharray: 2 3; }",
        ".ms.unconfirmed { stroke-dasharray: 2 2; }",
        ".ms-label { font-size: 10.5px; fill: #374151; }",
        ".ms-name { font-weight: bold; }",
        ".count-area { fill: #0072b2; fill-opacity: 0.14; }",
        ".count-line { fill: none; stroke: #0072b2; stroke-width: 1.5; }",
        ".required-line { fill: none; stroke: #6b7280; stroke-width: 1; stroke-dasharray: 3 2; }",
        "text.pending { fill: #b45309; font-style: italic; }",
        ".legend-text { font-size: 10.5px; fill: #374151; }");

    private readonly AccessionStatus _status;
    private readonly RatificationRegister _register;
    private readonly IReadOnlyList<AuditEntry> _audit;
    private readonly ILookup<(string Type, string Member, DateOnly On), AuditEntry> _entries;
    private readonly TimelineOptions _options;
    private readonly double _width;
    private readonly double _rowHeight;
    private readonly double _left;
    private readonly double _right;
    private readonly bool _hasDates;
    private readonly DateOnly _last;
    private readonly DateOnly _axisStart;
    private readonly DateOnly _axisEnd;

    public TimelineDrawing(AccessionStatus status, RatificationRegister register, IReadOnlyList<AuditEntry> audit, TimelineOptions options)
    {
        _status = status;
        _register = register;
        _audit = audit;
        _options = options;
        _entries = audit.Where(e => !e.Retracted).ToLookup(e => (e.Type, e.Member ?? "", e.On));
        _width = options.Width;
        _rowHeight = options.RowHeight;
        _left = Margin + LabelColumn;
        _right = _width - Margin - RightColumnWidth;

        var dates = Dates().ToList();
        _hasDates = dates.Count > 0 || options.From is not null || options.To is not null;
        var first = options.From ?? (dates.Count > 0 ? dates.Min() : options.To?.AddMonths(-1) ?? default);
        _last = options.To ?? status.AsOf ?? (dates.Count > 0 ? dates.Max() : first);
        if (_last < first)
        {
            _last = first;
        }
        _axisStart = new DateOnly(first.Year, first.Month, 1);
        _axisEnd = new DateOnly(_last.Year, _last.Month, 1).AddMonths(1);
    }

    private IEnumerable<DateOnly> Dates()
    {
        DateOnly?[] singles = [_status.AppliedOn, _status.InvitedOn, _status.ProtocolSignedOn, _status.AccededOn, _status.WithdrawnOn, _status.AsOf];
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

    private double X(DateOnly d)
    {
        var day = Math.Clamp(d.DayNumber, _axisStart.DayNumber, _axisEnd.DayNumber);
        return _left + (day - _axisStart.DayNumber) * (_right - _left) / (_axisEnd.DayNumber - _axisStart.DayNumber);
    }

    // When the process closed (accession or withdrawal) within the picture: nothing runs on past it.
    private DateOnly? ClosedOn => (_status.WithdrawnOn ?? _status.AccededOn) is { } c ? (c < _last ? c : _last) : null;

    private static string Iso(DateOnly d) => TimelineSvg.Iso(d);

    private static string Iso(DateOnly? d) => d is { } x ? Iso(x) : "";

    private static string Count(int n) => n.ToString(CultureInfo.InvariantCulture);

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
        var labels = PlaceLabels(milestones);
        var lanes = labels.Count == 0 ? 0 : labels.Max(l => l.Lane) + 1;
        var axisTop = y + 10 + lanes * LaneHeight;
        var rowsTop = axisTop + 30;
        var rowCount = rows.Count + vetoers.Count;
        var rowsBottom = rowsTop + Math.Max(rowCount, 1) * _rowHeight;

        body.Add(Stripes(rowsTop, rowCount));
        body.Add(Axis(axisTop, rowsTop, rowsBottom));
        body.Add(MilestoneLayer(labels, axisTop, rowsBottom));
        var rowGroups = new List<object> { Class("rows") };
        for (var i = 0; i < rows.Count; i++)
        {
            rowGroups.Add(Row(rows[i], rowsTop + i * _rowHeight));
        }
        for (var i = 0; i < vetoers.Count; i++)
        {
            rowGroups.Add(VetoerRow(vetoers[i], rowsTop + (rows.Count + i) * _rowHeight));
        }
        body.Add(El("g", rowGroups.ToArray()));
        y = rowsBottom + 16;
        body.Add(Legend(rows, ref y));
        body.Add(Footer(ref y));
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
            El("defs",
                El("style", new XAttribute("type", "text/css"), "\n" + Style + "\n"),
                El("pattern", new XAttribute("id", "ledger-timeline-hatch"), new XAttribute("patternUnits", "userSpaceOnUse"),
                    A("width", 5), A("height", 5), new XAttribute("patternTransform", "rotate(45)"),
                    El("line", A("x1", 0), A("y1", 0), A("x2", 0), A("y2", 5), new XAttribute("stroke", "#7c2d12"), A("stroke-width", 1.6), new XAttribute("stroke-opacity", "0.7")))),
            El("rect", A("width", "100%"), A("height", "100%"), new XAttribute("fill", "#ffffff")),
        };
        content.AddRange(body);
        return new XElement(TimelineSvg.Namespace + "svg", content);
    }

    private string Description()
    {
        var approved = _status.Ratified.Count;
        var text = $"Stage {StageText(_status.Stage)}; {Count(_status.RequiredRatifiers.Count)} required ratifiers, {Count(approved)} approved, {Count(_status.Deposited.Count)} deposited";
        var vetoes = _status.Vetoes.Select(v => $"{(v.Formal ? "veto" : "hold")} by {v.Member} from {Iso(v.Since)} {(v.EndedOn is { } e ? "to " + Iso(e) : "ongoing")}");
        return string.Join("; ", [text, .. vetoes]) + ".";
    }

    private static string StageText(Stage stage) => stage switch
    {
        Stage.NotOpened => "not opened",
        Stage.Applied => "applied",
        Stage.Invited => "invited",
        Stage.Ratifying => "ratifying",
        Stage.Blocked => "blocked",
        Stage.ReadyToAccede => "ready to accede",
        Stage.Member => "member",
        Stage.Withdrawn => "withdrawn",
        _ => stage.ToString(),
    };

    // Joins parts with the separator into lines no wider than max (a part wider than max gets a line of its own).
    private static List<string> Wrap(IEnumerable<string> parts, string separator, double size, double max)
    {
        var lines = new List<string>();
        var line = "";
        foreach (var part in parts.Where(p => p.Length > 0))
        {
            var joined = line.Length == 0 ? part : line + separator + part;
            if (line.Length > 0 && Width(joined, size) * 0.92 > max)
            {
                lines.Add(line);
                line = part;
            }
            else
            {
                line = joined;
            }
        }
        if (line.Length > 0)
        {
            lines.Add(line);
        }
        return lines;
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
        string[] parts = [_status.Organization, $"candidate {_status.Candidate}", $"stage: {StageText(_status.Stage)}", counts, asOf + knownAt];
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
            var path = $"M{Num(X(_axisStart))},{Num(Y(0))}";
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
            El("line", Class("grid"), A("x1", _left), A("y1", bottom), A("x2", _right), A("y2", bottom)),
            El("path", Class("count-area"), A("d", Steps(counted, close: true))),
            El("path", Class("required-line"), A("d", Steps(requiredDates, close: false))),
            El("path", Class("count-line"), A("d", Steps(counted, close: false))),
            El("text", Class("muted small"), A("x", _left - 8), A("y", bottom - 8), A("text-anchor", "end"), "counted"),
            El("text", Class("small"), A("x", _right + 10), A("y", bottom - 8),
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

    private XElement Axis(double axisTop, double rowsTop, double rowsBottom)
    {
        var g = new XElement(TimelineSvg.Namespace + "g", Class("axis"));
        var months = (_axisEnd.Year - _axisStart.Year) * 12 + _axisEnd.Month - _axisStart.Month;
        var perMonth = (_right - _left) / months;
        var labelEvery = perMonth >= 24 ? 1 : perMonth >= 9 ? 3 : perMonth >= 4.5 ? 6 : 0;
        var gridEvery = labelEvery == 0 ? 12 : perMonth >= 12 ? 1 : labelEvery;
        var yearY = axisTop + 11;
        var monthY = axisTop + 24;

        // Years: a strong line on 1 January, the label just right of it; the first (partial) year at the axis start.
        var firstJanuary = new DateOnly(_axisStart.Year + (_axisStart.Month == 1 ? 0 : 1), 1, 1);
        if (_axisStart.Month == 1 || X(firstJanuary) - _left >= 36)
        {
            g.Add(El("text", Class("axis-label year-label"), A("x", _left + 3), A("y", yearY), Count(_axisStart.Year)));
        }
        for (var jan = firstJanuary; jan < _axisEnd; jan = jan.AddYears(1))
        {
            if (jan > _axisStart)
            {
                g.Add(El("line", Class("grid-year"), A("x1", X(jan)), A("y1", axisTop), A("x2", X(jan)), A("y2", rowsBottom + 4)));
                g.Add(El("text", Class("axis-label year-label"), A("x", X(jan) + 3), A("y", yearY), Count(jan.Year)));
            }
        }

        var index = 0;
        for (var month = _axisStart; month < _axisEnd; month = month.AddMonths(1), index++)
        {
            var x = X(month);
            if (month.Month != 1 && index % gridEvery == 0)
            {
                g.Add(El("line", Class("grid"), A("x1", x), A("y1", monthY + 4), A("x2", x), A("y2", rowsBottom)));
            }
            if (labelEvery > 0 && (month.Month - 1) % labelEvery == 0)
            {
                var middle = (x + X(month.AddMonths(1))) / 2;
                var name = MonthNames[month.Month - 1];
                g.Add(El("text", Class("axis-label"), A("x", middle), A("y", monthY), A("text-anchor", "middle"), name));
                g.Add(El("text", Class("axis-label"), A("x", middle), A("y", rowsBottom + 13), A("text-anchor", "middle"), name));
            }
        }
        g.Add(El("line", Class("grid-year"), A("x1", _left), A("y1", rowsTop), A("x2", _right), A("y2", rowsTop)));
        g.Add(El("line", Class("grid-year"), A("x1", _left), A("y1", rowsBottom), A("x2", _right), A("y2", rowsBottom)));
        g.Add(El("text", Class("axis-label"), A("x", _right + 10), A("y", monthY), "approved"));
        g.Add(El("text", Class("axis-label"), A("x", _width - Margin), A("y", monthY), A("text-anchor", "end"), "days"));
        return g;
    }

    private sealed record Milestone(DateOnly On, string Kind, string? Name, string? Detail, bool Unconfirmed, string Tooltip);

    private sealed record Placed(Milestone Milestone, string? Detail, double LineX, double Left, double Right, bool AnchorEnd, int Lane);

    private List<Milestone> Milestones()
    {
        var list = new List<Milestone>();
        void Add<TEvent>(DateOnly? on, string kind, string name, string? detail, string description)
        {
            if (on is not { } d)
            {
                return;
            }
            var unconfirmed = Unconfirmed<TEvent>(null, d);
            list.Add(new Milestone(d, kind, name, detail, unconfirmed, Tooltip($"{description} {Iso(d)}{(unconfirmed ? " (date unconfirmed)" : "")}", Notes<TEvent>(null, d))));
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
            list.Add(new Milestone(m.On, "memorandum", null, m.Title, m.Unconfirmed || Unconfirmed<MemorandumSigned>(null, m.On), Tooltip(string.Join("\n", lines), Notes<MemorandumSigned>(null, m.On))));
        }
        Add<AccessionCompleted>(_status.AccededOn, "accession", "Acceded", null, $"{_status.Candidate} acceded to {_status.Organization}");
        Add<ApplicationWithdrawn>(_status.WithdrawnOn, "withdrawal", "Withdrawn", null, "Application withdrawn");
        if (_status.AsOf is { } asOf && asOf != _status.AccededOn && asOf != _status.WithdrawnOn)
        {
            list.Add(new Milestone(asOf, "asof", "as-of date", null, false, $"Status as of {Iso(asOf)}: later entries are not drawn"));
        }
        if (_options.Marker is { } marker)
        {
            list.Add(new Milestone(marker, "asof marker", "as of", null, false, $"The page shows the process as of {Iso(marker)}"));
        }
        return [.. list.Where(m => m.On >= _axisStart && m.On <= _axisEnd)];
    }

    private static string LabelText(Milestone m, string? detail) =>
        $"{Iso(m.On)} {m.Name}{(m.Name is not null && detail is not null ? " \u00b7 " : "")}{detail}{(m.Unconfirmed ? " ?" : "")}";

    // Lane 0 is nearest the axis; a milestone's line runs down from its label through the lanes below. A placement is
    // clean when labels in a lane keep apart and no line runs through another label. Each label takes the first clean
    // spot: not over a line still to be placed, full text before shortened text, right of its line before left of it,
    // lower lanes first. Two orders are tried (latest first, earliest first); the one with fewer unclean labels, then
    // fewer lanes, is kept.
    private List<Placed> PlaceLabels(List<Milestone> milestones)
    {
        var indexed = milestones.Select((m, i) => (m, i)).ToList();
        var latestFirst = indexed.OrderByDescending(p => p.m.On).ThenByDescending(p => p.i).Select(p => p.m).ToList();
        var earliestFirst = indexed.OrderBy(p => p.m.On).ThenBy(p => p.i).Select(p => p.m).ToList();
        return new[] { latestFirst, earliestFirst }
            .Select(order => PlaceLabels(order, out var unclean) is var placed ? (placed, unclean) : default)
            .OrderBy(r => r.unclean)
            .ThenBy(r => r.placed.Select(p => p.Lane).DefaultIfEmpty(-1).Max())
            .First().placed;
    }

    private List<Placed> PlaceLabels(List<Milestone> order, out int unclean)
    {
        unclean = 0;
        var placed = new List<Placed>();
        static bool Covers(Placed label, double x) => x >= label.Left - 1 && x <= label.Right + 1;
        bool Free(Placed n) => placed.All(p => p.Lane != n.Lane || n.Right + 8 <= p.Left || n.Left >= p.Right + 8);
        bool IsClean(Placed n) => Free(n) && placed.All(p =>
            (p.Lane >= n.Lane || !Covers(p, n.LineX)) && (p.Lane <= n.Lane || !Covers(n, p.LineX)));
        var unplaced = order.Select(m => X(m.On)).ToList();
        foreach (var m in order)
        {
            unplaced.RemoveAt(0);
            // A label over the line of a milestone still to come would force that label below it; avoid it if possible.
            var variants = Variants(m).OrderBy(v => unplaced.Any(x => Covers(v, x))).ToList();
            var lanes = Enumerable.Range(0, MaxLanes).ToList();
            var spot = variants.SelectMany(v => lanes.Select(l => v with { Lane = l })).FirstOrDefault(IsClean);
            if (spot is null)
            {
                unclean++;
                spot = lanes.Select(l => variants[0] with { Lane = l }).FirstOrDefault(Free) ?? variants[0] with { Lane = MaxLanes - 1 };
            }
            placed.Add(spot);
        }
        return [.. placed.OrderBy(p => p.Milestone.On).ThenBy(p => p.Lane)];
    }

    // Where a milestone's label can go: full text, then shorter, each right of the line if it fits, else left of it.
    private IEnumerable<Placed> Variants(Milestone m)
    {
        var x = X(m.On);
        int?[] lengths = m.Detail is null ? [null] : [40, 28, 18, 10];
        foreach (var length in lengths.Distinct())
        {
            var detail = m.Detail is null || length is null ? m.Detail : Clip(m.Detail, length.Value);
            var w = Width(LabelText(m, detail), 10.5);
            if (x + 3 + w <= _width - Margin)
            {
                yield return new Placed(m, detail, x, x + 3, x + 3 + w, false, 0);
            }
            if (x - 3 - w >= Margin)
            {
                yield return new Placed(m, detail, x, x - 3 - w, x - 3, true, 0);
            }
        }
        // Nothing fits either side: the shortest text right of the line, even if it runs off the edge.
        var shortest = m.Detail is null ? null : Clip(m.Detail, 10);
        yield return new Placed(m, shortest, x, x + 3, x + 3 + Width(LabelText(m, shortest), 10.5), false, 0);
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

    private XElement Row(RegisterRow row, double top)
    {
        var cy = top + _rowHeight / 2;
        var member = row.Member;
        var approvalUnconfirmed = _status.Ratified.FirstOrDefault(r => r.Member == member)?.Unconfirmed ?? false;
        var depositUnconfirmed = _status.Deposited.FirstOrDefault(r => r.Member == member)?.Unconfirmed ?? false;
        var opens = _status.ProtocolSignedOn ?? _status.InvitedOn ?? row.RequiredSince;
        var start = opens > row.RequiredSince ? opens : row.RequiredSince;
        var late = _status.InvitedOn is { } invited && row.RequiredSince > invited;
        var closedOn = ClosedOn;
        var waitEnd = row.RatifiedOn ?? closedOn ?? _last;
        var vetoes = _status.Vetoes.Where(v => v.Member == member).ToList();

        var g = new XElement(TimelineSvg.Namespace + "g",
            Class(row.RatifiedOn is null ? "row pending" : "row"),
            A("data-member", member),
            Title(RowTooltip(row, late)));
        g.Add(El("text", Class("code"), A("x", _left - 8), A("y", cy + 4), A("text-anchor", "end"), Clean(member)));

        foreach (var v in vetoes)
        {
            g.Add(Span(v, top));
        }

        // The wait from the protocol signature (or from joining the ratifiers) to approval, except where a hold or veto covers it.
        if (waitEnd > start)
        {
            foreach (var (from, to) in Subtract(start, waitEnd, vetoes.Select(v => (v.Since, v.EndedOn ?? closedOn ?? _last))))
            {
                g.Add(El("rect", Class("wait"), A("x", X(from)), A("y", cy - 2), A("width", Math.Max(X(to) - X(from), 0.5)), A("height", 4), A("rx", 1)));
            }
            if (row.RatifiedOn is null && closedOn is null && !vetoes.Any(v => v.EndedOn is null))
            {
                g.Add(El("path", Class("ongoing-wait ongoing"), A("d", ArrowRight(X(_last) + 5, cy, 4))));
            }
        }

        foreach (var vote in row.Steps.Where(s => s.Type == "vote"))
        {
            var x = X(vote.On);
            g.Add(El("line", Class("vote"), A("x1", x), A("y1", cy - 5), A("x2", x), A("y2", cy + 5),
                Title($"{member} {Iso(vote.On)} vote: {vote.Detail}{(vote.Unconfirmed ? " (date unconfirmed)" : "")}")));
        }

        if (late)
        {
            var x = X(row.RequiredSince);
            g.Add(El("line", Class("added"), A("x1", x), A("y1", top + 1), A("x2", x), A("y2", top + _rowHeight - 1),
                Title($"{member} became a required ratifier {Iso(row.RequiredSince)}")));
            var label = $"required from {Iso(row.RequiredSince)}";
            var after = Math.Max(x, row.DepositedOn is { } dep ? X(dep) : x) + 11;
            var fitsAfter = after + Width(label, 10) <= _right;
            g.Add(El("text", Class("added-label"), A("x", fitsAfter ? after : X(row.RatifiedOn is { } ra && ra < row.RequiredSince ? ra : row.RequiredSince) - 9),
                A("y", cy + 3.5), fitsAfter ? null : A("text-anchor", "end"), label));
        }

        // Approved before it became a required ratifier: the approval waits, dotted, until it counts.
        if (row.RatifiedOn is { } early && early < start)
        {
            var counts = row.CountsFrom ?? start;
            g.Add(El("line", Class("early"), A("x1", X(early)), A("y1", cy), A("x2", X(counts)), A("y2", cy),
                Title($"{member} approved {Iso(early)}, before it became a required ratifier; counts from {Iso(counts)}")));
        }

        if (row.DepositedOn is { } deposited)
        {
            var x = X(deposited);
            g.Add(El("path", Class(depositUnconfirmed ? "deposit unconfirmed" : "deposit"), A("d", Diamond(x, cy, Math.Min(7.5, _rowHeight / 2 - 1))),
                Title(MarkTooltip<InstrumentDeposited>(member, deposited, "deposited", row.Steps.FirstOrDefault(s => s.Type == "deposit"), depositUnconfirmed))));
            if (depositUnconfirmed)
            {
                g.Add(Question(x + 6, cy - 2));
            }
        }
        if (row.RatifiedOn is { } approved)
        {
            var x = X(approved);
            // Same day as the deposit: a smaller circle, so the diamond shows around it.
            var r = row.DepositedOn == approved ? Math.Min(3.4, _rowHeight / 5) : Math.Min(4.5, _rowHeight / 4);
            g.Add(El("circle", Class(approvalUnconfirmed ? "approval unconfirmed" : "approval"), A("cx", x), A("cy", cy), A("r", r),
                Title(MarkTooltip<RatificationApproved>(member, approved, "approved", row.Steps.FirstOrDefault(s => s.Type == "ratification"), approvalUnconfirmed))));
            if (approvalUnconfirmed)
            {
                g.Add(Question(x + 6, cy - 2));
            }
        }

        g.Add(RightColumn(row, cy, approvalUnconfirmed || depositUnconfirmed, vetoes));
        return g;
    }

    private XElement RightColumn(RegisterRow row, double cy, bool unconfirmed, List<VetoView> vetoes)
    {
        var baseline = cy + 4;
        if (row.RatifiedOn is not { } approved)
        {
            var active = vetoes.LastOrDefault(v => v.EndedOn is null);
            var word = ClosedOn is not null ? "not approved" : active is null ? "pending" : active.Formal ? "vetoing" : "holding";
            return El("text", Class("pending"), A("x", _right + 10), A("y", baseline), word);
        }
        return El("g", Class("approved-on"),
            El("text", Class("date"), A("x", _right + 10), A("y", baseline), Iso(approved), unconfirmed ? El("tspan", Class("q"), "?") : null),
            row.DaysFromSignature is { } days
                ? El("text", Class("date muted"), A("x", _width - Margin), A("y", baseline), A("text-anchor", "end"), Count(days))
                : null);
    }

    private XElement VetoerRow(string member, double top)
    {
        var g = new XElement(TimelineSvg.Namespace + "g", Class("vetoer"), A("data-vetoer", member),
            Title($"{member} is not a required ratifier of this process; its vetoes and holds:"));
        g.Add(El("text", Class("code"), A("x", _left - 8), A("y", top + _rowHeight / 2 + 4), A("text-anchor", "end"), Clean(member)));
        foreach (var v in _status.Vetoes.Where(v => v.Member == member))
        {
            g.Add(Span(v, top));
        }
        return g;
    }

    private XElement Span(VetoView v, double top)
    {
        var kind = v.Formal ? "veto" : "hold";
        var closedOn = ClosedOn;
        var to = v.EndedOn ?? closedOn ?? _last;
        var x1 = X(v.Since);
        var x2 = Math.Max(X(to), x1 + 2);
        var y = top + 2;
        var h = _rowHeight - 4;
        var days = to.DayNumber - v.Since.DayNumber;
        var tooltip = new List<string>
        {
            $"{v.Member}: {(v.Formal ? "formal veto" : "de facto hold")} from {Iso(v.Since)}{(v.Unconfirmed ? " (start date unconfirmed)" : "")} "
                + (v.EndedOn is { } e ? $"to {Iso(e)} ({Count(days)} days)" : closedOn is { } c ? $"still active when the process closed on {Iso(c)} ({Count(days)} days)" : $"ongoing at {Iso(_last)} ({Count(days)} days so far)"),
            "Reason: " + v.Reason,
        };
        if (v.EndedBy is { } endedBy)
        {
            tooltip.Add("Ended: " + endedBy);
        }
        var g = new XElement(TimelineSvg.Namespace + "g",
            Class($"span {kind}{(v.EndedOn is null && closedOn is null ? " ongoing" : "")}{(v.Unconfirmed ? " unconfirmed" : "")}"),
            A("data-member", v.Member), A("data-from", Iso(v.Since)), A("data-to", Iso(to)), A("data-formal", v.Formal ? "true" : "false"),
            A("data-reason", v.Reason),
            Title(Tooltip(string.Join("\n", tooltip), Notes<VetoDeclared>(v.Member, v.Since))),
            El("rect", Class(kind), A("x", x1), A("y", y), A("width", x2 - x1), A("height", h)));
        if (v.Formal)
        {
            g.Add(El("rect", Class("hatch"), A("x", x1), A("y", y), A("width", x2 - x1), A("height", h)));
        }
        if (v.Unconfirmed)
        {
            g.Add(El("line", Class("span-edge"), A("x1", x1), A("y1", y - 1), A("x2", x1), A("y2", y + h + 1)));
            g.Add(Question(x1 + 3, y + 9));
        }
        if (v.EndedOn is null && closedOn is null)
        {
            g.Add(El("path", Class($"ongoing-{kind}"), A("d", ArrowRight(x2 + 5, top + _rowHeight / 2, 4))));
        }
        var label = $"{kind} {Iso(v.Since)} \u2192 {(v.EndedOn is { } end ? Iso(end) : closedOn is { } closed ? Iso(closed) : "ongoing")} \u00b7 {Count(days)} days";
        var room = x2 - x1 - (v.Unconfirmed ? 16 : 8);
        var text = Width(label, 10) <= room ? label : Width(kind, 10) <= room ? kind : null;
        if (text is not null)
        {
            g.Add(El("text", Class("span-label"), A("x", x1 + (v.Unconfirmed ? 12 : 4)), A("y", top + _rowHeight / 2 + 3.5), text));
        }
        return g;
    }

    private static XElement Question(double x, double y) => El("text", Class("q"), A("x", x), A("y", y), "?");

    // The parts of [from, to) not covered by any of the spans.
    private static List<(DateOnly From, DateOnly To)> Subtract(DateOnly from, DateOnly to, IEnumerable<(DateOnly From, DateOnly To)> spans)
    {
        var parts = new List<(DateOnly From, DateOnly To)> { (from, to) };
        foreach (var (sFrom, sTo) in spans)
        {
            parts = [.. parts.SelectMany<(DateOnly From, DateOnly To), (DateOnly From, DateOnly To)>(p =>
                sTo <= p.From || sFrom >= p.To ? [p] : [(p.From, sFrom), (sTo, p.To)])
                .Where(p => p.To > p.From)];
        }
        return parts;
    }

    private string RowTooltip(RegisterRow row, bool late)
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

    private string MarkTooltip<TEvent>(string member, DateOnly on, string verb, RegisterStep? step, bool unconfirmed)
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

    private static string Tooltip(string head, IEnumerable<string> notes) => string.Join("\n", [head, .. notes]);

    private IEnumerable<AuditEntry> EntriesOf<TEvent>(string? member, DateOnly on) =>
        _entries[(StoredEventNames.All[typeof(TEvent)], member ?? "", on)];

    private bool Unconfirmed<TEvent>(string? member, DateOnly on) => EntriesOf<TEvent>(member, on).Any(e => e.Unconfirmed);

    // Notes and sources of the entries recording this fact, as lines of a tooltip.
    private IEnumerable<string> Notes<TEvent>(string? member, DateOnly on)
    {
        var entries = EntriesOf<TEvent>(member, on).ToList();
        return entries.Select(e => e.Note).OfType<string>().Where(n => n.Length > 0).Distinct(StringComparer.Ordinal).Select(n => "note: " + n)
            .Concat(entries.Select(e => e.Source).OfType<string>().Where(s => s.Length > 0).Distinct(StringComparer.Ordinal).Select(s => "source: " + s));
    }

    private XElement Legend(List<RegisterRow> rows, ref double y)
    {
        var cy = y + 6;
        var items = new List<(string Text, Func<double, double, IEnumerable<XElement>> Icon)>
        {
            ("approval (national procedure complete)", (x, c) => [El("circle", Class("approval"), A("cx", x + 10), A("cy", c), A("r", 4.5))]),
            ("deposit with the depositary", (x, c) => [El("path", Class("deposit"), A("d", Diamond(x + 10, c, 6.5)))]),
            ("waiting for approval (from the protocol signature)", (x, c) => [El("rect", Class("wait"), A("x", x), A("y", c - 2), A("width", 20), A("height", 4), A("rx", 1))]),
        };
        var unconfirmed = _status.Ratified.Any(r => r.Unconfirmed) || _status.Deposited.Any(d => d.Unconfirmed)
            || _status.Vetoes.Any(v => v.Unconfirmed) || _status.Memoranda.Any(m => m.Unconfirmed)
            || rows.Any(r => r.Unconfirmed || r.Steps.Any(s => s.Unconfirmed))
            || _audit.Any(e => e.Unconfirmed && !e.Retracted && e.On <= _last);
        if (unconfirmed)
        {
            items.Add(("date unconfirmed (no source states the exact day)", (x, c) =>
                [El("circle", Class("approval unconfirmed"), A("cx", x + 8), A("cy", c), A("r", 4.5)), El("text", Class("q"), A("x", x + 14), A("y", c - 2), "?")]));
        }
        if (rows.Any(r => r.Steps.Any(s => s.Type == "vote")))
        {
            items.Add(("chamber vote", (x, c) => [El("line", Class("vote"), A("x1", x + 10), A("y1", c - 5), A("x2", x + 10), A("y2", c + 5))]));
        }
        if (_status.Vetoes.Any(v => !v.Formal))
        {
            items.Add(("de facto hold (ratification withheld)", (x, c) => [El("rect", Class("hold"), A("x", x), A("y", c - 6), A("width", 20), A("height", 12))]));
        }
        if (_status.Vetoes.Any(v => v.Formal))
        {
            items.Add(("formal veto", (x, c) =>
                [El("rect", Class("veto"), A("x", x), A("y", c - 6), A("width", 20), A("height", 12)), El("rect", Class("hatch"), A("x", x), A("y", c - 6), A("width", 20), A("height", 12))]));
        }
        if (ClosedOn is null && (rows.Any(r => r.RatifiedOn is null) || _status.Vetoes.Any(v => v.EndedOn is null)))
        {
            items.Add(($"still open on {Iso(_last)}", (x, c) => [El("path", Class("ongoing-wait"), A("d", ArrowRight(x + 14, c, 5)))]));
        }
        if (_status.InvitedOn is { } invited && rows.Any(r => r.RequiredSince > invited))
        {
            items.Add(("became a required ratifier later", (x, c) => [El("line", Class("added"), A("x1", x + 10), A("y1", c - 7), A("x2", x + 10), A("y2", c + 7))]));
        }
        if (rows.Any(r => r.RatifiedOn is { } a && a < r.RequiredSince))
        {
            items.Add(("approved early, counts from joining", (x, c) => [El("line", Class("early"), A("x1", x), A("y1", c), A("x2", x + 20), A("y2", c))]));
        }
        items.Add(("milestone", (x, c) => [El("line", Class("ms"), A("x1", x + 10), A("y1", c - 7), A("x2", x + 10), A("y2", c + 7))]));
        if (_status.Memoranda.Count > 0)
        {
            items.Add(("memorandum", (x, c) => [El("line", Class("ms memorandum"), A("x1", x + 10), A("y1", c - 7), A("x2", x + 10), A("y2", c + 7))]));
        }

        var g = new XElement(TimelineSvg.Namespace + "g", Class("legend"));
        var cursor = Margin;
        foreach (var (text, icon) in items)
        {
            var itemWidth = 26 + Width(text, 10.5) * 0.92 + 18;
            if (cursor + itemWidth > _width - Margin && cursor > Margin)
            {
                cursor = Margin;
                cy += 20;
            }
            var item = new XElement(TimelineSvg.Namespace + "g", Class("legend-item"));
            item.Add(icon(cursor, cy));
            item.Add(El("text", Class("legend-text"), A("x", cursor + 26), A("y", cy + 4), text));
            g.Add(item);
            cursor += itemWidth;
        }
        y = cy + 12;
        return g;
    }

    private XElement Footer(ref double y)
    {
        var known = _audit.Count(e => e.On <= _last);
        var retracted = _audit.Count(e => e.Retracted && e.On <= _last);
        string[] sentences =
        [
            $"Drawn from {Count(known)} recorded entries{(retracted > 0 ? $"; {Count(retracted)} retracted entries are not drawn" : "")}.",
            "Right column: approval date and days from the protocol signature.",
            "Hover a mark for its source and note.",
        ];
        var g = new XElement(TimelineSvg.Namespace + "g", Class("footer"));
        foreach (var line in Wrap(sentences, " ", 10, _width - 2 * Margin))
        {
            y += 14;
            g.Add(El("text", Class("muted small"), A("x", Margin), A("y", y), line));
        }
        return g;
    }
}
