using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace RatificationLedger.Integrity;

/// <summary>A growable byte array written from the front; the canonical writers' output.</summary>
internal sealed class ByteSink
{
    private byte[] _buffer;

    public ByteSink(int capacity) => _buffer = new byte[Math.Max(capacity, 16)];

    /// <summary>A sink writing into <paramref name="buffer"/> (replaced by a larger array if it fills up).</summary>
    public ByteSink(byte[] buffer) => _buffer = buffer.Length >= 16 ? buffer : new byte[16];

    public int Length { get; set; }

    public Span<byte> Written => _buffer.AsSpan(0, Length);

    public byte[] Buffer => _buffer;

    /// <summary>Room for <paramref name="count"/> more bytes after <see cref="Length"/> (which the caller then advances).</summary>
    public Span<byte> Room(int count)
    {
        if (_buffer.Length - Length < count)
        {
            Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, Length + count));
        }
        return _buffer.AsSpan(Length, count);
    }

    public void Put(byte b)
    {
        if (Length == _buffer.Length)
        {
            Array.Resize(ref _buffer, _buffer.Length * 2);
        }
        _buffer[Length++] = b;
    }

    public void Put(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(Room(bytes.Length));
        Length += bytes.Length;
    }
}

/// <summary>
/// RFC 8785 over UTF-8 input, without a document: a <see cref="Utf8JsonReader"/> pass that writes each value in
/// canonical form as it is read and, when an object ends, puts its members in order in place. Gives the same bytes as
/// <see cref="CanonicalJson.Write(JsonElement, IBufferWriter{byte})"/> of the parsed text: the members are ordered by
/// the same sort over the same comparison (UTF-16 code units), numbers go through the same double and printer, strings
/// get the same escapes. One instance per thread (it keeps its scratch buffers).
/// </summary>
internal sealed class Utf8Canonicalizer
{
    [ThreadStatic]
    private static Utf8Canonicalizer? t_instance;

    // The bytes a canonical string literal cannot hold as they are.
    private static readonly SearchValues<byte> Escaped = SearchValues.Create(
        [.. Enumerable.Range(0, 0x20).Select(b => (byte)b), (byte)'"', (byte)'\\']);

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly ByteSink _names = new(256);
    private readonly List<Member> _members = [];
    private readonly Comparison<int> _byName;
    private int[] _order = new int[16];
    private byte[] _moved = new byte[1024];
    private byte[] _text = new byte[1024];
    private char[] _left = new char[64];
    private char[] _right = new char[64];
    private int _base;

    private Utf8Canonicalizer() => _byName = CompareNames;

    public static Utf8Canonicalizer ForThisThread => t_instance ??= new Utf8Canonicalizer();

    // One object member as written: its bytes in the output (name, colon, value) and its unescaped name in _names.
    private readonly record struct Member(int Start, int End, int NameAt, int NameLength, bool Ascii);

    /// <summary>Writes the canonical form of the JSON text <paramref name="json"/> (UTF-16) to <paramref name="output"/>.</summary>
    public void WriteText(string json, ByteSink output)
    {
        var count = StrictUtf8.GetMaxByteCount(json.Length);
        if (_text.Length < count)
        {
            _text = new byte[Math.Max(count, _text.Length * 2)];
        }
        int length;
        try
        {
            length = StrictUtf8.GetBytes(json, _text);
        }
        catch (EncoderFallbackException e)
        {
            throw new JsonException("The JSON text holds an unpaired surrogate outside any escape.", e);
        }
        Write(_text.AsSpan(0, length), output);
    }

