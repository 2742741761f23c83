using System.Globalization;
using System.Text;
using System.Xml;
using System.Xml.Linq;
using RatificationLedger.Domain;
using RatificationLedger.Projections;

namespace RatificationLedger.Presentation.Timeline;

/// <summary>
/// Draws one accession process over time as a standalone SVG document: one row per required ratifier (approval,
/// deposit, the wait from the protocol signature, chamber votes, holds and vetoes), the process's milestones as
/// labelled vertical lines, a running count of ratifications that count, a title and a legend.
/// </summary>
/// <remarks>
/// The output depends only on its inputs: no clock, invariant culture, fixed element order, so the same process gives
/// the same bytes. Every text from the ledger (reasons, notes, titles, sources) is XML-escaped and isolated for
/// bidirectional display; characters XML cannot carry become U+FFFD. Rows carry <c>data-member</c>, spans
/// <c>data-from</c>/<c>data-to</c>/<c>data-reason</c>, so tools and tests can read the picture back.
/// </remarks>
public static class TimelineSvg
{
    /// <summary>The SVG namespace.</summary>
    public static XNamespace Namespace { get; } = "http://www.w3.org/2000/svg";

    /// <summary>Renders <paramref name="status"/> and <paramref name="register"/> of one process as an SVG document.</summary>
    /// <param name="status">The process's status (its as-of date, if any, ends the time axis).</param>
    /// <param name="register">The process's ratification register, for the same as-of date.</param>
    /// <param name="audit">The process's entries as recorded: notes, sources and unconfirmed flags of the milestones.</param>
    /// <param name="options">Size and time window.</param>
    /// <returns>A complete SVG document (UTF-8 XML declaration included).</returns>
    public static string Render(AccessionStatus status, RatificationRegister register, IReadOnlyList<AuditEntry> audit, TimelineOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(status);
        ArgumentNullException.ThrowIfNull(register);
        ArgumentNullException.ThrowIfNull(audit);
        options ??= new TimelineOptions();
        if (options.Width < 640)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.Width, "The timeline needs a width of at least 640 pixels.");
        }
        if (options.RowHeight is < 12 or > 40)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.RowHeight, "The row height must be between 12 and 40 pixels.");
        }
        if (options.From is { } from && options.To is { } to && to <= from)
        {
            throw new ArgumentOutOfRangeException(nameof(options), to, $"The timeline's last day ({Iso(to)}) must come after its first day ({Iso(from)}).");
        }
        var svg = new TimelineDrawing(status, register, audit, options).Draw();
        return Serialize(svg);
    }

    internal static string Iso(DateOnly d) => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static string Serialize(XElement svg)
    {
        var settings = new XmlWriterSettings
        {
            Indent = true,
            IndentChars = "  ",
            NewLineChars = "\n",
            NewLineHandling = NewLineHandling.Entitize,
            Encoding = new UTF8Encoding(false),
        };
        using var text = new Utf8StringWriter();
        using (var writer = XmlWriter.Create(text, settings))
        {
            new XDocument(svg).Save(writer);
        }
        return text.ToString() + "\n";
    }

    private sealed class Utf8StringWriter() : StringWriter(CultureInfo.InvariantCulture)
    {
        public override Encoding Encoding => new UTF8Encoding(false);
    }
}
