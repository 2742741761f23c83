using System.Text.Json;
using RatificationLedger.Domain;
using static RatificationLedger.Tests.Domain.Nato;

namespace RatificationLedger.Tests.Domain;

// The organization's policy beyond NATO: candidates that ratify, a default entry-into-force rule, members that leave.
public class EuOrganizationTests
{
    private static Decision Register(Organization organization, Organization? registered = null) =>
        OrganizationDecider.Decide(new RegisterOrganization(organization), registered, Now);

    [Fact]
    public void Given_nothing_When_the_EU_is_registered_Then_its_policy_and_the_United_Kingdoms_departure_are_recorded()
    {
        var eu = Eu.Organization with { EntryIntoForce = Eu.Fixed2013 };
        var decision = Register(eu);
        var registered = decision.Events.Should().ContainSingle().Which.Should().BeOfType<OrganizationRegistered>().Subject;
        registered.CandidateRatifies.Should().BeTrue();
        registered.EntryIntoForce.Should().Be(Eu.Fixed2013);
        registered.Members.Should().ContainSingle(m => m.State == "GBR").Which.Until.Should().Be(Day("2020-01-31"));

        var state = decision.Events.Aggregate((Organization?)null, OrganizationDecider.Evolve)!;
        state.IsMemberOn("GBR", Day("2020-01-31")).Should().BeTrue("until is the last day of membership");
        state.IsMemberOn("GBR", Day("2020-02-01")).Should().BeFalse();
        state.MembersOn(Day("2013-06-30")).Should().HaveCount(27);
        state.MembersOn(Day("2013-07-01")).Should().HaveCount(28).And.Contain("HRV");
        state.MembersOn(Day("2020-02-01")).Should().HaveCount(27).And.NotContain("GBR");
        state.CandidateRatifies.Should().BeTrue();
    }

    [Fact]
    public void Given_NATO_When_registered_Then_its_stored_event_has_no_new_fields()
    {
        var registered = Register(Nato.Organization).Events.Single();
        var json = JsonSerializer.Serialize(registered, registered.GetType(), LedgerJson.Options);
        json.Should().NotContain("candidateRatifies").And.NotContain("entryIntoForce").And.NotContain("until");
    }

    [Fact, Refuses(RuleCodes.DateBeforeDependency)]
    public void Given_nothing_When_a_member_leaves_before_it_joined_Then_rejected_naming_it() =>
        Register(Eu.Organization with { Members = [.. Eu.Roster.Where(m => m.State != "GBR"), new Membership("GBR", Day("1973-01-01"), Day("1972-12-31"))] })
            .Rejection.Should().Match<Rejection>(r => r.Code == RuleCodes.DateBeforeDependency && r.Message.Contains("GBR") && r.Message.Contains("1972-12-31") && r.Message.StartsWith("organization EU:"));

    [Fact, Refuses(RuleCodes.InvalidEntryIntoForce)]
    public void Given_nothing_When_the_default_rule_is_a_fixed_date_with_no_date_Then_rejected() =>
        Register(Eu.Organization with { EntryIntoForce = new EntryIntoForceRule(EntryIntoForceKind.FixedDate) })
            .Rejection.Should().Match<Rejection>(r => r.Code == RuleCodes.InvalidEntryIntoForce && r.Message.Contains("fixed-date"));

    [Fact]
    public void Given_the_EU_registered_When_registered_again_with_another_departure_date_Then_rejected_as_a_conflict()
    {
        var registered = Register(Eu.Organization).Events.Aggregate((Organization?)null, OrganizationDecider.Evolve);
        var moved = Eu.Organization with { Members = [.. Eu.Roster.Where(m => m.State != "GBR"), new Membership("GBR", Day("1973-01-01"), Day("2020-12-31"))] };
        Register(moved, registered).Rejection.Should().Match<Rejection>(r => r.Code == RuleCodes.OrganizationConflict && r.Message.Contains("2020-01-31") && r.Message.Contains("2020-12-31"));
        Register(Eu.Organization, registered).Events.Should().BeEmpty("the same definition records nothing");
    }
}
