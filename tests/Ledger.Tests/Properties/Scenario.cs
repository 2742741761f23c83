using System.Text;
using FsCheck;
using FsCheck.Fluent;
using RatificationLedger.Domain;

namespace RatificationLedger.Tests.Properties;

/// <summary>
/// A random but plausible history request: a small organization (three founders, Finland joining mid-window,
/// Finland also a candidate elsewhere; sometimes the EU's policies: the candidate ratifies, an entry-into-force rule,
/// Hungary leaving mid-window) and a sequence of commands on Sweden's process, dated in a four-month window.
/// The commands are decided one by one against the running state; most are accepted, many are refused.
/// </summary>
public sealed record Scenario(Organization Organization, IReadOnlyList<AccessionCommand> Commands)
{
    public const string Process = "test/swe";

    public static readonly DateTimeOffset Now = new(2022, 8, 25, 0, 0, 0, TimeSpan.Zero);

    public static readonly IReadOnlySet<string> OpenCandidacies = new HashSet<string> { "FIN" };

    public DecisionContext Context => new(Now, Organization, OpenCandidacies);

    public override string ToString()
    {
        var text = new StringBuilder($"{Organization.CountsAt}, protocol: {Organization.UsesAccessionProtocol}, candidate ratifies: {Organization.CandidateRatifies}, "
            + $"in force: {Organization.EntryIntoForce?.ToString() ?? "on completion"}, HUN until: {Organization.Members.Single(m => m.State == "HUN").Until?.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture) ?? "-"}, {Commands.Count} commands:");
        foreach (var command in Commands)
        {
            text.AppendLine().Append("  ").Append(command switch
            {
                SignMemorandum m => $"{m} parties [{string.Join(",", m.Parties)}]",
                ExtendInvitation i => $"{i} ratifiers [{string.Join(",", i.RequiredRatifiers ?? [])}]",
                SignAccessionProtocol x => $"{x} co-candidates [{string.Join(",", x.CoCandidates ?? [])}]",
                _ => command.ToString(),
            });
        }
        return text.ToString();
    }
}

/// <summary>FsCheck arbitrary for <see cref="Scenario"/>: generated as described there, shrunk by dropping commands.</summary>
public static class ScenarioArbitrary
{
    private static readonly DateOnly s_windowStart = new(2022, 5, 1);
    private static readonly string[] s_founders = ["CAN", "HUN", "TUR"];

    /// <summary>Finland joins the organization mid-window (day 45).</summary>
    public static readonly DateOnly FinlandJoins = new(2022, 6, 15);

    // Founders, Finland (joins mid-window, candidate elsewhere), the candidate itself, a non-member.
    private static readonly string[] s_states = [.. s_founders, "FIN", "SWE", "AUT"];

    public static Arbitrary<Scenario> Scenario() => Arb.From(Generate(), Shrink);

    /// <summary>Where Hungary leaves the organization in a scenario, its last day of membership (day 90).</summary>
    public static readonly DateOnly HungaryLeaves = new(2022, 7, 30);

    private static readonly Gen<EntryIntoForceRule?> s_rules = Gen.Frequency(
        (4, Gen.Constant<EntryIntoForceRule?>(null)),
        (1, Gen.Constant<EntryIntoForceRule?>(new EntryIntoForceRule(EntryIntoForceKind.FixedDate, s_windowStart.AddDays(108)))),
        (1, Gen.Constant<EntryIntoForceRule?>(new EntryIntoForceRule(EntryIntoForceKind.FixedDate, s_windowStart.AddDays(104), Otherwise: EntryIntoForceOtherwise.FirstDayOfNextMonth))),
        (1, Gen.Constant<EntryIntoForceRule?>(new EntryIntoForceRule(EntryIntoForceKind.DaysAfterCompletion, Days: 5))));

