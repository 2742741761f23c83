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
    public bool TryWrite(ReadOnlySpan<byte> json)
    {
        _length = 0;
        var i = 0;
        while (i < json.Length)
        {
            var rest = json[i..];
            var run = rest.IndexOfAny((byte)'"', (byte)',', (byte)':');
            if (run < 0)
            {
                Put(rest);
                break;
            }
            Put(rest[..run]);
            i += run;
            if (json[i] == (byte)'"')
            {
                i = String(json, i);
                if (i < 0)
                {
                    return false;
                }
            }
            else
            {
                Put(json[i]);
                Put((byte)' ');
                i++;
            }
        }
        return true;
    }

    // The string that starts at json[start] (its opening quote); returns where it ends (after its closing quote), or -1.
    private int String(ReadOnlySpan<byte> json, int start)
    {
        Put((byte)'"');
        var i = start + 1;
        while (i < json.Length)
        {
            var rest = json[i..];
            var run = rest.IndexOfAny((byte)'"', (byte)'\\');
            if (run < 0)
            {
                return -1;
            }
            Put(rest[..run]);
            i += run;
            if (json[i] == (byte)'"')
            {
                Put((byte)'"');
                return i + 1;
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
            Character(code);
        }
        return -1;
    }

    // One character of a string as jsonb's output escapes it (escape_json in PostgreSQL's json.c).
    private void Character(int code)
    {
        switch (code)
        {
            case '\b': Put("\\b"u8); return;
            case '\f': Put("\\f"u8); return;
            case '\n': Put("\\n"u8); return;
            case '\r': Put("\\r"u8); return;
            case '\t': Put("\\t"u8); return;
            case '"': Put("\\\""u8); return;
            case '\\': Put("\\\\"u8); return;
        }
        if (code < 0x20)
        {
            Put("\\u00"u8);
            Put((byte)"0123456789abcdef"[code >> 4]);
            Put((byte)"0123456789abcdef"[code & 0xf]);
            return;
        }
        Span<byte> utf8 = stackalloc byte[4];
        var rune = new Rune(code);
        Put(utf8[..rune.EncodeToUtf8(utf8)]);
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

    private void Put(byte b)
    {
        if (_length == _buffer.Length)
        {
            Array.Resize(ref _buffer, _buffer.Length * 2);
        }
        _buffer[_length++] = b;
    }

    private void Put(ReadOnlySpan<byte> bytes)
    {
        if (_length + bytes.Length > _buffer.Length)
        {
            Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + bytes.Length));
        }
        bytes.CopyTo(_buffer.AsSpan(_length));
        _length += bytes.Length;
    }
}
