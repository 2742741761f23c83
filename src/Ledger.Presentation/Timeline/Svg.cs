using System.Globalization;
using System.Text;
using System.Xml;
using System.Xml.Linq;
using RatificationLedger.Projections;

namespace RatificationLedger.Presentation.Timeline;

/// <summary>Small helpers for building SVG elements with invariant numbers and text that XML can always carry.</summary>
internal static class Svg
{
    public static XElement El(string name, params object?[] content) => new(TimelineSvg.Namespace + name, content);

    public static XAttribute A(string name, double value) => new(name, Num(value));

    public static XAttribute A(string name, string value) => new(name, Clean(value));

    public static XAttribute Class(string value) => new("class", value);

    /// <summary>A tooltip: the first child of the element it describes.</summary>
    public static XElement Title(string text) => El("title", Clean(text));

    /// <summary>A number with at most one decimal, invariant, without a negative zero.</summary>
    public static string Num(double value)
    {
        var rounded = Math.Round(value, 1, MidpointRounding.AwayFromZero);
        return rounded == 0 ? "0" : rounded.ToString("0.#", CultureInfo.InvariantCulture);
    }

    /// <summary>Replaces characters XML 1.0 cannot carry (control characters, lone surrogates) with U+FFFD.</summary>
    public static string Clean(string value)
    {
        StringBuilder? clean = null;
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                clean?.Append(c).Append(value[i + 1]);
                i++;
                continue;
            }
            if (XmlConvert.IsXmlChar(c))
            {
                clean?.Append(c);
                continue;
            }
            clean ??= new StringBuilder(value, 0, i, value.Length);
            clean.Append('\uFFFD');
        }
        return clean?.ToString() ?? value;
    }

    /// <summary>Shortens <paramref name="value"/> to at most <paramref name="max"/> text elements, ending with an ellipsis when cut.</summary>
    public static string Clip(string value, int max)
    {
        var elements = new StringInfo(value);
        return elements.LengthInTextElements <= max
            ? value
            : elements.SubstringByTextElements(0, Math.Max(1, max - 1)).TrimEnd() + "\u2026";
    }

    /// <summary>A rough width of <paramref name="text"/> in pixels at <paramref name="size"/> (sans-serif; generous, so labels do not collide).</summary>
    public static double Width(string text, double size) => new StringInfo(text).LengthInTextElements * size * 0.6;

    /// <summary>A diamond centred on (<paramref name="x"/>, <paramref name="y"/>) with half-diagonal <paramref name="r"/>.</summary>
    public static string Diamond(double x, double y, double r) =>
        $"M{Num(x)},{Num(y - r)} L{Num(x + r)},{Num(y)} L{Num(x)},{Num(y + r)} L{Num(x - r)},{Num(y)} Z";

    /// <summary>A triangle pointing right whose tip is at (<paramref name="x"/>, <paramref name="y"/>).</summary>
    public static string ArrowRight(double x, double y, double r) =>
        $"M{Num(x - r)},{Num(y - r)} L{Num(x)},{Num(y)} L{Num(x - r)},{Num(y + r)} Z";

    // Joins parts with the separator into lines no wider than max (a part wider than max gets a line of its own).
    public static List<string> Wrap(IEnumerable<string> parts, string separator, double size, double max)
    {
        var lines = new List<string>();
        var line = "";
        foreach (var part in parts.Where(p => p.Length > 0))
        {
            var joined = line.Length == 0 ? part : line + separator + part;
            if (line.Length > 0 && Width(joined, size) * 0.92 > max)
            {
                lines.Add(line);
                line = part;
            }
            else
            {
                line = joined;
            }
        }
        if (line.Length > 0)
        {
            lines.Add(line);
        }
        return lines;
    }
}
