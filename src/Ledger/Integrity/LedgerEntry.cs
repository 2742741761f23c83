using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace RatificationLedger.Integrity;

/// <summary>
/// One entry of the ledger as stored, the part the entry hash covers: the stream key, version, stored event name, the
/// event data and headers as read back from <c>jsonb</c>, recorded-by (the app's claim), the database role that wrote
/// it (null for entries written before the chain and chained on upgrade), correlation and causation ids, and the
/// recorded-at instant (the server's clock, to the microsecond).
/// Not covered: Marten's <c>seq_id</c>, <c>mt_dotnet_type</c> and <c>is_archived</c>.
/// </summary>
public sealed record LedgerEntry(
    string Stream,
    long Version,
    string Type,
    string Data,
    string? Headers,
    string? RecordedBy,
    string? Role,
    string? CorrelationId,
    string? CausationId,
    DateTimeOffset RecordedAt)
{
    /// <summary>The recorded-at instant as the canonical form writes it: UTC, six fraction digits, <c>Z</c>.</summary>
    internal static string Instant(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);

    /// <summary>
    /// The RFC 8785 form of the entry: one object, members in code-unit order (causation, correlation, data, headers,
    /// recordedAt, recordedBy, role, stream, type, version).
    /// </summary>
    public byte[] Canonical() => CanonicalEntry.Canonical(this);

    /// <summary>The entry hash <c>e = SHA-256(0x00 || canonical(entry))</c>.</summary>
    public byte[] Hash() => CanonicalEntry.Hash(this);
}

/// <summary>The ledger's hash functions (SHA-256 with a one-byte domain prefix, as RFC 6962 separates leaves and nodes).</summary>
public static class LedgerHash
{
    /// <summary>The size of every hash, in bytes.</summary>
    public const int Size = 32;

    /// <summary><c>SHA-256(0x00 || canonical)</c>: an entry's hash from its canonical bytes.</summary>
    public static byte[] Entry(ReadOnlySpan<byte> canonical) => Prefixed(0x00, canonical, []);

    /// <summary><c>c_0 = SHA-256(stream key)</c>: where a stream's chain starts.</summary>
    public static byte[] Genesis(string stream) => SHA256.HashData(Encoding.UTF8.GetBytes(stream));

    /// <summary><c>c_v = SHA-256(0x01 || c_{v-1} || e_v)</c>.</summary>
    public static byte[] Link(ReadOnlySpan<byte> previous, ReadOnlySpan<byte> entry) => Prefixed(0x01, previous, entry);

    /// <summary>Lowercase hexadecimal.</summary>
    public static string Hex(ReadOnlySpan<byte> hash) => Convert.ToHexStringLower(hash);

    /// <summary>A hash from hexadecimal, or an error naming <paramref name="what"/>.</summary>
    public static byte[] FromHex(string? hex, string what)
    {
        if (hex is null || hex.Length != Size * 2)
        {
            throw new FormatException($"{what}: expected {Size * 2} hexadecimal digits, got {(hex is null ? "nothing" : $"\"{hex}\"")}.");
        }
        try
        {
            return Convert.FromHexString(hex);
        }
        catch (FormatException)
        {
            throw new FormatException($"{what}: \"{hex}\" is not hexadecimal.");
        }
    }

    internal static byte[] Prefixed(byte prefix, ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        // One SHA-256 context per thread, reused: a new one per hash (or a one-shot hash) costs more than hashing a link.
        // The input handed over in one call, not three (see Joined).
        var sha = Sha256;
        var input = Joined(1 + a.Length + b.Length);
        input[0] = prefix;
        a.CopyTo(input[1..]);
        b.CopyTo(input[(1 + a.Length)..]);
        sha.AppendData(input);
        return sha.GetHashAndReset();
    }

    /// <summary>
    /// <paramref name="length"/> bytes of the calling thread's, to put a hash's input together in: handed to the SHA-256
    /// context in one call rather than a call per part, since each call into the platform's SHA-256 has a fixed cost
    /// (OpenSSL clears its error queue on each) that is more than hashing an entry's few hundred bytes. Valid until the
    /// thread's next call; an input over 64 KiB gets an array of its own, so that one huge entry does not stay pinned
    /// to the thread.
    /// </summary>
    internal static Span<byte> Joined(int length)
    {
        if (length > 1 << 16)
        {
            return new byte[length];
        }
        var buffer = t_joined is { } known && known.Length >= length ? known : (t_joined = new byte[Math.Max(length, 1024)]);
        return buffer.AsSpan(0, length);
    }

    [ThreadStatic]
    private static byte[]? t_joined;

    /// <summary>This thread's SHA-256 context (reset: nothing appended).</summary>
    internal static IncrementalHash Sha256 => t_sha ??= IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

    [ThreadStatic]
    private static IncrementalHash? t_sha;
}
