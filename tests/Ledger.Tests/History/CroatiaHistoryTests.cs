using System.Text.Json;
using RatificationLedger.Domain;
using RatificationLedger.Import;
using RatificationLedger.Presentation.Timeline;
using RatificationLedger.Projections;

namespace RatificationLedger.Tests.History;

/// <summary>
/// The second sample history (samples/NatoAccession/eu-croatia-2011.json) against the shared reference facts
/// (reference/eu-croatia-2011.json) and replayed through the decider in import order. Expected values are read from
/// the reference facts, never from the code under test.
/// </summary>
public class CroatiaHistoryTests
{
    private static readonly string s_path = Path.Combine(AppContext.BaseDirectory, "Data", "eu-croatia-2011.json");

    // The reference facts as they stand in the shared reference file (deposit and approval dates of the 28 parties).
    private static readonly Dictionary<string, (string Deposited, string? Approved)> s_facts = new()
    {
        ["AUT"] = ("2012-08-08", null), ["BEL"] = ("2013-06-14", null), ["BGR"] = ("2012-04-19", null), ["CYP"] = ("2012-06-11", null),
        ["CZE"] = ("2012-07-04", null), ["DEU"] = ("2013-06-21", "2013-06-07"), ["DNK"] = ("2013-05-29", "2013-05-02"),
        ["ESP"] = ("2013-01-08", null), ["EST"] = ("2012-10-24", null), ["FIN"] = ("2013-05-06", null), ["FRA"] = ("2013-03-20", null),
        ["GBR"] = ("2013-05-20", "2013-01-31"), ["GRC"] = ("2012-12-27", null), ["HRV"] = ("2012-04-04", "2012-03-09"),
        ["HUN"] = ("2012-03-22", null), ["IRL"] = ("2012-10-08", null), ["ITA"] = ("2012-04-10", null), ["LTU"] = ("2012-06-20", null),
        ["LUX"] = ("2013-01-17", null), ["LVA"] = ("2012-06-06", null), ["MLT"] = ("2012-04-02", null), ["NLD"] = ("2013-05-31", "2013-04-16"),
        ["POL"] = ("2013-02-12", null), ["PRT"] = ("2012-12-19", null), ["ROU"] = ("2012-08-02", null), ["SVK"] = ("2012-03-19", "2012-02-01"),
        ["SVN"] = ("2013-06-18", "2013-04-02"), ["SWE"] = ("2013-01-08", null),
    };

    private static DateOnly D(string iso) => DateOnly.Parse(iso, System.Globalization.CultureInfo.InvariantCulture);

    private static (Organization Organization, AccessionState State, List<Decision> Decisions) Replay(DateOnly? until = null)
    {
        var file = HistoryFile.Load(s_path);
        var now = DateTimeOffset.UtcNow;
        var organization = OrganizationDecider.Decide(new RegisterOrganization(file.Organization), null, now).Events
            .Aggregate((Organization?)null, OrganizationDecider.Evolve)!;
        var state = AccessionState.Initial;
        var decisions = new List<Decision>();
        foreach (var entry in file.InImportOrder().Where(e => until is null || e.Command.On <= until))
        {
            var decision = AccessionDecider.Decide(entry.Command, state, new DecisionContext(now, organization, new HashSet<string>()));
            decision.IsRejected.Should().BeFalse($"{entry.Location}: {decision}");
            state = decision.Events.Aggregate(state, AccessionState.Evolve);
            decisions.Add(decision);
        }
        return (organization, state, decisions);
    }

    [Fact]
    public void The_file_holds_every_deposit_and_known_approval_of_the_reference_facts_with_a_source()
    {
        var file = HistoryFile.Load(s_path);
        var deposits = file.Entries.Where(e => e.Command is DepositInstrument).ToArray();
        deposits.Should().HaveCount(28);
        deposits.Should().OnlyContain(e => e.Provenance.Source != null && e.Provenance.Source.StartsWith("http", StringComparison.Ordinal));
        deposits.Select(e => (((DepositInstrument)e.Command).Member, e.Command.On))
            .Should().BeEquivalentTo(s_facts.Select(f => (f.Key, D(f.Value.Deposited))));
        var approvals = file.Entries.Where(e => e.Command is ApproveRatification).ToArray();
        approvals.Select(e => (((ApproveRatification)e.Command).Member, e.Command.On))
            .Should().BeEquivalentTo(s_facts.Where(f => f.Value.Approved != null).Select(f => (f.Key, D(f.Value.Approved!))));
        approvals.Should().HaveCount(7);
        file.Entries.Where(e => e.Provenance.Unconfirmed).Select(e => e.Command).Should().BeEquivalentTo(
            [new DepositInstrument("eu/hrv", "ROU", D("2012-08-02"), "ITA"), (AccessionCommand)new ApproveRatification("eu/hrv", "NLD", D("2013-04-16"), "Eerste Kamer")],
            "Romania's deposit date and the Dutch Senate's vote date are the two dates the sources disagree on");
        file.Entries.Single(e => e.Command is DepositInstrument { Member: "ROU" }).Provenance.Note.Should().Contain("2012-08-01");
        file.Organization.Members.Should().ContainSingle(m => m.State == "GBR").Which.Until.Should().Be(D("2020-01-31"));
    }

