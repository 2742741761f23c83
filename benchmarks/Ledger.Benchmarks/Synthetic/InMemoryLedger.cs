using RatificationLedger.Domain;
using RatificationLedger.Import;

namespace RatificationLedger.Benchmarks.Synthetic;

/// <summary>
/// Runs a history through the pure decider in memory, with the context the recorder gives it (the organization with its
/// admissions, the candidates of the other open processes, the new-member rule where the policy says so). Proves the generated commands are accepted before any
/// database work, and yields the events each command records (what the baselines append without a decider).
/// </summary>
internal static class InMemoryLedger
{
    public static IReadOnlyList<(HistoryEntry Entry, IReadOnlyList<object> Events, AccessionState After)> Decide(HistoryFile file, DateTimeOffset now)
    {
        var organization = file.Organization;
        var states = new Dictionary<string, AccessionState>(StringComparer.Ordinal);
        var openByCandidate = new Dictionary<string, int>(StringComparer.Ordinal);
        var result = new List<(HistoryEntry, IReadOnlyList<object>, AccessionState)>(file.Entries.Count);
        foreach (var entry in file.InImportOrder())
        {
            var process = entry.Command.Process;
            var state = states.GetValueOrDefault(process) ?? AccessionState.Initial;
            var open = new HashSet<string>(openByCandidate.Where(kv => kv.Value - (state.IsOpen && kv.Key == state.Candidate ? 1 : 0) > 0).Select(kv => kv.Key), StringComparer.Ordinal);
            var decision = AccessionDecider.Decide(entry.Command, state, new DecisionContext(now, organization, open));
            if (decision.Rejection is { } rejection)
            {
                throw new InvalidOperationException($"The generator produced an entry the decider refuses: {entry.Location}: {rejection}");
            }
            if (decision.Events.Count == 0)
            {
                throw new InvalidOperationException($"The generator produced a repeat: {entry.Location}");
            }
            var after = state;
            foreach (var e in decision.Events)
            {
                after = AccessionState.Evolve(after, e);
                if (e is AccessionCompleted accession)
                {
                    organization = organization.Admit(after.Candidate!, accession.On);
                    if (organization.NewMembersRatifyOpenProcesses)
                    {
                        // The ledger's rule, in the accession's transaction: the new member ratifies every other invited process.
                        foreach (var (other, otherState) in states.Where(s => s.Key != process && s.Value.Phase == ProcessPhase.Invited).ToArray())
                        {
                            var added = AccessionDecider.Decide(Consequences.NewMemberRatifies(organization.Code, process, after.Candidate!, accession.On, other),
                                otherState, new DecisionContext(now, organization, new HashSet<string>()));
                            if (added.Rejection is { } refused)
                            {
                                throw new InvalidOperationException($"The new-member rule is refused on {other} after {entry.Location}: {refused}");
                            }
                            states[other] = added.Events.Aggregate(otherState, AccessionState.Evolve);
                        }
                    }
                }
            }
            if (state.IsOpen != after.IsOpen)
            {
                var candidate = after.Candidate!;
                openByCandidate[candidate] = openByCandidate.GetValueOrDefault(candidate) + (after.IsOpen ? 1 : -1);
            }
            states[process] = after;
            result.Add((entry, decision.Events, after));
        }
        return result;
    }
}
