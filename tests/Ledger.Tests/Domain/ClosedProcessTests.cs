using RatificationLedger.Domain;
using static RatificationLedger.Tests.Domain.DeciderSpec;
using static RatificationLedger.Tests.Domain.Nato;

namespace RatificationLedger.Tests.Domain;

// A closed process (acceded, withdrawn) takes no more steps except retractions.
public class ClosedProcessTests
{
    private static object[] Acceded() => [.. Ratifying("SWE"), .. SwedenApprovalsExcept(), new AccessionCompleted(SwedenJoined, 32)];

    private static object[] Withdrawn() => [.. Ratifying("SWE"), new ApplicationWithdrawn(Day("2022-08-01"), "changed course")];

    public static TheoryData<string> NewSteps => [.. NewStepsOn(Swe).Keys];

    private static Dictionary<string, AccessionCommand> NewStepsOn(string process) => new()
    {
        ["memorandum"] = new SignMemorandum(process, Day("2024-07-10"), "Washington Summit Declaration", ["NATO"]),
        ["vote"] = new RecordParliamentVote(process, "CAN", Day("2024-04-01"), "Senate", null, null, null, true),
        ["approval"] = new ApproveRatification(process, "FIN", Day("2024-04-01"), "Parliament"),
        ["deposit"] = new DepositInstrument(process, "CAN", Day("2024-04-01")),
        ["veto"] = new DeclareVeto(process, "TUR", Day("2024-04-01"), "late objection", true),
        ["ratifier"] = new AddRatifier(process, "FIN", Day("2024-04-01"), "joined NATO"),
        ["withdrawal"] = new WithdrawApplication(process, Day("2024-04-01"), "too late"),
    };

    [Theory, Refuses(RuleCodes.ProcessClosed), MemberData(nameof(NewSteps))]
    public void Given_Sweden_acceded_When_a_new_step_is_recorded_Then_rejected_naming_the_accession(string step) =>
        Given(Acceded())
            .When(NewStepsOn(Swe)[step])
            .ThenRejected(RuleCodes.ProcessClosed, step == "memorandum" ? "2024-07-10" : "2024-04-01", "SWE", "accession on 2024-03-07", "only retractions");

    [Fact, Refuses(RuleCodes.ProcessClosed)]
    public void Given_withdrawn_When_a_member_approves_Then_rejected_naming_the_withdrawal() =>
        Given(Withdrawn())
            .When(new ApproveRatification(Swe, "CAN", Day("2022-08-02"), "Parliament"))
            .ThenRejected(RuleCodes.ProcessClosed, "CAN's approval", "2022-08-02", "withdrawal on 2022-08-01");

    [Fact, Accepts(RuleCodes.ProcessClosed)]
    public void Given_Sweden_acceded_When_an_entry_is_retracted_Then_recorded()
    {
        object[] acceded = Acceded();
        var memorandum = acceded.Length + 1;
        Given([.. acceded, new MemorandumSigned(SwedenJoined, "Accession ceremony note", ["SWE", "USA"], null)])
            .When(new RetractEntry(Swe, memorandum, Day("2024-03-08"), "not a memorandum"))
            .Then(new EntryRetracted(memorandum, Day("2024-03-08"), "not a memorandum"));
    }

    [Fact]
    public void Given_withdrawn_When_the_withdrawal_is_retracted_Then_the_process_is_open_again()
    {
        object[] withdrawn = Withdrawn();
        var after = Given(withdrawn)
            .When(new RetractEntry(Swe, withdrawn.Length, Day("2022-08-05"), "recorded by mistake"))
            .ThenAccepted()
            .After;
        after.Phase.Should().Be(ProcessPhase.Invited);
        after.IsOpen.Should().BeTrue();
        after.Withdrawal.Should().BeNull();
    }
}
