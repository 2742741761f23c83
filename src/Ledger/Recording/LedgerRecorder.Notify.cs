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
        // Only the events that can change what a notification reports are worth comparing states for.
        bool Any<T>() => events.Any(e => e is T or EntryRetracted);
        List<LedgerNotification>? notes = null;
        void Add(LedgerNotification n) => (notes ??= []).Add(n);
        if (before.Phase == ProcessPhase.NotOpened && after.OpenedOn is { } opened)
        {
            Add(new ProcessOpenedNotification(process, after.Organization!, after.Candidate!, opened));
        }
        if (events.All(e => e is RatificationApproved or InstrumentDeposited or RatifierAdded))
        {
            // One member's step: only that member can have started to count.
            foreach (var member in events.Select(e => Consequences.MemberOf(e)!).Distinct())
            {
                if (Consequences.CountsFrom(before, member) is null && Consequences.CountsFrom(after, member) is { } from)
                {
                    Add(new RatificationCountedNotification(process, member, from));
                }
            }
        }
        else if (Any<InvitationExtended>() || Any<RatificationApproved>() || Any<InstrumentDeposited>() || Any<RatifierAdded>())
        {
            var counted = before.Counted().Select(c => c.Member).ToHashSet(StringComparer.Ordinal);
            foreach (var c in after.Counted().Where(c => !counted.Contains(c.Member)))
            {
                Add(new RatificationCountedNotification(process, c.Member, c.On));
            }
        }
        if (Any<VetoDeclared>() || Any<VetoLifted>() || Any<RatificationApproved>())
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
}