    public static Gen<Scenario> Generate() =>
        from countsAt in Gen.Elements(RatificationCounts.AtApproval, RatificationCounts.AtDeposit)
        from usesProtocol in Gen.Frequency((4, Gen.Constant(true)), (1, Gen.Constant(false)))
        from candidateRatifies in Gen.Frequency((2, Gen.Constant(false)), (1, Gen.Constant(true)))
        from rule in s_rules
        from hungaryLeaves in Gen.Frequency((4, Gen.Constant(false)), (1, Gen.Constant(true)))
        from backbone in Gen.Frequency((3, Backbone()), (1, Gen.Constant(Array.Empty<AccessionCommand>())))
        from noise in Gen.Choose(0, 20).SelectMany(n => Gen.ListOf(Episode(), n))
        from sorted in Gen.Frequency((4, Gen.Constant(true)), (1, Gen.Constant(false)))
        from shuffled in Gen.Shuffle([.. backbone, .. noise.SelectMany(e => e)])
        from corrections in Gen.Frequency((3, Gen.Constant(Array.Empty<AccessionCommand>())), (1, Corrections()))
        select new Scenario(
            new Organization("TEST", "Test Alliance", "USA", countsAt, true,
                [.. s_founders.Select(s => new Membership(s, new DateOnly(2000, 1, 1), s == "HUN" && hungaryLeaves ? HungaryLeaves : null)), new Membership("FIN", FinlandJoins)],
                usesProtocol, candidateRatifies, rule),
            [.. sorted ? shuffled.OrderBy(c => c.On).ToArray() : shuffled, .. corrections]);

    // A late review that tries to retract entries in random order: retractions after accession, of liftings, of steps with dependents.
    private static Gen<AccessionCommand[]> Corrections() =>
        Gen.Shuffle(Enumerable.Range(2, 24).Select(n => (AccessionCommand)new RetractEntry(Properties.Scenario.Process, n, new DateOnly(2022, 8, 24), "review")))
            .Select(c => c.Take(12).ToArray());

    // The steps of a process that can run to accession (each one kept with high probability), in dated phases.
    private static Gen<AccessionCommand[]> Backbone()
    {
        const string p = Properties.Scenario.Process;
        Gen<DateOnly> Between(int from, int to) => Gen.Choose(from, to).Select(s_windowStart.AddDays);
        var ratifiers = s_founders.Append("FIN").Append("SWE").Select(member =>
            from approved in Between(35, 100)
            from deposited in Between(46, 110)
            select new AccessionCommand[]
            {
                new ApproveRatification(p, member, approved, "Parliament"),
                new DepositInstrument(p, member, approved > deposited ? approved : deposited),
            });
        var steps =
            from applied in Between(0, 10)
            from invited in Between(10, 25)
            from signed in Between(25, 35)
            from finlandAdded in Between(45, 60)
            from ratifications in Gen.CollectToArray(ratifiers)
            from acceded in Between(100, 116)
            from retried in Between(100, 122)
            from treatyOpens in Gen.Frequency((3, Gen.Constant(false)), (1, Gen.Constant(true)))
            from coCandidates in Gen.Elements<IReadOnlyList<string>?>(null, null, ["AUT"])
            select (treatyOpens
                ? new AccessionCommand[] { new SignAccessionProtocol(p, signed, "Treaty", coCandidates) }
                : [new SubmitApplication(p, "TEST", "SWE", applied), new ExtendInvitation(p, invited, "Summit"), new SignAccessionProtocol(p, signed)])
            .Concat(new AccessionCommand[]
            {
                new AddRatifier(p, "FIN", finlandAdded, "joined"),
                new CompleteAccession(p, acceded),
                new CompleteAccession(p, retried),
            }).Concat(ratifications.SelectMany(r => r)).ToArray();
        return from all in steps
               from kept in Gen.ListOf(Gen.Frequency((19, Gen.Constant(true)), (1, Gen.Constant(false))), all.Length)
               select all.Where((_, i) => kept[i]).ToArray();
    }

    private static IEnumerable<Scenario> Shrink(Scenario scenario) =>
        Enumerable.Range(0, scenario.Commands.Count)
            .Select(i => scenario with { Commands = [.. scenario.Commands.Take(i), .. scenario.Commands.Skip(i + 1)] });

