using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using RatificationLedger.Domain;

namespace RatificationLedger.Tests.Properties;

/// <summary>Invariants that hold over any sequence of commands, each decided against the state the ones before produced.</summary>
public class AccessionProperties
{
    private const int Runs = 300;

    /// <summary>One decided command: the state it was decided on, the decision, the state after, and the same command decided again.</summary>
    private sealed record Step(AccessionCommand Command, AccessionState Before, Decision Decision, AccessionState After, Decision Again);

    private static List<Step> Replay(Scenario scenario)
    {
        var steps = new List<Step>();
        var state = AccessionState.Initial;
        var context = scenario.Context;
        foreach (var command in scenario.Commands)
        {
            var decision = AccessionDecider.Decide(command, state, context);
            var after = decision.Events.Aggregate(state, AccessionState.Evolve);
            steps.Add(new Step(command, state, decision, after, AccessionDecider.Decide(command, after, context)));
            state = after;
        }
        return steps;
    }

    // The log as recorded up to a step: every event in order, numbered from 1, and the live ones (neither a retraction
    // nor retracted), worked out here from the events alone, without the state's helpers.
    private sealed record Log(IReadOnlyList<(long Number, object Event)> All)
    {
        public IReadOnlyList<object> Live { get; } = Lively(All);

        private static List<object> Lively(IReadOnlyList<(long Number, object Event)> all)
        {
            var retracted = all.Select(e => e.Event).OfType<EntryRetracted>().Select(r => r.Entry).ToHashSet();
            return [.. all.Where(e => e.Event is not EntryRetracted && !retracted.Contains(e.Number)).Select(e => e.Event)];
        }

        public Log With(IEnumerable<object> events) => new([.. All, .. events.Select((e, i) => ((long)(All.Count + i + 1), e))]);

        // When ratification counts: the policy the process opened under, carried by the opening entry (an application,
        // an invitation, or a treaty's signature).
        public RatificationCounts CountsAt =>
            Live.Select(e => e switch
            {
                ApplicationSubmitted a => a.CountsAt,
                InvitationExtended i => i.CountsAt,
                AccessionProtocolSigned p => p.CountsAt,
                _ => null,
            }).FirstOrDefault(c => c is not null) ?? RatificationCounts.AtApproval;

        // Required ratifiers and since when: those the invitation or the treaty's signature named (with the co-candidates
        // and, where candidates ratify, the candidate), then those added.
        public Dictionary<string, DateOnly> Required()
        {
            var required = new Dictionary<string, DateOnly>(StringComparer.Ordinal);
            foreach (var e in Live)
            {
                (IReadOnlyList<string> Named, DateOnly On) named = e switch
                {
                    InvitationExtended i => (i.RequiredRatifiers, i.On),
                    AccessionProtocolSigned p => (p.RequiredRatifiers ?? [], p.On),
                    RatifierAdded r => ([r.Member], r.On),
                    _ => ([], default),
                };
                foreach (var member in named.Named)
                {
                    required.TryAdd(member, named.On);
                }
            }
            return required;
        }

        // The date a member's counting step was taken, or null: under deposit counting its deposit; under approval
        // counting its approval or, with none recorded, its deposit (which implies the approval, its date unknown).
        public DateOnly? Step(string member)
        {
            var approval = Live.OfType<RatificationApproved>().Where(a => a.Member == member).Select(a => (DateOnly?)a.On).FirstOrDefault();
            var deposit = Live.OfType<InstrumentDeposited>().Where(d => d.Member == member).Select(d => (DateOnly?)d.On).FirstOrDefault();
            return CountsAt == RatificationCounts.AtApproval ? approval ?? deposit : deposit;
        }
    }

    private static IEnumerable<(Step Step, Log Before, Log After)> Logged(Scenario scenario)
    {
        var log = new Log([]);
        foreach (var step in Replay(scenario))
        {
            var after = log.With(step.Decision.Events);
            yield return (step, log, after);
            log = after;
        }
    }

