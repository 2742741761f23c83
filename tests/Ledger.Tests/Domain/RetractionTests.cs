using RatificationLedger.Domain;
using static RatificationLedger.Tests.Domain.DeciderSpec;
using static RatificationLedger.Tests.Domain.Nato;

namespace RatificationLedger.Tests.Domain;

// A retraction removes an entry's effect without deleting it; it needs an existing entry that is neither the
// opening entry nor a retraction, and no live entry that depends on it.
public class RetractionTests
{
    private static readonly DateOnly s_correctedOn = Day("2024-06-01");

    [Fact, Refuses(RuleCodes.UnknownEntry)]
    public void Given_three_entries_When_entry_99_is_retracted_Then_rejected_naming_the_entry_and_the_count() =>
        Given(Ratifying("SWE"))
            .When(new RetractEntry(Swe, 99, s_correctedOn, "typo"))
            .ThenRejected(RuleCodes.UnknownEntry, "entry 99", "3 entries");

    [Fact, Accepts(RuleCodes.UnknownEntry)]
    [Accepts(RuleCodes.RetractionNotAllowed)]
    [Accepts(RuleCodes.RetractionHasDependents)]
    public void Given_an_approval_When_it_is_retracted_Then_its_effect_is_gone_but_the_entry_stays()
    {
        object[] history = [.. Ratifying("SWE"), Approval("ESP", "2022-09-21", "Senate")];
        var retracted = Given(history)
            .When(new RetractEntry(Swe, 4, s_correctedOn, "the Senate voted on 20 September"))
            .Then(new EntryRetracted(4, s_correctedOn, "the Senate voted on 20 September"));

        var before = retracted.Before;
        var after = retracted.After;
        before.StepsOf("ESP").Approval.Should().NotBeNull();
        after.StepsOf("ESP").Approval.Should().BeNull();
        after.Pending().Should().Contain("ESP");
        after.Entries.Select(e => e.Number).Should().Equal(1, 2, 3, 4, 5);
        after.Entries[3].Event.Should().Be(history[3], "the retracted entry stays in the log");
        after.Retracted.Should().Equal(4);
        after.Version.Should().Be(5);
    }

    [Fact, Refuses(RuleCodes.RetractionNotAllowed)]
    public void Given_a_process_When_its_opening_entry_is_retracted_Then_rejected() =>
        Given(Ratifying("SWE"))
            .When(new RetractEntry(Swe, 1, s_correctedOn, "never applied"))
            .ThenRejected(RuleCodes.RetractionNotAllowed, "entry 1", "opened the process");

    [Fact, Refuses(RuleCodes.RetractionNotAllowed)]
    public void Given_a_retraction_When_the_retraction_itself_is_retracted_Then_rejected() =>
        Given([.. Ratifying("SWE"), Approval("CAN", "2022-07-05"), new EntryRetracted(4, s_correctedOn, "wrong")])
            .When(new RetractEntry(Swe, 5, s_correctedOn, "was right after all"))
            .ThenRejected(RuleCodes.RetractionNotAllowed, "entry 5", "itself a retraction");

    [Fact, Refuses(RuleCodes.RetractionHasDependents)]
    public void Given_a_deposit_When_the_approval_it_needs_is_retracted_Then_rejected_naming_both_entries() =>
        Given([.. Ratifying("SWE"), Approval("CAN", "2022-07-05"), new InstrumentDeposited("CAN", Signed, "USA")])
            .When(new RetractEntry(Swe, 4, s_correctedOn, "wrong"))
            .ThenRejected(RuleCodes.RetractionHasDependents, "entry 4 (ratification_approved)", "entry 5 (instrument_deposited)");

    [Fact, Accepts(RuleCodes.RetractionHasDependents)]
    public void Given_the_dependent_deposit_was_retracted_first_When_the_approval_is_retracted_Then_recorded() =>
        Given([.. Ratifying("SWE"), Approval("CAN", "2022-07-05"), new InstrumentDeposited("CAN", Signed, "USA"), new EntryRetracted(5, s_correctedOn, "wrong")])
            .When(new RetractEntry(Swe, 4, s_correctedOn, "wrong"))
            .Then(new EntryRetracted(4, s_correctedOn, "wrong"));

    [Fact, Refuses(RuleCodes.RetractionHasDependents)]
    public void Given_steps_built_on_the_invitation_and_protocol_When_either_is_retracted_Then_rejected()
    {
        var ratifying = Given([.. Ratifying("SWE"), Approval("CAN", "2022-07-05")]);
        ratifying.When(new RetractEntry(Swe, 2, s_correctedOn, "wrong")).ThenRejected(RuleCodes.RetractionHasDependents, "entry 2 (invitation_extended)", "entry 3");
        ratifying.When(new RetractEntry(Swe, 3, s_correctedOn, "wrong")).ThenRejected(RuleCodes.RetractionHasDependents, "entry 3 (accession_protocol_signed)", "entry 4");
    }

