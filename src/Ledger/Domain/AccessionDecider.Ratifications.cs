namespace RatificationLedger.Domain;

// National ratification steps: parliamentary votes, approvals, deposits of the instrument, and a ratifier added to an
// invited process; who may take a step, and when.
public static partial class AccessionDecider
{
    private static Decision Decide(RecordParliamentVote c, AccessionState s, DecisionContext ctx)
    {
        var vote = new ParliamentVoted(c.Member, c.On, c.Chamber, c.For, c.Against, c.Abstained, c.Passed);
        if (s.StepsOf(c.Member).Votes.FirstOrDefault(v => v.Chamber == c.Chamber && v.On == c.On) is { } existing)
        {
            return existing == vote
                ? Decision.AlreadyRecorded
                : Conflict($"{c.Member}'s {c.Chamber} vote of {D(c.On)} is recorded with other figures ({Figures(existing)}); {Figures(vote)} conflicts with it");
        }
        return RatificationStep(s, ctx, c, c.Member, "vote on the protocol", earlyApprovalAllowed: true) ?? Decision.Record(vote);
    }

    private static Decision Decide(ApproveRatification c, AccessionState s, DecisionContext ctx)
    {
        if (s.StepsOf(c.Member).Approval is { } existing)
        {
            return existing.On == c.On && existing.Authority == c.Authority
                ? Decision.AlreadyRecorded
                : Conflict($"{c.Member}'s approval is recorded on {D(existing.On)} ({existing.Authority}); an approval on {D(c.On)} ({c.Authority}) conflicts with it");
        }
        if (RatificationStep(s, ctx, c, c.Member, "approve the protocol", earlyApprovalAllowed: true) is { } refused)
        {
            return refused;
        }
        if (s.StepsOf(c.Member).Deposit is { } deposit && deposit.On < c.On)
        {
            return Before($"{c.Member}'s deposit on {D(deposit.On)}", $"its approval on {D(c.On)}");
        }
        // The mirror of "no veto after approval": an approval dated before one of the member's own vetoes would end
        // that veto before it began.
        return s.Vetoes.FirstOrDefault(v => v.Member == c.Member && v.Since > c.On) is { } veto
            ? Decision.Reject(RuleCodes.DateBeforeDependency,
                $"{c.Member}'s approval on {D(c.On)} is dated before its own {Kind(veto)} of {D(veto.Since)}; a member that approved the protocol cannot veto or hold it afterwards (retract the {Kind(veto)} to correct it).")
            : Decision.Record(new RatificationApproved(c.Member, c.On, c.Authority));
    }

    private static Decision Decide(DepositInstrument c, AccessionState s, DecisionContext ctx)
    {
        var depositary = c.Depositary ?? ctx.Organization.Depositary;
        var steps = s.StepsOf(c.Member);
        if (steps.Deposit is { } existing)
        {
            return existing.On == c.On && existing.Depositary == depositary
                ? Decision.AlreadyRecorded
                : Conflict($"{c.Member}'s instrument is recorded as deposited on {D(existing.On)}; a deposit on {D(c.On)} conflicts with it");
        }
        if (RatificationStep(s, ctx, c, c.Member, "deposit an instrument of ratification", earlyApprovalAllowed: false) is { } refused)
        {
            return refused;
        }
        // A deposit with no recorded approval is accepted: the approval is implied, its date unknown (never invented).
        if (steps.Approval is { } approval && c.On < approval.On)
        {
            return Before($"{c.Member}'s deposit on {D(c.On)}", $"its approval on {D(approval.On)}");
        }
        // As for an approval: a deposit that implies the approval cannot be dated before the member's own veto or hold.
        if (steps.Approval is null && s.Vetoes.FirstOrDefault(v => v.Member == c.Member && v.Since > c.On) is { } veto)
        {
            return Decision.Reject(RuleCodes.DateBeforeDependency,
                $"{c.Member}'s deposit on {D(c.On)} is dated before its own {Kind(veto)} of {D(veto.Since)}; a member that ratified the protocol cannot veto or hold it afterwards (retract the {Kind(veto)} to correct it).");
        }
        var requiredSince = s.RequiredRatifiers[c.Member];
        return c.On < requiredSince
            ? Before($"{c.Member}'s deposit on {D(c.On)}", $"{c.Member} becoming a required ratifier on {D(requiredSince)}")
            : Decision.Record(new InstrumentDeposited(c.Member, c.On, depositary));
    }

