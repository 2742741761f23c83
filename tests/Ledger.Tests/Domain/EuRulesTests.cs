using RatificationLedger.Domain;
using static RatificationLedger.Tests.Domain.DeciderSpec;
using static RatificationLedger.Tests.Domain.Eu;
using static RatificationLedger.Tests.Domain.Nato;

namespace RatificationLedger.Tests.Domain;

// Organizations beyond NATO: the EU's accession treaties. The acceding state ratifies its own treaty, a treaty's
// signature may open the process, co-candidates of a joint treaty ratify, deposits often come without a known approval,
// members leave, and a treaty enters into force on a fixed date.
public class EuRulesTests
{
    private static DeciderSpec Croatia(params object[] more) => Given([Signature(), .. more]).Under(Eu.Organization);

    [Fact, Accepts(RuleCodes.ProcessNotOpen), Accepts(RuleCodes.InvalidEntryIntoForce)]
    public void Given_nothing_When_the_treaty_is_signed_Then_it_opens_the_process_with_the_members_and_the_candidate_as_ratifiers()
    {
        var signed = Given().Under(Eu.Organization)
            .When(Sign())
            .Then(Signature());
        signed.After.Phase.Should().Be(ProcessPhase.Invited);
        signed.After.RequiredRatifiers.Should().HaveCount(28).And.ContainKey("HRV").And.ContainKey("GBR");
        signed.After.CountsAt.Should().Be(RatificationCounts.AtDeposit);
        signed.After.EntryIntoForce.Should().Be(Fixed2013);
    }

    [Fact, Refuses(RuleCodes.ProcessNotOpen)]
    public void Given_nothing_When_a_signature_names_no_treaty_Then_rejected_as_not_open() =>
        Given().Under(Eu.Organization)
            .When(new SignAccessionProtocol(Hrv, TreatySigned))
            .ThenRejected(RuleCodes.ProcessNotOpen, "2011-12-09", "names the treaty");

    [Fact]
    public void Given_an_organization_default_rule_When_the_signature_gives_none_Then_the_default_is_recorded_with_it() =>
        Given().Under(Eu.Organization with { EntryIntoForce = Fixed2013 })
            .When(new SignAccessionProtocol(Hrv, TreatySigned, "Treaty of Accession 2011"))
            .Then(Signature(Fixed2013));

    [Fact, Refuses(RuleCodes.ConflictingRepeat)]
    public void Given_the_treaty_signature_opened_the_process_When_an_invitation_follows_Then_rejected() =>
        // Austria deposited the day after the signature; an invitation a year later would have made it a required
        // ratifier only from then, after its deposit had counted.
        Croatia(new InstrumentDeposited("AUT", Day("2011-12-10"), "ITA"))
            .When(new ExtendInvitation(Hrv, Day("2012-12-10"), "Council"))
            .ThenRejected(RuleCodes.ConflictingRepeat, "2011-12-09", "2012-12-10", "fixed the required ratifiers");

    [Fact, Accepts(RuleCodes.CandidateOwnProtocol)]
    public void Given_the_EU_policy_When_the_candidate_deposits_its_own_instrument_Then_recorded() =>
        Croatia()
            .When(new DepositInstrument(Hrv, "HRV", Day("2012-04-04")))
            .Then(new InstrumentDeposited("HRV", Day("2012-04-04"), "ITA"));

    [Fact, Refuses(RuleCodes.CandidateOwnProtocol)]
    public void Given_a_policy_where_candidates_do_not_ratify_When_a_signature_names_the_candidate_as_ratifier_Then_rejected() =>
        Given().Under(Eu.Organization with { CandidateRatifies = false })
            .When(Sign(ratifiers: ["AUT", "HRV"]))
            .ThenRejected(RuleCodes.CandidateOwnProtocol, "HRV");

    [Fact, Accepts(RuleCodes.CoCandidateIsMember)]
    public void Given_a_joint_treaty_When_signed_with_a_co_candidate_Then_the_co_candidate_is_a_required_ratifier_and_may_deposit()
    {
        var signed = Given().Under(Eu.Organization)
            .When(new SignAccessionProtocol("eu/bgr", Day("2005-04-25"), "Treaty of Accession 2005", ["ROU"], null, new EntryIntoForceRule(EntryIntoForceKind.FixedDate, Day("2007-01-01"))))
            .ThenAccepted();
        var state = signed.After;
        state.RequiredRatifiers.Keys.Should().Contain(["BGR", "ROU"]).And.HaveCount(27, "the 25 members of 2005 and both acceding states");
        signed.Decision.Events.OfType<AccessionProtocolSigned>().Single().CoCandidates.Should().Equal("ROU");
        signed.Recorded
            .When(new DepositInstrument("eu/bgr", "ROU", Day("2005-05-17")))
            .Then(new InstrumentDeposited("ROU", Day("2005-05-17"), "ITA"));
    }

