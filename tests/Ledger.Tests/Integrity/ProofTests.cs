using System.Text.Json.Nodes;
using RatificationLedger.Integrity;

namespace RatificationLedger.Tests.Integrity;

/// <summary>Proofs of one entry, checked with no database: a true one verifies, every alteration is refused.</summary>
public sealed class ProofTests
{
    private static readonly DateTimeOffset At = new(2024, 2, 27, 9, 0, 0, TimeSpan.Zero);

    // Hungary's approval of Sweden's protocol on 2024-02-26, as a ledger would hold it, three entries before the head.
    private static LedgerEntry Entry(long version, string member = "HUN", string on = "2024-02-26") => new(
        "nato/swe", version, "ratification_approved", $$"""{"member":"{{member}}","on":"{{on}}","authority":"National Assembly"}""",
        """{"source":"https://www.parlament.hu/"}""", "clerk", "ledger_app", null, null, At.AddMinutes(version));

    private static (LedgerDigest Digest, LedgerProof Proof) Ledger()
    {
        var chain = LedgerHash.Genesis("nato/swe");
        var hashes = new List<byte[]>();
        byte[] previous = [];
        for (var v = 1; v <= 6; v++)
        {
            if (v == 4)
            {
                previous = chain;
            }
            var e = Entry(v, v == 4 ? "HUN" : "X" + v).Hash();
            hashes.Add(e);
            chain = LedgerHash.Link(chain, e);
        }
        var heads = new[]
        {
            new StreamHead("nato/fin", 57, new byte[32]),
            new StreamHead("nato/swe", 6, chain),
            new StreamHead("nato", 2, Enumerable.Repeat((byte)7, 32).ToArray()),
        };
        var digest = new LedgerDigest(3, At.AddDays(1), heads, Enumerable.Repeat((byte)9, 32).ToArray());
        var sorted = digest.SortedHeads.ToList();
        var index = sorted.FindIndex(h => h.Stream == "nato/swe");
        var proof = new LedgerProof(Entry(4), previous, hashes[4..], index, sorted.Count,
            MerkleTree.AuditPath([.. sorted.Select(h => h.Leaf())], index), digest.Number, digest.Hash());
        return (digest, proof);
    }

    [Fact]
    public void A_true_proof_verifies_after_a_round_trip_through_its_documents()
    {
        var (digest, proof) = Ledger();
        var digestBack = LedgerDigest.Parse(digest.ToJson(), "digest.json");
        var proofBack = LedgerProof.Parse(proof.ToJson(), "proof.json");

        proofBack.Verify(digestBack).Should().BeNull();
        proofBack.Entry.Should().BeEquivalentTo(proof.Entry);
    }

    [Theory]
    [InlineData("entry.data.on", "\"2023-03-30\"")]
    [InlineData("entry.data.member", "\"TUR\"")]
    [InlineData("entry.recordedBy", "\"someone-else\"")]
    [InlineData("entry.role", "\"postgres\"")]
    [InlineData("entry.recordedAt", "\"2024-02-27T09:00:00.000000Z\"")]
    [InlineData("entry.version", "5")]
    [InlineData("entry.headers.source", "\"https://example.org/\"")]
    [InlineData("previousChain", "\"0000000000000000000000000000000000000000000000000000000000000000\"")]
    [InlineData("leafIndex", "0")]
    [InlineData("following", "[]")]
    public void An_altered_proof_is_refused(string member, string value)
    {
        var (digest, proof) = Ledger();
        var document = JsonNode.Parse(proof.ToJson())!;
        var path = member.Split('.');
        var parent = path[..^1].Aggregate(document, (n, p) => n[p]!);
        parent[path[^1]] = JsonNode.Parse(value);

        var forged = LedgerProof.Parse(document.ToJsonString(), "forged.json");

        forged.Verify(digest).Should().NotBeNull();
    }

    [Fact]
    public void A_proof_against_another_digest_is_refused()
    {
        var (digest, proof) = Ledger();
        var other = digest with { Number = 4, Previous = digest.Hash() };

        proof.Verify(other).Should().Contain("digest 3");
    }

    [Fact]
    public void An_altered_digest_document_is_refused()
    {
        var (digest, _) = Ledger();
        var document = JsonNode.Parse(digest.ToJson())!;
        document["heads"]![0]!["entries"] = 99;

        var parse = () => LedgerDigest.Parse(document.ToJsonString(), "digest.json");

        parse.Should().Throw<FormatException>().WithMessage("digest.json: the counts do not match*");
    }
}
