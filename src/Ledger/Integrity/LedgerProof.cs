using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace RatificationLedger.Integrity;

/// <summary>
/// What shows that one entry is in the ledger a digest describes: the entry as stored, the chain hash before it, the
/// entry hashes after it up to the head the digest names, and the Merkle audit path from that head to the digest's
/// root. Checked with no database (<see cref="Verify"/>).
/// </summary>
public sealed record LedgerProof(
    LedgerEntry Entry,
    byte[] PreviousChain,
    IReadOnlyList<byte[]> Following,
    long LeafIndex,
    long TreeSize,
    IReadOnlyList<byte[]> AuditPath,
    long DigestNumber,
    byte[] DigestHash)
{
    /// <summary>The format's version in the document (<c>"ledgerProof": 1</c>).</summary>
    public const int Format = 1;

    /// <summary>The head this proof leads to: the entry's stream at the last version, with the chain hash computed.</summary>
    public StreamHead Head()
    {
        var chain = LedgerHash.Link(PreviousChain, Entry.Hash());
        foreach (var e in Following)
        {
            chain = LedgerHash.Link(chain, e);
        }
        return new StreamHead(Entry.Stream, Entry.Version + Following.Count, chain);
    }

    /// <summary>
    /// Whether the proof shows its entry in the ledger <paramref name="digest"/> describes; null when it does, else why not.
    /// </summary>
    public string? Verify(LedgerDigest digest)
    {
        ArgumentNullException.ThrowIfNull(digest);
        if (DigestNumber != digest.Number || !DigestHash.AsSpan().SequenceEqual(digest.Hash()))
        {
            return $"the proof was made for digest {DigestNumber}, not for the digest given (number {digest.Number}, hash {LedgerHash.Hex(digest.Hash())[..16]}…)";
        }
        if (TreeSize != digest.Heads.Count)
        {
            return $"the proof names a tree of {TreeSize} heads; the digest has {digest.Heads.Count}";
        }
        var head = Head();
        if (!MerkleTree.VerifyInclusion(head.Leaf(), LeafIndex, TreeSize, AuditPath, digest.Root()))
        {
            return $"the entry, its chain and audit path do not lead to the digest's root: the proof or the entry was altered";
        }
        return null;
    }

    /// <summary>The proof as the JSON document <c>ledger proof</c> writes.</summary>
    public string ToJson()
    {
        var entry = new JsonObject
        {
            ["stream"] = Entry.Stream,
            ["version"] = Entry.Version,
            ["type"] = Entry.Type,
            ["data"] = JsonNode.Parse(Entry.Data),
            ["headers"] = Entry.Headers is null ? null : JsonNode.Parse(Entry.Headers),
            ["recordedBy"] = Entry.RecordedBy,
            ["role"] = Entry.Role,
            ["correlation"] = Entry.CorrelationId,
            ["causation"] = Entry.CausationId,
            ["recordedAt"] = LedgerEntry.Instant(Entry.RecordedAt),
        };
        var document = new JsonObject
        {
            ["ledgerProof"] = Format,
            ["digest"] = new JsonObject { ["number"] = DigestNumber, ["hash"] = LedgerHash.Hex(DigestHash) },
            ["entry"] = entry,
            ["previousChain"] = LedgerHash.Hex(PreviousChain),
            ["following"] = new JsonArray([.. Following.Select(f => (JsonNode)LedgerHash.Hex(f))]),
            ["leafIndex"] = LeafIndex,
            ["treeSize"] = TreeSize,
            ["auditPath"] = new JsonArray([.. AuditPath.Select(p => (JsonNode)LedgerHash.Hex(p))]),
        };
        return document.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
    }

    /// <summary>Reads a proof document; a malformed one is refused with what is wrong.</summary>
    /// <exception cref="FormatException">Not a proof document.</exception>
    public static LedgerProof Parse(string json, string name)
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
        if (node is not JsonObject o || o["ledgerProof"] is null)
        {
            throw new FormatException($"{name}: not a ledger proof (no \"ledgerProof\" member).");
        }
        try
        {
            if (o["ledgerProof"]!.GetValue<int>() != Format)
            {
                throw new FormatException($"{name}: proof format {o["ledgerProof"]} is not supported (expected {Format}).");
            }
            var e = o["entry"]?.AsObject() ?? throw new FormatException($"{name}: no \"entry\".");
            var entry = new LedgerEntry(
                e["stream"]!.GetValue<string>(),
                e["version"]!.GetValue<long>(),
                e["type"]!.GetValue<string>(),
                e["data"]?.ToJsonString() ?? throw new FormatException($"{name}: the entry has no \"data\"."),
                e["headers"]?.ToJsonString(),
                e["recordedBy"]?.GetValue<string>(),
                e["role"]?.GetValue<string>(),
                e["correlation"]?.GetValue<string>(),
                e["causation"]?.GetValue<string>(),
                DateTimeOffset.Parse(e["recordedAt"]!.GetValue<string>(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal));
            var digest = o["digest"]?.AsObject() ?? throw new FormatException($"{name}: no \"digest\".");
            return new LedgerProof(
                entry,
                LedgerHash.FromHex(o["previousChain"]?.GetValue<string>(), $"{name}: previousChain"),
                [.. (o["following"]?.AsArray() ?? []).Select((f, i) => LedgerHash.FromHex(f?.GetValue<string>(), $"{name}: following[{i}]"))],
                o["leafIndex"]!.GetValue<long>(),
                o["treeSize"]!.GetValue<long>(),
                [.. (o["auditPath"]?.AsArray() ?? []).Select((p, i) => LedgerHash.FromHex(p?.GetValue<string>(), $"{name}: auditPath[{i}]"))],
                digest["number"]!.GetValue<long>(),
                LedgerHash.FromHex(digest["hash"]?.GetValue<string>(), $"{name}: digest hash"));
        }
        catch (Exception ex) when (ex is InvalidOperationException or NullReferenceException or ArgumentException)
        {
            throw new FormatException($"{name}: a member is missing or of the wrong kind ({ex.Message}).");
        }
    }
}
