using static RatificationLedger.Presentation.Timeline.Svg;
using static RatificationLedger.Presentation.Timeline.TimelineLayout;

namespace RatificationLedger.Presentation.Timeline;

/// <summary>A dated line across the picture with its label: a step of the process, a memorandum, the as-of mark.</summary>
internal sealed record Milestone(DateOnly On, string Kind, string? Name, string? Detail, bool Unconfirmed, string Tooltip);

/// <summary>Where a milestone's label went: its (possibly shortened) detail, its extent, its side of the line and its lane.</summary>
internal sealed record Placed(Milestone Milestone, string? Detail, double LineX, double Left, double Right, bool AnchorEnd, int Lane);

/// <summary>Places the milestones' labels in lanes above the axis so that none overlaps another or a line.</summary>
internal sealed class LabelPlacement(Func<DateOnly, double> x, double width)
{
    private readonly Func<DateOnly, double> _x = x;
    private readonly double _width = width;

    private double X(DateOnly d) => _x(d);

    /// <summary>The text of a label: date, name, detail, and a question mark when the date is unconfirmed.</summary>
    public static string LabelText(Milestone m, string? detail) =>
        $"{Iso(m.On)} {m.Name}{(m.Name is not null && detail is not null ? " \u00b7 " : "")}{detail}{(m.Unconfirmed ? " ?" : "")}";

    // Lane 0 is nearest the axis; a milestone's line runs down from its label through the lanes below. A placement is
    // clean when labels in a lane keep apart and no line runs through another label. Each label takes the first clean
    // spot: not over a line still to be placed, full text before shortened text, right of its line before left of it,
    // lower lanes first. Two orders are tried (latest first, earliest first); the one with fewer unclean labels, then
    // fewer lanes, is kept.
    public List<Placed> PlaceLabels(List<Milestone> milestones)
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
}
