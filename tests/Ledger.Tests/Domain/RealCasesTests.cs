using RatificationLedger.Domain;
using static RatificationLedger.Tests.Domain.DeciderSpec;
using static RatificationLedger.Tests.Domain.Nato;

namespace RatificationLedger.Tests.Domain;

// The real cases DESIGN.md names: the model takes them without falsifying a date.
public class RealCasesTests
{
    [Fact]
    public void Roster_has_the_32_members_and_the_30_Madrid_ratifiers_of_the_reference_data()
    {
        Nato.Organization.MembersOn(SwedenJoined).Should().HaveCount(32);
        MadridRatifiers.Should().BeEquivalentTo(
            "ALB", "BEL", "BGR", "CAN", "HRV", "CZE", "DNK", "EST", "FRA", "DEU", "GRC", "HUN", "ISL", "ITA", "LVA",
            "LTU", "LUX", "MNE", "NLD", "MKD", "NOR", "POL", "PRT", "ROU", "SVK", "SVN", "ESP", "TUR", "GBR", "USA");
        SwedenApprovals.Keys.Should().BeEquivalentTo(MadridRatifiers);
        Nato.Organization.MembersOn(Day("2015-12-02")).Should().HaveCount(28);
        Nato.Organization.MembersOn(Day("2018-07-11")).Should().HaveCount(29).And.Contain("MNE");
    }

    [Fact]
    public void Turkiyes_formal_veto_of_18_May_2022_precedes_the_invitation_and_is_lifted_by_the_memorandum()
    {
        var vetoed = Given(Application("SWE"))
            .When(new DeclareVeto(Swe, "TUR", Applied, "blocks the decision to open accession talks (PKK, extraditions, arms embargo)", true))
            .ThenAccepted();
        vetoed.After.ActiveVetoes.Should().ContainSingle(v => v.Member == "TUR" && v.Formal);

        var memorandum = vetoed.Recorded
            .When(new SignMemorandum(Swe, MemorandumDay, "Trilateral Memorandum", ["TUR", "FIN", "SWE"]))
            .ThenAccepted();
        var lifted = memorandum.Recorded
            .When(new LiftVeto(Swe, "TUR", MemorandumDay, "Trilateral Memorandum signed in Madrid"))
            .Then(new VetoLifted("TUR", MemorandumDay, "Trilateral Memorandum signed in Madrid"));
        var invited = lifted.Recorded
            .When(new ExtendInvitation(Swe, Invited, "Madrid Summit"))
            .Then(new InvitationExtended(Invited, "Madrid Summit", MadridRatifiers));

        invited.After.Vetoes.Should().ContainSingle().Which.EndedOn.Should().Be(MemorandumDay);
        invited.After.RequiredRatifiers.Should().HaveCount(30).And.ContainKey("TUR");
        invited.After.RequiredRatifiers["TUR"].Should().Be(Invited);
    }

