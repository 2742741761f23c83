using System.Globalization;
using RatificationLedger.Domain;

namespace RatificationLedger.Tests.Domain;

/// <summary>The domain's consequences of facts, with values worked out by hand.</summary>
public sealed class ConsequencesTests
{
    private static DateOnly D(string iso) => DateOnly.Parse(iso, CultureInfo.InvariantCulture);

    [Theory]
    [InlineData("2024-06-01T09:59:59Z", "2024-06-01")] // 23:59:59 at UTC+14
    [InlineData("2024-06-01T10:00:00Z", "2024-06-02")] // midnight at UTC+14: a new day has begun in Kiribati
    [InlineData("2024-05-31T23:00:00-11:00", "2024-06-02")] // 10:00 UTC on 1 June
    public void The_latest_date_is_today_at_UTC_plus_14(string now, string latest) =>
        Consequences.LatestDate(DateTimeOffset.Parse(now, CultureInfo.InvariantCulture)).Should().Be(D(latest));

    [Fact]
    public void An_early_ratification_counts_from_when_the_state_became_a_required_ratifier()
    {
        // Finland approves Sweden's protocol on 2023-03-01 while a candidate; it joins and is added on 2023-04-04.
        var state = new object[]
        {
            new ApplicationSubmitted("NATO", "SWE", D("2022-05-18"), RatificationCounts.AtApproval),
            new InvitationExtended(D("2022-06-29"), "Madrid Summit", ["USA"]),
            new AccessionProtocolSigned(D("2022-07-05")),
            new RatificationApproved("USA", D("2022-08-09"), "Senate"),
            new RatificationApproved("FIN", D("2023-03-01"), "Eduskunta"),
        }.Aggregate(AccessionState.Initial, AccessionState.Evolve);

        Consequences.CountsFrom(state, "USA").Should().Be(D("2022-08-09"));
        Consequences.CountsFrom(state, "FIN").Should().BeNull("Finland is not a required ratifier yet");

        var added = AccessionState.Evolve(state, new RatifierAdded("FIN", D("2023-04-04"), "joined NATO on 2023-04-04 (nato/fin)"));
        Consequences.CountsFrom(added, "FIN").Should().Be(D("2023-04-04"));
        Consequences.CountsFrom(added, "GBR").Should().BeNull("not a required ratifier");
    }

    [Fact]
    public void A_process_invited_again_gets_the_members_admitted_after_its_invitation_that_it_lacks()
    {
        // An alliance of DEU and FRA, later AUT (2010-01-05) and CHE (2011-03-01); BEL invited on 2010-01-02 with DEU
        // only as its ratifier, withdrawn on 2010-01-04 (entry 3), the withdrawal retracted (entry 4).
        var alliance = new Organization("EEA", "Test alliance", "DEU", RatificationCounts.AtApproval, NewMembersRatifyOpenProcesses: true,
            [new Membership("DEU", D("2000-01-01")), new Membership("FRA", D("2000-01-01")), new Membership("CHE", D("2011-03-01")),
             new Membership("AUT", D("2010-01-05")), new Membership("BEL", D("2012-01-01"))], UsesAccessionProtocol: false);
        var withdrawn = new object[]
        {
            new ApplicationSubmitted("EEA", "BEL", D("2010-01-01"), RatificationCounts.AtApproval),
            new InvitationExtended(D("2010-01-02"), "Summit", ["DEU"]),
            new ApplicationWithdrawn(D("2010-01-04"), "recorded in error"),
        }.Aggregate(AccessionState.Initial, AccessionState.Evolve);
        var reopened = AccessionState.Evolve(withdrawn, new EntryRetracted(3, D("2012-02-01"), "error"));
        reopened.Phase.Should().Be(ProcessPhase.Invited, "the retraction makes the process invited again");

        // FRA was a member at the invitation and left out of it: not added. AUT and CHE joined after it, in the order they
        // joined. BEL is the candidate itself.
        Consequences.ReopenedProcessRatifies(alliance, "eea/bel", withdrawn, reopened).Select(c => (c.Member, c.On)).Should()
            .Equal(("AUT", D("2010-01-05")), ("CHE", D("2011-03-01")));
        // One already a ratifier is not added again.
        var withAustria = AccessionState.Evolve(reopened, new RatifierAdded("AUT", D("2010-01-05"), "joined"));
        Consequences.ReopenedProcessRatifies(alliance, "eea/bel", withdrawn, withAustria).Select(c => c.Member).Should().Equal("CHE");
        // Nothing when the policy does not say so, or when the process was not reopened.
        Consequences.ReopenedProcessRatifies(alliance with { NewMembersRatifyOpenProcesses = false }, "eea/bel", withdrawn, reopened).Should().BeEmpty();
        Consequences.ReopenedProcessRatifies(alliance, "eea/bel", reopened, reopened).Should().BeEmpty();
        Consequences.ReopenedProcessRatifies(alliance, "eea/bel", withdrawn, withdrawn).Should().BeEmpty();
    }

    [Fact]
    public void The_member_an_event_is_about()
    {
        Consequences.MemberOf(new RatificationApproved("USA", D("2022-08-09"), "Senate")).Should().Be("USA");
        Consequences.MemberOf(new VetoDeclared("TUR", D("2022-05-18"), "terms", true)).Should().Be("TUR");
        Consequences.MemberOf(new MemberAdmitted("FIN", D("2023-04-04"))).Should().Be("FIN");
        Consequences.MemberOf(new AccessionCompleted(D("2023-04-04"), 31)).Should().BeNull();
    }

    [Fact]
    public void The_rule_adds_the_new_member_to_an_invited_process_from_its_accession()
    {
        Consequences.NewMemberRatifies("NATO", "nato/fin", "FIN", D("2023-04-04"), "nato/swe")
            .Should().Be(new AddRatifier("nato/swe", "FIN", D("2023-04-04"), "joined NATO on 2023-04-04 (nato/fin)"));
        var vote = new ParliamentVoted("TUR", D("2023-03-30"), "Grand National Assembly", 276, 0, 0, true);
        Consequences.Outcome(vote).Should().Be("passed");
        // The same vote, had it not passed: worded "rejected" by the decider and the register alike.
        Consequences.Outcome(vote with { Passed = false }).Should().Be("rejected");
    }
}
