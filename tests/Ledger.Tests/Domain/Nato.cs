using System.Globalization;
using RatificationLedger.Domain;

namespace RatificationLedger.Tests.Domain;

/// <summary>
/// NATO as the tests know it: the real roster (members and the date each joined, from the shared reference data),
/// a fixed clock, and the dated steps of the 2022-2024 enlargement that the tests build on.
/// </summary>
public static class Nato
{
    /// <summary>The fixed clock of every decider test: 2025-01-01 00:00 UTC, so "today" (anywhere on Earth) is 2025-01-01.</summary>
    public static readonly DateTimeOffset Now = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>The latest date the clock allows.</summary>
    public static readonly DateOnly Today = Day("2025-01-01");

    /// <summary>NATO members and the date each joined.</summary>
    public static IReadOnlyList<Membership> Roster { get; } =
    [
        .. Joined("1949-08-24", "BEL", "CAN", "DNK", "FRA", "ISL", "ITA", "LUX", "NLD", "NOR", "PRT", "GBR", "USA"),
        .. Joined("1952-02-18", "GRC", "TUR"),
        .. Joined("1955-05-06", "DEU"),
        .. Joined("1982-05-30", "ESP"),
        .. Joined("1999-03-12", "CZE", "HUN", "POL"),
        .. Joined("2004-03-29", "BGR", "EST", "LVA", "LTU", "ROU", "SVK", "SVN"),
        .. Joined("2009-04-01", "ALB", "HRV"),
        .. Joined("2017-06-05", "MNE"),
        .. Joined("2020-03-27", "MKD"),
        .. Joined("2023-04-04", "FIN"),
        .. Joined("2024-03-07", "SWE"),
    ];

    /// <summary>NATO: depositary the United States, ratification counts at national approval, new members ratify open processes.</summary>
    public static Organization Organization { get; } = new(
        "NATO", "North Atlantic Treaty Organization", "USA", RatificationCounts.AtApproval,
        NewMembersRatifyOpenProcesses: true, Roster, UsesAccessionProtocol: true);

    /// <summary>NATO with another counting rule (for cases that differ by policy).</summary>
    public static Organization CountingAt(RatificationCounts rule) => Organization with { CountsAt = rule };

    public const string Fin = "nato/fin";
    public const string Swe = "nato/swe";
    public const string Mne = "nato/mne";
    public const string Mkd = "nato/mkd";

    public static readonly DateOnly Applied = Day("2022-05-18");
    public static readonly DateOnly MemorandumDay = Day("2022-06-28");
    public static readonly DateOnly Invited = Day("2022-06-29");
    public static readonly DateOnly Signed = Day("2022-07-05");
    public static readonly DateOnly HoldsBegan = Day("2022-09-27");
    public static readonly DateOnly FinlandJoined = Day("2023-04-04");
    public static readonly DateOnly SwedenJoined = Day("2024-03-07");

    /// <summary>The 30 members on the day of the Madrid invitation: the required ratifiers of Finland's protocol.</summary>
    public static IReadOnlyList<string> MadridRatifiers => Organization.MembersOn(Invited);

    /// <summary>Each ally's national approval of Sweden's protocol (reference data, <c>date</c> of each ratification).</summary>
    public static IReadOnlyDictionary<string, DateOnly> SwedenApprovals { get; } = new Dictionary<string, string>
    {
        ["CAN"] = "2022-07-05", ["ISL"] = "2022-07-05", ["NOR"] = "2022-07-05", ["DNK"] = "2022-07-05",
        ["EST"] = "2022-07-06", ["GBR"] = "2022-07-06", ["ALB"] = "2022-07-07", ["DEU"] = "2022-07-08",
        ["NLD"] = "2022-07-12", ["LUX"] = "2022-07-12", ["BGR"] = "2022-07-13", ["LVA"] = "2022-07-14",
        ["SVN"] = "2022-07-14", ["HRV"] = "2022-07-15", ["POL"] = "2022-07-20", ["LTU"] = "2022-07-20",
        ["BEL"] = "2022-07-20", ["ROU"] = "2022-07-21", ["MKD"] = "2022-07-27", ["MNE"] = "2022-07-28",
        ["FRA"] = "2022-08-02", ["ITA"] = "2022-08-03", ["USA"] = "2022-08-03", ["CZE"] = "2022-08-27",
        ["GRC"] = "2022-09-15", ["PRT"] = "2022-09-16", ["ESP"] = "2022-09-20", ["SVK"] = "2022-09-27",
        ["TUR"] = "2024-01-23", ["HUN"] = "2024-02-26",
    }.ToDictionary(p => p.Key, p => Day(p.Value));

    public static DateOnly Day(string iso) => DateOnly.ParseExact(iso, "yyyy-MM-dd", CultureInfo.InvariantCulture);

    public static ApplicationSubmitted Application(string candidate, RatificationCounts counts = RatificationCounts.AtApproval) =>
        new("NATO", candidate, Applied, counts);

    public static InvitationExtended Invitation(params string[] ratifiers) =>
        new(Invited, "Madrid Summit", ratifiers.Length == 0 ? MadridRatifiers : [.. ratifiers.Order(StringComparer.Ordinal)]);

    public static AccessionProtocolSigned Protocol() => new(Signed);

    /// <summary>Applied, invited (the 30 Madrid ratifiers unless given) and protocol signed: national ratification is open.</summary>
    public static object[] Ratifying(string candidate, RatificationCounts counts = RatificationCounts.AtApproval, params string[] ratifiers) =>
        [Application(candidate, counts), Invitation(ratifiers), Protocol()];

    public static RatificationApproved Approval(string member, string on, string authority = "Parliament") => new(member, Day(on), authority);

    /// <summary>Every Madrid ratifier's approval of Sweden's protocol on its real date, except <paramref name="missing"/>.</summary>
    public static IEnumerable<object> SwedenApprovalsExcept(params string[] missing) =>
        SwedenApprovals.Where(a => !missing.Contains(a.Key)).OrderBy(a => a.Value).ThenBy(a => a.Key, StringComparer.Ordinal)
            .Select(a => new RatificationApproved(a.Key, a.Value, "Parliament"));

    private static IEnumerable<Membership> Joined(string since, params string[] states) => states.Select(s => new Membership(s, Day(since)));
}
