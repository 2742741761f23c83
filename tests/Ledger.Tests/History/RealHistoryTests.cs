using RatificationLedger.Domain;
using RatificationLedger.Import;

namespace RatificationLedger.Tests.History;

/// <summary>
/// The project's own history file (samples/NatoAccession/nato-2022-2024.json) replayed through the decider, the way
/// the import will apply it: in import order, one decision per entry, with the organization's roster growing as
/// candidates accede. No database: this is the domain's answer to the real 2022-2024 record.
/// </summary>
public class RealHistoryTests
{
    private static readonly string s_path = Path.Combine(AppContext.BaseDirectory, "Data", "nato-2022-2024.json");
    private static readonly DateOnly s_finlandJoined = new(2023, 4, 4);
    private static readonly DateOnly s_swedenJoined = new(2024, 3, 7);

    private static HistoryFile File() => HistoryFile.Load(s_path);

    /// <summary>One decided entry and the state of its process after it.</summary>
    private sealed record Step(HistoryEntry Entry, Decision Decision, AccessionState After);

    /// <summary>The write side without storage: process states and the organization stream, folded in memory.</summary>
    private sealed class Replay
    {
        private readonly DateTimeOffset _now = DateTimeOffset.UtcNow;
        private readonly Dictionary<string, AccessionState> _states = new(StringComparer.Ordinal);

        public Replay(Organization organization)
        {
            var registered = OrganizationDecider.Decide(new RegisterOrganization(organization), null, _now);
            registered.IsRejected.Should().BeFalse(registered.ToString());
            Organization = registered.Events.Aggregate((Organization?)null, OrganizationDecider.Evolve)!;
        }

        public Organization Organization { get; private set; }

        public List<Step> Steps { get; } = [];

        public AccessionState StateOf(string process) => _states.GetValueOrDefault(process, AccessionState.Initial);

        public IReadOnlyList<Step> Run(IEnumerable<HistoryEntry> entries)
        {
            var start = Steps.Count;
            foreach (var entry in entries)
            {
                Steps.Add(Apply(entry));
            }
            return Steps[start..];
        }

        private Step Apply(HistoryEntry entry)
        {
            var state = StateOf(entry.Process);
            var openCandidacies = _states
                .Where(p => p.Key != entry.Process && p.Value.IsOpen)
                .Select(p => p.Value.Candidate!)
                .ToHashSet(StringComparer.Ordinal);
            var decision = AccessionDecider.Decide(entry.Command, state, new DecisionContext(_now, Organization, openCandidacies));
            foreach (var @event in decision.Events)
            {
                state = AccessionState.Evolve(state, @event);
                if (@event is AccessionCompleted accession)
                {
                    // As the store does: the acceded candidate joins the organization's roster on its accession date.
                    var admitted = OrganizationDecider.Decide(new AdmitMember(Organization.Code, state.Candidate!, accession.On), Organization, _now);
                    admitted.IsRejected.Should().BeFalse(admitted.ToString());
                    Organization = admitted.Events.Aggregate((Organization?)Organization, OrganizationDecider.Evolve)!;
                }
            }
            _states[entry.Process] = state;
            return new Step(entry, decision, state);
        }
    }

    private static Replay Replayed()
    {
        var file = File();
        var replay = new Replay(file.Organization);
        replay.Run(file.InImportOrder());
        return replay;
    }

    // The state of a process once every entry dated on or before `on` was decided.
    private static AccessionState StateAt(Replay replay, string process, DateOnly on) =>
        replay.Steps.Last(s => s.Entry.Process == process && s.Entry.Command.On <= on).After;

    [Fact]
    public void The_file_holds_the_organization_before_2022_and_both_processes()
    {
        var file = File();

        file.Organization.Code.Should().Be("NATO");
        file.Organization.Depositary.Should().Be("USA");
        file.Organization.CountsAt.Should().Be(RatificationCounts.AtApproval);
        file.Organization.NewMembersRatifyOpenProcesses.Should().BeTrue();
        file.Organization.Members.Should().HaveCount(30);
        file.Organization.MembersOn(new DateOnly(2021, 12, 31)).Should().HaveCount(30);
        file.Organization.Members.Select(m => m.State).Should().NotContain(["FIN", "SWE"]);
        file.Entries.Select(e => e.Process).Distinct().Should().Equal("nato/fin", "nato/swe");
    }

    [Fact]
    public void Every_entry_cites_a_source()
    {
        File().Entries.Where(e => string.IsNullOrWhiteSpace(e.Provenance.Source)).Select(e => e.Location).Should().BeEmpty();
    }

