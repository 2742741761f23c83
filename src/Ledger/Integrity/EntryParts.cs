using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace RatificationLedger.Integrity;

/// <summary>
/// The canonical form of an entry (<see cref="LedgerEntry.Canonical"/>, byte for byte) written in three parts around
/// the two members only the write knows, the recorded-at instant and the writing role:
/// <c>head</c> = <c>{"causation":…,"correlation":…,"data":…,"headers":…,"recordedAt":"</c>,
/// <c>middle</c> = <c>","recordedBy":…,"role":</c>, <c>tail</c> = <c>,"stream":…,"type":…,"version":…}</c>.
/// A writer that encodes its rows ahead of the transaction (the import's COPY) writes the parts with the rows and hashes
/// <c>head || instant || middle || role || tail</c> once the transaction's time and role are known.
/// </summary>
internal static class EntryParts
{
    /// <summary>
    /// Writes the three parts to <paramref name="output"/>; returns the lengths of head and middle (the tail is the rest).
    /// <paramref name="data"/> and <paramref name="headers"/> are JSON texts in UTF-8 as stored (headers null or empty: none).
    /// </summary>
    public static (int Head, int Middle) Write(IBufferWriter<byte> output, ReadOnlyMemory<byte> data, ReadOnlyMemory<byte>? headers,
        string? causation, string? correlation, string? recordedBy, string stream, string type, long version)
    {
        var counter = new CountingWriter(output);
        Put(counter, "{\"causation\":"u8);
        Text(counter, causation);
        Put(counter, ",\"correlation\":"u8);
        Text(counter, correlation);
        Put(counter, ",\"data\":"u8);
        Json(counter, data);
        Put(counter, ",\"headers\":"u8);
        if (headers is { Length: > 0 } h)
        {
            Json(counter, h);
        }
        else
        {
            Put(counter, "null"u8);
        }
        Put(counter, ",\"recordedAt\":\""u8);
        var head = counter.Written;
        Put(counter, "\",\"recordedBy\":"u8);
        Text(counter, recordedBy);
        Put(counter, ",\"role\":"u8);
        var middle = counter.Written - head;
        Put(counter, ",\"stream\":"u8);
        Text(counter, stream);
        Put(counter, ",\"type\":"u8);
        Text(counter, type);
        Put(counter, ",\"version\":"u8);
        var digits = version.ToString(CultureInfo.InvariantCulture);
        Encoding.ASCII.GetBytes(digits, counter.GetSpan(digits.Length));
        counter.Advance(digits.Length);
        Put(counter, "}"u8);
        return (head, middle);
    }

    /// <summary>The recorded-at member's text (inside its quotes), as <see cref="LedgerEntry.Instant"/> writes it.</summary>
    public static byte[] Instant(DateTimeOffset at) => Encoding.ASCII.GetBytes(LedgerEntry.Instant(at));

    /// <summary>The role member's value: a JSON string, or <c>null</c>.</summary>
    public static byte[] Role(string? role)
    {
        var buffer = new ArrayBufferWriter<byte>();
        Text(buffer, role);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The entry hash <c>SHA-256(0x00 || head || instant || middle || role || tail)</c> into <paramref name="hash"/>.</summary>
    public static void Hash(IncrementalHash sha, ReadOnlySpan<byte> parts, int head, int middle, ReadOnlySpan<byte> instant, ReadOnlySpan<byte> role, Span<byte> hash)
    {
        sha.AppendData([0x00]);
        sha.AppendData(parts[..head]);
        sha.AppendData(instant);
        sha.AppendData(parts.Slice(head, middle));
        sha.AppendData(role);
        sha.AppendData(parts[(head + middle)..]);
        sha.GetHashAndReset(hash);
    }

    private static void Json(IBufferWriter<byte> output, ReadOnlyMemory<byte> json)
    {
        using var document = JsonDocument.Parse(json);
        CanonicalJson.Write(document.RootElement, output);
    }

    private static void Text(IBufferWriter<byte> output, string? text)
    {
        if (text is null)
        {
            Put(output, "null"u8);
        }
        else
        {
            CanonicalJson.WriteString(text, output);
        }
    }

    private static void Put(IBufferWriter<byte> output, ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(output.GetSpan(bytes.Length));
        output.Advance(bytes.Length);
    }

    // Counts what goes through to the writer underneath.
    private sealed class CountingWriter(IBufferWriter<byte> inner) : IBufferWriter<byte>
    {
        public int Written { get; private set; }

        public void Advance(int count)
        {
            inner.Advance(count);
            Written += count;
        }

        public Memory<byte> GetMemory(int sizeHint = 0) => inner.GetMemory(sizeHint);

        public Span<byte> GetSpan(int sizeHint = 0) => inner.GetSpan(sizeHint);
    }
}
