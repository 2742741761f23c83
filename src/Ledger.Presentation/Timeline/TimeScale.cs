using System.Globalization;
using System.Xml.Linq;
using RatificationLedger.Domain;
using RatificationLedger.Projections;
using static RatificationLedger.Presentation.Timeline.Svg;
using static RatificationLedger.Presentation.Timeline.TimelineLayout;

namespace RatificationLedger.Presentation.Timeline;

/// <summary>
/// The time axis: whole months from the first day's month to the month after the last day, mapped linearly onto
/// [<see cref="Left"/>, <see cref="Right"/>]; draws the year and month grid with labels as dense as the room allows.
/// </summary>
internal sealed class TimeScale
{
    private static readonly string[] MonthNames = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

    private readonly DateOnly _axisStart;
    private readonly DateOnly _axisEnd;
    private readonly double _left;
    private readonly double _right;

    public TimeScale(DateOnly first, DateOnly last, double left, double right)
    {
        _axisStart = new DateOnly(first.Year, first.Month, 1);
        _axisEnd = new DateOnly(last.Year, last.Month, 1).AddMonths(1);
        _left = left;
        _right = right;
    }

    /// <summary>The first day of the axis (the first of a month).</summary>
    public DateOnly Start => _axisStart;

    /// <summary>The day after the axis (the first of the month after the last day's).</summary>
    public DateOnly End => _axisEnd;

    public double Left => _left;

    public double Right => _right;

    /// <summary>The x of a day; days outside the axis are drawn at its ends.</summary>
    public double X(DateOnly d)
    {
        var day = Math.Clamp(d.DayNumber, _axisStart.DayNumber, _axisEnd.DayNumber);
        return _left + (day - _axisStart.DayNumber) * (_right - _left) / (_axisEnd.DayNumber - _axisStart.DayNumber);
    }

    public XElement Draw(double axisTop, double rowsTop, double rowsBottom, double width)
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
        g.Add(El("text", Class("axis-label"), A("x", width - Margin), A("y", monthY), A("text-anchor", "end"), "days"));
        return g;
    }
}
