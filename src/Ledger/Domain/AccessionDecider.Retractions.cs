namespace RatificationLedger.Domain;

// Retractions: an entry recorded in error is retracted, never edited or deleted, and only when nothing depends on it.
public static partial class AccessionDecider
{
    private static Decision Decide(RetractEntry c, AccessionState s, DecisionContext ctx)
    {
        if (s.Retracted.Contains(c.Entry))
        {
            return Decision.AlreadyRecorded;
        }
        if (s.Entries.FirstOrDefault(e => e.Number == c.Entry) is not { } target)
        {
            return Decision.Reject(RuleCodes.UnknownEntry, $"there is no entry {c.Entry} to retract (the process has {s.Version} entries).");
        }
        if (target.Event is EntryRetracted)
        {
            return Decision.Reject(RuleCodes.RetractionNotAllowed, $"entry {c.Entry} is itself a retraction; a retraction cannot be retracted.");
        }
        if (target == s.Entries[0])
        {
            return Decision.Reject(RuleCodes.RetractionNotAllowed,
                $"entry {c.Entry} opened the process; it cannot be retracted (record a withdrawal, or open a new process).");
        }
        if (target.Event is AccessionCompleted accession)
        {
            // The accession admitted the candidate to the organization's roster (another stream) and made it a required
            // ratifier of other open processes; retracting it here would leave those standing.
            return Decision.Reject(RuleCodes.RetractionNotAllowed,
                $"entry {c.Entry} records {s.Candidate}'s accession on {D(accession.On)}; membership of {s.Organization} follows from it, so it cannot be retracted.");
        }
        var live = s.Entries.Where(e => e.Number != c.Entry && e.Event is not EntryRetracted && !s.Retracted.Contains(e.Number)).ToArray();
        var dependent = target.Event switch
        {
            // An approval or deposit that ended the member's hold keeps an accession standing: without it the hold would
            // be in force again (a member that left the organization is not waited for, but its hold still blocks).
            RatificationApproved a => live.FirstOrDefault(e =>
                (e.Event is InstrumentDeposited d && d.Member == a.Member) ||
                (e.Event is AccessionCompleted && s.RequiredRatifiers.ContainsKey(a.Member) && s.CountsAt == RatificationCounts.AtApproval) ||
                (e.Event is AccessionCompleted && EndedHold(s, a.Member, a.On))),
            // Under approval counting a deposit with no recorded approval is what counts.
            InstrumentDeposited d => live.FirstOrDefault(e =>
                e.Event is AccessionCompleted && ((s.RequiredRatifiers.ContainsKey(d.Member)
                && (s.CountsAt == RatificationCounts.AtDeposit || s.StepsOf(d.Member).Approval is null)) || EndedHold(s, d.Member, d.On))),
            InvitationExtended => live.FirstOrDefault(e => e.Event is AccessionProtocolSigned or ParliamentVoted or RatificationApproved
                or InstrumentDeposited or RatifierAdded or AccessionCompleted),
            AccessionProtocolSigned p when ctx.Organization.UsesAccessionProtocol || p.RequiredRatifiers is not null =>
                live.FirstOrDefault(e => e.Event is ParliamentVoted or RatificationApproved or InstrumentDeposited or AccessionCompleted),
            VetoDeclared v => live.FirstOrDefault(e => e.Number > target.Number && e.Event is VetoLifted l && l.Member == v.Member),
            // Without the lifting the veto is in force again: not in an acceded process, nor beside the member's next veto.
            VetoLifted l => live.FirstOrDefault(e => e.Number > target.Number
                && (e.Event is AccessionCompleted || (e.Event is VetoDeclared n && n.Member == l.Member))),
            RatifierAdded r => live.FirstOrDefault(e => e.Event is InstrumentDeposited d && d.Member == r.Member),
            _ => null,
        };
        return dependent is not null
            ? Decision.Reject(RuleCodes.RetractionHasDependents,
                $"entry {c.Entry} ({StoredEventNames.Of(target.Event)}) cannot be retracted while entry {dependent.Number} ({StoredEventNames.Of(dependent.Event)}) depends on it; retract that one first.")
            : Decision.Record(new EntryRetracted(c.Entry, c.On, c.Reason));
    }
}
