using RatificationLedger.Domain;
using static RatificationLedger.Tests.Domain.DeciderSpec;
using static RatificationLedger.Tests.Domain.Nato;

namespace RatificationLedger.Tests.Domain;

// Order: a process opens with an application or an invitation; the protocol needs the invitation; ratification
// steps need the protocol (or the invitation where the organization uses no protocol); deposit needs approval;
// accession needs every required ratifier counted and no active veto.
public class OrderRulesTests
{
    [Fact, Accepts(RuleCodes.ProcessNotOpen)]
    public void Given_nothing_When_candidate_applies_Then_the_process_opens() =>
        Given()
            .When(new SubmitApplication(Swe, "NATO", "SWE", Applied))
            .Then(new ApplicationSubmitted("NATO", "SWE", Applied, RatificationCounts.AtApproval))
            .After.Phase.Should().Be(ProcessPhase.Applied);

    [Fact, Refuses(RuleCodes.ProcessNotOpen)]
    public void Given_nothing_When_protocol_is_signed_Then_rejected_as_not_open() =>
        Given()
            .When(new SignAccessionProtocol(Swe, Signed))
            .ThenRejected(RuleCodes.ProcessNotOpen, "nato/swe", "2022-07-05", "not been opened");

    [Fact, Refuses(RuleCodes.ProcessNotOpen)]
    public void Given_nothing_When_a_memorandum_is_signed_Then_rejected_as_not_open() =>
        Given()
            .When(new SignMemorandum(Swe, MemorandumDay, "Trilateral Memorandum", ["TUR", "FIN", "SWE"]))
            .ThenRejected(RuleCodes.ProcessNotOpen, "Trilateral Memorandum", "2022-06-28");

    [Fact, Refuses(RuleCodes.ProcessAlreadyOpen)]
    public void Given_process_opened_by_invitation_When_candidate_applies_Then_rejected_as_already_open() =>
        Given(new InvitationExtended(Day("2015-12-02"), "Brussels", Nato.Organization.MembersOn(Day("2015-12-02")), "NATO", "MNE", RatificationCounts.AtApproval))
            .When(new SubmitApplication(Mne, "NATO", "MNE", Day("2016-01-10")))
            .ThenRejected(RuleCodes.ProcessAlreadyOpen, "nato/mne", "2015-12-02", "2016-01-10");

    [Fact, Accepts(RuleCodes.ProcessAlreadyOpen)]
    public void Given_first_attempt_withdrawn_When_a_second_attempt_applies_Then_it_opens_its_own_process() =>
        Given()
            .When(new SubmitApplication("nato/swe-2", "NATO", "SWE", Day("2023-01-01")))
            .Then(new ApplicationSubmitted("NATO", "SWE", Day("2023-01-01"), RatificationCounts.AtApproval));

    [Fact, Refuses(RuleCodes.InvitationMissing)]
    public void Given_application_only_When_protocol_is_signed_Then_rejected_as_invitation_missing() =>
        Given(Application("SWE"))
            .When(new SignAccessionProtocol(Swe, Signed))
            .ThenRejected(RuleCodes.InvitationMissing, "2022-07-05", "invitation");

    [Fact, Refuses(RuleCodes.InvitationMissing)]
    public void Given_application_only_When_a_ratifier_is_added_or_accession_recorded_Then_rejected_as_invitation_missing()
    {
        Given(Application("SWE"))
            .When(new AddRatifier(Swe, "FIN", FinlandJoined, "joined"))
            .ThenRejected(RuleCodes.InvitationMissing, "FIN", "2023-04-04");
        Given(Application("SWE"))
            .When(new CompleteAccession(Swe, SwedenJoined))
            .ThenRejected(RuleCodes.InvitationMissing, "SWE", "2024-03-07");
        Given(Application("SWE"))
            .When(new ApproveRatification(Swe, "CAN", Signed, "Parliament"))
            .ThenRejected(RuleCodes.InvitationMissing, "CAN", "2022-07-05");
    }

    [Fact, Accepts(RuleCodes.InvitationMissing)]
    public void Given_invitation_When_protocol_is_signed_Then_recorded() =>
        Given(Application("SWE"), Invitation())
            .When(new SignAccessionProtocol(Swe, Signed))
            .Then(new AccessionProtocolSigned(Signed));

    [Fact, Refuses(RuleCodes.ProtocolMissing)]
    public void Given_invitation_without_protocol_When_member_approves_Then_rejected_as_protocol_missing() =>
        Given(Application("SWE"), Invitation())
            .When(new ApproveRatification(Swe, "CAN", Signed, "Parliament"))
            .ThenRejected(RuleCodes.ProtocolMissing, "CAN", "2022-07-05", "protocol");

    [Fact, Refuses(RuleCodes.ProtocolMissing)]
    public void Given_invitation_without_protocol_When_accession_is_recorded_Then_rejected_as_protocol_missing() =>
        Given(Application("SWE"), Invitation("CAN"))
            .When(new CompleteAccession(Swe, SwedenJoined))
            .ThenRejected(RuleCodes.ProtocolMissing, "SWE", "2024-03-07");

