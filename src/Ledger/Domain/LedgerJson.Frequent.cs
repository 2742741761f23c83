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
}