    [Fact, Refuses(RuleCodes.CoCandidateIsMember)]
    public void Given_nothing_When_a_co_candidate_is_already_a_member_Then_rejected_naming_it() =>
        Given().Under(Eu.Organization)
            .When(Sign(coCandidates: ["AUT"]))
            .ThenRejected(RuleCodes.CoCandidateIsMember, "AUT", "already a member", "2011-12-09");

    [Fact, Refuses(RuleCodes.CoCandidateIsMember)]
    public void Given_nothing_When_the_candidate_is_listed_as_its_own_co_candidate_Then_rejected() =>
        Given().Under(Eu.Organization)
            .When(Sign(coCandidates: ["HRV"]))
            .ThenRejected(RuleCodes.CoCandidateIsMember, "HRV");

    [Fact, Refuses(RuleCodes.NotAMember)]
    public void Given_the_United_Kingdom_left_When_a_later_treaty_names_it_as_ratifier_Then_rejected_naming_its_departure() =>
        Given().Under(Eu.Organization)
            .When(new SignAccessionProtocol("eu/isl", Day("2021-06-01"), "A treaty of accession", null, ["FRA", "GBR"]))
            .ThenRejected(RuleCodes.NotAMember, "GBR", "left", "2020-01-31", "2021-06-01");

    [Fact, Accepts(RuleCodes.NotAMember)]
    public void Given_the_United_Kingdom_left_When_a_later_treaty_takes_the_members_on_its_date_Then_it_is_not_among_them()
    {
        var signed = Given().Under(Eu.Organization)
            .When(new SignAccessionProtocol("eu/isl", Day("2021-06-01"), "A treaty of accession"))
            .ThenAccepted();
        signed.After.RequiredRatifiers.Keys.Should().NotContain("GBR").And.Contain(["HRV", "ISL"]).And.HaveCount(28, "27 members and the candidate");
    }

    [Fact, Refuses(RuleCodes.NotRequiredRatifier)]
    public void Given_a_member_that_left_during_the_process_When_it_deposits_afterwards_Then_rejected_as_no_longer_required() =>
        Given(new AccessionProtocolSigned(Day("2019-06-01"), "A treaty of accession", null, [.. Eu.Organization.MembersOn(Day("2019-06-01")), "ISL"],
                null, "EU", "ISL", RatificationCounts.AtDeposit))
            .Under(Eu.Organization)
            .When(new DepositInstrument("eu/isl", "GBR", Day("2020-03-01")))
            .ThenRejected(RuleCodes.NotRequiredRatifier, "GBR", "left", "2020-01-31");

    [Fact, Accepts(RuleCodes.AccessionIncomplete)]
    public void Given_a_member_that_left_during_the_process_When_every_other_party_deposited_Then_the_accession_is_recorded()
    {
        var signedOn = Day("2019-06-01");
        var parties = Eu.Organization.MembersOn(signedOn).Append("ISL").Order(StringComparer.Ordinal).ToArray();
        Given([new AccessionProtocolSigned(signedOn, "A treaty of accession", null, parties, null, "EU", "ISL", RatificationCounts.AtDeposit),
               .. parties.Where(p => p != "GBR").Select(p => new InstrumentDeposited(p, Day("2020-06-01"), "ITA"))])
            .Under(Eu.Organization)
            .When(new CompleteAccession("eu/isl", Day("2020-07-01")))
            .Then(new AccessionCompleted(Day("2020-07-01"), null));
    }

    [Fact, Accepts(RuleCodes.BeforeEntryIntoForce)]
    public void Given_every_instrument_deposited_before_the_fixed_date_When_the_accession_is_on_it_Then_recorded()
    {
        var outcome = Croatia([.. Deposits()])
            .When(new CompleteAccession(Hrv, FixedDate))
            .Then(new AccessionCompleted(FixedDate, null));
        var answer = EntryIntoForceAnswer.Of(outcome.Before);
        answer.Date.Should().Be(FixedDate);
        answer.Reason.Should().Be("all 28 instruments deposited by 2013-06-21 (the last: DEU); in force on the fixed date 2013-07-01.");
    }

