using System.Text;
using System.Text.Json.Nodes;
using RatificationLedger.Domain;
using RatificationLedger.Import;

namespace RatificationLedger.Tests.Import;

/// <summary>The history file's additions for organizations beyond NATO, read from the Croatia sample and variants of it.</summary>
public class EuHistoryFileTests
{
    private static readonly string s_path = Path.Combine(AppContext.BaseDirectory, "Data", "eu-croatia-2011.json");

    private static JsonNode Sample() => JsonNode.Parse(File.ReadAllText(s_path))!;

    private static JsonObject Entry(JsonNode root, int index) => root["processes"]![0]!["events"]![index]!.AsObject();

    private static HistoryFile Parse(JsonNode root) => HistoryFile.Parse(new MemoryStream(Encoding.UTF8.GetBytes(root.ToJsonString())), "eu.json");

    [Fact]
    public void The_sample_reads_the_policy_the_roster_with_its_end_and_the_signature_with_its_rule()
    {
        var file = HistoryFile.Load(s_path);
        file.Organization.CandidateRatifies.Should().BeTrue();
        file.Organization.CountsAt.Should().Be(RatificationCounts.AtDeposit);
        file.Organization.Members.Should().HaveCount(28).And.Contain(new Membership("GBR", new DateOnly(1973, 1, 1), new DateOnly(2020, 1, 31)));
        var signature = file.Entries[0].Command.Should().BeOfType<SignAccessionProtocol>().Subject;
        signature.Treaty.Should().Be("Treaty of Accession 2011");
        signature.RequiredRatifiers.Should().HaveCount(27).And.NotContain("HRV");
        signature.CoCandidates.Should().BeEmpty();
        signature.EntryIntoForce.Should().Be(new EntryIntoForceRule(EntryIntoForceKind.FixedDate, new DateOnly(2013, 7, 1)));
        file.Entries.Select(e => e.Command).OfType<DepositInstrument>().Should().OnlyContain(d => d.Depositary == "ITA");
    }

    [Fact]
    public void An_organization_default_rule_and_a_ratification_without_authority_are_read()
    {
        var root = Sample();
        root["organization"]!["entryIntoForce"] = new JsonObject { ["rule"] = "days-after-completion", ["days"] = 30 };
        var approval = root["processes"]![0]!["events"]!.AsArray().First(e => (string?)e!["type"] == "ratification")!.AsObject();
        approval.Remove("authority");
        var file = Parse(root);
        file.Organization.EntryIntoForce.Should().Be(new EntryIntoForceRule(EntryIntoForceKind.DaysAfterCompletion, Days: 30));
        file.Entries.Select(e => e.Command).OfType<ApproveRatification>().Should().Contain(a => a.Authority == null);
    }

    public static TheoryData<string, string> Breaches => new()
    {
        { "fixed-date without its date", "eu/hrv events[0].entryIntoForce: entry into force 'fixed-date' needs its date." },
        { "an impossible fixed date", "eu/hrv events[0].entryIntoForce.date: '2013-02-30' is not a date*" },
        { "a fixed date before the signature", "eu/hrv events[0].entryIntoForce: entry into force on the fixed date 2011-01-01 is not after the treaty's signature on 2011-12-09." },
        { "an unknown rule", "eu/hrv events[0].entryIntoForce.rule: 'when-ready' is not an entry-into-force rule*" },
        { "an unknown otherwise", "eu/hrv events[0].entryIntoForce.otherwise: 'never' is not known*" },
        { "negative days", "eu/hrv events[0].entryIntoForce: entry into force -3 days after completion*" },
        { "until before since", "$.organization.members[8].until: GBR leaves on 1972-12-31, before it joined on 1973-01-01*" },
        { "a bad organization default", "$.organization.entryIntoForce: entry into force 'days-after-completion' needs its number of days." },
        { "a co-candidate that is no code", "eu/hrv events[0].coCandidates[0]: 'rou' is not an ISO 3166-1 alpha-3 country code*" },
    };

    private static readonly Dictionary<string, Action<JsonNode>> s_breaks = new()
    {
        ["fixed-date without its date"] = r => Entry(r, 0)["entryIntoForce"]!.AsObject().Remove("date"),
        ["an impossible fixed date"] = r => Entry(r, 0)["entryIntoForce"]!["date"] = "2013-02-30",
        ["a fixed date before the signature"] = r => Entry(r, 0)["entryIntoForce"]!["date"] = "2011-01-01",
        ["an unknown rule"] = r => Entry(r, 0)["entryIntoForce"]!["rule"] = "when-ready",
        ["an unknown otherwise"] = r => Entry(r, 0)["entryIntoForce"]!["otherwise"] = "never",
        ["negative days"] = r => Entry(r, 0)["entryIntoForce"] = new JsonObject { ["rule"] = "days-after-completion", ["days"] = -3 },
        ["until before since"] = r => r["organization"]!["members"]![8]!["until"] = "1972-12-31",
        ["a bad organization default"] = r => r["organization"]!["entryIntoForce"] = new JsonObject { ["rule"] = "days-after-completion" },
        ["a co-candidate that is no code"] = r => Entry(r, 0)["coCandidates"] = new JsonArray("rou"),
    };

    [Theory, MemberData(nameof(Breaches))]
    public void A_breach_of_the_additions_is_refused_naming_the_entry(string breach, string message)
    {
        var root = Sample();
        s_breaks[breach](root);
        var parse = () => Parse(root);
        parse.Should().Throw<HistoryFileException>().WithMessage(message);
    }
}
