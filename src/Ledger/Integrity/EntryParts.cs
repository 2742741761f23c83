using System.Security.Cryptography;
using System.Text;

namespace RatificationLedger.Integrity;

/// <summary>
/// The canonical form of an entry (<see cref="LedgerEntry.Canonical"/>, byte for byte) kept in three parts around the
/// two members only the write knows, the recorded-at instant and the writing role: <c>head</c> =
/// <c>{"causation":…,"correlation":…,"data":…,"headers":…,"recordedAt":</c>, <c>middle</c> =
/// <c>,"recordedBy":…,"role":</c>, <c>tail</c> = <c>,"stream":…,"type":…,"version":…}</c>, each written by
/// <see cref="CanonicalEntry"/>'s own parts. A writer that encodes its rows ahead of the transaction (the import's COPY)
/// writes the parts with the rows and hashes <c>head || instant || middle || role || tail</c> once the transaction's
/// time and role are known.
/// </summary>
internal static class EntryParts
{
    [ThreadStatic]
    private static ByteSink? t_fields;

    /// <summary>
    /// Writes the three parts after whatever <paramref name="output"/> holds; returns the lengths of head and middle (the
    /// tail is the rest). <paramref name="data"/> and <paramref name="headers"/> are JSON texts in UTF-8 as stored
    /// (headers null or empty: none).
    /// </summary>
    public static (int Head, int Middle) Write(ByteSink output, ReadOnlyMemory<byte> data, ReadOnlyMemory<byte>? headers,
        string? causation, string? correlation, string? recordedBy, string stream, string type, long version)
    {
        var fields = t_fields ??= new ByteSink(1024);
        fields.Length = 0;
        var causationAt = CanonicalEntry.Encode(fields, causation, Encoding.UTF8);
        var correlationAt = CanonicalEntry.Encode(fields, correlation, Encoding.UTF8);
        var recordedByAt = CanonicalEntry.Encode(fields, recordedBy, Encoding.UTF8);
        var streamAt = CanonicalEntry.Encode(fields, stream, Encoding.UTF8);
        var typeAt = CanonicalEntry.Encode(fields, type, Encoding.UTF8);
        var start = output.Length;
        CanonicalEntry.WriteHead(output, Utf8Canonicalizer.ForThisThread, data.Span,
            headers is { Length: > 0 } h ? new Utf8Field(h.Span) : Utf8Field.Null,
            CanonicalEntry.Field(fields, correlationAt), CanonicalEntry.Field(fields, causationAt));
        var head = output.Length - start;
        CanonicalEntry.WriteMiddle(output, CanonicalEntry.Field(fields, recordedByAt));
        var middle = output.Length - start - head;
        CanonicalEntry.WriteTail(output, CanonicalEntry.Field(fields, streamAt).Bytes, CanonicalEntry.Field(fields, typeAt).Bytes, version);
        if (fields.Buffer.Length > 1 << 20)
        {
            t_fields = null; // one huge entry must not pin its buffer to the thread
        }
        return (head, middle);
    }

    /// <summary>The recorded-at member's value (a JSON string), as <see cref="LedgerEntry.Instant"/> writes it.</summary>
    public static byte[] Instant(DateTimeOffset at)
    {
        var output = new ByteSink(32);
        CanonicalEntry.Instant(output, at.UtcTicks);
        return output.Written.ToArray();
    }

    /// <summary>The role member's value: a JSON string, or <c>null</c>.</summary>
    public static byte[] Role(string? role)
    {
        var fields = new ByteSink(64);
        var at = CanonicalEntry.Encode(fields, role, Encoding.UTF8);
        var output = new ByteSink(64);
        CanonicalEntry.Text(output, CanonicalEntry.Field(fields, at));
        return output.Written.ToArray();
    }

    /// <summary>The entry hash <c>SHA-256(0x00 || head || instant || middle || role || tail)</c> into <paramref name="hash"/>.</summary>
    /// <remarks>The input is put together first and handed to the context in one call (<see cref="LedgerHash.Joined"/>).</remarks>
    public static void Hash(IncrementalHash sha, ReadOnlySpan<byte> parts, int head, int middle, ReadOnlySpan<byte> instant, ReadOnlySpan<byte> role, Span<byte> hash)
    {
        var input = LedgerHash.Joined(1 + parts.Length + instant.Length + role.Length);
        input[0] = 0x00;
        var at = 1;
        parts[..head].CopyTo(input[at..]);
        at += head;
        instant.CopyTo(input[at..]);
        at += instant.Length;
        parts.Slice(head, middle).CopyTo(input[at..]);
        at += middle;
        role.CopyTo(input[at..]);
        at += role.Length;
        parts[(head + middle)..].CopyTo(input[at..]);
        sha.AppendData(input);
        sha.GetHashAndReset(hash);
    }
}
