using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace RatificationLedger.Domain;

/// <summary>
/// The JSON form of stored events: camelCase property names, enums as their names (<c>AtApproval</c>, the form
/// Marten's <c>EnumStorage.AsString</c> queries with), dates as <c>yyyy-MM-dd</c>, no indentation. The event store
/// uses these settings (<c>AddRatificationLedger</c> applies them to Marten's serializer) and the golden-file tests
/// pin every event's JSON with them, so a change here shows up as a failing test, not as unreadable history.
/// </summary>
public static partial class LedgerJson
{
    /// <summary>The settings of stored events (read-only; copy with <c>new JsonSerializerOptions(LedgerJson.Options)</c> to extend).</summary>
    public static JsonSerializerOptions Options { get; } = CreateOptions();

    /// <summary>
    /// Applies the stored-event settings to <paramref name="options"/>, e.g. the options Marten serializes with.
    /// The converters go first so that they win over any the host registered before.
    /// </summary>
    public static void Configure(JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
        options.DictionaryKeyPolicy = null;
        options.WriteIndented = false;
        options.Converters.Insert(0, new JsonStringEnumConverter(namingPolicy: null, allowIntegerValues: false));
        options.Converters.Insert(0, new IsoDateConverter());
    }

    private static JsonSerializerOptions CreateOptions()
    {
        var options = new JsonSerializerOptions();
        Configure(options);
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }

    // yyyy-MM-dd read digit by digit off an unescaped string token's bytes (a rebuild reads a million dates); false for
    // anything else, escaped or not a valid date, which the general parser then reads or refuses.
    private static bool TryReadIsoDate(ref Utf8JsonReader reader, out DateOnly date)
    {
        if (reader.TokenType == JsonTokenType.String && !reader.HasValueSequence && !reader.ValueIsEscaped
            && reader.ValueSpan is { Length: 10 } bytes && bytes[4] == (byte)'-' && bytes[7] == (byte)'-'
            && Number(bytes[..4]) is var year and >= 1 && Number(bytes.Slice(5, 2)) is var month and >= 1 and <= 12
            && Number(bytes.Slice(8, 2)) is var day and >= 1 && day <= DateTime.DaysInMonth(year, month))
        {
            date = new DateOnly(year, month, day);
            return true;
        }
        date = default;
        return false;
    }

    // The number the ASCII digits spell, or -1.
    private static int Number(ReadOnlySpan<byte> digits)
    {
        var value = 0;
        foreach (var b in digits)
        {
            if (b is < (byte)'0' or > (byte)'9')
            {
                return -1;
            }
            value = (value * 10) + (b - '0');
        }
        return value;
    }

    // Explicit rather than the serializer's default, so that no host setting can change how an effective date is stored.
    private sealed class IsoDateConverter : JsonConverter<DateOnly>
    {
        private const string Format = "yyyy-MM-dd";

        public override DateOnly Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            // yyyy-MM-dd read digit by digit off the bytes (a rebuild reads a million dates); anything else, escaped or
            // not a valid date, takes the general parser and its error.
            if (TryReadIsoDate(ref reader, out var date))
            {
                return date;
            }
            var text = reader.GetString();
            return DateOnly.TryParseExact(text, Format, CultureInfo.InvariantCulture, DateTimeStyles.None, out var parsed)
                ? parsed
                : throw new JsonException($"'{text}' is not a date in the form {Format}.");
        }

        // yyyy-MM-dd written digit by digit: DateOnly.ToString goes through the general date formatter and a string,
        // which cost more than the rest of an event's JSON.
        public override void Write(Utf8JsonWriter writer, DateOnly value, JsonSerializerOptions options)
        {
            Span<byte> text = stackalloc byte[10];
            WriteIsoDate(text, value);
            writer.WriteStringValue(text);
        }
    }

    // yyyy-MM-dd into the first 10 bytes of text, digit by digit (the date converter, and the frequent events' direct JSON).
    private static void WriteIsoDate(Span<byte> text, DateOnly value)
    {
        Digits(text[..4], value.Year);
        text[4] = (byte)'-';
        Digits(text.Slice(5, 2), value.Month);
        text[7] = (byte)'-';
        Digits(text.Slice(8, 2), value.Day);
    }

    private static void Digits(Span<byte> into, int value)
    {
        for (var i = into.Length - 1; i >= 0; i--)
        {
            into[i] = (byte)('0' + (value % 10));
            value /= 10;
        }
    }
}
