using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Unicode;

namespace RatificationLedger.Presentation.Web;

/// <summary>Text into HTML: every text from the ledger goes through <see cref="Text"/>, so it shows as text, never as markup.</summary>
internal static class Html
{
    private static readonly HtmlEncoder Encoder = HtmlEncoder.Create(UnicodeRanges.All);

    public static string Text(string? value) => value is null ? "" : Encoder.Encode(value);

    public static string Date(DateOnly? d) => d is { } v ? v.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) : "—";

    public static string Count(int n) => n.ToString(CultureInfo.InvariantCulture);

    public static string Instant(DateTimeOffset t) => t.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) + " UTC";

    /// <summary>A link to the first http(s) address in a source citation, titled with the whole citation; else the citation as text.</summary>
    public static string Source(string? source)
    {
        if (string.IsNullOrWhiteSpace(source))
        {
            return "";
        }
        var address = source.Split([' ', ';', ','], StringSplitOptions.RemoveEmptyEntries)
            .FirstOrDefault(t => Uri.TryCreate(t, UriKind.Absolute, out var u) && (u.Scheme == Uri.UriSchemeHttps || u.Scheme == Uri.UriSchemeHttp));
        return address is null
            ? $"<span class=\"source\" title=\"{Text(source)}\">{Text(Shorten(source, 40))}</span>"
            : $"<a class=\"source\" href=\"{Text(address)}\" title=\"{Text(source)}\" rel=\"noreferrer noopener\">source</a>";
    }

    private static string Shorten(string text, int max) => text.Length <= max ? text : text[..(max - 1)].TrimEnd() + "…";
}