    [Fact]
    public void Exactly_the_dates_no_source_states_are_marked_unconfirmed()
    {
        var unconfirmed = File().Entries.Where(e => e.Provenance.Unconfirmed)
            .Select(e => $"{e.Process} {e.Type} {Member(e.Command)} {e.Command.On:yyyy-MM-dd}");

        unconfirmed.Should().BeEquivalentTo(
        [
            // The Tweede Kamer date is the compilers' reading of a tracker's entry.
            "nato/fin vote NLD 2022-07-07", "nato/swe vote NLD 2022-07-07",
            // Spain: the end of the procedure and the Senate date conflict between sources; the deposit is inferred.
            "nato/fin ratification ESP 2022-09-20", "nato/swe ratification ESP 2022-09-20",
            "nato/fin vote ESP 2022-09-21", "nato/swe vote ESP 2022-09-21",
            "nato/fin deposit ESP 2022-10-05", "nato/swe deposit ESP 2022-10-05",
            // The start of a de facto hold is an anchor (the day Türkiye and Hungary became the only holdouts).
            "nato/fin veto TUR 2022-09-27", "nato/fin veto HUN 2022-09-27",
            "nato/swe veto TUR 2022-09-27", "nato/swe veto HUN 2022-09-27",
            // Hungary's deposit for Finland is inferred from "Friday".
            "nato/fin deposit HUN 2023-03-31",
        ]);
    }

    [Fact]
    public void Replaying_the_whole_file_rejects_no_entry_and_every_entry_records_a_fact()
    {
        var steps = Replayed().Steps;

        steps.Where(s => s.Decision.IsRejected).Select(s => $"{s.Entry.Location}: {s.Decision.Rejection}").Should().BeEmpty();
        steps.Where(s => s.Decision.Events.Count == 0).Select(s => s.Entry.Location).Should()
            .BeEmpty("every entry of the file states a fact the ledger did not have yet");
        steps.Should().HaveCount(File().Entries.Count);
    }

    [Fact]
    public void Finland_accedes_on_4_April_2023_with_its_30_required_ratifiers_counted()
    {
        var replay = Replayed();
        var finland = replay.StateOf("nato/fin");

        finland.Phase.Should().Be(ProcessPhase.Acceded);
        finland.Accession.Should().Be(new AccessionCompleted(s_finlandJoined, 31));
        finland.RequiredRatifiers.Keys.Should().Equal(File().Organization.MembersOn(new DateOnly(2022, 6, 29)));
        finland.RequiredRatifiers.Should().HaveCount(30);
        finland.Counted().Should().HaveCount(30);
        finland.Pending().Should().BeEmpty();
        finland.ActiveVetoes.Should().BeEmpty();
        replay.Steps.Single(s => s.Decision.Events.Any(e => e is AccessionCompleted) && s.Entry.Process == "nato/fin")
            .Entry.Command.On.Should().Be(s_finlandJoined);
    }

    [Fact]
    public void Sweden_accedes_on_7_March_2024_with_31_required_ratifiers_counted()
    {
        var replay = Replayed();
        var sweden = replay.StateOf("nato/swe");

        sweden.Phase.Should().Be(ProcessPhase.Acceded);
        sweden.Accession.Should().Be(new AccessionCompleted(s_swedenJoined, 32));
        sweden.RequiredRatifiers.Should().HaveCount(31);
        sweden.RequiredRatifiers.Keys.Should().Equal(replay.Organization.MembersOn(s_finlandJoined));
        sweden.Counted().Should().HaveCount(31);
        sweden.Pending().Should().BeEmpty();
        sweden.ActiveVetoes.Should().BeEmpty();
        replay.Organization.MembersOn(s_swedenJoined).Should().HaveCount(32).And.Contain(["FIN", "SWE"]);
    }

    [Fact]
    public void Finland_approved_Swedens_protocol_as_a_candidate_and_counts_from_the_day_it_joined()
    {
        var replay = Replayed();

        var beforeJoining = StateAt(replay, "nato/swe", s_finlandJoined.AddDays(-1));
        beforeJoining.StepsOf("FIN").Approval!.On.Should().Be(new DateOnly(2023, 3, 1), "the approval is kept while Finland is a candidate");
        beforeJoining.RequiredRatifiers.Should().NotContainKey("FIN");
        beforeJoining.RequiredRatifiers.Should().HaveCount(30);
        beforeJoining.Counted().Select(c => c.Member).Should().NotContain("FIN").And.HaveCount(28);
        beforeJoining.Pending().Should().BeEquivalentTo(["HUN", "TUR"]);

        var sweden = replay.StateOf("nato/swe");
        sweden.RequiredRatifiers["FIN"].Should().Be(s_finlandJoined);
        sweden.StepsOf("FIN").Approval!.On.Should().Be(new DateOnly(2023, 3, 1));
        sweden.StepsOf("FIN").Deposit!.On.Should().Be(s_finlandJoined);
        sweden.Counted().Should().ContainSingle(c => c.Member == "FIN").Which.On.Should().Be(s_finlandJoined);
        StateAt(replay, "nato/swe", s_finlandJoined).Counted().Should().HaveCount(29, "Finland joins the 28 who had approved");
    }

