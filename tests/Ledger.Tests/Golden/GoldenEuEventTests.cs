using System.Text.Json;
using RatificationLedger.Domain;
using static RatificationLedger.Tests.Domain.Nato;

namespace RatificationLedger.Tests.Golden;

/// <summary>
/// The stored form of the fields organizations beyond NATO add (Golden/eu/): a treaty's signature that opens a process
/// with its treaty, co-candidates, ratifiers and entry-into-force rule; an approval with no known authority; an
/// organization whose candidates ratify, with a default rule and a member that left. The NATO samples of
/// <see cref="EventSamples"/> keep their golden files unchanged: the new fields are left out when unset.
/// </summary>
public class GoldenEuEventTests
{
    public static TheoryData<string> Samples => [.. s_samples.Keys];

    private static readonly Dictionary<string, object> s_samples = new()
    {
        ["accession_protocol_signed"] = new AccessionProtocolSigned(Day("2005-04-25"), "Treaty of Accession 2005", ["ROU"], ["AUT", "BEL", "BGR", "ROU"],
            new EntryIntoForceRule(EntryIntoForceKind.FixedDate, Day("2007-01-01"), Otherwise: EntryIntoForceOtherwise.FirstDayOfNextMonth), "EU", "BGR", RatificationCounts.AtDeposit),
        ["ratification_approved"] = new RatificationApproved("AUT", Day("2012-06-01"), null),
        ["organization_registered"] = new OrganizationRegistered("EU", "European Union", "ITA", RatificationCounts.AtDeposit, false,
            [new Membership("BEL", Day("1958-01-01")), new Membership("GBR", Day("1973-01-01"), Day("2020-01-31"))], true,
            CandidateRatifies: true, EntryIntoForce: new EntryIntoForceRule(EntryIntoForceKind.DaysAfterCompletion, Days: 30)),
    };

    [Theory, MemberData(nameof(Samples))]
    public void Stored_json_matches_its_golden_file_and_reads_back_as_an_equal_event(string storedName)
    {
        var sample = s_samples[storedName];
        StoredEventNames.Of(sample).Should().Be(storedName);
        var json = JsonSerializer.Serialize(sample, sample.GetType(), LedgerJson.Options);
        GoldenFiles.Verify(Path.Combine("eu", $"{storedName}.json"), json);

        var read = JsonSerializer.Deserialize(json, sample.GetType(), LedgerJson.Options);
        read.Should().BeEquivalentTo(sample, o => o.ComparingRecordsByMembers().RespectingRuntimeTypes().WithStrictOrdering());
        JsonSerializer.Serialize(read, sample.GetType(), LedgerJson.Options).Should().Be(json);
    }
}
