using RatificationLedger.Domain;
using RatificationLedger.Storage;
using Marten;

namespace RatificationLedger.Recording;

// The cross-process rule, decided in the accession's own transaction: when a candidate accedes and its organization's
// policy says new members ratify open processes, every other invited, open process of that organization gets
// RatifierAdded for it, appended at the version read, in the same transaction as the accession and the admission.
// Every caller gets it (Mediator, LedgerRecorder directly, the import): it is part of the record, not a reaction to a
// notification. The command ids are the ones the notification handler used before it: a process that already got the
// member (its receipt is there) gets nothing again.
public sealed partial class LedgerRecorder
{
    // Invitations take their default ratifiers from the roster; accessions change the roster and add to invited processes.
    private static bool TakesOrganizationTurn(AccessionCommand command) => command is ExtendInvitation or CompleteAccession;

    /// <summary>The command id of the rule's <see cref="AddRatifier"/> for <paramref name="member"/> on <paramref name="process"/>.</summary>
    internal static string NewMemberCommandId(string process, string member) => $"new-member-ratifies:{process}:{member}";

    private sealed record PlannedRatification(string Organization, string Process, StreamChange Change, AddRatifier Command, string CommandId, IReadOnlyList<object> Events);

    /// <summary>
    /// Decides the rule for <paramref name="member"/> acceding on <paramref name="on"/> in <paramref name="process"/>: the
    /// invited processes (as stored, and as this batch leaves them) and for each the decider's answer to adding the member.
    /// A refusal other than "closed" refuses the accession, naming the process: nothing is half-written.
    /// </summary>
    private async Task<(List<PlannedRatification> Planned, Rejection? Refusal)> PlanNewMemberRatificationsAsync(
        Decided decided, Decided? previous, string process, string member, DateOnly on, Organization admitted, CancellationToken ct)
    {
        var session = decided.Session;
        var orgCode = decided.Items[0].Organization;
        // The processes invited before this batch: as stored, read once per decision (every accession of the batch plans
        // on the same reading, which the write of a batch decided ahead checks again under the organization's turn), and,
        // for a batch decided on top of one still being written, as that one leaves the processes it changed.
        var before = decided.InvitedBefore ??= await InvitedBeforeAsync(session, orgCode, previous, ct).ConfigureAwait(false);
        // A process this batch has changed counts as the batch leaves it: only those still invited are candidates (the
        // others would be passed over below), so that an import's batch of a thousand processes does not look up a
        // thousand receipts for every accession.
        var invited = before.Where(p => !decided.Streams.ContainsKey(p))
            .Concat(decided.Streams.Where(s => s.Value.Current.Phase == ProcessPhase.Invited).Select(s => s.Key))
            .Where(p => p != process)
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)
            .ToArray();
        if (invited.Length == 0)
        {
            return ([], null);
        }

        var ids = invited.ToDictionary(p => p, p => NewMemberCommandId(p, member), StringComparer.Ordinal);
        var batch = session.CreateBatchQuery();
        var unknown = ids.Values.Where(id => !decided.Receipts.ContainsKey(id) && previous?.Receipts.ContainsKey(id) != true).ToArray();
        var receiptsQuery = unknown.Length > 0 ? batch.LoadMany<CommandReceipt>().ById(unknown) : null;
        var reads = invited.Where(p => !decided.Streams.ContainsKey(p) && previous?.Streams.ContainsKey(p) != true)
            .ToDictionary(p => p, p => _states.Enlist(batch, p), StringComparer.Ordinal);
        if (receiptsQuery is not null || reads.Count > 0)
        {
            await batch.Execute(ct).ConfigureAwait(false);
        }
        var taken = receiptsQuery is null ? [] : (await receiptsQuery.ConfigureAwait(false)).Select(r => r.Id).ToHashSet(StringComparer.Ordinal);