    [Fact]
    public void Finland_joins_the_roster_before_it_is_added_to_Swedens_process_on_the_same_day()
    {
        var steps = Replayed().Steps;
        var accession = steps.FindIndex(s => s.Entry.Process == "nato/fin" && s.Entry.Command is CompleteAccession);
        var added = steps.FindIndex(s => s.Entry.Process == "nato/swe" && s.Entry.Command is AddRatifier { Member: "FIN" });
        var deposit = steps.FindIndex(s => s.Entry.Process == "nato/swe" && s.Entry.Command is DepositInstrument { Member: "FIN" });

        accession.Should().BeLessThan(added);
        added.Should().BeLessThan(deposit);
        steps[added].Decision.Events.Should().Equal(new RatifierAdded("FIN", s_finlandJoined, steps[added].Entry.Command.As<AddRatifier>().Reason));
    }

    [Fact]
    public void The_file_adds_every_new_member_to_every_process_open_when_it_acceded()
    {
        // The cross-process reaction (a new member becomes a ratifier of the open processes) is a handler in the
        // store; here the file states its result, and must state it exactly where the policy requires it.
        var replay = Replayed();
        var file = File();
        foreach (var accession in replay.Steps.Where(s => s.Decision.Events.Any(e => e is AccessionCompleted)))
        {
            var joined = accession.After.Candidate!;
            var on = accession.Entry.Command.On;
            var openThen = replay.Steps
                .Where(s => s.Entry.Process != accession.Entry.Process && s.Entry.Command.On <= on)
                .GroupBy(s => s.Entry.Process)
                .Where(g => g.Last().After.IsOpen)
                .Select(g => g.Key);

            foreach (var process in openThen)
            {
                file.Entries.Should().ContainSingle(e => e.Process == process && e.Command is AddRatifier && ((AddRatifier)e.Command).Member == joined)
                    .Which.Command.On.Should().Be(on);
            }
        }
    }

    [Fact]
    public void Neither_candidate_could_have_acceded_before_the_last_holdout_approved()
    {
        var replay = Replayed();
        var context = new DecisionContext(DateTimeOffset.UtcNow, File().Organization, new HashSet<string>());

        // Finland on 29 March 2023: Hungary had approved, Türkiye had not.
        var finland = AccessionDecider.Decide(new CompleteAccession("nato/fin", new DateOnly(2023, 3, 29)),
            StateAt(replay, "nato/fin", new DateOnly(2023, 3, 29)), context);
        finland.Rejection!.Code.Should().Be(RuleCodes.AccessionIncomplete);
        finland.Rejection.Message.Should().EndWith("1 of 30 required ratifiers have not approved: TUR.");

        // Sweden on 25 February 2024: Hungary's hold was still in force.
        var sweden = AccessionDecider.Decide(new CompleteAccession("nato/swe", new DateOnly(2024, 2, 25)),
            StateAt(replay, "nato/swe", new DateOnly(2024, 2, 25)), context);
        sweden.Rejection!.Code.Should().Be(RuleCodes.AccessionBlocked);
        sweden.Rejection.Message.Should().Contain("HUN's hold (since 2022-09-27)");
    }

    [Fact]
    public void The_holds_end_on_the_dates_the_file_gives()
    {
        var replay = Replayed();

        replay.StateOf("nato/fin").Vetoes.Select(v => (v.Member, v.Formal, v.Since, v.EndedOn)).Should().Equal(
            ("TUR", true, new DateOnly(2022, 5, 18), new DateOnly(2022, 6, 28)),
            ("TUR", false, new DateOnly(2022, 9, 27), new DateOnly(2023, 3, 17)),
            ("HUN", false, new DateOnly(2022, 9, 27), new DateOnly(2023, 3, 17)));
        replay.StateOf("nato/swe").Vetoes.Select(v => (v.Member, v.Formal, v.Since, v.EndedOn)).Should().Equal(
            ("TUR", true, new DateOnly(2022, 5, 18), new DateOnly(2022, 6, 28)),
            ("TUR", false, new DateOnly(2022, 9, 27), new DateOnly(2024, 1, 23)),
            ("HUN", false, new DateOnly(2022, 9, 27), new DateOnly(2024, 2, 26)));
    }

    [Fact]
    public void Replaying_the_file_a_second_time_records_nothing()
    {
        var replay = Replayed();

        var second = replay.Run(File().InImportOrder());

        second.Should().HaveCount(File().Entries.Count);
        second.Where(s => s.Decision != Decision.AlreadyRecorded).Select(s => $"{s.Entry.Location}: {s.Decision}").Should().BeEmpty();
        replay.StateOf("nato/fin").Version.Should().Be(File().Entries.Count(e => e.Process == "nato/fin"));
        replay.StateOf("nato/swe").Version.Should().Be(File().Entries.Count(e => e.Process == "nato/swe"));
    }

    private static string Member(AccessionCommand command) => command switch
    {
        RecordParliamentVote c => c.Member,
        ApproveRatification c => c.Member,
        DepositInstrument c => c.Member,
        DeclareVeto c => c.Member,
        LiftVeto c => c.Member,
        AddRatifier c => c.Member,
        _ => "-",
    };
}
