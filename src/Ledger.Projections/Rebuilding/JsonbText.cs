using System.Buffers.Text;
using System.Text;

namespace RatificationLedger.Projections.Rebuilding;

/// <summary>
/// A document's JSON as PostgreSQL prints a <c>jsonb</c> value (<c>data::text</c>), made from the compact JSON
/// System.Text.Json writes: a space after each comma and colon between values, strings with only the escapes
/// <c>jsonb</c> prints (quote, backslash, <c>\b \f \n \r \t</c>, other control characters as <c>\u00xx</c>, everything
/// else as its UTF-8), keys as they come (the store writes them in <c>jsonb</c>'s order: <see cref="StoredDocumentJson"/>).
/// The rebuild compares SHA-256 of this text with the server's SHA-256 of the stored document's text. Whatever this
/// gets wrong can only make the two differ, never make different documents look alike: the text is itself a JSON
/// text of the document, so equal texts are equal documents. A difference costs a write, not a wrong answer.
/// </summary>
internal sealed class JsonbText
{
    private byte[] _buffer = new byte[64 * 1024];
    private int _length;

    /// <summary>The text made by the last <see cref="TryWrite"/>.</summary>
    public ReadOnlySpan<byte> Written => _buffer.AsSpan(0, _length);

    /// <summary>Makes the text of <paramref name="json"/> (compact UTF-8 JSON); false when it is not such JSON (then <see cref="Written"/> means nothing).</summary>
    /// <remarks>
    /// A byte at a time, not with a vectorized search for the next quote, comma or colon: in these documents one comes
    /// every few bytes, and a search that stops that often costs more than it saves (measured: 2.6 to 3 times faster
    /// on register-sized documents).
    /// </remarks>
    public bool TryWrite(ReadOnlySpan<byte> json)
    {
        // Outside strings a byte becomes at most two (a comma or colon and its space); inside, an escape never grows.
        if (_buffer.Length < 2 * json.Length)
        {
            _buffer = new byte[Math.Max(2 * json.Length, 2 * _buffer.Length)];
        }
        var output = _buffer;
        var n = 0;
        var i = 0;
        while (i < json.Length)
        {
            var b = json[i++];
            if (b == (byte)'"')
            {
                output[n++] = b;
                i = String(json, i, output, ref n);
                if (i < 0)
                {
                    _length = 0;
                    return false;
                }
                continue;
            }
            output[n++] = b;
            if (b == (byte)',' || b == (byte)':')
            {
                output[n++] = (byte)' ';
            }
        }
        _length = n;
        return true;
    }

    // The rest of the string that starts before json[i] (after its opening quote); returns where it ends (after its closing quote), or -1.
    private static int String(ReadOnlySpan<byte> json, int i, byte[] output, ref int n)
    {
        while (i < json.Length)
        {
            var b = json[i];
            if (b == (byte)'"')
            {
                output[n++] = b;
                return i + 1;
            }
            if (b != (byte)'\\')
            {
                output[n++] = b;
                i++;
                continue;
            }
            if (i + 1 >= json.Length)
            {
                return -1;
            }
            int code;
            switch (json[i + 1])
            {
                case (byte)'u':
                    if (!Hex(json, i + 2, out code))
                    {
                        return -1;
                    }
                    i += 6;
                    if (char.IsHighSurrogate((char)code))
                    {
                        if (i + 1 < json.Length && json[i] == (byte)'\\' && json[i + 1] == (byte)'u' && Hex(json, i + 2, out var low) && char.IsLowSurrogate((char)low))
                        {
                            code = char.ConvertToUtf32((char)code, (char)low);
                            i += 6;
                        }
                        else
                        {
                            return -1;
                        }
                    }
                    else if (char.IsLowSurrogate((char)code))
                    {
                        return -1;
                    }
                    break;
                case (byte)'"': code = '"'; i += 2; break;
                case (byte)'\\': code = '\\'; i += 2; break;
                case (byte)'/': code = '/'; i += 2; break;
                case (byte)'b': code = '\b'; i += 2; break;
                case (byte)'f': code = '\f'; i += 2; break;
                case (byte)'n': code = '\n'; i += 2; break;
                case (byte)'r': code = '\r'; i += 2; break;
                case (byte)'t': code = '\t'; i += 2; break;
                default: return -1;
            }
            n += Character(code, output.AsSpan(n));
        }
        return -1;
    }

    // One character of a string as jsonb's output escapes it (escape_json in PostgreSQL's json.c), written at the start
    // of output; returns the bytes written.
    internal static int Character(int code, Span<byte> output)
    {
        ReadOnlySpan<byte> escaped = code switch
        {
            '\b' => "\\b"u8,
            '\f' => "\\f"u8,
            '\n' => "\\n"u8,
            '\r' => "\\r"u8,
            '\t' => "\\t"u8,
            '"' => "\\\""u8,
            '\\' => "\\\\"u8,
            _ => default,
        };
        if (!escaped.IsEmpty)
        {
            escaped.CopyTo(output);
            return escaped.Length;
        }
        if (code < 0x20)
        {
            "\\u00"u8.CopyTo(output);
            output[4] = (byte)"0123456789abcdef"[code >> 4];
            output[5] = (byte)"0123456789abcdef"[code & 0xf];
            return 6;
        }
        return new Rune(code).EncodeToUtf8(output);
    }

    // The four hex digits of a \u escape at json[at].
    private static bool Hex(ReadOnlySpan<byte> json, int at, out int code)
    {
        if (at + 4 <= json.Length && Utf8Parser.TryParse(json.Slice(at, 4), out ushort value, out var used, 'X') && used == 4)
        {
            code = value;
            return true;
        }
        code = 0;
        return false;
    }
}
