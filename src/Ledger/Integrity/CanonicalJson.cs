using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace RatificationLedger.Integrity;

/// <summary>
/// RFC 8785 (JSON Canonicalization Scheme): object members sorted by their names' UTF-16 code units, no whitespace,
/// strings with only the escapes JSON requires (lowercase <c>\u00xx</c> for other control characters), numbers as
/// ECMAScript prints an IEEE 754 double. Two JSON texts with the same content give the same bytes, whatever the order
/// and spacing they were written or stored with (PostgreSQL's <c>jsonb</c> reorders members and keeps <c>1.0</c>).
/// </summary>
internal static class CanonicalJson
{
    /// <summary>The canonical UTF-8 bytes of one JSON text.</summary>
    /// <exception cref="JsonException">The text is not JSON, or holds a number outside a double's range.</exception>
    public static byte[] Canonicalize(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        var output = new ByteSink(json.Length + 16);
        Utf8Canonicalizer.ForThisThread.WriteText(json, output);
        return output.Written.ToArray();
    }

    /// <summary>The canonical UTF-8 bytes of one JSON text given as UTF-8.</summary>
    /// <exception cref="JsonException">The text is not JSON, or holds a number outside a double's range.</exception>
    internal static byte[] Canonicalize(ReadOnlySpan<byte> utf8Json)
    {
        var output = new ByteSink(utf8Json.Length + 16);
        Utf8Canonicalizer.ForThisThread.Write(utf8Json, output);
        return output.Written.ToArray();
    }

