using System.Xml.Linq;
using static RatificationLedger.Presentation.Timeline.Svg;

namespace RatificationLedger.Presentation.Timeline;

/// <summary>The timeline's stylesheet and shared definitions (the formal veto's hatch), in the palette of every view.</summary>
internal static class TimelineStylesheet
{
    /// <summary>The CSS of the picture: one class per kind of mark.</summary>
    public static readonly string Css = string.Join('\n',
        $"text {{ font-family: 'DejaVu Sans', 'Segoe UI', 'Helvetica Neue', Arial, sans-serif; font-size: 11px; fill: {Palette.Ink}; }}",
        ".title { font-size: 17px; font-weight: bold; }",
        ".subtitle { font-size: 12px; fill: #4b5563; }",
        $".muted {{ fill: {Palette.Muted}; }}",
        ".small { font-size: 10px; }",
        ".user { unicode-bidi: isolate; }",
        ".code { font-family: 'DejaVu Sans Mono', Consolas, Menlo, monospace; font-weight: bold; }",
        $".vetoer .code {{ font-weight: normal; font-style: italic; fill: {Palette.Muted}; }}",
        ".date { font-family: 'DejaVu Sans Mono', Consolas, Menlo, monospace; font-size: 10.5px; }",
        ".stripe { fill: #f3f4f6; }",
        $".grid {{ stroke: {Palette.Rule}; stroke-width: 1; }}",
        ".grid-year { stroke: #9ca3af; stroke-width: 1; }",
        $".axis-label {{ font-size: 10px; fill: {Palette.Muted}; }}",
        ".year-label { font-weight: bold; fill: #374151; }",
        $".wait {{ fill: {Palette.Wait}; }}",
        ".vote { stroke: #374151; stroke-width: 1.3; }",
        $".approval {{ fill: {Palette.Approval}; stroke: #ffffff; stroke-width: 1; }}",
        $".deposit {{ fill: {Palette.Deposit}; stroke: #ffffff; stroke-width: 1; }}",
        $".approval.unconfirmed {{ fill: #ffffff; stroke: {Palette.Approval}; stroke-width: 1.6; stroke-dasharray: 2 1.5; }}",
        $".deposit.unconfirmed {{ fill: #ffffff; stroke: {Palette.Deposit}; stroke-width: 1.6; stroke-dasharray: 2 1.5; }}",
        $".q {{ font-size: 10px; font-weight: bold; fill: {Palette.Mark}; }}",
        $".early {{ stroke: {Palette.Approval}; stroke-width: 1.6; stroke-dasharray: 1 2.5; }}",
        ".added { stroke: #7b3294; stroke-width: 2.5; }",
        ".added-label { font-size: 10px; fill: #7b3294; }",
        $"rect.hold {{ fill: {Palette.Hold}; fill-opacity: 0.5; }}",
        $"rect.veto {{ fill: {Palette.Veto}; fill-opacity: 0.55; }}",
        ".hatch { fill: url(#ledger-timeline-hatch); }",
        ".span-edge { stroke: #7c2d12; stroke-width: 1.2; stroke-dasharray: 2 2; }",
        ".span-label { font-size: 10px; fill: #3b1d00; }",
        $".ongoing-hold {{ fill: {Palette.Hold}; }}",
        $".ongoing-veto {{ fill: {Palette.Veto}; }}",
        ".ongoing-wait { fill: #8aa4bf; }",
        ".ms { stroke: #4b5563; stroke-width: 1; }",
        ".ms.memorandum { stroke-dasharray: 5 3; }",
        $".ms.accession {{ stroke: {Palette.Deposit}; stroke-width: 2; }}",
        $".ms.entry-into-force {{ stroke: {Palette.Deposit}; stroke-width: 1.5; stroke-dasharray: 8 3; }}",
        ".ms.withdrawal { stroke: #111827; stroke-width: 2; stroke-dasharray: 6 3; }",
        $".ms.asof {{ stroke: {Palette.Mark}; stroke-width: 1.5; stroke-dasharray: 2 3; }}",
        ".ms.unconfirmed { stroke-dasharray: 2 2; }",
        ".ms-label { font-size: 10.5px; fill: #374151; }",
        ".ms-name { font-weight: bold; }",
        $".count-area {{ fill: {Palette.Approval}; fill-opacity: 0.14; }}",
        $".count-line {{ fill: none; stroke: {Palette.Approval}; stroke-width: 1.5; }}",
        $".required-line {{ fill: none; stroke: {Palette.Muted}; stroke-width: 1; stroke-dasharray: 3 2; }}",
        $"text.pending {{ fill: {Palette.Pending}; font-style: italic; }}",
        ".legend-text { font-size: 10.5px; fill: #374151; }");

    /// <summary>The <c>defs</c> element: the stylesheet and the hatch pattern of formal vetoes.</summary>
    public static XElement Defs() =>
        El("defs",
            El("style", new XAttribute("type", "text/css"), "\n" + Css + "\n"),
            El("pattern", new XAttribute("id", "ledger-timeline-hatch"), new XAttribute("patternUnits", "userSpaceOnUse"),
                A("width", 5), A("height", 5), new XAttribute("patternTransform", "rotate(45)"),
                El("line", A("x1", 0), A("y1", 0), A("x2", 0), A("y2", 5), new XAttribute("stroke", "#7c2d12"), A("stroke-width", 1.6), new XAttribute("stroke-opacity", "0.7"))));
}