    [Property(Arbitrary = [typeof(ScenarioArbitrary)], MaxTest = Runs)]
    public void The_counted_ratifiers_are_the_required_ones_with_a_live_counting_step_from_the_later_of_the_two_dates(Scenario scenario)
    {
        foreach (var (step, _, log) in Logged(scenario))
        {
            var expected = log.Required()
                .Where(r => log.Step(r.Key) is not null)
                .Select(r => (r.Key, log.Step(r.Key)!.Value > r.Value ? log.Step(r.Key)!.Value : r.Value))
                .OrderBy(c => c.Key, StringComparer.Ordinal);

            step.After.Counted().OrderBy(c => c.Member, StringComparer.Ordinal).Should().Equal(expected, $"after {step.Command}");
        }
    }

    [Property(Arbitrary = [typeof(ScenarioArbitrary)], MaxTest = Runs)]
    public void Accession_only_when_every_required_ratifier_counted_and_no_veto_in_force(Scenario scenario)
    {
        foreach (var step in Replay(scenario))
        {
            if (step.Decision.Events.OfType<AccessionCompleted>().SingleOrDefault() is { } accession)
            {
                // A member that left before the accession is no longer waited for.
                step.Before.Pending().Where(m => scenario.Organization.LeftBefore(m, accession.On) is null).Should().BeEmpty($"{step.Command} was accepted");
                step.Before.ActiveVetoes.Should().BeEmpty($"{step.Command} was accepted");
                step.Before.RequiredRatifiers.Should().NotBeEmpty($"{step.Command} was accepted, so some member had to ratify");
                step.Before.Counted().Should().NotContain(c => c.On > accession.On, "nothing counts after the accession date");
                step.Before.Vetoes.Should().NotContain(v => v.Since <= accession.On && v.EndedOn > accession.On, "no veto was in force on the accession date");
            }
        }
        // The same, worked out from the log alone: every required ratifier had taken its counting step, and had
        // become a ratifier, by the accession date; no veto declared by then was still unlifted.
        foreach (var (step, before, _) in Logged(scenario))
        {
            if (step.Decision.Events.OfType<AccessionCompleted>().SingleOrDefault() is not { } accession)
            {
                continue;
            }
            var required = before.Required();
            required.Should().NotBeEmpty($"{step.Command} was accepted");
            // A member whose last day of membership (from the roster) fell before the accession is no longer waited for.
            var left = scenario.Organization.Members.Where(m => m.Until < accession.On).Select(m => m.State).ToHashSet(StringComparer.Ordinal);
            foreach (var (member, since) in required.Where(r => !left.Contains(r.Key)))
            {
                before.Step(member).Should().NotBeNull($"{member} is a required ratifier, and {step.Command} was accepted");
                before.Step(member)!.Value.Should().BeOnOrBefore(accession.On, $"{member}'s ratification must count by {step.Command}");
                since.Should().BeOnOrBefore(accession.On, $"{member} must be a required ratifier by {step.Command}");
            }
            foreach (var veto in before.Live.OfType<VetoDeclared>().Where(v => v.Formal))
            {
                // Ended by a lifting, the member's approval, or its deposit (which implies the approval).
                var lifted = before.Live.OfType<VetoLifted>().Any(l => l.Member == veto.Member && l.On >= veto.On && l.On <= accession.On)
                    || before.Live.OfType<RatificationApproved>().Any(a => a.Member == veto.Member && a.On >= veto.On && a.On <= accession.On)
                    || before.Live.OfType<InstrumentDeposited>().Any(d => d.Member == veto.Member && d.On >= veto.On && d.On <= accession.On);
                lifted.Should().BeTrue($"{veto.Member}'s veto of {veto.On} must have ended by {step.Command}");
            }
            if (step.After.Phase == ProcessPhase.Acceded)
            {
                step.After.Pending().Where(m => scenario.Organization.LeftBefore(m, step.After.Accession!.On) is null)
                    .Should().BeEmpty($"the process stays complete after {step.Command}");
                step.After.ActiveVetoes.Should().BeEmpty($"no veto comes back in force after {step.Command}");
            }
        }
    }