    // Mostly single commands; sometimes a veto with its end (a lifting or the member's approval) a few days later.
    private static Gen<AccessionCommand[]> Episode()
    {
        const string p = Properties.Scenario.Process;
        var hold =
            from since in Gen.Choose(0, 110).Select(s_windowStart.AddDays)
            from days in Gen.Choose(0, 20)
            from member in Gen.Elements(s_founders)
            from formal in Gen.Elements(true, false)
            from endsByApproval in Gen.Elements(true, false)
            select new AccessionCommand[]
            {
                new DeclareVeto(p, member, since, "held", formal),
                endsByApproval
                    ? new ApproveRatification(p, member, since.AddDays(days), "Parliament")
                    : new LiftVeto(p, member, since.AddDays(days), "lifted"),
            };
        return Gen.Frequency((6, Command().Select(c => new[] { c })), (1, hold));
    }

    private static Gen<AccessionCommand> Command()
    {
        const string p = Properties.Scenario.Process;
        var day = Gen.Choose(0, 122).Select(s_windowStart.AddDays);
        var state = Gen.Frequency((6, Gen.Elements(s_founders)), (2, Gen.Constant("FIN")), (1, Gen.Elements("SWE", "AUT")));
        var reason = Gen.Elements("r1", "r2");
        var count = Gen.Frequency((3, Gen.Choose(0, 300).Select(n => (int?)n)), (1, Gen.Constant((int?)null)));
        var ratifiers = Gen.Frequency(
            (5, Gen.Constant((IReadOnlyList<string>?)null)),
            (2, Gen.SubListOf(s_states).Select(l => (IReadOnlyList<string>?)l.ToArray())));

        return Gen.Frequency<AccessionCommand>(
            (6, day.Select(d => (AccessionCommand)new SubmitApplication(p, "TEST", "SWE", d))),
            (6, from d in day
                from venue in Gen.Elements("Summit", "Council")
                from r in ratifiers
                from named in Gen.Elements(true, false)
                select (AccessionCommand)new ExtendInvitation(p, d, venue, r, named ? "TEST" : null, named ? "SWE" : null)),
            (6, day.Select(d => (AccessionCommand)new SignAccessionProtocol(p, d))),
            (3, from d in day
                from coCandidates in Gen.Elements<IReadOnlyList<string>?>(null, ["AUT"], ["CAN"], ["SWE"])
                from rule in s_rules
                select (AccessionCommand)new SignAccessionProtocol(p, d, "Treaty", coCandidates, null, rule)),
            (2, from d in day
                from title in Gen.Elements("M1", "M2")
                from parties in Gen.NonEmptyListOf(Gen.Elements("TUR", "FIN", "SWE"))
                select (AccessionCommand)new SignMemorandum(p, d, title, [.. parties.Distinct()])),
            (4, from d in day
                from m in state
                from chamber in Gen.Elements("Lower", "Upper")
                from votes in Gen.Three(count)
                from passed in Gen.Elements(true, false)
                select (AccessionCommand)new RecordParliamentVote(p, m, d, chamber, votes.Item1, votes.Item2, votes.Item3, passed)),
            (16, from d in day
                from m in state
                from authority in Gen.Elements<string?>("Parliament", "President", null)
                select (AccessionCommand)new ApproveRatification(p, m, d, authority)),
            (8, from d in day
                from m in state
                from depositary in Gen.Elements<string?>(null, "USA")
                select (AccessionCommand)new DepositInstrument(p, m, d, depositary)),
            (6, from d in day
                from m in state
                from r in reason
                from formal in Gen.Elements(true, false)
                select (AccessionCommand)new DeclareVeto(p, m, d, r, formal)),
            (6, from d in day
                from m in state
                from r in reason
                select (AccessionCommand)new LiftVeto(p, m, d, r)),
            (4, from d in day
                from m in state
                select (AccessionCommand)new AddRatifier(p, m, d, "joined")),
            (6, from d in day
                from n in Gen.Elements<int?>(null, 6)
                select (AccessionCommand)new CompleteAccession(p, d, n)),
            (1, from d in day
                from r in reason
                select (AccessionCommand)new WithdrawApplication(p, d, r)),
            (8, from d in day
                from entry in Gen.Choose(1, 14)
                select (AccessionCommand)new RetractEntry(p, entry, d, "correction")));
    }
}
