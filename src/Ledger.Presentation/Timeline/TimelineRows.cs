using System.Globalization;
using System.Xml.Linq;
using RatificationLedger.Domain;
using RatificationLedger.Projections;
using static RatificationLedger.Presentation.Timeline.Svg;
using static RatificationLedger.Presentation.Timeline.TimelineLayout;

namespace RatificationLedger.Presentation.Timeline;

/// <summary>
/// One row per required ratifier (the wait from the protocol signature, chamber votes, approval, deposit, holds and
/// vetoes, the approval date and days in the right column) and one per member that only vetoed.
/// </summary>
internal sealed class TimelineRows(AccessionStatus status, TimeScale scale, TimelineTooltips tips, double width, double rowHeight, DateOnly last)
{
    private readonly AccessionStatus _status = status;
    private readonly TimeScale _scale = scale;
    private readonly TimelineTooltips _tips = tips;
    private readonly double _width = width;
    private readonly double _rowHeight = rowHeight;
    private readonly DateOnly _last = last;

    private readonly double _left = scale.Left;

    private readonly double _right = scale.Right;

    private DateOnly? ClosedOn => TimelineLayout.ClosedOn(_status, _last);

    private double X(DateOnly d) => _scale.X(d);

    public XElement Row(RegisterRow row, double top)
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
            Title(_tips.RowTooltip(row, late)));
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
                Title(_tips.MarkTooltip<InstrumentDeposited>(member, deposited, "deposited", row.Steps.FirstOrDefault(s => s.Type == "deposit"), depositUnconfirmed))));
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
                Title(_tips.MarkTooltip<RatificationApproved>(member, approved, "approved", row.Steps.FirstOrDefault(s => s.Type == "ratification"), approvalUnconfirmed))));
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

    public XElement VetoerRow(string member, double top)
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
            Title(TimelineTooltips.Tooltip(string.Join("\n", tooltip), _tips.Notes<VetoDeclared>(v.Member, v.Since))),
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
}