    [Fact]
    public void Replayed_it_records_every_entry_and_Croatia_accedes_on_the_fixed_date()
    {
        var (organization, state, decisions) = Replay();
        decisions.Should().OnlyContain(d => d.Events.Count == 1);
        state.Phase.Should().Be(ProcessPhase.Acceded);
        state.Accession!.On.Should().Be(D("2013-07-01"));
        state.RequiredRatifiers.Keys.Should().BeEquivalentTo(s_facts.Keys, "the 27 members and Croatia itself");
        state.Counted().Select(c => (c.Member, c.On)).Should().BeEquivalentTo(s_facts.Select(f => (f.Key, D(f.Value.Deposited))), "deposits count");
        var answer = EntryIntoForceAnswer.Of(state);
        answer.Date.Should().Be(D("2013-07-01"));
        answer.Reason.Should().Be("all 28 instruments deposited by 2013-06-21 (the last: DEU); in force on the fixed date 2013-07-01.");
        organization.MembersOn(D("2020-02-01")).Should().NotContain("GBR");
    }

    [Fact]
    public void Known_unknowns_21_approvals_are_implied_by_their_deposits_and_none_is_given_a_date()
    {
        var (_, state, _) = Replay();
        var (status, register) = (ProcessViews.BuildStatus("eu/hrv", Entries(state)), ProcessViews.BuildRegister("eu/hrv", Entries(state)));
        var unknown = s_facts.Where(f => f.Value.Approved is null).ToArray();
        status.ApprovalsImplied.Select(m => (m.Member, m.On)).Should().BeEquivalentTo(unknown.Select(f => (f.Key, D(f.Value.Deposited))));
        status.Ratified.Should().HaveCount(7);
        register.Rows.Where(r => r.RatifiedOn is null).Should().HaveCount(21).And.OnlyContain(r => r.RatifiedBy == r.DepositedOn);
        register.Rows.Where(r => r.RatifiedOn is not null).Should().OnlyContain(r => r.RatifiedBy == null);
        status.DepositsImplied.Should().BeEmpty("every deposit is recorded");
        status.EntryIntoForce.Should().Be(new EntryIntoForceView("fixed-date", D("2013-07-01"),
            "all 28 instruments deposited by 2013-06-21 (the last: DEU); in force on the fixed date 2013-07-01."));
    }

    [Fact]
    public void Stored_JSON_of_the_signature_keeps_the_treaty_and_its_rule()
    {
        var (_, state, _) = Replay(D("2011-12-09"));
        var json = JsonSerializer.Serialize(state.Signature!, LedgerJson.Options);
        json.Should().Contain("\"treaty\":\"Treaty of Accession 2011\"").And.Contain("\"entryIntoForce\":{\"rule\":\"FixedDate\",\"date\":\"2013-07-01\"}")
            .And.Contain("\"organization\":\"EU\"").And.NotContain("coCandidates");
    }

    [Fact]
    public void The_timeline_draws_the_fixed_date_of_entry_into_force_before_the_accession()
    {
        var (_, state, _) = Replay();
        var entries = Entries(state);
        var (status, register, audit) = ProcessViews.Build("eu/hrv", entries, asOf: D("2013-06-25"));
        var svg = System.Xml.Linq.XDocument.Parse(TimelineSvg.Render(status, register, audit.Entries));
        var milestones = svg.Descendants().Where(e => ((string?)e.Attribute("class"))?.StartsWith("milestone", StringComparison.Ordinal) == true).ToArray();
        var inForce = milestones.Should().ContainSingle(e => ((string)e.Attribute("class")!).Contains("entry-into-force")).Subject;
        ((string?)inForce.Attribute("data-date")).Should().Be("2013-07-01");
        inForce.Value.Should().Contain("In force");
        milestones.Should().NotContain(e => ((string)e.Attribute("class")!).Contains(" accession"), "as of 2013-06-25 Croatia has not acceded");
    }

    private static List<RatificationLedger.Recording.RecordedEntry> Entries(AccessionState state) =>
        [.. state.Entries.Select(e => new RatificationLedger.Recording.RecordedEntry("eu/hrv", e.Number, e.Number, StoredEventNames.Of(e.Event), e.Event,
            DateTimeOffset.UnixEpoch, "test", null, null, false, null, null, null))];
}
