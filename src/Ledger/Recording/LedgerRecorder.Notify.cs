using RatificationLedger.Domain;

namespace RatificationLedger.Recording;

// Notifications: what a recorded change tells apps.
public sealed partial class LedgerRecorder
{
    /// <summary>Hands the results' notifications to the app's sinks, in order.</summary>
    private async ValueTask PublishAsync(IEnumerable<RecordResult> results, CancellationToken ct)
    {
        if (_sinks.Length == 0)
        {
            return;
        }
        foreach (var notification in results.SelectMany(r => r.Notifications))
        {
            foreach (var sink in _sinks)
            {
                await sink.PublishAsync(notification, ct).ConfigureAwait(false);
            }
        }
    }

    internal static IReadOnlyList<LedgerNotification> Notify(string process, AccessionState before, AccessionState after, string organization, IReadOnlyList<object> events)
    {
        // Only the events that can change what a notification reports are worth comparing states for: which kinds the
        // command recorded, in one pass (every entry of an import comes through here).
        bool retracted = false, invited = false, approved = false, deposited = false, added = false, vetoed = false, lifted = false;
        var memberSteps = true;
        foreach (var e in events)
        {
            switch (e)
            {
                case RatificationApproved:
                    approved = true;
                    break;
                case InstrumentDeposited:
                    deposited = true;
                    break;
                case RatifierAdded:
                    added = true;
                    break;
                case InvitationExtended:
                    invited = true;
                    memberSteps = false;
                    break;
                case VetoDeclared:
                    vetoed = true;
                    memberSteps = false;
                    break;
                case VetoLifted:
                    lifted = true;
                    memberSteps = false;
                    break;
                case EntryRetracted:
                    retracted = true;
                    memberSteps = false;
                    break;
                default:
                    memberSteps = false;
                    break;
            }
        }
        List<LedgerNotification>? notes = null;
        void Add(LedgerNotification n) => (notes ??= []).Add(n);
        if (before.Phase == ProcessPhase.NotOpened && after.OpenedOn is { } opened)
        {
            Add(new ProcessOpenedNotification(process, after.Organization!, after.Candidate!, opened));
        }
        if (memberSteps)
        {
            // One member's step: only that member can have started to count.
            for (var i = 0; i < events.Count; i++)
            {
                var member = Consequences.MemberOf(events[i])!;
                if (FirstOf(events, i, member) && Consequences.CountsFrom(before, member) is null && Consequences.CountsFrom(after, member) is { } from)
                {
                    Add(new RatificationCountedNotification(process, member, from));
                }
            }
        }
        else if (retracted || invited || approved || deposited || added)
        {
            var counted = before.Counted().Select(c => c.Member).ToHashSet(StringComparer.Ordinal);
            foreach (var c in after.Counted().Where(c => !counted.Contains(c.Member)))
            {
                Add(new RatificationCountedNotification(process, c.Member, c.On));
            }
        }
        // (An unchanged list of vetoes is the same list: the state carries it over.)
        if ((retracted || vetoed || lifted || approved) && !ReferenceEquals(before.Vetoes, after.Vetoes))
        {
            foreach (var v in after.Vetoes.Except(before.Vetoes).Where(v => v.EndedOn is null))
            {
                Add(new VetoDeclaredNotification(process, v.Member, v.Since, v.Formal, v.Reason));
            }
            var wasActive = before.ActiveVetoes.ToArray();
            foreach (var v in after.Vetoes.Where(v => v.EndedOn is { } && wasActive.Any(w => w.Member == v.Member && w.Since == v.Since)))
            {
                Add(new VetoLiftedNotification(process, v.Member, v.EndedOn!.Value, v.EndedBy ?? ""));
            }
        }
        if (before.Accession is null && after.Accession is { } accession)
        {
            Add(new AccessionCompletedNotification(process, organization, after.Candidate!, accession.On));
        }
        return notes ?? (IReadOnlyList<LedgerNotification>)[];
    }

    // Whether events[i] is the first of the events naming this member.
    private static bool FirstOf(IReadOnlyList<object> events, int i, string member)
    {
        for (var j = 0; j < i; j++)
        {
            if (Consequences.MemberOf(events[j]) == member)
            {
                return false;
            }
        }
        return true;
    }
}
