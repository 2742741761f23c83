using RatificationLedger.Domain;
using static RatificationLedger.Tests.Domain.DeciderSpec;
using static RatificationLedger.Tests.Domain.Nato;

namespace RatificationLedger.Tests.Domain;

// Dates: nothing dated after the injected clock; no step dated before the step it depends on.
public class DateRulesTests
{
    [Fact, Refuses(RuleCodes.DateInFuture)]
    public void Given_the_clock_When_a_step_is_dated_tomorrow_Then_rejected_naming_both_dates() =>
        Given([.. Ratifying("SWE")])
            .When(new ApproveRatification(Swe, "CAN", Today.AddDays(1), "Parliament"))
            .ThenRejected(RuleCodes.DateInFuture, "CAN's approval", "2025-01-02", "2025-01-01");

    [Fact, Refuses(RuleCodes.DateInFuture)]
    public void Given_nothing_When_an_application_is_dated_after_the_clock_Then_rejected_before_anything_else() =>
        Given()
            .When(new SubmitApplication(Swe, "NATO", "SWE", Day("2030-05-18")))
            .ThenRejected(RuleCodes.DateInFuture, "2030-05-18", "2025-01-01");

    [Fact, Accepts(RuleCodes.DateInFuture)]
    public void Given_the_clock_When_a_step_is_dated_today_Then_recorded() =>
        Given([.. Ratifying("SWE")])
            .When(new ApproveRatification(Swe, "CAN", Today, "Parliament"))
            .Then(new RatificationApproved("CAN", Today, "Parliament"));

    [Fact, Accepts(RuleCodes.DateInFuture)]
    public void Given_it_is_already_tomorrow_somewhere_on_earth_When_a_step_is_dated_tomorrow_Then_recorded()
    {
        // 10:00 UTC on 1 January is midnight of 2 January at UTC+14 (Kiribati).
        var spec = Given([.. Ratifying("SWE")]).At(new DateTimeOffset(2025, 1, 1, 10, 0, 0, TimeSpan.Zero));
        spec.When(new ApproveRatification(Swe, "CAN", Day("2025-01-02"), "Parliament"))
            .Then(new RatificationApproved("CAN", Day("2025-01-02"), "Parliament"));
        spec.When(new ApproveRatification(Swe, "CAN", Day("2025-01-03"), "Parliament"))
            .ThenRejected(RuleCodes.DateInFuture, "2025-01-03", "2025-01-02");
    }

    [Fact, Refuses(RuleCodes.DateBeforeDependency)]
    public void Given_application_When_invitation_is_dated_before_it_Then_rejected_naming_both_dates() =>
        Given(Application("SWE"))
            .When(new ExtendInvitation(Swe, Day("2022-05-17"), "Madrid Summit"))
            .ThenRejected(RuleCodes.DateBeforeDependency, "invitation on 2022-05-17", "application on 2022-05-18");

    [Fact, Accepts(RuleCodes.DateBeforeDependency)]
    public void Given_application_When_invitation_is_dated_the_same_day_Then_recorded_with_the_members_of_that_day() =>
        Given(Application("SWE"))
            .When(new ExtendInvitation(Swe, Applied, "Brussels"))
            .Then(new InvitationExtended(Applied, "Brussels", Nato.Organization.MembersOn(Applied)));

    [Fact, Refuses(RuleCodes.DateBeforeDependency)]
    public void Given_invitation_When_protocol_is_dated_before_it_Then_rejected() =>
        Given(Application("SWE"), Invitation())
            .When(new SignAccessionProtocol(Swe, Day("2022-06-28")))
            .ThenRejected(RuleCodes.DateBeforeDependency, "protocol signature on 2022-06-28", "invitation on 2022-06-29");

    [Fact, Refuses(RuleCodes.DateBeforeDependency)]
    public void Given_application_When_memorandum_is_dated_before_the_opening_Then_rejected() =>
        Given(Application("SWE"))
            .When(new SignMemorandum(Swe, Day("2022-05-01"), "Early note", ["TUR", "SWE"]))
            .ThenRejected(RuleCodes.DateBeforeDependency, "Early note", "2022-05-01", "2022-05-18");

    [Fact, Accepts(RuleCodes.DateBeforeDependency)]
    public void Given_application_When_the_trilateral_memorandum_is_signed_Then_recorded() =>
        Given(Application("SWE"))
            .When(new SignMemorandum(Swe, MemorandumDay, "Trilateral Memorandum", ["TUR", "FIN", "SWE"], "PKK, extraditions, arms exports"))
            .Then(new MemorandumSigned(MemorandumDay, "Trilateral Memorandum", ["TUR", "FIN", "SWE"], "PKK, extraditions, arms exports"));

    [Fact, Refuses(RuleCodes.DateBeforeDependency)]
    public void Given_protocol_signed_When_a_vote_or_approval_is_dated_before_it_Then_rejected()
    {
        Given(Ratifying("SWE"))
            .When(new RecordParliamentVote(Swe, "POL", Day("2022-07-04"), "Sejm", 1, 0, 0, true))
            .ThenRejected(RuleCodes.DateBeforeDependency, "POL", "2022-07-04", "protocol signature on 2022-07-05");
        Given(Ratifying("SWE"))
            .When(new ApproveRatification(Swe, "CAN", Day("2022-07-04"), "Parliament"))
            .ThenRejected(RuleCodes.DateBeforeDependency, "CAN", "2022-07-04", "2022-07-05");
    }

    [Fact, Accepts(RuleCodes.DateBeforeDependency)]
    public void Given_protocol_signed_When_a_member_approves_the_same_day_Then_recorded() =>
        Given(Ratifying("SWE"))
            .When(new ApproveRatification(Swe, "CAN", Signed, "Parliament"))
            .Then(new RatificationApproved("CAN", Signed, "Parliament"));

