using System.Text.Json;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Ledger.Domain;

namespace Ledger.Tests.Properties;

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

    [Property(Arbitrary = [typeof(ScenarioArbitrary)], MaxTest = Runs)]
    public void A_counted_ratifier_is_always_a_required_ratifier_counting_no_earlier_than_it_became_one(Scenario scenario)
    {
        foreach (var step in Replay(scenario))
        {
            var state = step.After;
            var counted = state.Counted().ToArray();
            foreach (var (member, on) in counted)
            {
                state.RequiredRatifiers.TryGetValue(member, out var requiredSince)
                    .Should().BeTrue($"{member} counts after {step.Command}, so it must be a required ratifier");
                (on >= requiredSince && on >= state.StepsOf(member).CountsFrom(state.CountsAt))
                    .Should().BeTrue($"{member} counts from {on} after {step.Command}: not before it became a ratifier ({requiredSince}) nor before its counting step");
            }
            var accounted = counted.Select(c => c.Member).Concat(state.Pending()).ToHashSet();
            accounted.SetEquals(state.RequiredRatifiers.Keys)
                .Should().BeTrue($"every required ratifier is either counted or pending after {step.Command}");
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
    public void Folding_the_decided_events_from_scratch_gives_the_state_the_decider_saw(Scenario scenario)
    {
        var recorded = new List<object>();
        // Checked after every step that recorded something (a step that records nothing leaves the state as it was).
        foreach (var step in Replay(scenario).Where(s => s.Decision.Events.Count > 0))
        {
            recorded.AddRange(step.Decision.Events);
            Json(AccessionState.Fold(recorded)).Should().Be(Json(step.After), $"after {step.Command}");
        }
    }

    [Property(Arbitrary = [typeof(ScenarioArbitrary)], MaxTest = Runs)]
    public void A_retraction_leaves_the_state_as_if_the_entry_had_never_been_recorded(Scenario scenario)
    {
        var final = Replay(scenario).LastOrDefault()?.After ?? AccessionState.Initial;
        var live = final.Entries.Where(e => e.Event is not EntryRetracted && !final.Retracted.Contains(e.Number)).Select(e => e.Event);
        Json(Effect(AccessionState.Fold(live))).Should().Be(Json(Effect(final)));
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

    private static AccessionState Effect(AccessionState state) => state with { Entries = [], Retracted = [], Version = 0 };

    private static string Json(AccessionState state) => JsonSerializer.Serialize(state, LedgerJson.Options);
}
