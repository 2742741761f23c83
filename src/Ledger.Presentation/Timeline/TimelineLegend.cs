using System.Globalization;
using System.Xml.Linq;
using RatificationLedger.Domain;
using RatificationLedger.Projections;
using static RatificationLedger.Presentation.Timeline.Svg;
using static RatificationLedger.Presentation.Timeline.TimelineLayout;

namespace RatificationLedger.Presentation.Timeline;

/// <summary>The legend under the picture (only the marks it shows) and the footer (what it was drawn from).</summary>
internal sealed class TimelineLegend(AccessionStatus status, IReadOnlyList<AuditEntry> audit, double width, DateOnly last)
{
    private readonly AccessionStatus _status = status;
    private readonly IReadOnlyList<AuditEntry> _audit = audit;
    private readonly double _width = width;
    private readonly DateOnly _last = last;

    private DateOnly? ClosedOn => TimelineLayout.ClosedOn(_status, _last);

    public XElement Legend(List<RegisterRow> rows, ref double y)
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

    public XElement Footer(ref double y)
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
