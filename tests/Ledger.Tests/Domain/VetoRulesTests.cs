using RatificationLedger.Domain;
using static RatificationLedger.Tests.Domain.DeciderSpec;
using static RatificationLedger.Tests.Domain.Nato;

namespace RatificationLedger.Tests.Domain;

// Vetoes: before the invitation any member may block; after it only a required ratifier; a member that approved
// cannot veto; a veto ends with VetoLifted or with that member's ratification; an active veto blocks accession.
public class VetoRulesTests
{
    [Fact]
    public void Given_application_When_Turkiye_formally_vetoes_before_the_invitation_Then_recorded_and_active()
    {
        var after = Given(Application("SWE"))
            .When(new DeclareVeto(Swe, "TUR", Applied, "blocks the start of accession talks", true))
            .Then(new VetoDeclared("TUR", Applied, "blocks the start of accession talks", true))
            .After;
        after.ActiveVetoes.Should().ContainSingle().Which.Should().Be(new Veto("TUR", Applied, "blocks the start of accession talks", true));
    }

    [Fact]
    public void Given_an_invitation_naming_two_ratifiers_When_another_member_vetoes_with_a_date_before_the_invitation_Then_recorded() =>
        Given(Ratifying("SWE", RatificationCounts.AtApproval, "CAN", "USA"))
            .When(new DeclareVeto(Swe, "TUR", Day("2022-06-01"), "PKK", true))
            .Then(new VetoDeclared("TUR", Day("2022-06-01"), "PKK", true));

    [Fact, Refuses(RuleCodes.VetoAfterApproval)]
    public void Given_Turkiye_approved_When_it_declares_a_hold_Then_rejected_naming_both_dates() =>
        Given([.. Ratifying("SWE"), Approval("TUR", "2024-01-23", "Grand National Assembly")])
            .When(new DeclareVeto(Swe, "TUR", Day("2024-02-01"), "second thoughts", false))
            .ThenRejected(RuleCodes.VetoAfterApproval, "TUR", "2024-01-23", "2024-02-01");

    [Fact, Accepts(RuleCodes.VetoAfterApproval)]
    public void Given_Turkiye_has_not_approved_When_it_declares_a_hold_Then_recorded() =>
        Given(Ratifying("SWE"))
            .When(new DeclareVeto(Swe, "TUR", HoldsBegan, "ratification withheld", false))
            .Then(new VetoDeclared("TUR", HoldsBegan, "ratification withheld", false));

    [Fact, Refuses(RuleCodes.NoActiveVeto)]
    public void Given_no_veto_When_a_lifting_is_recorded_Then_rejected_naming_member_and_date() =>
        Given(Ratifying("SWE"))
            .When(new LiftVeto(Swe, "HUN", Day("2024-02-26"), "approved"))
            .ThenRejected(RuleCodes.NoActiveVeto, "HUN", "2024-02-26");

    [Fact, Refuses(RuleCodes.NoActiveVeto)]
    public void Given_a_hold_ended_by_ratification_When_a_later_lifting_is_recorded_Then_rejected_naming_the_end() =>
        Given([.. Ratifying("SWE"), new VetoDeclared("HUN", HoldsBegan, "vote postponed", false), Approval("HUN", "2024-02-26")])
            .When(new LiftVeto(Swe, "HUN", Day("2024-02-27"), "approved"))
            .ThenRejected(RuleCodes.NoActiveVeto, "HUN", "2024-02-27", "ended on 2024-02-26");

    [Fact, Accepts(RuleCodes.NoActiveVeto)]
    public void Given_an_active_formal_veto_When_it_is_lifted_Then_it_ends_that_day()
    {
        var after = Given(Application("SWE"), new VetoDeclared("TUR", Applied, "PKK", true))
            .When(new LiftVeto(Swe, "TUR", MemorandumDay, "Trilateral Memorandum signed"))
            .Then(new VetoLifted("TUR", MemorandumDay, "Trilateral Memorandum signed"))
            .After;
        after.ActiveVetoes.Should().BeEmpty();
        after.Vetoes.Should().ContainSingle().Which.Should().Be(
            new Veto("TUR", Applied, "PKK", true) { EndedOn = MemorandumDay, EndedBy = "Trilateral Memorandum signed" });
    }

    [Fact]
    public void Given_a_de_facto_hold_When_the_member_ratifies_Then_the_hold_ends_that_day_and_accession_may_follow()
    {
        object[] history = [.. Ratifying("FIN"), new VetoDeclared("HUN", HoldsBegan, "vote postponed", false)];
        var ratified = Given(history)
            .When(new ApproveRatification(Fin, "HUN", Day("2023-03-27"), "National Assembly"))
            .Then(new RatificationApproved("HUN", Day("2023-03-27"), "National Assembly"));
        ratified.After.ActiveVetoes.Should().BeEmpty();
        ratified.After.Vetoes.Single().EndedOn.Should().Be(Day("2023-03-27"));
        ratified.After.Vetoes.Single().EndedBy.Should().Contain("National Assembly");

        object[] endedByRatification = [.. history, .. ratified.Decision.Events];
        Given(endedByRatification)
            .When(new LiftVeto(Fin, "HUN", Day("2023-03-27"), "approved"))
            .ThenNothing();
        var others = Nato.MadridRatifiers.Where(m => m != "HUN").Select(m => (object)Approval(m, "2023-03-30"));
        Given([.. endedByRatification, .. others])
            .When(new CompleteAccession(Fin, FinlandJoined, 31))
            .Then(new AccessionCompleted(FinlandJoined, 31));
    }

    [Fact]
    public void Given_a_hold_lifted_When_the_member_holds_again_Then_recorded_as_a_new_hold()
    {
        var after = Given([.. Ratifying("SWE"), new VetoDeclared("TUR", HoldsBegan, "PKK", false), new VetoLifted("TUR", Day("2023-07-10"), "Vilnius")])
            .When(new DeclareVeto(Swe, "TUR", Day("2023-09-01"), "F-16 deliveries", false))
            .Then(new VetoDeclared("TUR", Day("2023-09-01"), "F-16 deliveries", false))
            .After;
        after.Vetoes.Should().HaveCount(2);
        after.ActiveVetoOf("TUR")!.Since.Should().Be(Day("2023-09-01"));
    }
}
