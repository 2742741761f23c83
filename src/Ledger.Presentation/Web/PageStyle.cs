using RatificationLedger.Presentation.Timeline;

namespace RatificationLedger.Presentation.Web;

/// <summary>The web view's stylesheet, in the timeline's colours (<see cref="Palette"/>).</summary>
internal static class PageStyle
{
    public static readonly string Css = string.Join('\n',
        $"body {{ font-family: 'DejaVu Sans', 'Segoe UI', 'Helvetica Neue', Arial, sans-serif; color: {Palette.Ink}; margin: 0; background: #fff; }}",
        "header.site { padding: 8px 16px; background: #f3f4f6; border-bottom: 1px solid #e5e7eb; }",
        $"header.site a {{ color: {Palette.Ink}; font-weight: bold; text-decoration: none; }}",
        "main { padding: 8px 16px 24px; max-width: 1240px; }",
        $"h1 small, .muted {{ color: {Palette.Muted}; font-weight: normal; }}",
        "h1 { font-size: 22px; margin: 12px 0; }",
        "#controls { display: grid; gap: 6px; margin: 8px 0 12px; }",
        ".slider { display: flex; align-items: center; gap: 8px; flex-wrap: wrap; }",
        ".slider label { width: 72px; font-weight: bold; }",
        ".slider input[type=range] { flex: 1 1 360px; min-width: 200px; }",
        ".slider output { font-family: 'DejaVu Sans Mono', Consolas, Menlo, monospace; min-width: 220px; }",
        $".slider small {{ flex-basis: 100%; margin-left: 80px; color: {Palette.Muted}; }}",
        ".slider button { font-size: 14px; padding: 2px 8px; }",
        $"#error {{ color: {Palette.Veto}; font-weight: bold; }}",
        ".headline { font-size: 20px; margin: 8px 0 2px; }",
        $".when {{ color: {Palette.Muted}; margin: 0 0 8px; }}",
        "dl.dates { display: flex; flex-wrap: wrap; gap: 2px 16px; margin: 4px 0; }",
        $"dl.dates dt {{ color: {Palette.Muted}; }} dl.dates dd {{ margin: 0 8px 0 4px; }}",
        "ul.vetoes { margin: 6px 0; padding-left: 18px; } .reason { unicode-bidi: isolate; }",
        "ul.grid { list-style: none; padding: 0; display: grid; grid-template-columns: repeat(auto-fill, minmax(150px, 1fr)); gap: 4px; }",
        "li.ratifier { border-radius: 4px; padding: 4px 6px; display: grid; grid-template-columns: auto 1fr; gap: 0 6px; border: 1px solid transparent; }",
        "li.ratifier .code { font-family: 'DejaVu Sans Mono', Consolas, Menlo, monospace; font-weight: bold; }",
        "li.ratifier .state { font-size: 12px; } li.ratifier .on, li.ratifier .source { font-size: 12px; }",
        $".counted .swatch, li.ratifier.counted {{ background: {Palette.Deposit}; color: #fff; }}",
        $".approved .swatch, li.ratifier.approved {{ background: {Palette.Approval}; color: #fff; }}",
        $".pending .swatch, li.ratifier.pending {{ background: #fff; border-color: {Palette.Pending}; color: {Palette.Pending}; }}",
        $".holding .swatch, li.ratifier.holding {{ background: {Palette.Hold}; color: #111827; }}",
        $".vetoing .swatch, li.ratifier.vetoing {{ background: {Palette.Veto}; color: #fff; }}",
        "li.ratifier a { color: inherit; }",
        "ul.legend { list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: 4px 16px; font-size: 13px; }",
        $"ul.legend .swatch {{ display: inline-block; width: 14px; height: 14px; border-radius: 3px; margin-right: 6px; vertical-align: -2px; border: 1px solid {Palette.Rule}; }}",
        "#changes h2 { font-size: 16px; margin: 12px 0 2px; } #changes p { margin: 2px 0; }",
        "ul.changes { margin: 4px 0; padding-left: 18px; font-size: 14px; } ul.changes .on { font-family: 'DejaVu Sans Mono', Consolas, Menlo, monospace; }",
        "#timeline svg { width: 100%; height: auto; }",
        $"footer {{ color: {Palette.Muted}; font-size: 13px; }}",
        "table { border-collapse: collapse; } th, td { text-align: left; padding: 4px 12px 4px 0; border-bottom: 1px solid #e5e7eb; }",
        "") ;
}
