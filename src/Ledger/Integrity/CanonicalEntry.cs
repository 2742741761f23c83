using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace RatificationLedger.Integrity;

/// <summary>A text column's UTF-8 bytes, or SQL null.</summary>
internal readonly ref struct Utf8Field
{
    public Utf8Field(ReadOnlySpan<byte> bytes)
    {
        Bytes = bytes;
        IsNull = false;
    }

    public static Utf8Field Null => new() { IsNull = true };

    public ReadOnlySpan<byte> Bytes { get; }

    public bool IsNull { get; private init; }
}

/// <summary>
/// The canonical form of a <see cref="LedgerEntry"/> (see <see cref="LedgerEntry.Canonical"/>) written from the
/// columns' UTF-8 bytes, as the verifier reads them, or from an entry's strings: one writer for both, so the two cannot
/// drift apart.
/// </summary>
internal static class CanonicalEntry
{
    [ThreadStatic]
    private static ByteSink? t_sink;

    [ThreadStatic]
    private static ByteSink? t_fields;

    /// <summary>Writes the canonical form after whatever <paramref name="output"/> holds.</summary>
    public static void Write(
        ByteSink output, Utf8Canonicalizer json, ReadOnlySpan<byte> stream, long version, ReadOnlySpan<byte> type, ReadOnlySpan<byte> data,
        Utf8Field headers, Utf8Field recordedBy, Utf8Field role, Utf8Field correlation, Utf8Field causation, long recordedAtUtcTicks)
    {
        WriteHead(output, json, data, headers, correlation, causation);
        Instant(output, recordedAtUtcTicks);
        WriteMiddle(output, recordedBy);
        Text(output, role);
        WriteTail(output, stream, type, version);
    }

    // The canonical form in the parts around the two members only the writing transaction knows (recorded-at, then
    // role): head, instant, middle, role, tail. Write puts them together; EntryParts keeps them apart for the COPY import.

    /// <summary>The members before recorded-at's value: <c>{"causation":…,"correlation":…,"data":…,"headers":…,"recordedAt":</c>.</summary>
    internal static void WriteHead(ByteSink output, Utf8Canonicalizer json, ReadOnlySpan<byte> data, Utf8Field headers, Utf8Field correlation, Utf8Field causation)
    {
        output.Put("{\"causation\":"u8);
        Text(output, causation);
        output.Put(",\"correlation\":"u8);
        Text(output, correlation);
        output.Put(",\"data\":"u8);
        json.Write(data, output);
        output.Put(",\"headers\":"u8);
        if (headers.IsNull)
        {
            output.Put("null"u8);
        }
        else
        {
            json.Write(headers.Bytes, output);
        }
        output.Put(",\"recordedAt\":"u8);
    }

    /// <summary>The members between recorded-at's value and role's: <c>,"recordedBy":…,"role":</c>.</summary>
    internal static void WriteMiddle(ByteSink output, Utf8Field recordedBy)
    {
        output.Put(",\"recordedBy\":"u8);
        Text(output, recordedBy);
        output.Put(",\"role\":"u8);
    }

    /// <summary>The members after role's value: <c>,"stream":…,"type":…,"version":…}</c>.</summary>
    internal static void WriteTail(ByteSink output, ReadOnlySpan<byte> stream, ReadOnlySpan<byte> type, long version)
    {
        output.Put(",\"stream\":"u8);
        Utf8Canonicalizer.WriteString(stream, output);
        output.Put(",\"type\":"u8);
        Utf8Canonicalizer.WriteString(type, output);
        output.Put(",\"version\":"u8);
        version.TryFormat(output.Room(20), out var written, default, CultureInfo.InvariantCulture);
        output.Length += written;
        output.Put((byte)'}');
    }

    /// <summary>The canonical form of <paramref name="entry"/>.</summary>
    public static byte[] Canonical(LedgerEntry entry)
    {
        var output = new ByteSink(entry.Data.Length + (entry.Headers?.Length ?? 0) + 256);
        Write(entry, output);
        return output.Written.ToArray();
    }

