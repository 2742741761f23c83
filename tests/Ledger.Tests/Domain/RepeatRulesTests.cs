using RatificationLedger.Domain;
using static RatificationLedger.Tests.Domain.DeciderSpec;
using static RatificationLedger.Tests.Domain.Nato;

namespace RatificationLedger.Tests.Domain;

// Repeats: the same fact recorded twice is a no-op; a conflicting fact is a rejection that names both versions.
public class RepeatRulesTests
{
    private static readonly object[] s_ratifying = Ratifying("SWE");

    [Fact, Accepts(RuleCodes.ConflictingRepeat)]
    public void Given_each_kind_of_fact_When_it_is_recorded_again_Then_nothing_is_recorded()
    {
        object[] history =
        [
            Application("SWE"),
            new VetoDeclared("TUR", Applied, "PKK", true),
            new MemorandumSigned(MemorandumDay, "Trilateral Memorandum", ["TUR", "FIN", "SWE"], null),
            new VetoLifted("TUR", MemorandumDay, "memorandum signed"),
            Invitation(),
            Protocol(),
            new ParliamentVoted("POL", Day("2022-07-07"), "Sejm", 432, 1, 0, true),
            Approval("CAN", "2022-07-05"),
            new InstrumentDeposited("CAN", Day("2022-07-05"), "USA"),
            new VetoDeclared("HUN", HoldsBegan, "vote postponed", false),
            new RatifierAdded("FIN", FinlandJoined, "joined NATO"),
        ];
        AccessionCommand[] repeats =
        [
            new SubmitApplication(Swe, "NATO", "SWE", Applied),
            new DeclareVeto(Swe, "TUR", Applied, "PKK", true),
            new SignMemorandum(Swe, MemorandumDay, "Trilateral Memorandum", ["TUR", "FIN", "SWE"]),
            new LiftVeto(Swe, "TUR", MemorandumDay, "memorandum signed"),
            new ExtendInvitation(Swe, Invited, "Madrid Summit"),
            new ExtendInvitation(Swe, Invited, "Madrid Summit", [.. MadridRatifiers.Reverse()]),
            new SignAccessionProtocol(Swe, Signed),
            new RecordParliamentVote(Swe, "POL", Day("2022-07-07"), "Sejm", 432, 1, 0, true),
            new ApproveRatification(Swe, "CAN", Day("2022-07-05"), "Parliament"),
            new DepositInstrument(Swe, "CAN", Day("2022-07-05")),
            new DepositInstrument(Swe, "CAN", Day("2022-07-05"), "USA"),
            new DeclareVeto(Swe, "HUN", HoldsBegan, "vote postponed", false),
            new AddRatifier(Swe, "FIN", FinlandJoined, "joined NATO"),
            new AddRatifier(Swe, "CAN", FinlandJoined, "already named by the invitation"),
        ];
        foreach (var repeat in repeats)
        {
            Given(history).When(repeat).ThenNothing();
        }
    }

    [Fact, Accepts(RuleCodes.ConflictingRepeat)]
    public void Given_closing_facts_When_they_are_recorded_again_Then_nothing_is_recorded()
    {
        Given([.. s_ratifying, .. SwedenApprovalsExcept(), new AccessionCompleted(SwedenJoined, 32)])
            .When(new CompleteAccession(Swe, SwedenJoined)).ThenNothing();
        Given([.. s_ratifying, .. SwedenApprovalsExcept(), new AccessionCompleted(SwedenJoined, 32)])
            .When(new CompleteAccession(Swe, SwedenJoined, 32)).ThenNothing();
        Given(Application("SWE"), new ApplicationWithdrawn(Day("2022-06-01"), "changed course"))
            .When(new WithdrawApplication(Swe, Day("2022-06-01"), "changed course")).ThenNothing();
        Given(Application("SWE"), Invitation(), new EntryRetracted(2, Day("2022-07-01"), "wrong venue"))
            .When(new RetractEntry(Swe, 2, Day("2022-07-02"), "wrong venue")).ThenNothing();
    }

    [Fact, Refuses(RuleCodes.ConflictingRepeat)]
    public void Given_an_application_When_another_date_is_given_Then_rejected_naming_both_dates() =>
        Given(Application("SWE"))
            .When(new SubmitApplication(Swe, "NATO", "SWE", Day("2022-05-19")))
            .ThenRejected(RuleCodes.ConflictingRepeat, "2022-05-18", "2022-05-19", "retract");

    [Fact, Refuses(RuleCodes.ConflictingRepeat)]
    public void Given_an_invitation_When_another_venue_date_or_ratifier_list_is_given_Then_rejected()
    {
        var invited = Given(Application("SWE"), Invitation());
        invited.When(new ExtendInvitation(Swe, Invited, "Madrid")).ThenRejected(RuleCodes.ConflictingRepeat, "2022-06-29", "Madrid Summit");
        invited.When(new ExtendInvitation(Swe, Day("2022-06-30"), "Madrid Summit")).ThenRejected(RuleCodes.ConflictingRepeat, "2022-06-29", "2022-06-30");
        invited.When(new ExtendInvitation(Swe, Invited, "Madrid Summit", ["CAN"])).ThenRejected(RuleCodes.ConflictingRepeat, "30 required ratifiers");
    }