    [Fact]
    public void Finland_approves_Swedens_protocol_as_a_candidate_and_counts_from_joining_so_Sweden_needs_31_ratifiers()
    {
        var holding = Given([
            .. Ratifying("SWE"), .. SwedenApprovalsExcept("TUR", "HUN"),
            new VetoDeclared("TUR", HoldsBegan, "ratification withheld", false),
            new VetoDeclared("HUN", HoldsBegan, "vote postponed", false)]);

        // 1 March 2023: Finland, itself a candidate, approves early.
        var early = holding.WhileCandidates("FIN")
            .When(new ApproveRatification(Swe, "FIN", Day("2023-03-01"), "Parliament"))
            .Then(new RatificationApproved("FIN", Day("2023-03-01"), "Parliament"));
        early.After.RequiredRatifiers.Should().HaveCount(30).And.NotContainKey("FIN");
        early.After.Counted().Select(c => c.Member).Should().NotContain("FIN");
        early.After.Pending().Should().BeEquivalentTo("TUR", "HUN");

        // 4 April 2023: Finland joins, becomes a required ratifier and deposits minutes later.
        var joined = early.Recorded
            .When(new AddRatifier(Swe, "FIN", FinlandJoined, "joined NATO (nato/fin)"))
            .Then(new RatifierAdded("FIN", FinlandJoined, "joined NATO (nato/fin)"));
        joined.After.RequiredRatifiers.Should().HaveCount(31);
        joined.After.Counted().Should().Contain(("FIN", FinlandJoined), "its approval counts from the day it became a ratifier, not before");
        joined.After.Pending().Should().BeEquivalentTo("TUR", "HUN");

        var deposited = joined.Recorded
            .When(new DepositInstrument(Swe, "FIN", FinlandJoined))
            .Then(new InstrumentDeposited("FIN", FinlandJoined, "USA"));

        // Türkiye (January 2024) and Hungary (February 2024) ratify; Sweden accedes on 7 March 2024.
        var ratifiedByTurkiye = deposited.Recorded
            .When(new LiftVeto(Swe, "TUR", Day("2023-10-23"), "protocol sent to the Grand National Assembly"))
            .ThenAccepted().Recorded
            .When(new ApproveRatification(Swe, "TUR", Day("2024-01-23"), "Grand National Assembly"))
            .ThenAccepted();
        ratifiedByTurkiye.Recorded
            .When(new CompleteAccession(Swe, SwedenJoined, 32))
            .ThenRejected(RuleCodes.AccessionBlocked, "HUN's hold", "2022-09-27");
        var ratifiedByHungary = ratifiedByTurkiye.Recorded
            .When(new ApproveRatification(Swe, "HUN", Day("2024-02-26"), "National Assembly"))
            .ThenAccepted();
        ratifiedByHungary.After.ActiveVetoes.Should().BeEmpty("Hungary's hold ended with its ratification");
        ratifiedByHungary.After.Counted().Should().HaveCount(31);

        var acceded = ratifiedByHungary.Recorded
            .When(new CompleteAccession(Swe, SwedenJoined, 32))
            .Then(new AccessionCompleted(SwedenJoined, 32));
        acceded.After.Phase.Should().Be(ProcessPhase.Acceded);
    }

    [Fact]
    public void Finlands_approval_cannot_complete_Swedens_accession_before_it_counts()
    {
        // Without Finland's addition, Sweden's 30 ratifiers suffice; with it, Finland must count too.
        var added = Given([.. Ratifying("SWE"), .. SwedenApprovalsExcept(), new RatifierAdded("FIN", FinlandJoined, "joined NATO")]);
        added.When(new CompleteAccession(Swe, SwedenJoined))
            .ThenRejected(RuleCodes.AccessionIncomplete, "1 of 31", "FIN");
        added.And([Approval("FIN", "2023-03-01")])
            .When(new CompleteAccession(Swe, SwedenJoined))
            .Then(new AccessionCompleted(SwedenJoined, null));
    }

    [Fact]
    public void A_ratification_counts_at_approval_under_one_policy_and_at_deposit_under_the_other()
    {
        object[] steps = [Invitation("CAN", "USA"), Protocol(), Approval("CAN", "2022-07-05"), new InstrumentDeposited("CAN", Signed, "USA"), Approval("USA", "2022-08-03")];
        var atApproval = Given([Application("SWE", RatificationCounts.AtApproval), .. steps]);
        var atDeposit = Given([Application("SWE", RatificationCounts.AtDeposit), .. steps]).Under(CountingAt(RatificationCounts.AtDeposit));

        atApproval.When(new CompleteAccession(Swe, Day("2022-08-03"))).Then(new AccessionCompleted(Day("2022-08-03"), null));
        atDeposit.When(new CompleteAccession(Swe, Day("2022-08-03")))
            .ThenRejected(RuleCodes.AccessionIncomplete, "1 of 2", "have not deposited", "USA");

        var usaDeposited = atDeposit.And([new InstrumentDeposited("USA", Day("2022-08-10"), "USA")]);
        usaDeposited.When(new CompleteAccession(Swe, Day("2022-08-09")))
            .ThenRejected(RuleCodes.DateBeforeDependency, "USA", "counts from 2022-08-10");
        usaDeposited.When(new CompleteAccession(Swe, Day("2022-08-10"))).Then(new AccessionCompleted(Day("2022-08-10"), null));
    }

    [Fact]
    public void A_process_keeps_the_counting_rule_it_opened_under()
    {
        var opened = Given().Under(CountingAt(RatificationCounts.AtDeposit))
            .When(new SubmitApplication(Swe, "NATO", "SWE", Applied))
            .Then(new ApplicationSubmitted("NATO", "SWE", Applied, RatificationCounts.AtDeposit));
        opened.After.CountsAt.Should().Be(RatificationCounts.AtDeposit);

        // Decided later under NATO's (approval) policy, the process still counts deposits.
        opened.Recorded.Under(Nato.Organization)
            .And([Invitation("CAN"), Protocol(), Approval("CAN", "2022-07-05")])
            .When(new CompleteAccession(Swe, Day("2022-07-06")))
            .ThenRejected(RuleCodes.AccessionIncomplete, "CAN");
    }