    /// <summary><c>SHA-256(0x00 || canonical(entry))</c>.</summary>
    public static byte[] Hash(LedgerEntry entry)
    {
        var output = t_sink ??= new ByteSink(4096);
        output.Length = 0;
        output.Put(0x00);
        Write(entry, output);
        var sha = LedgerHash.Sha256;
        sha.AppendData(output.Written);
        var hash = sha.GetHashAndReset();
        if (output.Buffer.Length > 1 << 20)
        {
            t_sink = null; // one huge entry must not pin its buffer to the thread
        }
        return hash;
    }

    private static void Write(LedgerEntry entry, ByteSink output)
    {
        // The strings as UTF-8: text columns as the string writer has always encoded them (an unpaired surrogate
        // becomes U+FFFD), JSON strictly (a JSON text with an unpaired surrogate is refused, as a document parse does).
        var fields = t_fields ??= new ByteSink(1024);
        fields.Length = 0;
        var stream = Encode(fields, entry.Stream, Encoding.UTF8);
        var type = Encode(fields, entry.Type, Encoding.UTF8);
        var data = Encode(fields, entry.Data, StrictUtf8);
        var headers = Encode(fields, entry.Headers, StrictUtf8);
        var recordedBy = Encode(fields, entry.RecordedBy, Encoding.UTF8);
        var role = Encode(fields, entry.Role, Encoding.UTF8);
        var correlation = Encode(fields, entry.CorrelationId, Encoding.UTF8);
        var causation = Encode(fields, entry.CausationId, Encoding.UTF8);
        Write(output, Utf8Canonicalizer.ForThisThread, Field(fields, stream).Bytes, entry.Version, Field(fields, type).Bytes, Field(fields, data).Bytes,
            Field(fields, headers), Field(fields, recordedBy), Field(fields, role), Field(fields, correlation), Field(fields, causation), entry.RecordedAt.UtcTicks);
        if (fields.Buffer.Length > 1 << 20)
        {
            t_fields = null;
        }
    }

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    internal static (int At, int Length) Encode(ByteSink fields, string? text, Encoding encoding)
    {
        if (text is null)
        {
            return (0, -1);
        }
        var at = fields.Length;
        try
        {
            fields.Length += encoding.GetBytes(text, fields.Room(encoding.GetMaxByteCount(text.Length)));
        }
        catch (EncoderFallbackException e)
        {
            throw new System.Text.Json.JsonException("The JSON text holds an unpaired surrogate outside any escape.", e);
        }
        return (at, fields.Length - at);
    }

    internal static Utf8Field Field(ByteSink fields, (int At, int Length) range) =>
        range.Length < 0 ? Utf8Field.Null : new Utf8Field(fields.Buffer.AsSpan(range.At, range.Length));

    /// <summary>A text member's value: a JSON string, or <c>null</c>.</summary>
    internal static void Text(ByteSink output, Utf8Field text)
    {
        if (text.IsNull)
        {
            output.Put("null"u8);
        }
        else
        {
            Utf8Canonicalizer.WriteString(text.Bytes, output);
        }
    }

    /// <summary>
    /// The recorded-at instant in quotes as <see cref="LedgerEntry.Instant"/> writes it
    /// (<c>yyyy-MM-ddTHH:mm:ss.ffffffZ</c>, UTC, the fraction cut to microseconds).
    /// </summary>
    public static void Instant(ByteSink output, long utcTicks)
    {
        var at = new DateTime(utcTicks, DateTimeKind.Utc);
        var s = output.Room(29);
        s[0] = (byte)'"';
        Digits(s.Slice(1, 4), at.Year);
        s[5] = (byte)'-';
        Digits(s.Slice(6, 2), at.Month);
        s[8] = (byte)'-';
        Digits(s.Slice(9, 2), at.Day);
        s[11] = (byte)'T';
        Digits(s.Slice(12, 2), at.Hour);
        s[14] = (byte)':';
        Digits(s.Slice(15, 2), at.Minute);
        s[17] = (byte)':';
        Digits(s.Slice(18, 2), at.Second);
        s[20] = (byte)'.';
        Digits(s.Slice(21, 6), (int)(utcTicks % TimeSpan.TicksPerSecond / 10));
        s[27] = (byte)'Z';
        s[28] = (byte)'"';
        output.Length += 29;
    }

    private static void Digits(Span<byte> into, int value)
    {
        for (var i = into.Length - 1; i >= 0; i--)
        {
            into[i] = (byte)('0' + value % 10);
            value /= 10;
        }
    }
}
