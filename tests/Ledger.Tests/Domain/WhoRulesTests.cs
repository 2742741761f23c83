using RatificationLedger.Domain;
using static RatificationLedger.Tests.Domain.DeciderSpec;
using static RatificationLedger.Tests.Domain.Nato;

namespace RatificationLedger.Tests.Domain;

// Who: the process id names the organization and the candidate; after the invitation only a required ratifier
// takes national steps or vetoes (a candidate of another open process may approve early); before it any member
// may veto; the candidate never ratifies its own protocol; a member cannot be a candidate.
public class WhoRulesTests
{
    [Theory, Refuses(RuleCodes.ProcessIdMalformed)]
    [InlineData("NATO/SWE")]
    [InlineData("nato-swe")]
    [InlineData("nato/sw")]
    [InlineData("nato/swe-1")]
    [InlineData("")]
    public void Given_nothing_When_the_process_id_is_malformed_Then_rejected_naming_it(string process)
    {
        var rejection = Given()
            .When(new SubmitApplication(process, "NATO", "SWE", Applied))
            .Decision.Rejection;
        rejection.Should().NotBeNull();
        rejection!.Code.Should().Be(RuleCodes.ProcessIdMalformed);
        rejection.Message.Should().Contain($"'{process}'").And.Contain("nato/swe");
    }

    [Fact, Accepts(RuleCodes.ProcessIdMalformed)]
    public void Given_nothing_When_a_second_attempt_uses_a_numbered_id_Then_recorded() =>
        Given()
            .When(new SubmitApplication("nato/swe-2", "NATO", "SWE", Applied))
            .Then(new ApplicationSubmitted("NATO", "SWE", Applied, RatificationCounts.AtApproval));

    [Fact, Refuses(RuleCodes.UnknownOrganization)]
    public void Given_NATO_When_an_EU_process_is_decided_Then_rejected_naming_both_organizations() =>
        Given()
            .When(new SubmitApplication("eu/swe", "EU", "SWE", Applied))
            .ThenRejected(RuleCodes.UnknownOrganization, "eu/swe", "EU", "NATO");

    [Fact, Accepts(RuleCodes.UnknownOrganization)]
    public void Given_the_EU_When_an_EU_process_is_decided_Then_recorded_under_the_EU_policy() =>
        Given()
            .Under(new Organization("EU", "European Union", "ITA", RatificationCounts.AtDeposit, false, [new Membership("FRA", Day("1958-01-01"))]))
            .When(new SubmitApplication("eu/swe", "EU", "SWE", Day("1991-07-01")))
            .Then(new ApplicationSubmitted("EU", "SWE", Day("1991-07-01"), RatificationCounts.AtDeposit));

    [Fact, Refuses(RuleCodes.ProcessIdMismatch)]
    public void Given_nothing_When_an_application_names_another_candidate_than_the_process_Then_rejected()
    {
        Given()
            .When(new SubmitApplication(Swe, "NATO", "FIN", Applied))
            .ThenRejected(RuleCodes.ProcessIdMismatch, "FIN", "SWE", "'nato/swe'");
        Given()
            .When(new ExtendInvitation(Mne, Day("2015-12-02"), "Brussels", Organization: "NATO", Candidate: "SRB"))
            .ThenRejected(RuleCodes.ProcessIdMismatch, "SRB", "MNE", "'nato/mne'");
    }

    [Fact, Accepts(RuleCodes.ProcessIdMismatch)]
    public void Given_nothing_When_an_invitation_names_the_candidate_of_the_process_Then_it_opens_the_process() =>
        Given()
            .When(new ExtendInvitation(Mne, Day("2015-12-02"), "Brussels", Organization: "NATO", Candidate: "MNE"))
            .Then(new InvitationExtended(Day("2015-12-02"), "Brussels", Nato.Organization.MembersOn(Day("2015-12-02")), "NATO", "MNE", RatificationCounts.AtApproval));

    [Fact, Refuses(RuleCodes.NotAMember)]
    public void Given_application_When_a_non_member_vetoes_Then_rejected_naming_state_organization_and_date() =>
        Given(Application("SWE"))
            .When(new DeclareVeto(Swe, "RUS", Day("2022-05-20"), "opposes enlargement", true))
            .ThenRejected(RuleCodes.NotAMember, "RUS", "NATO", "2022-05-20");

    [Fact, Refuses(RuleCodes.NotAMember)]
    public void Given_application_When_the_invitation_names_a_non_member_as_ratifier_Then_rejected() =>
        Given(Application("SWE"))
            .When(new ExtendInvitation(Swe, Invited, "Madrid Summit", ["CAN", "AUT"]))
            .ThenRejected(RuleCodes.NotAMember, "AUT", "NATO", "2022-06-29");

    [Fact, Refuses(RuleCodes.NotAMember)]
    public void Given_invitation_When_Finland_is_added_as_ratifier_before_it_joined_Then_rejected() =>
        Given(Ratifying("SWE"))
            .When(new AddRatifier(Swe, "FIN", Day("2023-04-03"), "joined NATO"))
            .ThenRejected(RuleCodes.NotAMember, "FIN", "NATO", "2023-04-03");

    [Fact, Accepts(RuleCodes.NotAMember)]
    public void Given_invitation_When_Finland_is_added_as_ratifier_the_day_it_joined_Then_recorded() =>
        Given(Ratifying("SWE"))
            .When(new AddRatifier(Swe, "FIN", FinlandJoined, "joined NATO"))
            .Then(new RatifierAdded("FIN", FinlandJoined, "joined NATO"))
            .After.RequiredRatifiers.Should().HaveCount(31).And.ContainKey("FIN");