    [Fact, Refuses(RuleCodes.RetractionHasDependents)]
    public void Given_an_accession_When_a_counted_ratification_is_retracted_Then_rejected_under_either_policy()
    {
        object[] approvals = [.. SwedenApprovalsExcept()];
        object[] atApproval = [.. Ratifying("SWE"), .. approvals, new AccessionCompleted(SwedenJoined, 32)];
        Given(atApproval)
            .When(new RetractEntry(Swe, 4, s_correctedOn, "wrong"))
            .ThenRejected(RuleCodes.RetractionHasDependents, "entry 4 (ratification_approved)", $"entry {atApproval.Length} (accession_completed)");

        object[] deposits = [.. approvals.Cast<RatificationApproved>().Select(a => new InstrumentDeposited(a.Member, SwedenJoined, "USA"))];
        object[] atDeposit = [.. Ratifying("SWE", RatificationCounts.AtDeposit), .. approvals, .. deposits, new AccessionCompleted(SwedenJoined, 32)];
        Given(atDeposit)
            .When(new RetractEntry(Swe, 4 + approvals.Length, s_correctedOn, "wrong"))
            .ThenRejected(RuleCodes.RetractionHasDependents, "(instrument_deposited)", "(accession_completed)");
    }

    [Fact, Refuses(RuleCodes.RetractionHasDependents)]
    public void Given_a_veto_and_its_lifting_When_the_veto_is_retracted_Then_rejected() =>
        Given(Application("SWE"), new VetoDeclared("TUR", Applied, "PKK", true), new VetoLifted("TUR", MemorandumDay, "memorandum"))
            .When(new RetractEntry(Swe, 2, s_correctedOn, "wrong"))
            .ThenRejected(RuleCodes.RetractionHasDependents, "entry 2 (veto_declared)", "entry 3 (veto_lifted)");

    [Fact, Refuses(RuleCodes.RetractionHasDependents)]
    public void Given_Finland_deposited_as_added_ratifier_When_its_addition_is_retracted_Then_rejected() =>
        Given([.. Ratifying("SWE"), Approval("FIN", "2023-03-01"), new RatifierAdded("FIN", FinlandJoined, "joined"), new InstrumentDeposited("FIN", FinlandJoined, "USA")])
            .When(new RetractEntry(Swe, 5, s_correctedOn, "wrong"))
            .ThenRejected(RuleCodes.RetractionHasDependents, "entry 5 (ratifier_added)", "entry 6 (instrument_deposited)");

    [Fact, Refuses(RuleCodes.RetractionHasDependents)]
    public void Given_an_accession_after_a_lifted_veto_When_the_lifting_is_retracted_Then_rejected()
    {
        // Retracting the lifting would leave an acceded process with a veto in force.
        object[] history =
        [
            Application("SWE"), new VetoDeclared("TUR", Applied, "PKK", true), new VetoLifted("TUR", MemorandumDay, "memorandum"),
            Invitation("CAN", "USA"), Protocol(), Approval("CAN", "2022-07-05"), Approval("USA", "2022-08-03"),
            new AccessionCompleted(Day("2022-09-01"), null),
        ];
        Given(history)
            .When(new RetractEntry(Swe, 3, s_correctedOn, "wrong"))
            .ThenRejected(RuleCodes.RetractionHasDependents, "entry 3 (veto_lifted)", "entry 8 (accession_completed)");
    }

    [Fact, Refuses(RuleCodes.RetractionHasDependents)]
    public void Given_a_member_held_again_after_a_lifting_When_the_lifting_is_retracted_Then_rejected()
    {
        // Retracting the first lifting would leave the member with two holds in force at once.
        object[] history =
        [
            .. Ratifying("SWE"), new VetoDeclared("TUR", HoldsBegan, "PKK", false), new VetoLifted("TUR", Day("2023-07-10"), "Vilnius"),
            new VetoDeclared("TUR", Day("2023-09-01"), "F-16 deliveries", false),
        ];
        Given(history)
            .When(new RetractEntry(Swe, 5, s_correctedOn, "wrong"))
            .ThenRejected(RuleCodes.RetractionHasDependents, "entry 5 (veto_lifted)", "entry 6 (veto_declared)");
    }

    [Fact]
    public void Given_a_lifted_veto_When_the_lifting_is_retracted_Then_the_veto_is_in_force_again()
    {
        var after = Given(Application("SWE"), new VetoDeclared("TUR", Applied, "PKK", true), new VetoLifted("TUR", MemorandumDay, "memorandum"))
            .When(new RetractEntry(Swe, 3, s_correctedOn, "it was lifted later"))
            .Then(new EntryRetracted(3, s_correctedOn, "it was lifted later"))
            .After;
        after.ActiveVetoOf("TUR").Should().Be(new Veto("TUR", Applied, "PKK", true));
    }

    [Fact]
    public void Given_an_invitation_without_dependents_When_it_is_retracted_Then_the_process_is_back_to_applied()
    {
        var after = Given(Application("SWE"), Invitation())
            .When(new RetractEntry(Swe, 2, s_correctedOn, "wrong summit"))
            .ThenAccepted()
            .After;
        after.Phase.Should().Be(ProcessPhase.Applied);
        after.Invitation.Should().BeNull();
        after.RequiredRatifiers.Should().BeEmpty();
        after.Entries.Should().HaveCount(3);
    }

    [Fact]
    public void Given_a_retracted_approval_When_the_corrected_approval_is_recorded_Then_it_is_accepted() =>
        Given([.. Ratifying("SWE"), Approval("ESP", "2022-09-21", "Senate"), new EntryRetracted(4, s_correctedOn, "20 September")])
            .When(new ApproveRatification(Swe, "ESP", Day("2022-09-20"), "Senate"))
            .Then(new RatificationApproved("ESP", Day("2022-09-20"), "Senate"));
}
