using RatificationLedger.Domain;
using static RatificationLedger.Tests.Domain.DeciderSpec;
using static RatificationLedger.Tests.Domain.Nato;

namespace RatificationLedger.Tests.Domain;

// Field checks: ISO 3166-1 alpha-3 codes, required text, length limits, no control characters or broken
// Unicode, no negative numbers. Hostile but valid text passes untouched.
public class InputRulesTests
{
    private static readonly DeciderSpec s_ratifying = Given(Ratifying("SWE"));

    [Theory, Refuses(RuleCodes.InvalidCode)]
    [InlineData("XXX")]
    [InlineData("swe")]
    [InlineData("TR")]
    [InlineData("TURK")]
    [InlineData("")]
    public void Given_protocol_signed_When_a_member_code_is_not_ISO_alpha3_Then_rejected_naming_it(string code) =>
        s_ratifying
            .When(new ApproveRatification(Swe, code, Day("2022-07-06"), "Parliament"))
            .ThenRejected(RuleCodes.InvalidCode, $"member '{code}'", "ISO 3166-1 alpha-3");

    [Fact, Refuses(RuleCodes.InvalidCode)]
    public void Given_nothing_When_the_process_id_or_other_fields_carry_a_bad_code_Then_rejected_naming_it()
    {
        Given().When(new SubmitApplication("nato/xyz", "NATO", "XYZ", Applied)).ThenRejected(RuleCodes.InvalidCode, "'XYZ'");
        Given(Application("SWE"))
            .When(new ExtendInvitation(Swe, Invited, "Madrid Summit", ["CAN", "usa"]))
            .ThenRejected(RuleCodes.InvalidCode, "required ratifier 'usa'");
        Given(Application("SWE"))
            .When(new SignMemorandum(Swe, MemorandumDay, "Trilateral Memorandum", ["TUR", "fin"]))
            .ThenRejected(RuleCodes.InvalidCode, "party 'fin'");
        Given([.. Ratifying("SWE"), Approval("CAN", "2022-07-05")])
            .When(new DepositInstrument(Swe, "CAN", Signed, "US"))
            .ThenRejected(RuleCodes.InvalidCode, "depositary 'US'");
    }

    [Fact, Accepts(RuleCodes.InvalidCode)]
    public void Given_application_When_a_memorandum_names_states_and_an_organization_Then_recorded() =>
        Given(Application("SWE"))
            .When(new SignMemorandum(Swe, MemorandumDay, "Trilateral Memorandum", ["TUR", "FIN", "SWE", "NATO"]))
            .Then(new MemorandumSigned(MemorandumDay, "Trilateral Memorandum", ["TUR", "FIN", "SWE", "NATO"], null));

    [Fact, Refuses(RuleCodes.MissingField)]
    public void Given_protocol_signed_When_a_required_text_is_blank_Then_rejected_naming_the_field()
    {
        s_ratifying.When(new ApproveRatification(Swe, "CAN", Signed, " ")).ThenRejected(RuleCodes.MissingField, "authority");
        s_ratifying.When(new RecordParliamentVote(Swe, "POL", Signed, "", 1, 0, 0, true)).ThenRejected(RuleCodes.MissingField, "chamber");
        s_ratifying.When(new SignMemorandum(Swe, Signed, "", ["TUR"])).ThenRejected(RuleCodes.MissingField, "title");
        s_ratifying.When(new SignMemorandum(Swe, Signed, "Note", [])).ThenRejected(RuleCodes.MissingField, "party");
        s_ratifying.When(new RetractEntry(Swe, 2, Signed, "")).ThenRejected(RuleCodes.MissingField, "reason");
        Given(Application("SWE")).When(new ExtendInvitation(Swe, Invited, "Madrid Summit", [])).ThenRejected(RuleCodes.MissingField, "names no required ratifier", "SWE");
    }

    [Fact, Accepts(RuleCodes.MissingField)]
    public void Given_protocol_signed_When_the_required_texts_are_given_Then_recorded() =>
        s_ratifying
            .When(new ApproveRatification(Swe, "GBR", Day("2022-07-06"), "Executive ratification (no parliamentary vote)"))
            .Then(new RatificationApproved("GBR", Day("2022-07-06"), "Executive ratification (no parliamentary vote)"));