    [Property(Arbitrary = [typeof(ScenarioArbitrary)], MaxTest = Runs)]
    public void No_date_is_invented_every_recorded_event_carries_the_date_of_its_command(Scenario scenario)
    {
        foreach (var step in Replay(scenario))
        {
            foreach (var e in step.Decision.Events)
            {
                ((DateOnly)((dynamic)e).On).Should().Be(step.Command.On, $"{e} was recorded for {step.Command}");
            }
            foreach (var m in step.After.Steps.Values)
            {
                // An approval implied by a deposit keeps no date of its own: it is done by the deposit, no earlier date known.
                (m.Approval is null ? m.ApprovalImpliedBy == m.Deposit?.On : m.ApprovalImpliedBy is null).Should().BeTrue($"{m.Member} after {step.Command}");
            }
            // A veto ended by the member's own step (an approval, or a deposit implying it) never ends before it began.
            step.After.Vetoes.Where(v => v.EndedOn < v.Since).Should().BeEmpty($"after {step.Command}");
        }
    }

    [Property(Arbitrary = [typeof(ScenarioArbitrary)], MaxTest = Runs)]
    public void An_accession_is_never_dated_before_the_treatys_entry_into_force(Scenario scenario)
    {
        foreach (var step in Replay(scenario))
        {
            if (step.Decision.Events.OfType<AccessionCompleted>().SingleOrDefault() is not { } accession)
            {
                continue;
            }
            var answer = EntryIntoForceAnswer.Of(step.Before);
            if (step.Before.EntryIntoForce is { Rule: not EntryIntoForceKind.OnCompletion } rule)
            {
                answer.Date.Should().NotBeNull($"the accession under {rule} was accepted");
                answer.Date!.Value.Should().BeOnOrBefore(accession.On, $"under {rule}: {answer.Reason}");
                if (rule.Rule == EntryIntoForceKind.FixedDate && rule.Otherwise is null)
                {
                    step.Before.Counted().Should().OnlyContain(c => c.On < rule.Date, "every step counts before the fixed date");
                }
            }
        }
    }

    [Property(Arbitrary = [typeof(ScenarioArbitrary)], MaxTest = Runs)]
    public void The_candidate_is_a_required_ratifier_exactly_where_the_policy_says_candidates_ratify(Scenario scenario)
    {
        foreach (var step in Replay(scenario))
        {
            step.After.RequiredRatifiers.ContainsKey("SWE").Should().Be(scenario.Organization.CandidateRatifies && step.After.RatifiersFixedOn is not null,
                $"after {step.Command}");
            step.After.RequiredRatifiers.Keys.Where(m => m is not ("SWE" or "AUT") && !scenario.Organization.IsMemberOn(m, step.After.RequiredRatifiers[m]))
                .Should().BeEmpty($"a member ratifier was a member when it became one (after {step.Command})");
            if (step.Decision.Events.OfType<AccessionProtocolSigned>().SingleOrDefault() is { CoCandidates: { } co })
            {
                co.Should().OnlyContain(c => !scenario.Organization.IsMemberOn(c, step.Command.On) && c != "SWE", "a co-candidate is not yet a member");
            }
        }
    }

    [Property(Arbitrary = [typeof(ScenarioArbitrary)], MaxTest = Runs)]
    public void Deciding_the_same_command_twice_adds_nothing_the_second_time(Scenario scenario)
    {
        foreach (var step in Replay(scenario))
        {
            step.Again.Events.Should().BeEmpty($"{step.Command} was just decided ({step.Decision})");
            if (step.Decision.IsRejected)
            {
                step.Again.Rejection.Should().Be(step.Decision.Rejection, "a refused command is refused again the same way");
            }
            else
            {
                step.Again.IsRejected.Should().BeFalse($"{step.Command} repeats what was just recorded: {step.Again}");
            }
        }
    }