    [Fact, Refuses(RuleCodes.ConflictingRepeat)]
    public void Given_a_signed_protocol_When_another_date_is_given_Then_rejected() =>
        Given(s_ratifying)
            .When(new SignAccessionProtocol(Swe, Day("2022-07-06")))
            .ThenRejected(RuleCodes.ConflictingRepeat, "2022-07-05", "2022-07-06");

    [Fact, Refuses(RuleCodes.ConflictingRepeat)]
    public void Given_a_memorandum_When_the_same_title_and_date_has_other_parties_Then_rejected() =>
        Given(Application("SWE"), new MemorandumSigned(MemorandumDay, "Trilateral Memorandum", ["TUR", "FIN", "SWE"], null))
            .When(new SignMemorandum(Swe, MemorandumDay, "Trilateral Memorandum", ["TUR", "SWE"]))
            .ThenRejected(RuleCodes.ConflictingRepeat, "Trilateral Memorandum", "2022-06-28");

    [Fact, Refuses(RuleCodes.ConflictingRepeat)]
    public void Given_a_chamber_vote_When_the_same_vote_has_other_figures_Then_rejected_naming_both() =>
        Given([.. s_ratifying, new ParliamentVoted("POL", Day("2022-07-07"), "Sejm", 432, 1, 0, true)])
            .When(new RecordParliamentVote(Swe, "POL", Day("2022-07-07"), "Sejm", 431, 2, 0, true))
            .ThenRejected(RuleCodes.ConflictingRepeat, "POL", "Sejm", "2022-07-07", "passed 432-1-0", "passed 431-2-0");

    [Fact, Refuses(RuleCodes.ConflictingRepeat)]
    public void Given_Spains_approval_When_the_other_sources_date_is_given_Then_rejected_naming_both_dates()
    {
        // Spain's Senate date differs between sources (20 or 21 September 2022).
        var approved = Given([.. s_ratifying, Approval("ESP", "2022-09-20", "Senate")]);
        approved.When(new ApproveRatification(Swe, "ESP", Day("2022-09-21"), "Senate"))
            .ThenRejected(RuleCodes.ConflictingRepeat, "ESP", "2022-09-20", "2022-09-21");
        approved.When(new ApproveRatification(Swe, "ESP", Day("2022-09-20"), "King's signature"))
            .ThenRejected(RuleCodes.ConflictingRepeat, "ESP", "Senate", "King's signature");
    }

    [Fact, Refuses(RuleCodes.ConflictingRepeat)]
    public void Given_a_deposit_When_another_date_is_given_Then_rejected() =>
        Given([.. s_ratifying, Approval("ESP", "2022-09-20"), new InstrumentDeposited("ESP", Day("2022-10-05"), "USA")])
            .When(new DepositInstrument(Swe, "ESP", Day("2022-10-06")))
            .ThenRejected(RuleCodes.ConflictingRepeat, "ESP", "2022-10-05", "2022-10-06");

    [Fact, Refuses(RuleCodes.ConflictingRepeat)]
    public void Given_an_active_hold_When_the_member_declares_another_Then_rejected_naming_the_first() =>
        Given([.. s_ratifying, new VetoDeclared("HUN", HoldsBegan, "vote postponed", false)])
            .When(new DeclareVeto(Swe, "HUN", Day("2023-01-10"), "criticism of Hungary", true))
            .ThenRejected(RuleCodes.ConflictingRepeat, "HUN", "hold since 2022-09-27", "2023-01-10");

    [Fact, Refuses(RuleCodes.ConflictingRepeat)]
    public void Given_Finland_added_as_ratifier_When_it_is_added_again_on_another_date_Then_rejected() =>
        Given([.. s_ratifying, new RatifierAdded("FIN", FinlandJoined, "joined NATO")])
            .When(new AddRatifier(Swe, "FIN", Day("2023-04-05"), "joined NATO"))
            .ThenRejected(RuleCodes.ConflictingRepeat, "FIN", "2023-04-04", "2023-04-05");

    [Fact, Refuses(RuleCodes.ConflictingRepeat)]
    public void Given_an_accession_When_another_date_or_member_count_is_given_Then_rejected()
    {
        var acceded = Given([.. s_ratifying, .. SwedenApprovalsExcept(), new AccessionCompleted(SwedenJoined, 32)]);
        acceded.When(new CompleteAccession(Swe, Day("2024-03-08"))).ThenRejected(RuleCodes.ConflictingRepeat, "2024-03-07", "2024-03-08");
        acceded.When(new CompleteAccession(Swe, SwedenJoined, 31)).ThenRejected(RuleCodes.ConflictingRepeat, "2024-03-07", "32 members", "31 members");
    }

    [Fact, Refuses(RuleCodes.ConflictingRepeat)]
    public void Given_a_withdrawal_When_another_date_is_given_Then_rejected() =>
        Given(Application("SWE"), new ApplicationWithdrawn(Day("2022-06-01"), "changed course"))
            .When(new WithdrawApplication(Swe, Day("2022-06-02"), "changed course"))
            .ThenRejected(RuleCodes.ConflictingRepeat, "2022-06-01", "2022-06-02");
}