    [Fact, Refuses(RuleCodes.RetractionHasDependents)]
    public void Given_a_departed_members_approval_ended_its_hold_When_that_approval_is_retracted_after_the_accession_Then_rejected()
    {
        // Without the approval the United Kingdom's hold would be in force again in an acceded process.
        var signedOn = Day("2019-06-01");
        var parties = Eu.Organization.MembersOn(signedOn).Append("ISL").Order(StringComparer.Ordinal).ToArray();
        var given = Given([new AccessionProtocolSigned(signedOn, "A treaty of accession", null, parties, null, "EU", "ISL", RatificationCounts.AtDeposit),
                new VetoDeclared("GBR", Day("2019-07-01"), "held", false),
                new RatificationApproved("GBR", Day("2019-12-01"), null),
                .. parties.Where(p => p != "GBR").Select(p => new InstrumentDeposited(p, Day("2020-06-01"), "ITA")),
                new AccessionCompleted(Day("2020-07-01"), null)])
            .Under(Eu.Organization);
        given.When(new RetractEntry("eu/isl", 3, Day("2021-01-01"), "review"))
            .ThenRejected(RuleCodes.RetractionHasDependents, "entry 3");
    }

    [Fact, Refuses(RuleCodes.BeforeEntryIntoForce)]
    public void Given_every_instrument_deposited_When_the_accession_is_dated_before_the_fixed_date_Then_rejected() =>
        Croatia([.. Deposits()])
            .When(new CompleteAccession(Hrv, Day("2013-06-30")))
            .ThenRejected(RuleCodes.BeforeEntryIntoForce, "HRV", "2013-06-30", "enters into force on 2013-07-01");

    [Fact, Refuses(RuleCodes.BeforeEntryIntoForce)]
    public void Given_the_last_instrument_deposited_on_the_fixed_date_When_the_accession_is_recorded_Then_rejected_as_never_in_force()
    {
        var late = Croatia([.. Deposits(except: "DEU"), new InstrumentDeposited("DEU", FixedDate, "ITA")]);
        EntryIntoForceAnswer.Of(late.When(new CompleteAccession(Hrv, FixedDate)).Before).Date.Should().BeNull("the rule says: deposited before the date");
        late.When(new CompleteAccession(Hrv, Day("2013-08-01")))
            .ThenRejected(RuleCodes.BeforeEntryIntoForce, "does not enter into force", "2013-07-01");
    }

    [Fact]
    public void Given_a_fixed_date_with_otherwise_first_day_of_next_month_When_the_date_is_missed_Then_in_force_the_month_after_the_last_deposit()
    {
        var rule = Fixed2013 with { Otherwise = EntryIntoForceOtherwise.FirstDayOfNextMonth };
        var late = Given([Signature(rule), .. Deposits(except: "DEU"), new InstrumentDeposited("DEU", Day("2013-07-15"), "ITA")]).Under(Eu.Organization);
        late.When(new CompleteAccession(Hrv, Day("2013-07-31"))).ThenRejected(RuleCodes.BeforeEntryIntoForce, "2013-08-01");
        late.When(new CompleteAccession(Hrv, Day("2013-08-01"))).Then(new AccessionCompleted(Day("2013-08-01"), null));
    }

    [Fact]
    public void Given_days_after_completion_When_the_accession_is_dated_Then_it_may_not_precede_the_last_deposit_plus_the_days()
    {
        var rule = new EntryIntoForceRule(EntryIntoForceKind.DaysAfterCompletion, Days: 30);
        var done = Given([Signature(rule), .. Deposits()]).Under(Eu.Organization);
        done.When(new CompleteAccession(Hrv, Day("2013-07-20"))).ThenRejected(RuleCodes.BeforeEntryIntoForce, "2013-07-21");
        done.When(new CompleteAccession(Hrv, Day("2013-07-21"))).Then(new AccessionCompleted(Day("2013-07-21"), null));
    }

    [Fact]
    public void Given_one_instrument_missing_When_the_entry_into_force_is_asked_Then_unknown_naming_the_missing_party()
    {
        var answer = EntryIntoForceAnswer.Of(AccessionState.Fold([Signature(), .. Deposits(except: "DEU")]));
        answer.Date.Should().BeNull();
        answer.Reason.Should().Be("1 of 28 required instruments not yet deposited (DEU); in force on the fixed date 2013-07-01 provided all are deposited before it.");
    }

    [Fact]
    public void Given_NATO_When_every_ally_approved_Then_the_entry_into_force_is_on_completion_at_the_last_approval()
    {
        var answer = EntryIntoForceAnswer.Of(AccessionState.Fold([.. Ratifying("SWE"), .. SwedenApprovalsExcept()]));
        answer.Rule.Should().Be(EntryIntoForceRule.OnCompletion);
        answer.Date.Should().Be(Day("2024-02-26"), "Hungary's approval was the last");
        answer.Reason.Should().Contain("HUN").And.Contain("on completion");
    }

