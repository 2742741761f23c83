using System.Globalization;
using RatificationLedger.Projections;

namespace RatificationLedger.Presentation.Timeline;

/// <summary>The measures every part of a timeline picture agrees on, and the formats of its dates and counts.</summary>
internal static class TimelineLayout
{
    public const double Margin = 12;
    public const double LabelColumn = 58;
    public const double RightColumnWidth = 150;
    public const double LaneHeight = 14;
    public const int MaxLanes = 8;
    public const double StripHeight = 34;

    public static string Iso(DateOnly d) => TimelineSvg.Iso(d);

    public static string Iso(DateOnly? d) => d is { } x ? Iso(x) : "";

    public static string Count(int n) => n.ToString(CultureInfo.InvariantCulture);

    /// <summary>When the process closed (accession or withdrawal) within the picture: nothing runs on past it.</summary>
    public static DateOnly? ClosedOn(AccessionStatus status, DateOnly last) =>
        (status.WithdrawnOn ?? status.AccededOn) is { } c ? (c < last ? c : last) : null;
}
