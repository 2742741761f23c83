using System.Text.Json;
using FsCheck.Xunit;
using RatificationLedger.Domain;
using RatificationLedger.Projections;
using RatificationLedger.Recording;

namespace RatificationLedger.Tests.AsOf;

/// <summary>
/// The as-of index's rows, as a rebuild writes them (<see cref="ProcessViews.AsOfHistory"/>), answer every (as of,
/// known at) question with the status the fold renders (<see cref="ProcessViews.BuildStatus"/>), byte for byte as
/// JSON: random event sequences (not only those the decider allows), many entries on one day, backdated entries,
/// unconfirmed entries, vetoes declared twice on one day (one retracted), deposits without approvals, retractions of
/// any entry including a member's first step, several entries per transaction.
/// </summary>
public sealed class StatusSnapshotTests
{
    private static readonly DateOnly Start = new(2022, 3, 1);
    private static readonly DateTimeOffset Clock = new(2024, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly string[] Members = ["CAN", "HUN", "TUR", "DNK", "FIN"];

    [Property(MaxTest = 300)]
    public void Every_answer_of_the_index_is_the_fold(int seed)
    {
        var entries = History(new Random(seed));
        var rows = ProcessViews.AsOfHistory("p/swe", entries);
        var dates = entries.SelectMany(e => new DateOnly?[] { e.On, e.On.AddDays(-1), e.On.AddDays(1) }).Append(null).Distinct().ToList();
        var instants = entries.Select(e => (DateTimeOffset?)e.RecordedAt).Append(null).Distinct().ToList();
        foreach (var knownAt in instants)
        {
            var known = rows.Where(r => knownAt is null ? r.KnownTo is null : r.KnownFrom <= knownAt && (r.KnownTo is null || r.KnownTo > knownAt)).ToList();
            foreach (var asOf in dates)
            {
                var row = known.Where(r => asOf is null || r.ValidFrom <= asOf).MaxBy(r => r.ValidFrom);
                row.Should().NotBeNull($"seed {seed}: an answer as of {asOf}, known at {knownAt}");
                var ours = JsonSerializer.Serialize(ProcessViews.StatusOf("p/swe", row!.Status, asOf, knownAt), LedgerJson.Options);
                var fold = JsonSerializer.Serialize(ProcessViews.BuildStatus("p/swe", entries, asOf, knownAt), LedgerJson.Options);
                ours.Should().Be(fold, $"seed {seed}: as of {asOf}, known at {knownAt}");
            }
        }
    }

    // The inline projection folds a process once for its views and its index answers when no entry is a retraction:
    // both must be what the two folds of their own give (the views' fold orders retractions last, the answers' fold
    // leaves them out; they differ only there).
    [Property(MaxTest = 300)]
    public void One_fold_for_the_views_and_the_answers_gives_what_each_fold_gives(int seed, bool withoutRetractions)
    {
        var random = new Random(seed);
        var entries = History(random);
        if (withoutRetractions)
        {
            entries = Renumbered(entries.Where(e => e.Event is not EntryRetracted).ToList());
        }
        var dates = entries.Select(e => e.On).Append(DateOnly.MinValue).Distinct().ToList();
        var from = dates[random.Next(dates.Count)];

        var (status, register, answers) = ProcessViews.BuildStoredWithAnswers("p/swe", entries, from);

        var (foldStatus, foldRegister) = ProcessViews.BuildStored("p/swe", entries);
        var foldAnswers = ProcessViews.AnswersFrom("p/swe", entries, from);
        JsonSerializer.Serialize(status, LedgerJson.Options).Should().Be(JsonSerializer.Serialize(foldStatus, LedgerJson.Options), $"seed {seed}");
        JsonSerializer.Serialize(register, LedgerJson.Options).Should().Be(JsonSerializer.Serialize(foldRegister, LedgerJson.Options), $"seed {seed}");
        answers.Select(a => a.ValidFrom).Should().Equal(foldAnswers.Select(a => a.ValidFrom), $"seed {seed}");
        answers.Select(a => Convert.ToHexString(a.Status)).Should().Equal(foldAnswers.Select(a => Convert.ToHexString(a.Status)), $"seed {seed}");
        // From the status the answers render, as of the last date: the views' status (the two folds agree on the state).
        if (answers.Count > 0 && answers[^1].ValidFrom >= entries.Max(e => e.On))
        {
            JsonSerializer.Serialize(ProcessViews.StatusOf("p/swe", answers[^1].Status, null, null), LedgerJson.Options)
                .Should().Be(JsonSerializer.Serialize(foldStatus, LedgerJson.Options), $"seed {seed}");
        }
    }

    // A rebuild folds a process once for its index rows and its views (the last of the history's folds, when no entry is
    // a retraction): the same rows as the history alone, the same views as their own fold, with retractions or without.
    [Property(MaxTest = 300)]
    public void The_history_and_the_views_from_one_fold_are_those_of_their_own_folds(int seed, bool withoutRetractions)
    {
        var entries = History(new Random(seed));
        if (withoutRetractions)
        {
            entries = Renumbered(entries.Where(e => e.Event is not EntryRetracted).ToList());
        }

        var (history, status, register) = ProcessViews.AsOfHistoryWithViews("p/swe", entries);

        var alone = ProcessViews.AsOfHistory("p/swe", entries);
        history.Select(r => (r.ValidFrom, r.KnownFrom, r.KnownTo, Convert.ToHexString(r.Status)))
            .Should().Equal(alone.Select(r => (r.ValidFrom, r.KnownFrom, r.KnownTo, Convert.ToHexString(r.Status))), $"seed {seed}");
        var (foldStatus, foldRegister) = ProcessViews.BuildStored("p/swe", entries);
        JsonSerializer.Serialize(status, LedgerJson.Options).Should().Be(JsonSerializer.Serialize(foldStatus, LedgerJson.Options), $"seed {seed}");
        JsonSerializer.Serialize(register, LedgerJson.Options).Should().Be(JsonSerializer.Serialize(foldRegister, LedgerJson.Options), $"seed {seed}");
    }

    // A member's steps in the register: by date, the steps of one day in the order they were recorded, whatever the
    // order of the dates recorded (expected order written out by hand).
    [Fact]
    public void A_members_register_steps_are_by_date_and_one_days_steps_in_recorded_order()
    {
        object[] events =
        [
            new InvitationExtended(D("2022-06-29"), "Madrid", ["TUR", "HUN"], "NATO", "SWE", RatificationCounts.AtDeposit),
            new ParliamentVoted("TUR", D("2024-01-23"), "Grand National Assembly", 287, 55, 4, true),
            new VetoDeclared("TUR", D("2022-05-18"), "objection", false),
            new RatificationApproved("TUR", D("2024-01-23"), "President"),
            new ParliamentVoted("TUR", D("2023-12-26"), "Foreign Affairs Committee", null, 0, 0, true),
            new InstrumentDeposited("TUR", D("2024-01-26"), "USA"),
            new VetoLifted("TUR", D("2024-01-23"), "approved"),
        ];
        var entries = events.Select((e, i) => new RecordedEntry("nato/swe", i + 1, i + 1, StoredEventNames.Of(e), e, Clock.AddMinutes(i), "tester", null, null, false, null, null, null)).ToList();

        var (_, register) = ProcessViews.BuildStored("nato/swe", entries);

        register.Rows.Single(r => r.Member == "TUR").Steps.Select(x => (x.Type, x.On.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture))).Should().Equal(
            ("hold", "2022-05-18"), ("vote", "2023-12-26"), ("vote", "2024-01-23"), ("ratification", "2024-01-23"), ("veto-lifted", "2024-01-23"), ("deposit", "2024-01-26"));
    }