    /// <summary>Writes the canonical form of the JSON text <paramref name="json"/> (UTF-8) to <paramref name="output"/>.</summary>
    /// <exception cref="JsonException">Not one JSON value, not UTF-8, or a number outside a double's range.</exception>
    /// <exception cref="InvalidOperationException">A string escapes an unpaired surrogate (as <see cref="JsonElement.GetString"/>).</exception>
    public void Write(ReadOnlySpan<byte> json, ByteSink output)
    {
        // The defaults are JsonDocument.Parse's: depth 64, no comments, no trailing commas, one value.
        var reader = new Utf8JsonReader(json);
        if (!reader.Read())
        {
            throw new JsonException("The JSON text is empty.");
        }
        _names.Length = 0;
        _members.Clear();
        Value(ref reader, output);
        if (reader.Read())
        {
            throw new JsonException("The JSON text holds more than one value.");
        }
    }

    private void Value(ref Utf8JsonReader reader, ByteSink output)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject:
                Object(ref reader, output);
                break;
            case JsonTokenType.StartArray:
                output.Put((byte)'[');
                var first = true;
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    if (!first)
                    {
                        output.Put((byte)',');
                    }
                    first = false;
                    Value(ref reader, output);
                }
                output.Put((byte)']');
                break;
            case JsonTokenType.String:
                var at = _names.Length;
                var text = Unescaped(ref reader);
                WriteString(text, output);
                _names.Length = at;
                break;
            case JsonTokenType.Number:
                Number(reader.ValueSpan, output);
                break;
            case JsonTokenType.True:
                output.Put("true"u8);
                break;
            case JsonTokenType.False:
                output.Put("false"u8);
                break;
            case JsonTokenType.Null:
                output.Put("null"u8);
                break;
            default:
                throw new JsonException($"Unexpected JSON token {reader.TokenType}.");
        }
    }

    private void Object(ref Utf8JsonReader reader, ByteSink output)
    {
        var start = output.Length;
        var first = _members.Count;
        var names = _names.Length;
        var sorted = true;
        output.Put((byte)'{');
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            if (_members.Count > first)
            {
                output.Put((byte)',');
            }
            var memberStart = output.Length;
            var nameAt = _names.Length;
            var name = Unescaped(ref reader);
            WriteString(name, output);
            output.Put((byte)':');
            var member = new Member(memberStart, 0, nameAt, name.Length, Ascii.IsValid(name));
            reader.Read();
            Value(ref reader, output);
            _members.Add(member with { End = output.Length });
            if (sorted && _members.Count - first > 1)
            {
                // Strictly ascending only: equal names go through the sort, which decides their order as it always did.
                _base = first;
                sorted = CompareNames(_members.Count - 2 - first, _members.Count - 1 - first) < 0;
            }
        }
        output.Put((byte)'}');
        var count = _members.Count - first;
        if (!sorted)
        {
            Reorder(output, start, first, count);
        }
        _members.RemoveRange(first, count);
        _names.Length = names;
    }

    // Writes the object's members again in name order (the object spans start to the output's end).
    private void Reorder(ByteSink output, int start, int first, int count)
    {
        if (_order.Length < count)
        {
            _order = new int[Math.Max(count, _order.Length * 2)];
        }
        var order = _order.AsSpan(0, count);
        for (var i = 0; i < count; i++)
        {
            order[i] = i;
        }
        // The sort and the comparison's sign are those of the old List<JsonProperty>.Sort (string.CompareOrdinal):
        // the same permutation, duplicate names included.
        _base = first;
        order.Sort(_byName);
        var inner = output.Length - start - 2;
        if (_moved.Length < inner)
        {
            _moved = new byte[Math.Max(inner, _moved.Length * 2)];
        }
        output.Buffer.AsSpan(start + 1, inner).CopyTo(_moved);
        var to = start + 1;
        for (var i = 0; i < count; i++)
        {
            if (i > 0)
            {
                output.Buffer[to++] = (byte)',';
            }
            var m = _members[first + order[i]];
            _moved.AsSpan(m.Start - start - 1, m.End - m.Start).CopyTo(output.Buffer.AsSpan(to));
            to += m.End - m.Start;
        }
    }

    // Names compared as UTF-16 code units (RFC 8785 section 3.2.3). For ASCII, byte order is code-unit order.
    private int CompareNames(int a, int b)
    {
        var x = _members[_base + a];
        var y = _members[_base + b];
        var left = _names.Buffer.AsSpan(x.NameAt, x.NameLength);
        var right = _names.Buffer.AsSpan(y.NameAt, y.NameLength);
        if (x.Ascii && y.Ascii)
        {
            return left.SequenceCompareTo(right);
        }
        return Utf16(left, ref _left).SequenceCompareTo(Utf16(right, ref _right));
    }

    private static ReadOnlySpan<char> Utf16(ReadOnlySpan<byte> utf8, ref char[] buffer)
    {
        if (buffer.Length < utf8.Length)
        {
            buffer = new char[Math.Max(utf8.Length, buffer.Length * 2)];
        }
        return buffer.AsSpan(0, Encoding.UTF8.GetChars(utf8, buffer));
    }

    // The string or name the reader stands on, unescaped, appended to _names (the caller resets its length).
    private ReadOnlySpan<byte> Unescaped(ref Utf8JsonReader reader)
    {
        var raw = reader.ValueSpan;
        var at = _names.Length;
        if (reader.ValueIsEscaped)
        {
            // Unescaping never lengthens; an escaped unpaired surrogate throws InvalidOperationException, as GetString does.
            _names.Length += reader.CopyString(_names.Room(raw.Length));
        }
        else
        {
            _names.Put(raw);
        }
        var text = _names.Buffer.AsSpan(at, _names.Length - at);
        if (!Utf8.IsValid(text))
        {
            throw new JsonException("The JSON text is not valid UTF-8.");
        }
        return text;
    }

    /// <summary>A string literal as RFC 8785 writes it, from the string's UTF-8 bytes.</summary>
    public static void WriteString(ReadOnlySpan<byte> text, ByteSink output)
    {
        output.Put((byte)'"');
        while (true)
        {
            var i = text.IndexOfAny(Escaped);
            if (i < 0)
            {
                output.Put(text);
                break;
            }
            output.Put(text[..i]);
            var c = text[i];
            switch (c)
            {
                case (byte)'"': output.Put("\\\""u8); break;
                case (byte)'\\': output.Put("\\\\"u8); break;
                case (byte)'\b': output.Put("\\b"u8); break;
                case (byte)'\f': output.Put("\\f"u8); break;
                case (byte)'\n': output.Put("\\n"u8); break;
                case (byte)'\r': output.Put("\\r"u8); break;
                case (byte)'\t': output.Put("\\t"u8); break;
                default:
                    output.Put("\\u00"u8);
                    output.Put((byte)"0123456789abcdef"[c >> 4]);
                    output.Put((byte)"0123456789abcdef"[c & 0xf]);
                    break;
            }
            text = text[(i + 1)..];
        }
        output.Put((byte)'"');
    }

    // A JSON number token in ECMAScript's form. An integer of up to 15 digits is exact as a double and printed as it
    // stands (JSON has no leading zeros), minus zero as 0; anything else goes through the double.
    private static void Number(ReadOnlySpan<byte> token, ByteSink output)
    {
        var digits = token.Length > 0 && token[0] == (byte)'-' ? token[1..] : token;
        if (digits.Length is > 0 and <= 15 && !digits.ContainsAnyExceptInRange((byte)'0', (byte)'9'))
        {
            output.Put(digits.Length == 1 && digits[0] == (byte)'0' ? "0"u8 : token);
            return;
        }
        var number = double.Parse(token, NumberStyles.Float, CultureInfo.InvariantCulture);
        if (!double.IsFinite(number))
        {
            throw new JsonException($"The number {Encoding.UTF8.GetString(token)} is outside the range of an IEEE 754 double (RFC 8785 section 3.2.2.3).");
        }
        var text = CanonicalJson.Number(number);
        var span = output.Room(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            span[i] = (byte)text[i];
        }
        output.Length += text.Length;
    }
}