    /// <summary>
    /// Writes the canonical form of <paramref name="element"/> to <paramref name="output"/>. The same bytes as
    /// <see cref="Canonicalize(string)"/> of the element's text, through a parsed document (slower).
    /// </summary>
    public static void Write(JsonElement element, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                var members = new List<JsonProperty>();
                foreach (var member in element.EnumerateObject())
                {
                    members.Add(member);
                }
                // Names compared as UTF-16 code units, as RFC 8785 section 3.2.3 says (ordinal comparison of .NET strings).
                members.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
                Put(output, "{"u8);
                for (var i = 0; i < members.Count; i++)
                {
                    if (i > 0)
                    {
                        Put(output, ","u8);
                    }
                    WriteString(members[i].Name, output);
                    Put(output, ":"u8);
                    Write(members[i].Value, output);
                }
                Put(output, "}"u8);
                break;
            case JsonValueKind.Array:
                Put(output, "["u8);
                var first = true;
                foreach (var item in element.EnumerateArray())
                {
                    if (!first)
                    {
                        Put(output, ","u8);
                    }
                    first = false;
                    Write(item, output);
                }
                Put(output, "]"u8);
                break;
            case JsonValueKind.String:
                WriteString(element.GetString()!, output);
                break;
            case JsonValueKind.Number:
                var number = double.Parse(element.GetRawText(), NumberStyles.Float, CultureInfo.InvariantCulture);
                if (!double.IsFinite(number))
                {
                    throw new JsonException($"The number {element.GetRawText()} is outside the range of an IEEE 754 double (RFC 8785 section 3.2.2.3).");
                }
                PutAscii(output, Number(number));
                break;
            case JsonValueKind.True:
                Put(output, "true"u8);
                break;
            case JsonValueKind.False:
                Put(output, "false"u8);
                break;
            case JsonValueKind.Null:
                Put(output, "null"u8);
                break;
            default:
                throw new JsonException($"Unexpected JSON value kind {element.ValueKind}.");
        }
    }

    /// <summary>A JSON string literal as RFC 8785 writes it.</summary>
    public static void WriteString(string value, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(value);
        ArgumentNullException.ThrowIfNull(output);
        if (!value.AsSpan().ContainsAnyExcept(PlainAscii))
        {
            // Printable ASCII with nothing to escape (stream keys, type names, roles): the characters are the bytes.
            var plain = output.GetSpan(value.Length + 2);
            plain[0] = (byte)'"';
            Encoding.ASCII.GetBytes(value, plain[1..]);
            plain[value.Length + 1] = (byte)'"';
            output.Advance(value.Length + 2);
            return;
        }
        var text = new StringBuilder(value.Length + 2);
        text.Append('"');
        foreach (var c in value)
        {
            switch (c)
            {
                case '"': text.Append("\\\""); break;
                case '\\': text.Append("\\\\"); break;
                case '\b': text.Append("\\b"); break;
                case '\f': text.Append("\\f"); break;
                case '\n': text.Append("\\n"); break;
                case '\r': text.Append("\\r"); break;
                case '\t': text.Append("\\t"); break;
                case < ' ': text.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture)); break;
                default: text.Append(c); break;
            }
        }
        text.Append('"');
        var s = text.ToString();
        var span = output.GetSpan(Encoding.UTF8.GetMaxByteCount(s.Length));
        output.Advance(Encoding.UTF8.GetBytes(s, span));
    }

    /// <summary>
    /// A double as ECMAScript's <c>Number.prototype.toString</c> prints it (ECMA-262 7.1.12.1), which RFC 8785 adopts:
    /// the shortest digits that read back as the same double, in plain notation from 1e-6 up to below 1e21, otherwise
    /// as <c>d.ddde+n</c>.
    /// </summary>
    public static string Number(double value)
    {
        if (value == 0)
        {
            return "0"; // minus zero too
        }
        if (!double.IsFinite(value))
        {
            throw new ArgumentOutOfRangeException(nameof(value), value, "RFC 8785 has no form for NaN or infinity.");
        }
        var negative = value < 0;
        // "E16" is not shortest; "R" is (since .NET Core 3.0): split it into its digits and decimal exponent.
        var shortest = Math.Abs(value).ToString("R", CultureInfo.InvariantCulture);
        var e = shortest.IndexOfAny(['E', 'e']);
        var mantissa = e < 0 ? shortest : shortest[..e];
        var exponent = e < 0 ? 0 : int.Parse(shortest[(e + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        var dot = mantissa.IndexOf('.', StringComparison.Ordinal);
        var digits = dot < 0 ? mantissa : mantissa[..dot] + mantissa[(dot + 1)..];
        var pointAt = (dot < 0 ? mantissa.Length : dot) + exponent; // the decimal point sits after this many digits
        var lead = digits.TakeWhile(d => d == '0').Count();
        digits = digits[lead..];
        pointAt -= lead;
        digits = digits.TrimEnd('0');
        // ECMA-262: k digits, n the position of the point (value = digits × 10^(n−k)).
        var k = digits.Length;
        var n = pointAt;
        var result = new StringBuilder(k + 8);
        if (negative)
        {
            result.Append('-');
        }
        if (k <= n && n <= 21)
        {
            result.Append(digits).Append('0', n - k);
        }
        else if (0 < n && n <= 21)
        {
            result.Append(digits, 0, n).Append('.').Append(digits, n, k - n);
        }
        else if (-6 < n && n <= 0)
        {
            result.Append("0.").Append('0', -n).Append(digits);
        }
        else
        {
            result.Append(digits[0]);
            if (k > 1)
            {
                result.Append('.').Append(digits, 1, k - 1);
            }
            result.Append('e').Append(n - 1 >= 0 ? "+" : "-").Append(Math.Abs(n - 1).ToString(CultureInfo.InvariantCulture));
        }
        return result.ToString();
    }

    // The characters a string literal holds as they are: printable ASCII other than the quote and the backslash.
    private static readonly SearchValues<char> PlainAscii = SearchValues.Create(
        " !#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[]^_`abcdefghijklmnopqrstuvwxyz{|}~\u007f");

    private static void Put(IBufferWriter<byte> output, ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(output.GetSpan(bytes.Length));
        output.Advance(bytes.Length);
    }

    private static void PutAscii(IBufferWriter<byte> output, string text)
    {
        var span = output.GetSpan(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            span[i] = (byte)text[i];
        }
        output.Advance(text.Length);
    }
}