    [Fact, Accepts(RuleCodes.ProtocolMissing)]
    public void Given_organization_without_protocol_step_When_member_approves_after_invitation_Then_recorded() =>
        Given(Application("SWE"), Invitation())
            .Under(Nato.Organization with { UsesAccessionProtocol = false })
            .When(new ApproveRatification(Swe, "CAN", Invited, "Parliament"))
            .Then(new RatificationApproved("CAN", Invited, "Parliament"));

    [Fact]
    public void Given_no_approval_When_member_deposits_Then_recorded_and_its_approval_is_implied_with_no_date()
    {
        var deposited = Given(Ratifying("SWE"))
            .When(new DepositInstrument(Swe, "CAN", Signed))
            .Then(new InstrumentDeposited("CAN", Signed, "USA"));
        deposited.After.StepsOf("CAN").Approval.Should().BeNull("no approval date is invented");
        deposited.After.StepsOf("CAN").ApprovalImpliedBy.Should().Be(Signed);
        deposited.After.Counted().Should().Contain(("CAN", Signed), "under approval counting it counts from the deposit");
    }

    [Fact]
    public void Given_approval_When_member_deposits_the_same_day_Then_recorded_with_the_organizations_depositary() =>
        Given([.. Ratifying("SWE"), Approval("CAN", "2022-07-05")])
            .When(new DepositInstrument(Swe, "CAN", Signed))
            .Then(new InstrumentDeposited("CAN", Signed, "USA"));

    [Fact, Refuses(RuleCodes.DateBeforeDependency)]
    public void Given_a_deposit_with_no_approval_When_an_approval_dated_after_it_is_recorded_Then_rejected() =>
        Given([.. Ratifying("SWE"), new InstrumentDeposited("CAN", Day("2022-07-10"), "USA")])
            .When(new ApproveRatification(Swe, "CAN", Day("2022-07-11"), "Parliament"))
            .ThenRejected(RuleCodes.DateBeforeDependency, "CAN", "2022-07-10", "2022-07-11");

    [Fact, Accepts(RuleCodes.DateBeforeDependency)]
    public void Given_a_deposit_with_no_approval_When_its_approval_is_found_dated_before_it_Then_recorded_and_counts_from_it()
    {
        var approved = Given([.. Ratifying("SWE"), new InstrumentDeposited("CAN", Day("2022-07-10"), "USA")])
            .When(new ApproveRatification(Swe, "CAN", Day("2022-07-06"), null))
            .Then(new RatificationApproved("CAN", Day("2022-07-06"), null));
        approved.After.Counted().Should().Contain(("CAN", Day("2022-07-06")));
        approved.After.StepsOf("CAN").ApprovalImpliedBy.Should().BeNull();
    }

    [Fact, Refuses(RuleCodes.AccessionIncomplete)]
    public void Given_one_ratifier_pending_When_accession_is_recorded_Then_rejected_naming_the_pending_member() =>
        Given([.. Ratifying("SWE"), .. SwedenApprovalsExcept("HUN")])
            .When(new CompleteAccession(Swe, SwedenJoined))
            .ThenRejected(RuleCodes.AccessionIncomplete, "SWE", "2024-03-07", "1 of 30", "HUN");

    [Fact, Accepts(RuleCodes.AccessionIncomplete)]
    public void Given_every_ratifier_approved_When_accession_is_recorded_Then_the_process_closes() =>
        Given([.. Ratifying("SWE"), .. SwedenApprovalsExcept()])
            .When(new CompleteAccession(Swe, SwedenJoined, 32))
            .Then(new AccessionCompleted(SwedenJoined, 32))
            .After.Phase.Should().Be(ProcessPhase.Acceded);

    [Fact, Refuses(RuleCodes.AccessionBlocked)]
    public void Given_an_active_hold_When_accession_is_recorded_Then_rejected_naming_the_hold() =>
        Given([.. Ratifying("SWE"), .. SwedenApprovalsExcept("HUN"), new VetoDeclared("HUN", HoldsBegan, "vote postponed", false)])
            .When(new CompleteAccession(Swe, SwedenJoined))
            .ThenRejected(RuleCodes.AccessionBlocked, "SWE", "2024-03-07", "HUN's hold", "2022-09-27");

    [Fact, Refuses(RuleCodes.AccessionBlocked)]
    public void Given_a_formal_veto_by_a_member_that_need_not_ratify_When_accession_is_recorded_Then_rejected() =>
        Given(
                Application("SWE"), new VetoDeclared("TUR", Applied, "PKK", true), Invitation("CAN", "USA"), Protocol(),
                Approval("CAN", "2022-07-05"), Approval("USA", "2022-08-03"))
            .When(new CompleteAccession(Swe, Day("2022-09-01")))
            .ThenRejected(RuleCodes.AccessionBlocked, "TUR's veto", "2022-05-18");

    [Fact, Accepts(RuleCodes.AccessionBlocked)]
    public void Given_the_veto_was_lifted_When_accession_is_recorded_Then_recorded() =>
        Given(
                Application("SWE"), new VetoDeclared("TUR", Applied, "PKK", true), new VetoLifted("TUR", MemorandumDay, "memorandum"),
                Invitation("CAN", "USA"), Protocol(), Approval("CAN", "2022-07-05"), Approval("USA", "2022-08-03"))
            .When(new CompleteAccession(Swe, Day("2022-09-01")))
            .Then(new AccessionCompleted(Day("2022-09-01"), null));
}