    [Fact, Refuses(RuleCodes.NotRequiredRatifier)]
    public void Given_protocol_signed_When_a_state_that_need_not_ratify_approves_Then_rejected_naming_it() =>
        Given(Ratifying("SWE"))
            .When(new ApproveRatification(Swe, "FIN", Day("2023-03-01"), "Parliament"))
            .ThenRejected(RuleCodes.NotRequiredRatifier, "FIN", "2023-03-01", "30 are", "nor a candidate of another open NATO process");

    [Fact, Refuses(RuleCodes.NotRequiredRatifier)]
    public void Given_early_approval_When_the_early_approver_deposits_before_it_is_a_ratifier_Then_rejected() =>
        Given([.. Ratifying("SWE"), Approval("FIN", "2023-03-01")])
            .WhileCandidates("FIN")
            .When(new DepositInstrument(Swe, "FIN", Day("2023-03-02")))
            .ThenRejected(RuleCodes.NotRequiredRatifier, "FIN", "2023-03-02", "not a required ratifier");

    [Fact, Refuses(RuleCodes.NotRequiredRatifier)]
    public void Given_invitation_naming_two_ratifiers_When_another_member_votes_or_holds_Then_rejected()
    {
        Given(Ratifying("SWE", RatificationCounts.AtApproval, "CAN", "USA"))
            .When(new RecordParliamentVote(Swe, "TUR", Day("2024-01-23"), "Grand National Assembly", 287, 55, 4, true))
            .ThenRejected(RuleCodes.NotRequiredRatifier, "TUR", "2024-01-23", "CAN, USA");
        Given(Ratifying("SWE", RatificationCounts.AtApproval, "CAN", "USA"))
            .When(new DeclareVeto(Swe, "TUR", HoldsBegan, "PKK", false))
            .ThenRejected(RuleCodes.NotRequiredRatifier, "TUR", "2022-09-27", "2022-06-29", "required ratifier");
    }

    [Fact, Accepts(RuleCodes.NotRequiredRatifier)]
    public void Given_Finland_is_a_candidate_of_an_open_process_When_it_votes_and_approves_Swedens_protocol_Then_recorded()
    {
        Given(Ratifying("SWE"))
            .WhileCandidates("FIN")
            .When(new RecordParliamentVote(Swe, "FIN", Day("2023-03-01"), "Eduskunta", 184, 7, 1, true))
            .Then(new ParliamentVoted("FIN", Day("2023-03-01"), "Eduskunta", 184, 7, 1, true));
        Given(Ratifying("SWE"))
            .WhileCandidates("FIN")
            .When(new ApproveRatification(Swe, "FIN", Day("2023-03-01"), "Parliament"))
            .Then(new RatificationApproved("FIN", Day("2023-03-01"), "Parliament"));
    }

    [Fact, Refuses(RuleCodes.CandidateOwnProtocol)]
    public void Given_protocol_signed_When_the_candidate_takes_a_step_on_its_own_protocol_Then_rejected()
    {
        var ratifying = Given(Ratifying("SWE"));
        ratifying.When(new ApproveRatification(Swe, "SWE", Day("2022-07-06"), "Riksdag"))
            .ThenRejected(RuleCodes.CandidateOwnProtocol, "SWE", "own accession");
        ratifying.When(new RecordParliamentVote(Swe, "SWE", Day("2022-07-06"), "Riksdag", 1, 0, 0, true))
            .ThenRejected(RuleCodes.CandidateOwnProtocol, "SWE", "own accession");
        ratifying.When(new DeclareVeto(Swe, "SWE", Day("2022-07-06"), "second thoughts", true))
            .ThenRejected(RuleCodes.CandidateOwnProtocol, "SWE", "own accession");
        ratifying.When(new AddRatifier(Swe, "SWE", SwedenJoined, "joined"))
            .ThenRejected(RuleCodes.CandidateOwnProtocol, "SWE", "own accession");
    }

    [Fact, Refuses(RuleCodes.CandidateOwnProtocol)]
    public void Given_application_When_the_invitation_names_the_candidate_as_ratifier_Then_rejected() =>
        Given(Application("SWE"))
            .When(new ExtendInvitation(Swe, Invited, "Madrid Summit", ["CAN", "SWE"]))
            .ThenRejected(RuleCodes.CandidateOwnProtocol, "SWE", "own accession");

    [Fact, Accepts(RuleCodes.CandidateOwnProtocol)]
    public void Given_protocol_signed_When_another_state_approves_Then_recorded() =>
        Given(Ratifying("SWE"))
            .When(new ApproveRatification(Swe, "TUR", Day("2024-01-23"), "Grand National Assembly"))
            .Then(new RatificationApproved("TUR", Day("2024-01-23"), "Grand National Assembly"));

    [Fact, Refuses(RuleCodes.CandidateAlreadyMember)]
    public void Given_nothing_When_a_member_applies_or_is_invited_Then_rejected_naming_it_and_the_date()
    {
        Given()
            .When(new SubmitApplication("nato/fra", "NATO", "FRA", Applied))
            .ThenRejected(RuleCodes.CandidateAlreadyMember, "FRA", "NATO", "2022-05-18");
        Given()
            .When(new ExtendInvitation("nato/fin", Day("2023-05-01"), "Vilnius"))
            .ThenRejected(RuleCodes.CandidateAlreadyMember, "FIN", "NATO", "2023-05-01");
    }

    [Fact, Accepts(RuleCodes.CandidateAlreadyMember)]
    public void Given_nothing_When_Finland_applies_before_it_joined_Then_recorded() =>
        Given()
            .When(new SubmitApplication(Fin, "NATO", "FIN", Applied))
            .Then(new ApplicationSubmitted("NATO", "FIN", Applied, RatificationCounts.AtApproval));
}