    [Theory, Refuses(RuleCodes.InvalidEntryIntoForce)]
    [InlineData("fixed-date with no date", "FixedDate", null, null, "needs its date")]
    [InlineData("fixed date before the signature", "FixedDate", "2011-12-01", null, "2011-12-01")]
    [InlineData("fixed date on the signature", "FixedDate", "2011-12-09", null, "not after")]
    [InlineData("negative days", "DaysAfterCompletion", null, -1, "-1")]
    [InlineData("days-after-completion with no days", "DaysAfterCompletion", null, null, "needs its number of days")]
    [InlineData("on-completion with a date", "OnCompletion", "2013-07-01", null, "takes no date")]
    public void Given_nothing_When_the_signature_carries_an_impossible_entry_into_force_rule_Then_rejected(string why, string kind, string? date, int? days, string naming)
    {
        var rule = new EntryIntoForceRule(Enum.Parse<EntryIntoForceKind>(kind), date is null ? null : Day(date), days);
        Given().Under(Eu.Organization)
            .When(Sign(rule))
            .ThenRejected(RuleCodes.InvalidEntryIntoForce, naming)
            .Message.Should().NotBeEmpty(why);
    }

    [Fact]
    public void Given_an_approval_whose_authority_is_unknown_When_recorded_Then_accepted_with_no_authority() =>
        Croatia()
            .When(new ApproveRatification(Hrv, "HRV", Day("2012-03-09"), null))
            .Then(new RatificationApproved("HRV", Day("2012-03-09"), null));

    [Fact, Refuses(RuleCodes.MissingField)]
    public void Given_an_approval_When_its_authority_is_blank_Then_rejected_as_missing() =>
        Croatia()
            .When(new ApproveRatification(Hrv, "HRV", Day("2012-03-09"), "  "))
            .ThenRejected(RuleCodes.MissingField, "authority");

    [Fact]
    public void Given_only_deposits_When_the_treaty_is_in_force_Then_every_approval_is_implied_by_its_deposit_and_none_is_dated()
    {
        var state = AccessionState.Fold([Signature(), .. Deposits()]);
        state.RequiredRatifiers.Keys.Select(state.StepsOf).Should().OnlyContain(m => m.Approval == null && m.ApprovalImpliedBy == m.Deposit!.On);
    }

    [Fact]
    public void Given_a_deposit_while_a_hold_is_active_When_folded_Then_the_hold_ends_with_the_deposit()
    {
        var state = AccessionState.Fold([Signature(), new VetoDeclared("NLD", Day("2012-01-10"), "conditions", false), new InstrumentDeposited("NLD", Day("2013-05-31"), "ITA")]);
        state.ActiveVetoes.Should().BeEmpty();
        state.Vetoes.Single().EndedOn.Should().Be(Day("2013-05-31"));
    }

    [Fact, Refuses(RuleCodes.DateBeforeDependency)]
    public void Given_a_members_hold_When_it_deposits_with_no_approval_dated_before_the_hold_Then_rejected() =>
        Croatia(new VetoDeclared("NLD", Day("2012-12-29"), "conditions", false))
            .When(new DepositInstrument(Hrv, "NLD", Day("2012-08-18")))
            .ThenRejected(RuleCodes.DateBeforeDependency, "NLD", "2012-08-18", "2012-12-29");

    [Fact, Refuses(RuleCodes.VetoAfterApproval)]
    public void Given_a_deposit_When_the_member_then_vetoes_Then_rejected_as_after_approval() =>
        Croatia(new InstrumentDeposited("AUT", Day("2012-08-08"), "ITA"))
            .When(new DeclareVeto(Hrv, "AUT", Day("2012-09-01"), "second thoughts", true))
            .ThenRejected(RuleCodes.VetoAfterApproval, "AUT", "2012-08-08");

    [Fact, Refuses(RuleCodes.RetractionHasDependents)]
    public void Given_an_accession_counting_a_deposit_without_approval_When_that_deposit_is_retracted_Then_rejected()
    {
        // Approval counting: a deposit with no recorded approval is what counts, so the accession depends on it.
        var given = Given([.. Ratifying("SWE"), .. SwedenApprovalsExcept("HUN"), new InstrumentDeposited("HUN", Day("2024-02-27"), "USA"),
            new AccessionCompleted(SwedenJoined, null)]);
        var hungary = 3 + SwedenApprovals.Count - 1 + 1;
        given.When(new RetractEntry(Swe, hungary, Day("2024-06-01"), "review"))
            .ThenRejected(RuleCodes.RetractionHasDependents, $"entry {hungary}");
    }
}
