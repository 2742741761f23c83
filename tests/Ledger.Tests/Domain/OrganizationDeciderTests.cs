using RatificationLedger.Domain;
using static RatificationLedger.Tests.Domain.Nato;

namespace RatificationLedger.Tests.Domain;

public class OrganizationDeciderTests
{
    private static readonly Organization s_registered = Registered(Nato.Organization with { Members = [.. Roster.Where(m => m.State is not ("FIN" or "SWE"))] });

    private static Organization Registered(Organization organization)
    {
        var decision = OrganizationDecider.Decide(new RegisterOrganization(organization), null, Now);
        decision.IsRejected.Should().BeFalse(decision.ToString());
        return decision.Events.Aggregate((Organization?)null, OrganizationDecider.Evolve)!;
    }

    [Fact]
    public void Given_nothing_When_NATO_is_registered_Then_its_policy_and_roster_are_recorded_in_join_order()
    {
        var decision = OrganizationDecider.Decide(new RegisterOrganization(Nato.Organization), null, Now);

        var registered = decision.Events.Should().ContainSingle().Which.Should().BeOfType<OrganizationRegistered>().Subject;
        registered.Should().BeEquivalentTo(new
        {
            Code = "NATO",
            Name = "North Atlantic Treaty Organization",
            Depositary = "USA",
            CountsAt = RatificationCounts.AtApproval,
            NewMembersRatifyOpenProcesses = true,
            UsesAccessionProtocol = true,
        });
        registered.Members.Should().HaveCount(32);
        registered.Members.Select(m => m.Since).Should().BeInAscendingOrder();
        registered.Members[0].Should().Be(new Membership("BEL", Day("1949-08-24")));
        registered.Members[^1].Should().Be(new Membership("SWE", SwedenJoined));

        var state = OrganizationDecider.Evolve(null, registered);
        state!.MembersOn(Invited).Should().Equal(MadridRatifiers);
        state.IsMemberOn("FIN", FinlandJoined).Should().BeTrue();
        state.IsMemberOn("FIN", FinlandJoined.AddDays(-1)).Should().BeFalse();
    }

    [Fact]
    public void Given_NATO_registered_When_the_same_definition_is_registered_again_Then_nothing_is_recorded()
    {
        var decision = OrganizationDecider.Decide(new RegisterOrganization(s_registered), s_registered, Now);
        decision.IsRejected.Should().BeFalse();
        decision.Events.Should().BeEmpty();
    }

    [Fact]
    public void Given_NATO_registered_When_registered_again_with_new_members_Then_they_are_admitted()
    {
        var decision = OrganizationDecider.Decide(new RegisterOrganization(Nato.Organization), s_registered, Now);
        decision.Events.Should().Equal(new MemberAdmitted("FIN", FinlandJoined), new MemberAdmitted("SWE", SwedenJoined));
    }

    [Fact, Refuses(RuleCodes.OrganizationConflict)]
    public void Given_NATO_registered_When_registered_with_another_policy_Then_rejected_naming_both_definitions()
    {
        var decision = OrganizationDecider.Decide(new RegisterOrganization(s_registered with { CountsAt = RatificationCounts.AtDeposit }), s_registered, Now);
        decision.Rejection!.Code.Should().Be(RuleCodes.OrganizationConflict);
        decision.Rejection.Message.Should().Contain("NATO").And.Contain("at approval").And.Contain("at deposit");
        decision.Events.Should().BeEmpty();
    }

    [Fact, Refuses(RuleCodes.OrganizationConflict)]
    public void Given_NATO_registered_When_registered_with_another_protocol_rule_Then_rejected_naming_it()
    {
        var decision = OrganizationDecider.Decide(new RegisterOrganization(s_registered with { UsesAccessionProtocol = false }), s_registered, Now);
        decision.Rejection!.Code.Should().Be(RuleCodes.OrganizationConflict);
        decision.Rejection.Message.Should().Contain("accession protocol: yes").And.Contain("accession protocol: no");
    }

    [Fact, Refuses(RuleCodes.OrganizationConflict)]
    public void Given_NATO_registered_When_a_member_is_given_another_join_date_Then_rejected_naming_both_dates()
    {
        var roster = s_registered.Members.Select(m => m.State == "MKD" ? m with { Since = Day("2020-03-28") } : m).ToArray();
        var decision = OrganizationDecider.Decide(new RegisterOrganization(s_registered with { Members = roster }), s_registered, Now);
        decision.Rejection!.Code.Should().Be(RuleCodes.OrganizationConflict);
        decision.Rejection.Message.Should().Contain("MKD").And.Contain("2020-03-27").And.Contain("2020-03-28");
    }

    [Fact, Accepts(RuleCodes.OrganizationConflict)]
    public void Given_NATO_registered_When_registered_with_a_shorter_roster_Then_nothing_changes()
    {
        var decision = OrganizationDecider.Decide(new RegisterOrganization(s_registered with { Members = s_registered.Members.Take(12).ToArray() }), s_registered, Now);
        decision.IsRejected.Should().BeFalse();
        decision.Events.Should().BeEmpty();
    }