    private static Decision Decide(AddRatifier c, AccessionState s, DecisionContext ctx)
    {
        if (s.RequiredRatifiers.TryGetValue(c.Member, out var requiredSince))
        {
            // Named by the invitation: required from the start, so adding it later says nothing new.
            return requiredSince == c.On || s.Invitation?.RequiredRatifiers.Contains(c.Member) == true
                ? Decision.AlreadyRecorded
                : Conflict($"{c.Member} is recorded as a required ratifier since {D(requiredSince)}; adding it on {D(c.On)} conflicts with it");
        }
        if ((NotOpen(s, c) ?? Closed(s, c)) is { } refused)
        {
            return refused;
        }
        if (s.RatifiersFixedOn is not { } fixedOn)
        {
            return Decision.Reject(RuleCodes.InvitationMissing, $"{c.Member} cannot be added as a required ratifier on {D(c.On)} before the invitation.");
        }
        if (c.On < fixedOn)
        {
            return Before($"adding {c.Member} as a required ratifier on {D(c.On)}", $"the {(s.Invitation is null ? "treaty's signature" : "invitation")} on {D(fixedOn)}");
        }
        if (c.Member == s.Candidate)
        {
            return Decision.Reject(RuleCodes.CandidateOwnProtocol, $"the candidate {c.Member} cannot be a required ratifier of its own accession.");
        }
        return ctx.Organization.IsMemberOn(c.Member, c.On)
            ? Decision.Record(new RatifierAdded(c.Member, c.On, c.Reason))
            : Decision.Reject(RuleCodes.NotAMember, $"{c.Member} is not a member of {ctx.Organization.Code} on {D(c.On)}; only a member can become a required ratifier.");
    }

    // True when a veto or hold of the member ended on that day by its own ratification step rather than a lifting.
    private static bool EndedHold(AccessionState s, string member, DateOnly on) =>
        s.Vetoes.Any(v => v.Member == member && v.EndedOn == on
            && s.Entries.All(e => e.Event is not VetoLifted l || l.Member != member || l.On != on || s.Retracted.Contains(e.Number)));

    // Who may take a national ratification step, and when.
    private static Decision? RatificationStep(AccessionState s, DecisionContext ctx, AccessionCommand c, string member, string what, bool earlyApprovalAllowed)
    {
        if ((NotOpen(s, c) ?? Closed(s, c)) is { } refused)
        {
            return refused;
        }
        if (member == s.Candidate && !s.RequiredRatifiers.ContainsKey(member))
        {
            return Decision.Reject(RuleCodes.CandidateOwnProtocol, $"the candidate {member} cannot {what} of its own accession.");
        }
        if (s.RatifiersFixedOn is not { } fixedOn)
        {
            return Decision.Reject(RuleCodes.InvitationMissing, $"{member} cannot {what} on {D(c.On)}: ratification steps need the invitation, and none is recorded.");
        }
        DateOnly opensOn;
        if (ctx.Organization.UsesAccessionProtocol)
        {
            if (s.ProtocolSignedOn is not { } signed)
            {
                return Decision.Reject(RuleCodes.ProtocolMissing, $"{member} cannot {what} on {D(c.On)}: the accession protocol is not recorded as signed.");
            }
            opensOn = signed;
        }
        else
        {
            opensOn = fixedOn;
        }
        if (c.On < opensOn)
        {
            return Before($"{member}'s step to {what} on {D(c.On)}", $"the {(ctx.Organization.UsesAccessionProtocol ? "protocol signature" : "invitation")} on {D(opensOn)}");
        }
        if (s.RequiredRatifiers.ContainsKey(member))
        {
            return ctx.Organization.LeftBefore(member, c.On) is { } left
                ? Decision.Reject(RuleCodes.NotRequiredRatifier,
                    $"{member} cannot {what} on {D(c.On)}: it left {ctx.Organization.Code} on {D(left)} and is no longer a required ratifier.")
                : null;
        }
        // A candidate of another open process may approve early; its approval counts once it becomes a required ratifier.
        if (earlyApprovalAllowed && ctx.OpenCandidacies.Contains(member))
        {
            return null;
        }
        return Decision.Reject(RuleCodes.NotRequiredRatifier,
            $"{member} cannot {what} on {D(c.On)}: it is not a required ratifier ({s.RequiredRatifiers.Count} are: {string.Join(", ", s.RequiredRatifiers.Keys)})"
            + (earlyApprovalAllowed ? $" nor a candidate of another open {ctx.Organization.Code} process." : "."));
    }
}