    [Fact]
    public void Montenegro_style_process_opens_with_the_invitation_without_an_application()
    {
        var mneInvited = Day("2015-12-02");
        var invited = Given()
            .When(new ExtendInvitation(Mne, mneInvited, "NATO Foreign Ministers, Brussels", Organization: "NATO", Candidate: "MNE"))
            .Then(new InvitationExtended(mneInvited, "NATO Foreign Ministers, Brussels", Nato.Organization.MembersOn(mneInvited), "NATO", "MNE", RatificationCounts.AtApproval));
        invited.After.Application.Should().BeNull();
        invited.After.Phase.Should().Be(ProcessPhase.Invited);
        invited.After.OpenedOn.Should().Be(mneInvited);
        invited.After.Candidate.Should().Be("MNE");
        invited.After.RequiredRatifiers.Should().HaveCount(28);

        var signed = invited.Recorded
            .When(new SignAccessionProtocol(Mne, Day("2016-05-19")))
            .Then(new AccessionProtocolSigned(Day("2016-05-19")));
        signed.Recorded
            .When(new ApproveRatification(Mne, "ISL", Day("2016-06-01"), "Althingi"))
            .Then(new RatificationApproved("ISL", Day("2016-06-01"), "Althingi"));
    }

    [Fact]
    public void North_Macedonia_style_invitation_without_the_organization_field_takes_it_from_the_process_id()
    {
        var invited = Given()
            .When(new ExtendInvitation(Mkd, Day("2018-07-11"), "Brussels Summit"))
            .ThenAccepted();
        invited.Decision.Events.Should().ContainSingle().Which.Should().BeOfType<InvitationExtended>()
            .Which.Should().Match<InvitationExtended>(e => e.Organization == "NATO" && e.Candidate == "MKD" && e.RequiredRatifiers.Count == 29);
        invited.After.RequiredRatifiers.Keys.Should().Contain("MNE", "Montenegro joined in 2017 and ratifies North Macedonia's protocol");
    }

    [Fact]
    public void Hungarys_de_facto_hold_on_Finland_ends_with_its_ratification()
    {
        var held = Given([.. Ratifying("FIN"), new VetoDeclared("HUN", HoldsBegan, "vote postponed", Formal: false)]);
        held.When(new CompleteAccession(Fin, FinlandJoined)).ThenRejected(RuleCodes.AccessionBlocked, "HUN's hold", "2022-09-27");

        var ratified = held
            .When(new ApproveRatification(Fin, "HUN", Day("2023-03-27"), "National Assembly"))
            .Then(new RatificationApproved("HUN", Day("2023-03-27"), "National Assembly"));
        var hold = ratified.After.Vetoes.Should().ContainSingle().Subject;
        hold.Formal.Should().BeFalse();
        hold.EndedOn.Should().Be(Day("2023-03-27"));
        ratified.After.ActiveVetoes.Should().BeEmpty();
    }

    [Fact]
    public void Spains_contested_Senate_date_is_corrected_by_retraction_and_the_wrong_entry_stays_in_the_log()
    {
        var wrong = Given(Ratifying("SWE"))
            .When(new ApproveRatification(Swe, "ESP", Day("2022-09-21"), "Senate"))
            .ThenAccepted();
        wrong.Recorded
            .When(new ApproveRatification(Swe, "ESP", Day("2022-09-20"), "Senate"))
            .ThenRejected(RuleCodes.ConflictingRepeat, "ESP", "2022-09-21", "2022-09-20", "retract");

        var corrected = wrong.Recorded
            .When(new RetractEntry(Swe, 4, Day("2024-06-01"), "Senate plenary was on 20 September"))
            .ThenAccepted().Recorded
            .When(new ApproveRatification(Swe, "ESP", Day("2022-09-20"), "Senate"))
            .Then(new RatificationApproved("ESP", Day("2022-09-20"), "Senate"));

        corrected.After.StepsOf("ESP").Approval!.On.Should().Be(Day("2022-09-20"));
        corrected.After.Entries.Should().HaveCount(6);
        corrected.After.Entries.Single(e => e.Number == 4).Event.Should().Be(new RatificationApproved("ESP", Day("2022-09-21"), "Senate"));
        corrected.After.Retracted.Should().Equal(4);
    }
}