    [Theory]
    [InlineData("nato", RuleCodes.InvalidCode, "'nato'")]
    [InlineData("N", RuleCodes.InvalidCode, "'N'")]
    [InlineData("1NATO", RuleCodes.InvalidCode, "'1NATO'")]
    public void Given_nothing_When_the_code_is_malformed_Then_rejected(string code, string rule, string naming)
    {
        var decision = OrganizationDecider.Decide(new RegisterOrganization(Nato.Organization with { Code = code }), null, Now);
        decision.Rejection!.Code.Should().Be(rule);
        decision.Rejection.Message.Should().Contain(naming);
    }

    [Fact]
    public void Given_nothing_When_the_definition_is_invalid_Then_rejected_naming_the_value()
    {
        Reject(Nato.Organization with { Name = " " }).Should().Be((RuleCodes.MissingField, true));
        Reject(Nato.Organization with { Depositary = "US" }).Should().Be((RuleCodes.InvalidCode, true));
        Reject(Nato.Organization with { Members = [.. Roster, new Membership("usa", Day("1949-08-24"))] }).Should().Be((RuleCodes.InvalidCode, true));
        Reject(Nato.Organization with { Members = [.. Roster, new Membership("UKR", Day("2030-01-01"))] }).Should().Be((RuleCodes.DateInFuture, true));
        Reject(Nato.Organization with { Members = [.. Roster, new Membership("SWE", Day("2024-03-08"))] }).Should().Be((RuleCodes.ConflictingRepeat, true));

        static (string Code, bool NamesOrganization) Reject(Organization organization)
        {
            var rejection = OrganizationDecider.Decide(new RegisterOrganization(organization), null, Now).Rejection!;
            return (rejection.Code, rejection.Message.StartsWith("organization NATO:", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void Given_NATO_registered_When_Finland_is_admitted_Then_it_is_a_member_from_that_day()
    {
        var decision = OrganizationDecider.Decide(new AdmitMember("NATO", "FIN", FinlandJoined), s_registered, Now);
        decision.Events.Should().Equal(new MemberAdmitted("FIN", FinlandJoined));

        var state = decision.Events.Aggregate((Organization?)s_registered, OrganizationDecider.Evolve)!;
        state.IsMemberOn("FIN", FinlandJoined).Should().BeTrue();
        state.MembersOn(FinlandJoined).Should().HaveCount(31);
    }

    [Fact, Accepts(RuleCodes.ConflictingRepeat)]
    public void Given_Finland_admitted_When_it_is_admitted_again_the_same_day_Then_nothing_is_recorded()
    {
        var admitted = OrganizationDecider.Evolve(s_registered, new MemberAdmitted("FIN", FinlandJoined));
        var decision = OrganizationDecider.Decide(new AdmitMember("NATO", "FIN", FinlandJoined), admitted, Now);
        decision.IsRejected.Should().BeFalse();
        decision.Events.Should().BeEmpty();
    }

    [Fact, Refuses(RuleCodes.ConflictingRepeat)]
    public void Given_Finland_admitted_When_it_is_admitted_on_another_day_Then_rejected_naming_both_dates()
    {
        var admitted = OrganizationDecider.Evolve(s_registered, new MemberAdmitted("FIN", FinlandJoined));
        var rejection = OrganizationDecider.Decide(new AdmitMember("NATO", "FIN", Day("2023-04-05")), admitted, Now).Rejection!;
        rejection.Code.Should().Be(RuleCodes.ConflictingRepeat);
        rejection.Message.Should().Contain("FIN").And.Contain("2023-04-04").And.Contain("2023-04-05");
    }

    [Fact]
    public void Given_NATO_registered_When_an_admission_is_invalid_Then_rejected_naming_the_value()
    {
        var unknown = OrganizationDecider.Decide(new AdmitMember("EU", "SWE", SwedenJoined), null, Now).Rejection!;
        unknown.Code.Should().Be(RuleCodes.UnknownOrganization);
        unknown.Message.Should().Contain("EU").And.Contain("SWE");

        var badCode = OrganizationDecider.Decide(new AdmitMember("NATO", "Sweden", SwedenJoined), s_registered, Now).Rejection!;
        badCode.Code.Should().Be(RuleCodes.InvalidCode);
        badCode.Message.Should().Contain("'Sweden'");

        var future = OrganizationDecider.Decide(new AdmitMember("NATO", "UKR", Day("2025-01-02")), s_registered, Now).Rejection!;
        future.Code.Should().Be(RuleCodes.DateInFuture);
        future.Message.Should().Contain("UKR").And.Contain("2025-01-02").And.Contain("2025-01-01");
    }

    [Fact]
    public void Given_an_organization_stream_When_an_admission_arrives_before_registration_Then_it_is_ignored() =>
        OrganizationDecider.Evolve(null, new MemberAdmitted("FIN", FinlandJoined)).Should().BeNull();
}