        var planned = new List<PlannedRatification>();
        foreach (var other in invited)
        {
            StreamChange change;
            if (!decided.Streams.TryGetValue(other, out change!))
            {
                if (previous is not null && previous.Streams.TryGetValue(other, out var left))
                {
                    // As the batch being written leaves it (it is not stored yet).
                    change = new StreamChange(left.Current, left.Staged.Count > 0 ? left.Staged[^1].Id : left.LastEventId, left.Commands);
                }
                else
                {
                    var loaded = await reads[other].ResolveAsync(session, ct).ConfigureAwait(false);
                    change = new StreamChange(loaded.State, loaded.LastEventId, loaded.Commands);
                }
            }
            var id = ids[other];
            if (change.Current.Phase != ProcessPhase.Invited || taken.Contains(id) || decided.Receipts.ContainsKey(id) || previous?.Receipts.ContainsKey(id) == true)
            {
                continue;
            }
            var command = Consequences.NewMemberRatifies(admitted.Code, process, member, on, other);
            var decision = AccessionDecider.Decide(command, change.Current, new DecisionContext(_time.GetUtcNow(), admitted, new HashSet<string>()));
            if (decision.Rejection is { } rejection)
            {
                return ([], new Rejection(rejection.Code,
                    $"{process}: {admitted.Code}'s policy makes the new member {member} a required ratifier of every invited process from its accession on {on:yyyy-MM-dd}, and {other} refuses it: {rejection.Message} Nothing was recorded."));
            }
            if (decision.Events.Count > 0)
            {
                planned.Add(new PlannedRatification(admitted.Code, other, change, command, id, decision.Events));
            }
        }
        return (planned, null);
    }

    /// <summary>
    /// Decides the rule for a process a retraction makes invited again (<see cref="Consequences.ReopenedProcessRatifies"/>):
    /// the members admitted since its invitation, each added as a required ratifier unless its command id was used
    /// before. A refusal refuses the retraction, naming the member: nothing is half-written.
    /// </summary>
    private async Task<(List<PlannedRatification> Planned, Rejection? Refusal)> PlanReopenedRatificationsAsync(
        Decided decided, Item item, StreamChange change, AccessionState state, IReadOnlyList<object> events, Organization organization, CancellationToken ct)
    {
        var process = item.Command.Process;
        var after = state;
        foreach (var data in events)
        {
            after = AccessionState.Evolve(after, after.Version + 1, data);
        }
        var commands = Consequences.ReopenedProcessRatifies(organization, process, state, after);
        if (commands.Count == 0)
        {
            return ([], null);
        }
        var ids = commands.Select(c => NewMemberCommandId(process, c.Member)).ToArray();
        var unknown = ids.Where(id => !decided.Receipts.ContainsKey(id)).ToArray();
        var taken = unknown.Length == 0
            ? []
            : (await decided.Session.LoadManyAsync<CommandReceipt>(ct, unknown).ConfigureAwait(false)).Select(r => r.Id).ToHashSet(StringComparer.Ordinal);
        var planned = new List<PlannedRatification>();
        for (var i = 0; i < commands.Count; i++)
        {
            if (taken.Contains(ids[i]) || decided.Receipts.ContainsKey(ids[i]))
            {
                continue;
            }
            var decision = AccessionDecider.Decide(commands[i], after, new DecisionContext(_time.GetUtcNow(), organization, new HashSet<string>()));
            if (decision.Rejection is { } rejection)
            {
                return ([], new Rejection(rejection.Code,
                    $"{process}: the retraction makes the process invited again, and {organization.Code}'s policy makes {commands[i].Member} (admitted on {commands[i].On:yyyy-MM-dd}) a required ratifier of it; the process refuses it: {rejection.Message} Nothing was recorded."));
            }
            foreach (var data in decision.Events)
            {
                after = AccessionState.Evolve(after, after.Version + 1, data);
            }
            if (decision.Events.Count > 0)
            {
                planned.Add(new PlannedRatification(organization.Code, process, change, commands[i], ids[i], decision.Events));
            }
        }
        return (planned, null);
    }

    // The organization's invited processes before a batch: the stored ones, corrected by the batch before (still being
    // written) where it changed them.
    private static async Task<HashSet<string>> InvitedBeforeAsync(IDocumentSession session, string orgCode, Decided? previous, CancellationToken ct)
    {
        var invited = (await InvitedStoredAsync(session, orgCode, ct).ConfigureAwait(false)).ToHashSet(StringComparer.Ordinal);
        foreach (var (id, change) in previous?.Streams ?? [])
        {
            if (change.Current.Phase == ProcessPhase.Invited)
            {
                invited.Add(id);
            }
            else
            {
                invited.Remove(id);
            }
        }
        return invited;
    }

    private static Task<IReadOnlyList<string>> InvitedStoredAsync(IQuerySession session, string orgCode, CancellationToken ct) =>
        session.Query<ProcessEntry>()
            .Where(p => p.Organization == orgCode && p.Phase == ProcessPhase.Invited)
            .Select(p => p.Id)
            .ToListAsync(ct);

    /// <summary>
    /// For a batch whose accessions were decided ahead, without the organization's turn (an import's look-ahead): checks,
    /// in the write's transaction and under the turn, that no process became invited since the rule read the invited
    /// processes: an invitation committed between the decision and this write (it takes the turn, but does not move the
    /// organization's version) would not have the new member. Such a batch is decided again, in the turn.
    /// </summary>
    private static async Task CheckInvitedAsync(Decided decided, CancellationToken ct)
    {
        if (decided.InvitedBefore is not { } before)
        {
            return;
        }
        var orgCode = decided.Items[0].Organization;
        foreach (var id in await InvitedStoredAsync(decided.Session, orgCode, ct).ConfigureAwait(false))
        {
            // A stream this batch appends to is checked at its version; one it read without appending counts as it left it;
            // any other as the rule read it.
            var seen = decided.Streams.TryGetValue(id, out var change)
                ? change.Staged.Count > 0 || change.Current.Phase == ProcessPhase.Invited
                : before.Contains(id);
            if (!seen)
            {
                throw new InvitedMovedException(orgCode, id);
            }
        }
    }

    // Stages the planned RatifierAdded events (with their receipts) in the batch, after the accession; returns what they
    // notify (the new member's ratification counting where it had ratified early).
    private List<LedgerNotification> StageNewMemberRatifications(Decided decided, string process, List<PlannedRatification> planned)
    {
        var session = decided.Session;
        var notes = new List<LedgerNotification>();
        foreach (var r in planned)
        {
            if (decided.Streams.TryAdd(r.Process, r.Change))
            {
                SessionStreams.Read(session, r.Process, r.Change.Read.Version, r.Change.LastEventId);
            }
            var provenance = new Provenance(
                Note: $"added by the ledger: {r.Organization} policy makes new members ratify open processes",
                CommandId: r.CommandId,
                CausationId: process);
            var before = r.Change.Current;
            var after = before;
            var first = after.Version + 1;
            foreach (var data in r.Events)
            {
                after = AccessionState.Evolve(after, after.Version + 1, data);
                var e = Wrap(session, data, provenance, r.CommandId);
                // Caused by the accession, whatever the batch's own causation.
                e.CausationId = process;
                r.Change.Staged.Add(e);
            }
            notes.AddRange(Notify(r.Process, before, after, r.Organization, r.Events));
            r.Change.Current = after;
            r.Change.Recorded(r.CommandId, new CommandEntries(first, after.Version));
            var name = CommandName(r.Command);
            var receipt = new CommandReceipt
            {
                Id = r.CommandId,
                Stream = r.Process,
                Command = name,
                ContentHash = ContentHash(name, r.Command),
                FirstVersion = first,
                LastVersion = after.Version,
                RecordedAt = _time.GetUtcNow(),
            };
            decided.NewReceipts.Add(receipt);
            decided.Receipts[r.CommandId] = receipt;
            decided.Written = true;
        }
        return notes;
    }

    // The accession's admission to the roster, decided here and appended with the batch (see WriteAsync).
    private Organization Admit(Decided decided, Organization organization, string candidate, DateOnly on, Item item)
    {
        var admission = OrganizationDecider.Decide(new AdmitMember(organization.Code, candidate, on), organization, _time.GetUtcNow());
        if (admission.Rejection is { } rejection)
        {
            throw new InvalidOperationException($"The accession of {candidate} on {on:yyyy-MM-dd} cannot admit it to {organization.Code}: {rejection}");
        }
        foreach (var data in admission.Events)
        {
            organization = OrganizationDecider.Evolve(organization, data)!;
            decided.OrganizationEvents.Add(Wrap(decided.Session, data, item.Provenance, item.CommandId));
        }
        return organization;
    }
}
