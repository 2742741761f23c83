using RatificationLedger.Domain;
using static RatificationLedger.Tests.Domain.Nato;

namespace RatificationLedger.Tests.Golden;

/// <summary>One representative instance of every stored event, every field set (nulls where a field is optional).</summary>
public static class EventSamples
{
    public static IReadOnlyList<object> All { get; } =
    [
        new ApplicationSubmitted("NATO", "SWE", Day("2022-05-18"), RatificationCounts.AtApproval),
        new InvitationExtended(Day("2015-12-02"), "NATO Foreign Ministers, Brussels", ["ALB", "BEL", "USA"], "NATO", "MNE", RatificationCounts.AtDeposit),
        new AccessionProtocolSigned(Day("2022-07-05")),
        new MemorandumSigned(Day("2022-06-28"), "Trilateral Memorandum", ["TUR", "FIN", "SWE"], "PKK/YPG, extradition requests, arms exports; Permanent Joint Mechanism"),
        new ParliamentVoted("HUN", Day("2024-02-26"), "National Assembly", 188, 6, null, true),
        new RatificationApproved("TUR", Day("2024-01-23"), "Grand National Assembly"),
        new InstrumentDeposited("FIN", Day("2023-04-04"), "USA"),
        new VetoDeclared("TUR", Day("2022-05-18"), "Türkiye blocked the decision to open accession talks (\"PKK-linked groups\")", true),
        new VetoLifted("HUN", Day("2024-02-26"), "National Assembly approved <188-6>"),
        new RatifierAdded("FIN", Day("2023-04-04"), "joined NATO (nato/fin)"),
        new AccessionCompleted(Day("2024-03-07"), 32),
        new ApplicationWithdrawn(Day("2016-07-27"), "The Federal Council withdrew the 1992 application"),
        new EntryRetracted(4, Day("2024-06-01"), "the Senate plenary was on 20 September"),
        new OrganizationRegistered("NATO", "North Atlantic Treaty Organization", "USA", RatificationCounts.AtApproval, true,
            [new Membership("BEL", Day("1949-08-24")), new Membership("TUR", Day("1952-02-18")), new Membership("FIN", Day("2023-04-04"))], true),
        new MemberAdmitted("SWE", Day("2024-03-07")),
    ];

    public static object Of(string storedName) => All.Single(e => StoredEventNames.Of(e) == storedName);
}
