using System.Security.Cryptography;
using System.Text;
using RatificationLedger.Integrity;

namespace RatificationLedger.Tests.Integrity;

/// <summary>
/// The COPY import hashes its entries from canonical parts written ahead of the transaction; the hash must be the one
/// <see cref="LedgerEntry.Hash"/> (what verify computes) gives for the same entry.
/// </summary>
public sealed class EntryPartsTests
{
    public static TheoryData<string, string?, string?, string?, string?, string?> Entries => new()
    {
        { """{"on":"2023-04-04","member":"FIN"}""", """{"ledger-command-id":"x"}""", null, null, "importer", "ledger" },
        { """{ "b" : 1.0, "a" : [1e21, -0.0, 0.000001, 1E-7], "é": "\u00e9\t\"q\"" }""", null, "corr", "cause", null, null },
        { """{"text":"Türkiye — “x” 𝄞 \u0001","n":123456789012345678}""", """{"note":"\\ / \n","unconfirmed":true}""", "c\u001f", null, "Zoë", "role \"q\"" },
    };

    [Theory]
    [MemberData(nameof(Entries))]
    public void The_parts_hash_to_the_entry_hash(string data, string? headers, string? correlation, string? causation, string? recordedBy, string? role)
    {
        var at = new DateTimeOffset(2024, 2, 26, 17, 3, 4, TimeSpan.Zero).AddTicks(1234560);
        var entry = new LedgerEntry("nato/swe", 42, "ratification_approved", data, headers, recordedBy, role, correlation, causation, at);

        var parts = new ByteSink(256);
        var (head, middle) = EntryParts.Write(parts, Encoding.UTF8.GetBytes(data), headers is null ? null : Encoding.UTF8.GetBytes(headers),
            causation, correlation, recordedBy, "nato/swe", "ratification_approved", 42);
        var hash = new byte[LedgerHash.Size];
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        EntryParts.Hash(sha, parts.Written, head, middle, EntryParts.Instant(at), EntryParts.Role(role), hash);

        hash.Should().Equal(entry.Hash());
        // And the parts put together are the canonical form itself.
        var whole = parts.Written[..head].ToArray().Concat(EntryParts.Instant(at)).Concat(parts.Written.Slice(head, middle).ToArray())
            .Concat(EntryParts.Role(role)).Concat(parts.Written[(head + middle)..].ToArray()).ToArray();
        Encoding.UTF8.GetString(whole).Should().Be(Encoding.UTF8.GetString(entry.Canonical()));
    }
}