    [Fact, Refuses(RuleCodes.TextTooLong)]
    public void Given_protocol_signed_When_a_text_exceeds_its_limit_Then_rejected_naming_the_field_and_both_lengths()
    {
        s_ratifying.When(new DeclareVeto(Swe, "HUN", HoldsBegan, new string('x', 4001), false))
            .ThenRejected(RuleCodes.TextTooLong, "reason", "4001", "4000");
        s_ratifying.When(new ApproveRatification(Swe, "CAN", Signed, new string('x', 501)))
            .ThenRejected(RuleCodes.TextTooLong, "authority", "501", "500");
    }

    [Fact, Accepts(RuleCodes.TextTooLong)]
    public void Given_protocol_signed_When_texts_are_exactly_at_their_limits_Then_recorded()
    {
        s_ratifying.When(new DeclareVeto(Swe, "HUN", HoldsBegan, new string('x', 4000), false))
            .Then(new VetoDeclared("HUN", HoldsBegan, new string('x', 4000), false));
        s_ratifying.When(new ApproveRatification(Swe, "CAN", Signed, new string('x', 500)))
            .Then(new RatificationApproved("CAN", Signed, new string('x', 500)));
    }

    [Fact, Refuses(RuleCodes.InvalidText)]
    public void Given_protocol_signed_When_a_text_has_control_characters_or_broken_unicode_Then_rejected_naming_what_and_where()
    {
        // Kept out of InlineData: test runners mangle unpaired surrogates in test names.
        (string Reason, string What, string Where)[] cases =
        [
            ("before\u0007after", "U+0007", "position 6"),
            ("nul\0", "U+0000", "position 3"),
            ("lone \ud800 high", "unpaired surrogate", "position 5"),
            ("lone \udc00 low", "unpaired surrogate", "position 5"),
            ("ends with \ud83d", "unpaired surrogate", "position 10"),
        ];
        foreach (var (reason, what, where) in cases)
        {
            s_ratifying
                .When(new DeclareVeto(Swe, "HUN", HoldsBegan, reason, false))
                .ThenRejected(RuleCodes.InvalidText, "reason", what, where);
        }
        s_ratifying
            .When(new ApproveRatification(Swe, "CAN", Signed, "Parliament\u001b[31m"))
            .ThenRejected(RuleCodes.InvalidText, "authority", "U+001B", "position 10");
    }

    [Theory, Accepts(RuleCodes.InvalidText)]
    [InlineData("Robert'); DROP TABLE events;--")]
    [InlineData("<script>alert(1)</script> & \"quotes\"")]
    [InlineData("\u200Fتركيا\u200F right-to-left marks")]
    [InlineData("Türkiye 🇹🇷 flag (surrogate pairs)")]
    [InlineData("line one\nline two\r\n\ttabbed")]
    public void Given_protocol_signed_When_a_text_is_hostile_but_valid_Then_recorded_unchanged(string reason) =>
        s_ratifying
            .When(new DeclareVeto(Swe, "HUN", HoldsBegan, reason, false))
            .Then(new VetoDeclared("HUN", HoldsBegan, reason, false));

    [Fact, Refuses(RuleCodes.InvalidNumber)]
    public void Given_a_process_When_a_number_is_out_of_range_Then_rejected_naming_it()
    {
        s_ratifying.When(new RecordParliamentVote(Swe, "POL", Day("2022-07-07"), "Sejm", 432, -1, 0, true))
            .ThenRejected(RuleCodes.InvalidNumber, "against", "-1");
        s_ratifying.When(new RetractEntry(Swe, 0, Day("2022-07-07"), "typo"))
            .ThenRejected(RuleCodes.InvalidNumber, "entry number 0");
        Given([.. Ratifying("SWE"), .. SwedenApprovalsExcept()])
            .When(new CompleteAccession(Swe, SwedenJoined, 0))
            .ThenRejected(RuleCodes.InvalidNumber, "member count 0");
    }

    [Fact, Accepts(RuleCodes.InvalidNumber)]
    public void Given_protocol_signed_When_a_vote_has_no_figures_or_zero_figures_Then_recorded()
    {
        s_ratifying.When(new RecordParliamentVote(Swe, "GBR", Day("2022-07-06"), "House of Commons", null, null, null, true))
            .Then(new ParliamentVoted("GBR", Day("2022-07-06"), "House of Commons", null, null, null, true));
        s_ratifying.When(new RecordParliamentVote(Swe, "ISL", Day("2022-07-05"), "Althingi", 0, 0, 0, true))
            .Then(new ParliamentVoted("ISL", Day("2022-07-05"), "Althingi", 0, 0, 0, true));
    }
}