    private static DateOnly D(string s) => DateOnly.Parse(s, System.Globalization.CultureInfo.InvariantCulture);

    private static List<RecordedEntry> Renumbered(List<RecordedEntry> entries) =>
        [.. entries.Select((e, i) => e with { Number = i + 1, Sequence = i + 1 })];

    [Fact]
    public void A_snapshot_is_a_few_hundred_bytes_where_the_status_is_kilobytes()
    {
        var entries = History(new Random(7), length: 120);
        var rows = ProcessViews.AsOfHistory("p/swe", entries);
        var status = JsonSerializer.SerializeToUtf8Bytes(ProcessViews.BuildStatus("p/swe", entries), LedgerJson.Options);
        rows.Max(r => r.Status.Length).Should().BeLessThan(status.Length / 2);
    }

    // An opening, then random steps on a window of 40 days (so many fall on one day), one to three entries a transaction.
    private static List<RecordedEntry> History(Random random, int length = 0)
    {
        var events = new List<object>();
        switch (random.Next(3))
        {
            case 0:
                events.Add(new ApplicationSubmitted("P", "SWE", Day(random), RatificationCounts.AtApproval));
                break;
            case 1:
                events.Add(new InvitationExtended(Day(random), "Summit", Some(random), "P", "SWE", random.Next(2) == 0 ? RatificationCounts.AtDeposit : null));
                break;
            default:
                events.Add(new AccessionProtocolSigned(Day(random), "Treaty", ["HRV"], Some(random), Rule(random), "P", "SWE", RatificationCounts.AtDeposit));
                break;
        }
        var count = length > 0 ? length : random.Next(1, 30);
        for (var i = 0; i < count; i++)
        {
            var member = Members[random.Next(Members.Length)];
            var on = Day(random);
            events.Add(random.Next(14) switch
            {
                0 => new InvitationExtended(on, "Summit", Some(random)),
                1 => new AccessionProtocolSigned(on, random.Next(2) == 0 ? null : "Protocol", random.Next(2) == 0 ? null : ["MKD"], random.Next(3) == 0 ? Some(random) : null, Rule(random)),
                2 => new MemorandumSigned(on, "Memorandum", [member, "SWE"], random.Next(2) == 0 ? null : "summary"),
                3 or 4 => new ParliamentVoted(member, on, "Chamber", random.Next(2) == 0 ? null : 100, 10, 1, random.Next(4) != 0),
                5 => new RatificationApproved(member, on, random.Next(2) == 0 ? null : "Parliament"),
                6 => new InstrumentDeposited(member, on, "USA"),
                7 => new VetoDeclared(member, on, "objection", random.Next(2) == 0),
                8 => new VetoLifted(member, on, "resolved"),
                9 => new RatifierAdded(member, on, "joined"),
                10 => new AccessionCompleted(on, random.Next(2) == 0 ? null : 32),
                11 => new ApplicationWithdrawn(on, "withdrew"),
                _ => new EntryRetracted(random.Next(1, events.Count + 1), on, "correction"),
            });
        }
        var entries = new List<RecordedEntry>(events.Count);
        var at = Clock;
        for (var n = 0; n < events.Count; n++)
        {
            if (n > 0 && random.Next(3) != 0)
            {
                at = at.AddSeconds(random.Next(1, 100));
            }
            var e = events[n];
            entries.Add(new RecordedEntry("p/swe", n + 1, n + 1, StoredEventNames.Of(e), e, at, "tester", "source", null, random.Next(4) == 0, null, null, null));
        }
        return entries;
    }

    private static DateOnly Day(Random random) => Start.AddDays(random.Next(40));

    private static string[] Some(Random random) => [.. Members.Where(_ => random.Next(3) != 0)];

    private static EntryIntoForceRule? Rule(Random random) => random.Next(4) switch
    {
        0 => null,
        1 => EntryIntoForceRule.OnCompletion,
        2 => new EntryIntoForceRule(EntryIntoForceKind.FixedDate, Start.AddDays(30), Otherwise: random.Next(2) == 0 ? null : EntryIntoForceOtherwise.FirstDayOfNextMonth),
        _ => new EntryIntoForceRule(EntryIntoForceKind.DaysAfterCompletion, Days: 30),
    };
}
