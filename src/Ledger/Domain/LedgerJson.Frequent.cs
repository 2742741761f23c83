using System.Buffers;
using System.Globalization;
using System.Text.Json;

namespace RatificationLedger.Domain;

public static partial class LedgerJson
{
    /// <summary>
    /// The stored JSON of a chamber vote, an approval or a deposit (nine entries in ten of a ratification's history)
    /// read straight off its bytes, as System.Text.Json reads it with <see cref="Options"/>; null for any other type, and
    /// for JSON this reader does not know to be read alike (a property it does not know or given twice, a date not
    /// written <c>yyyy-MM-dd</c>, a vote count that is not an integer, anything malformed): the caller then reads it
    /// with the serializer, whose answer or error stands. A rebuild decodes a million events; through the serializer's
    /// constructor path that was a fifth of its folding threads' time, and this reader takes about 0.4 of the time.
    /// </summary>
    internal static object? TryReadFrequent(Type type, ReadOnlySpan<byte> json)
    {
        if (type != typeof(ParliamentVoted) && type != typeof(RatificationApproved) && type != typeof(InstrumentDeposited))
        {
            return null;
        }
        try
        {
            return Frequent(type, json);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            return null;
        }
    }

    private static object? Frequent(Type type, ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return null;
        }
        string? member = null, chamber = null, authority = null, depositary = null;
        DateOnly on = default;
        int? @for = null, against = null, abstained = null;
        var passed = false;
        var seen = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            if (reader.TokenType != JsonTokenType.PropertyName || reader.ValueIsEscaped || reader.HasValueSequence)
            {
                return null;
            }
            var property = Property(type, reader.ValueSpan);
            if (property < 0 || (seen & (1 << property)) != 0 || !reader.Read())
            {
                return null;
            }
            seen |= 1 << property;
            switch (property)
            {
                case 0: member = String(ref reader); break;
                case 1: on = Date(ref reader); break;
                case 2: chamber = String(ref reader); break;
                case 3: @for = Count(ref reader); break;
                case 4: against = Count(ref reader); break;
                case 5: abstained = Count(ref reader); break;
                case 6: passed = reader.TokenType is JsonTokenType.True or JsonTokenType.False ? reader.GetBoolean() : throw new FormatException(); break;
                case 7: authority = String(ref reader); break;
                default: depositary = String(ref reader); break;
            }
        }
        if (reader.TokenType != JsonTokenType.EndObject || reader.Read())
        {
            return null;
        }
        return type == typeof(ParliamentVoted) ? new ParliamentVoted(member!, on, chamber!, @for, against, abstained, passed)
            : type == typeof(RatificationApproved) ? new RatificationApproved(member!, on, authority)
            : new InstrumentDeposited(member!, on, depositary!);
    }

    // The property's number (0 member, 1 on, 2 chamber, 3 for, 4 against, 5 abstained, 6 passed, 7 authority,
    // 8 depositary) among the type's camelCase names, or -1.
    private static int Property(Type type, ReadOnlySpan<byte> name)
    {
        if (name.SequenceEqual("member"u8))
        {
            return 0;
        }
        if (name.SequenceEqual("on"u8))
        {
            return 1;
        }
        if (type == typeof(ParliamentVoted))
        {
            return name.SequenceEqual("chamber"u8) ? 2
                : name.SequenceEqual("for"u8) ? 3
                : name.SequenceEqual("against"u8) ? 4
                : name.SequenceEqual("abstained"u8) ? 5
                : name.SequenceEqual("passed"u8) ? 6
                : -1;
        }
        if (type == typeof(RatificationApproved))
        {
            return name.SequenceEqual("authority"u8) ? 7 : -1;
        }
        return name.SequenceEqual("depositary"u8) ? 8 : -1;
    }

    // The reader's token as each type reads it; FormatException (the caller leaves it to the serializer) for any other.
    private static string? String(ref Utf8JsonReader reader) => reader.TokenType switch
    {
        JsonTokenType.String => reader.GetString(),
        JsonTokenType.Null => null,
        _ => throw new FormatException(),
    };

    private static int? Count(ref Utf8JsonReader reader) => reader.TokenType switch
    {
        JsonTokenType.Number when reader.TryGetInt32(out var n) => n,
        JsonTokenType.Null => null,
        _ => throw new FormatException(),
    };

    // yyyy-MM-dd as the date converter reads it on its fast path; anything else is left to the converter.
    private static DateOnly Date(ref Utf8JsonReader reader) => TryReadIsoDate(ref reader, out var date) ? date : throw new FormatException();
    /// <summary>
    /// Which of the frequent events <paramref name="data"/> is (0 a chamber vote, 1 an approval, 2 a deposit), or -1.
    /// </summary>
    internal static int FrequentKind(object data) => data switch
    {
        ParliamentVoted => 0,
        RatificationApproved => 1,
        InstrumentDeposited => 2,
        _ => -1,
    };

    /// <summary>
    /// Writes the JSON of a chamber vote, an approval or a deposit into <paramref name="output"/> as System.Text.Json
    /// writes it with <see cref="Options"/> (properties in declaration order, camelCase, nulls written, dates
    /// <c>yyyy-MM-dd</c>) and returns true; writes nothing and returns false for any other event, and for a string with
    /// a character that an encoder may escape (anything outside printable ASCII, and <c>" \ &amp; ' &lt; &gt; + `</c>),
    /// so that what it writes is byte for byte the serializer's with either the default or the relaxed encoder. An
    /// import writes a million events; through the serializer each cost a <c>Utf8JsonWriter</c> and its metadata walk.
    /// The caller checks the first answers against its store's serializer (which may be configured otherwise).
    /// </summary>
    internal static bool TryWriteFrequent(object data, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        switch (data)
        {
            case ParliamentVoted v when Plain(v.Member) && Plain(v.Chamber):
            {
                var json = new JsonBytes(output.GetSpan(Budget(v.Member) + Budget(v.Chamber) + 160));
                json.MemberAndDate(v.Member, v.On);
                json.Raw(",\"chamber\":"u8);
                json.String(v.Chamber);
                json.Raw(",\"for\":"u8);
                json.Number(v.For);
                json.Raw(",\"against\":"u8);
                json.Number(v.Against);
                json.Raw(",\"abstained\":"u8);
                json.Number(v.Abstained);
                json.Raw(v.Passed ? ",\"passed\":true}"u8 : ",\"passed\":false}"u8);
                output.Advance(json.Length);
                return true;
            }
            case RatificationApproved a when Plain(a.Member) && Plain(a.Authority):
                MemberDateAndText(output, a.Member, a.On, ",\"authority\":"u8, a.Authority);
                return true;
            case InstrumentDeposited d when Plain(d.Member) && Plain(d.Depositary):
                MemberDateAndText(output, d.Member, d.On, ",\"depositary\":"u8, d.Depositary);
                return true;
            default:
                return false;
        }
    }

    // {"member":...,"on":"yyyy-MM-dd",KEY...}: an approval or a deposit.
    private static void MemberDateAndText(IBufferWriter<byte> output, string? member, DateOnly on, ReadOnlySpan<byte> key, string? text)
    {
        var json = new JsonBytes(output.GetSpan(Budget(member) + Budget(text) + 64));
        json.MemberAndDate(member, on);
        json.Raw(key);
        json.String(text);
        json.Raw("}"u8);
        output.Advance(json.Length);
    }

    // The bytes a string takes at most: its characters (plain ones are one byte each), its quotes, or null.
    private static int Budget(string? text) => (text?.Length ?? 0) + 4;

    // Characters every encoder writes as themselves: printable ASCII but for those the default encoder escapes.
    private static readonly SearchValues<char> PlainCharacters = SearchValues.Create(
        " !#$%()*,-./0123456789:;=?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[]^_abcdefghijklmnopqrstuvwxyz{|}~");

    private static bool Plain(string? text) => text is null || !text.AsSpan().ContainsAnyExcept(PlainCharacters);

    // JSON written left to right into a span sized for it beforehand.
    private ref struct JsonBytes(Span<byte> span)
    {
        private readonly Span<byte> _span = span;

        public int Length { get; private set; }

        public void Raw(ReadOnlySpan<byte> bytes)
        {
            bytes.CopyTo(_span[Length..]);
            Length += bytes.Length;
        }

        // A plain string (see Plain): one byte per character.
        public void String(string? text)
        {
            if (text is null)
            {
                Raw("null"u8);
                return;
            }
            _span[Length++] = (byte)'"';
            foreach (var c in text)
            {
                _span[Length++] = (byte)c;
            }
            _span[Length++] = (byte)'"';
        }

        public void Number(int? value)
        {
            if (value is not { } n)
            {
                Raw("null"u8);
                return;
            }
            n.TryFormat(_span[Length..], out var written, default, CultureInfo.InvariantCulture);
            Length += written;
        }

        // As IsoDateConverter writes it.
        public void Date(DateOnly date)
        {
            var text = _span.Slice(Length, 12);
            text[0] = (byte)'"';
            WriteIsoDate(text[1..], date);
            text[11] = (byte)'"';
            Length += 12;
        }

        // What every frequent event starts with: {"member":...,"on":"yyyy-MM-dd"
        public void MemberAndDate(string? member, DateOnly on)
        {
            Raw("{\"member\":"u8);
            String(member);
            Raw(",\"on\":"u8);
            Date(on);
        }
    }
}
