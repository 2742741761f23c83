using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace RatificationLedger.Integrity;

/// <summary>One stream's head as a digest names it: its key, its last version and the chain hash there.</summary>
public sealed record StreamHead(string Stream, long Version, byte[] Chain)
{
    /// <summary>The Merkle leaf: the RFC 8785 form of <c>{"chain","stream","version"}</c>.</summary>
    public byte[] Leaf()
    {
        var buffer = new ArrayBufferWriter<byte>(128);
        Put(buffer, "{\"chain\":\"" + LedgerHash.Hex(Chain) + "\",\"stream\":");
        CanonicalJson.WriteString(Stream, buffer);
        Put(buffer, ",\"version\":" + Version.ToString(CultureInfo.InvariantCulture) + "}");
        return buffer.WrittenSpan.ToArray();
    }

    private static void Put(ArrayBufferWriter<byte> buffer, string ascii) =>
        buffer.Advance(Encoding.ASCII.GetBytes(ascii, buffer.GetSpan(ascii.Length)));
}

/// <summary>
/// A digest of the whole ledger at one instant: every stream's head, the RFC 6962 Merkle root over them (sorted by
/// stream key in UTF-16 code-unit order), and <c>d_k = SHA-256(d_{k-1} || root || k || instant)</c> linking it to the
/// digest before it. Kept outside the database, it lets <c>ledger verify</c> show that nothing it covers has been
/// changed, removed or rolled back since.
/// </summary>
public sealed record LedgerDigest(long Number, DateTimeOffset TakenAt, IReadOnlyList<StreamHead> Heads, byte[] Previous)
{
    /// <summary>The format's version in the document (<c>"ledgerDigest": 1</c>).</summary>
    public const int Format = 1;

    /// <summary>The hash standing before the first digest (32 zero bytes).</summary>
    public static byte[] None => new byte[LedgerHash.Size];

    /// <summary>The heads in the tree's order.</summary>
    public IReadOnlyList<StreamHead> SortedHeads => [.. Heads.OrderBy(h => h.Stream, StringComparer.Ordinal)];

    /// <summary>How many entries the digest covers.</summary>
    public long Entries => Heads.Sum(h => h.Version);

    /// <summary>The Merkle root over the sorted heads.</summary>
    public byte[] Root() => MerkleTree.Root([.. SortedHeads.Select(h => h.Leaf())]);

    /// <summary><c>d_k</c>.</summary>
    public byte[] Hash() => Chain(Previous, Root(), Number, TakenAt);

    /// <summary><c>SHA-256(previous || root || k as 8 bytes big-endian || instant as UTF-8)</c>.</summary>
    public static byte[] Chain(ReadOnlySpan<byte> previous, ReadOnlySpan<byte> root, long number, DateTimeOffset takenAt)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(previous);
        sha.AppendData(root);
        Span<byte> k = stackalloc byte[8];
        BinaryPrimitives.WriteInt64BigEndian(k, number);
        sha.AppendData(k);
        sha.AppendData(Encoding.UTF8.GetBytes(LedgerEntry.Instant(takenAt)));
        return sha.GetHashAndReset();
    }

    /// <summary>The digest as the JSON document the user keeps.</summary>
    public string ToJson()
    {
        var heads = new JsonArray();
        foreach (var h in SortedHeads)
        {
            heads.Add(new JsonObject { ["process"] = h.Stream, ["entries"] = h.Version, ["chain"] = LedgerHash.Hex(h.Chain) });
        }
        var document = new JsonObject
        {
            ["ledgerDigest"] = Format,
            ["number"] = Number,
            ["takenAt"] = LedgerEntry.Instant(TakenAt),
            ["processes"] = Heads.Count,
            ["entries"] = Entries,
            ["root"] = LedgerHash.Hex(Root()),
            ["previous"] = LedgerHash.Hex(Previous),
            ["hash"] = LedgerHash.Hex(Hash()),
            ["heads"] = heads,
        };
        return document.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
    }

    /// <summary>
    /// Reads a digest document and checks that it is consistent in itself (its counts, root and hash follow from its
    /// heads); an altered document is refused with what does not match.
    /// </summary>
    /// <exception cref="FormatException">Not a digest document, or one that contradicts itself.</exception>
    public static LedgerDigest Parse(string json, string name)
    {
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(json);
        }
        catch (JsonException e)
        {
            throw new FormatException($"{name}: not JSON ({e.Message}).");
        }
        if (node is not JsonObject o || o["ledgerDigest"] is null)
        {
            throw new FormatException($"{name}: not a ledger digest (no \"ledgerDigest\" member).");
        }
        try
        {
            if (o["ledgerDigest"]!.GetValue<int>() != Format)
            {
                throw new FormatException($"{name}: digest format {o["ledgerDigest"]} is not supported (expected {Format}).");
            }
            var heads = new List<StreamHead>();
            foreach (var h in o["heads"]?.AsArray() ?? throw new FormatException($"{name}: no \"heads\"."))
            {
                var stream = h?["process"]?.GetValue<string>() ?? throw new FormatException($"{name}: a head without \"process\".");
                heads.Add(new StreamHead(stream, h["entries"]!.GetValue<long>(), LedgerHash.FromHex(h["chain"]?.GetValue<string>(), $"{name}: chain of {stream}")));
            }
            var takenAt = DateTimeOffset.Parse(o["takenAt"]?.GetValue<string>() ?? throw new FormatException($"{name}: no \"takenAt\"."), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
            var digest = new LedgerDigest(o["number"]!.GetValue<long>(), takenAt, heads, LedgerHash.FromHex(o["previous"]?.GetValue<string>(), $"{name}: previous"));
            var root = LedgerHash.FromHex(o["root"]?.GetValue<string>(), $"{name}: root");
            var hash = LedgerHash.FromHex(o["hash"]?.GetValue<string>(), $"{name}: hash");
            if (heads.Select(h => h.Stream).Distinct(StringComparer.Ordinal).Count() != heads.Count)
            {
                throw new FormatException($"{name}: a process appears twice among the heads.");
            }
            if (o["processes"]?.GetValue<long>() != heads.Count || o["entries"]?.GetValue<long>() != digest.Entries)
            {
                throw new FormatException($"{name}: the counts do not match the heads (the document was altered).");
            }
            if (!digest.Root().AsSpan().SequenceEqual(root))
            {
                throw new FormatException($"{name}: the root does not match the heads (the document was altered).");
            }
            if (!digest.Hash().AsSpan().SequenceEqual(hash))
            {
                throw new FormatException($"{name}: the hash does not match the number, instant, root and previous hash (the document was altered).");
            }
            return digest;
        }
        catch (Exception e) when (e is InvalidOperationException or NullReferenceException or ArgumentException)
        {
            throw new FormatException($"{name}: a member is missing or of the wrong kind ({e.Message}).");
        }
    }
}
