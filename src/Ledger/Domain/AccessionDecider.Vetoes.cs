namespace RatificationLedger.Domain;

// Vetoes and holds: declaring one (formal veto or informal hold) and lifting it.
public static partial class AccessionDecider
{
    private static Decision Decide(DeclareVeto c, AccessionState s, DecisionContext ctx)
    {
        if (s.Vetoes.Any(v => v.Member == c.Member && v.Since == c.On && v.Formal == c.Formal && v.Reason == c.Reason))
        {
            return Decision.AlreadyRecorded;
        }
        if (s.ActiveVetoOf(c.Member) is { } active)
        {
            return Conflict($"{c.Member} already holds a {Kind(active)} since {D(active.Since)}; a new one on {D(c.On)} conflicts with it (lift it first)");
        }
        if ((NotOpen(s, c) ?? Closed(s, c)) is { } refused)
        {
            return refused;
        }
        if (c.On < s.OpenedOn)
        {
            return Before($"{c.Member}'s veto on {D(c.On)}", $"the opening of the process on {D(s.OpenedOn)}");
        }
        if (c.Member == s.Candidate)
        {
            return Decision.Reject(RuleCodes.CandidateOwnProtocol, $"the candidate {c.Member} cannot veto its own accession.");
        }
        if (s.RatifiersFixedOn is not { } fixedOn || c.On < fixedOn)
        {
            // Before the invitation any member may block (Türkiye blocked the start of talks on 18 May 2022).
            if (!ctx.Organization.IsMemberOn(c.Member, c.On))
            {
                return Decision.Reject(RuleCodes.NotAMember,
                    $"{c.Member} is not a member of {ctx.Organization.Code} on {D(c.On)}; before the invitation only a member may veto.");
            }
        }
        else if (!s.RequiredRatifiers.ContainsKey(c.Member))
        {
            return Decision.Reject(RuleCodes.NotRequiredRatifier,
                $"{c.Member} cannot veto or hold on {D(c.On)}: it is not a required ratifier, and after the invitation (on {D(fixedOn)}) only a required ratifier may veto or hold.");
        }
        if (s.StepsOf(c.Member).Approval is { } approval)
        {
            return Decision.Reject(RuleCodes.VetoAfterApproval,
                $"{c.Member} approved the protocol on {D(approval.On)}; it cannot veto or hold it on {D(c.On)}.");
        }
        if (s.StepsOf(c.Member).Deposit is { } deposited)
        {
            return Decision.Reject(RuleCodes.VetoAfterApproval,
                $"{c.Member} deposited its instrument of ratification on {D(deposited.On)} (its approval implied); it cannot veto or hold the protocol on {D(c.On)}.");
        }
        return Decision.Record(new VetoDeclared(c.Member, c.On, c.Reason, c.Formal));
    }

    private static Decision Decide(LiftVeto c, AccessionState s)
    {
        if (s.Vetoes.Any(v => v.Member == c.Member && v.EndedOn == c.On))
        {
            // Lifted that day already, or ended by the member's ratification; not only the last one (a member may
            // veto, lift, and hold again later, and re-importing the first lift must still be a no-op).
            return Decision.AlreadyRecorded;
        }
        var last = s.Vetoes.LastOrDefault(v => v.Member == c.Member);
        if (last is not { EndedOn: null } active)
        {
            return Decision.Reject(RuleCodes.NoActiveVeto,
                $"{c.Member} has no active veto or hold to lift on {D(c.On)}" + (last is null ? "." : $"; its last one ended on {D(last.EndedOn)}."));
        }
        if (Closed(s, c) is { } closed)
        {
            return closed;
        }
        return c.On < active.Since
            ? Before($"the lifting of {c.Member}'s {Kind(active)} on {D(c.On)}", $"the {Kind(active)} itself on {D(active.Since)}")
            : Decision.Record(new VetoLifted(c.Member, c.On, c.Reason));
    }
}
