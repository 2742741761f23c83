using RatificationLedger.Domain;
using static RatificationLedger.Tests.Domain.Nato;

namespace RatificationLedger.Tests.Domain;

/// <summary>
/// The European Union as the tests know it: its roster (membership dates, the United Kingdom's departure included,
/// from the shared reference data) and the Treaty of Accession 2011 (Croatia), signed 2011-12-09, in force 2013-07-01.
/// </summary>
public static class Eu
{
    public const string Hrv = "eu/hrv";

    public static readonly DateOnly TreatySigned = Day("2011-12-09");
    public static readonly DateOnly FixedDate = Day("2013-07-01");
    public static readonly DateOnly GermanyDeposited = Day("2013-06-21");

    /// <summary>EU members with the day each became one and, for the United Kingdom, the last day of membership.</summary>
    public static IReadOnlyList<Membership> Roster { get; } =
    [
        .. Joined("1958-01-01", "BEL", "DEU", "FRA", "ITA", "LUX", "NLD"),
        .. Joined("1973-01-01", "DNK", "IRL"),
        new Membership("GBR", Day("1973-01-01"), Day("2020-01-31")),
        .. Joined("1981-01-01", "GRC"),
        .. Joined("1986-01-01", "ESP", "PRT"),
        .. Joined("1995-01-01", "AUT", "FIN", "SWE"),
        .. Joined("2004-05-01", "CYP", "CZE", "EST", "HUN", "LVA", "LTU", "MLT", "POL", "SVK", "SVN"),
        .. Joined("2007-01-01", "BGR", "ROU"),
        .. Joined("2013-07-01", "HRV"),
    ];

    /// <summary>The EU: depositary Italy, ratification counts at deposit, candidates ratify, new members do not ratify open treaties.</summary>
    public static Organization Organization { get; } = new(
        "EU", "European Union", "ITA", RatificationCounts.AtDeposit, NewMembersRatifyOpenProcesses: false, Roster,
        UsesAccessionProtocol: true, CandidateRatifies: true);

    public static EntryIntoForceRule Fixed2013 { get; } = new(EntryIntoForceKind.FixedDate, FixedDate);

    /// <summary>The 27 members on the day of the signature.</summary>
    public static IReadOnlyList<string> Members2011 => Organization.MembersOn(TreatySigned);

    /// <summary>The signature as the decider records it: it opens the process with the 27 members and Croatia as required ratifiers.</summary>
    public static AccessionProtocolSigned Signature(EntryIntoForceRule? rule = null) =>
        new(TreatySigned, "Treaty of Accession 2011", null, [.. Members2011.Append("HRV").Order(StringComparer.Ordinal)], rule ?? Fixed2013,
            "EU", "HRV", RatificationCounts.AtDeposit);

    public static SignAccessionProtocol Sign(EntryIntoForceRule? rule = null, IReadOnlyList<string>? coCandidates = null, IReadOnlyList<string>? ratifiers = null) =>
        new(Hrv, TreatySigned, "Treaty of Accession 2011", coCandidates, ratifiers, rule ?? Fixed2013);

    /// <summary>Every party's deposit, each on <paramref name="on"/> unless it is Germany's (2013-06-21).</summary>
    public static IEnumerable<object> Deposits(string on = "2012-12-01", params string[] except) =>
        Members2011.Append("HRV").Where(m => !except.Contains(m)).Order(StringComparer.Ordinal)
            .Select(m => new InstrumentDeposited(m, m == "DEU" ? GermanyDeposited : Day(on), "ITA"));

    private static IEnumerable<Membership> Joined(string since, params string[] states) => states.Select(s => new Membership(s, Day(since)));
}
