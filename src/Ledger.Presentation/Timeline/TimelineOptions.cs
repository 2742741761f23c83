using RatificationLedger.Projections;

namespace RatificationLedger.Presentation.Timeline;

/// <summary>Size and time window of a timeline picture (<see cref="TimelineSvg"/>).</summary>
public sealed record TimelineOptions
{
    /// <summary>Width of the picture in pixels (at least 640).</summary>
    public int Width { get; init; } = 1200;

    /// <summary>Height of one ratifier's row in pixels (12 to 40).</summary>
    public int RowHeight { get; init; } = 18;

    /// <summary>First day shown (default: the earliest date of the process).</summary>
    public DateOnly? From { get; init; }

    /// <summary>
    /// Last day shown; holds, vetoes and pending ratifications still open are drawn up to it. Default: the status's
    /// as-of date, or else the latest date of the process.
    /// </summary>
    public DateOnly? To { get; init; }

    /// <summary>
    /// A date to mark with a vertical line across the picture (the web view's chosen as-of date) while the picture
    /// shows the whole process; null for no mark.
    /// </summary>
    public DateOnly? Marker { get; init; }
}