    [Property(Arbitrary = [typeof(ScenarioArbitrary)], MaxTest = Runs)]
    public void The_live_log_never_holds_a_fact_twice_a_deposit_before_its_approval_or_a_lifting_before_its_veto(Scenario scenario)
    {
        foreach (var (step, _, log) in Logged(scenario).Where(s => s.Step.Decision.Events.Count > 0))
        {
            var facts = log.Live.Select(e => e switch
            {
                ApplicationSubmitted => "application",
                InvitationExtended => "invitation",
                AccessionProtocolSigned => "protocol signature",
                AccessionCompleted => "accession",
                ApplicationWithdrawn => "withdrawal",
                RatificationApproved a => $"approval by {a.Member}",
                InstrumentDeposited d => $"deposit by {d.Member}",
                RatifierAdded r => $"ratifier {r.Member}",
                _ => null,
            }).OfType<string>();
            facts.Should().OnlyHaveUniqueItems($"after {step.Command}");
            foreach (var deposit in log.Live.OfType<InstrumentDeposited>())
            {
                // A deposit with no recorded approval implies it; a recorded one comes first.
                log.Live.OfType<RatificationApproved>().Should().NotContain(a => a.Member == deposit.Member && a.On > deposit.On,
                    $"{deposit.Member} deposited on {deposit.On} after {step.Command}, so it approved by then");
            }
            foreach (var lifting in log.Live.OfType<VetoLifted>())
            {
                log.Live.OfType<VetoDeclared>().Should().Contain(v => v.Member == lifting.Member && v.On <= lifting.On,
                    $"{lifting.Member}'s veto lifted on {lifting.On} after {step.Command} must have begun by then");
            }
        }
    }

    [Property(Arbitrary = [typeof(ScenarioArbitrary)], MaxTest = Runs)]
    public void A_refusal_records_nothing_and_names_the_process(Scenario scenario)
    {
        foreach (var step in Replay(scenario).Where(s => s.Decision.IsRejected))
        {
            step.Decision.Events.Should().BeEmpty();
            step.Decision.Rejection!.Message.Should().StartWith(Scenario.Process + ": ");
        }
    }

    [Fact]
    public void The_generator_reaches_every_kind_of_outcome()
    {
        // Guards the properties against vacuity: with a fixed seed, the scenarios accept and refuse, accede, retract, lift.
        var scenarios = ScenarioArbitrary.Generate().Sample(300, new Rnd(20220518UL), 50);
        var steps = scenarios.SelectMany(Replay).ToArray();

        steps.Count(s => s.Decision.Events.OfType<AccessionCompleted>().Any()).Should().BeGreaterThan(10);
        steps.Count(s => s.Decision.Events.OfType<EntryRetracted>().Any()).Should().BeGreaterThan(10);
        steps.Count(s => s.Decision.Events.OfType<VetoLifted>().Any()).Should().BeGreaterThan(10);
        steps.Count(s => s.Decision.Events.OfType<RatifierAdded>().Any()).Should().BeGreaterThan(10);
        steps.Select(s => s.Decision.Rejection?.Code).OfType<string>().Distinct().Should().HaveCountGreaterThan(15);
        // The policies beyond NATO are reached too: treaty signatures opening processes, co-candidates, the candidate's
        // own deposits, fixed dates refusing early accessions, deposits with no approval.
        steps.Count(s => s.Decision.Events.OfType<AccessionProtocolSigned>().Any(e => e.Organization is not null)).Should().BeGreaterThan(10);
        steps.Count(s => s.Decision.Events.OfType<AccessionProtocolSigned>().Any(e => e.CoCandidates is not null)).Should().BeGreaterThan(3);
        steps.Count(s => s.Decision.Events.OfType<InstrumentDeposited>().Any(e => e.Member == "SWE")).Should().BeGreaterThan(10);
        steps.Count(s => s.Decision.Events.OfType<AccessionCompleted>().Any() && s.Before.EntryIntoForce is { Rule: not EntryIntoForceKind.OnCompletion }).Should().BeGreaterThan(3);
        steps.Count(s => s.Decision.Rejection?.Code == RuleCodes.BeforeEntryIntoForce).Should().BeGreaterThan(3);
        steps.Count(s => s.Decision.Rejection?.Code == RuleCodes.CoCandidateIsMember).Should().BeGreaterThan(3);
        steps.Count(s => s.Decision.Events.OfType<InstrumentDeposited>().Any(e => s.Before.StepsOf(e.Member).Approval is null)).Should().BeGreaterThan(10);
    }
}