    [Fact, Refuses(RuleCodes.DateBeforeDependency)]
    public void Given_approval_When_deposit_is_dated_before_it_Then_rejected() =>
        Given([.. Ratifying("SWE"), Approval("ESP", "2022-09-20")])
            .When(new DepositInstrument(Swe, "ESP", Day("2022-09-19")))
            .ThenRejected(RuleCodes.DateBeforeDependency, "ESP's deposit on 2022-09-19", "approval on 2022-09-20");

    [Fact, Refuses(RuleCodes.DateBeforeDependency)]
    public void Given_early_approval_When_deposit_is_dated_before_the_state_became_a_ratifier_Then_rejected() =>
        Given([.. Ratifying("SWE"), Approval("FIN", "2023-03-01"), new RatifierAdded("FIN", FinlandJoined, "joined NATO")])
            .When(new DepositInstrument(Swe, "FIN", Day("2023-04-03")))
            .ThenRejected(RuleCodes.DateBeforeDependency, "FIN's deposit on 2023-04-03", "required ratifier on 2023-04-04");

    [Fact, Accepts(RuleCodes.DateBeforeDependency)]
    public void Given_early_approval_When_deposit_is_dated_the_day_the_state_became_a_ratifier_Then_recorded() =>
        Given([.. Ratifying("SWE"), Approval("FIN", "2023-03-01"), new RatifierAdded("FIN", FinlandJoined, "joined NATO")])
            .When(new DepositInstrument(Swe, "FIN", FinlandJoined))
            .Then(new InstrumentDeposited("FIN", FinlandJoined, "USA"));

    [Fact, Refuses(RuleCodes.DateBeforeDependency)]
    public void Given_application_When_veto_or_withdrawal_is_dated_before_the_opening_Then_rejected()
    {
        Given(Application("SWE"))
            .When(new DeclareVeto(Swe, "TUR", Day("2022-05-17"), "PKK", true))
            .ThenRejected(RuleCodes.DateBeforeDependency, "TUR's veto on 2022-05-17", "2022-05-18");
        Given(Application("SWE"))
            .When(new WithdrawApplication(Swe, Day("2022-05-17"), "changed its mind"))
            .ThenRejected(RuleCodes.DateBeforeDependency, "withdrawal on 2022-05-17", "2022-05-18");
    }

    [Fact, Refuses(RuleCodes.DateBeforeDependency)]
    public void Given_a_hold_When_its_lifting_is_dated_before_it_Then_rejected() =>
        Given([.. Ratifying("SWE"), new VetoDeclared("HUN", HoldsBegan, "vote postponed", false)])
            .When(new LiftVeto(Swe, "HUN", Day("2022-09-26"), "support announced"))
            .ThenRejected(RuleCodes.DateBeforeDependency, "HUN's hold on 2022-09-26", "2022-09-27");

    [Fact, Refuses(RuleCodes.DateBeforeDependency)]
    public void Given_invitation_When_a_ratifier_is_added_before_it_Then_rejected() =>
        Given(Application("SWE"), Invitation())
            .Under(Nato.Organization.Admit("AUT", Day("2000-01-01")))
            .When(new AddRatifier(Swe, "AUT", Day("2022-06-01"), "joined"))
            .ThenRejected(RuleCodes.DateBeforeDependency, "adding AUT", "2022-06-01", "invitation on 2022-06-29");

    [Fact, Refuses(RuleCodes.DateBeforeDependency)]
    public void Given_every_ratifier_approved_When_accession_is_dated_before_the_last_approval_Then_rejected() =>
        Given([.. Ratifying("SWE"), .. SwedenApprovalsExcept()])
            .When(new CompleteAccession(Swe, Day("2024-02-25")))
            .ThenRejected(RuleCodes.DateBeforeDependency, "accession on 2024-02-25", "HUN", "2024-02-26");

    [Fact, Accepts(RuleCodes.DateBeforeDependency)]
    public void Given_every_ratifier_approved_When_accession_is_dated_the_day_of_the_last_approval_Then_recorded() =>
        Given([.. Ratifying("SWE"), .. SwedenApprovalsExcept()])
            .When(new CompleteAccession(Swe, Day("2024-02-26")))
            .Then(new AccessionCompleted(Day("2024-02-26"), null));

    [Fact, Refuses(RuleCodes.DateBeforeDependency)]
    public void Given_a_veto_lifted_late_When_accession_is_dated_while_it_was_in_force_Then_rejected() =>
        // TUR need not ratify here (the invitation names CAN and USA), but its veto was in force until 1 September.
        Given(
                Application("SWE"), new VetoDeclared("TUR", Applied, "PKK", true), Invitation("CAN", "USA"), Protocol(),
                Approval("CAN", "2022-07-05"), Approval("USA", "2022-08-03"), new VetoLifted("TUR", Day("2022-09-01"), "agreement"))
            .When(new CompleteAccession(Swe, Day("2022-08-10")))
            .ThenRejected(RuleCodes.DateBeforeDependency, "accession on 2022-08-10", "TUR", "2022-09-01");

    [Fact, Refuses(RuleCodes.DateBeforeDependency)]
    public void Given_an_invitation_naming_no_ratifier_When_accession_is_dated_before_the_protocol_Then_rejected() =>
        Given(Application("SWE"), new InvitationExtended(Invited, "Madrid Summit", []), Protocol())
            .When(new CompleteAccession(Swe, Day("2022-07-01")))
            .ThenRejected(RuleCodes.DateBeforeDependency, "accession on 2022-07-01", "2022-07-05");
}
