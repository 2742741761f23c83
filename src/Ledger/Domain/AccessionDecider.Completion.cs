namespace RatificationLedger.Domain;

// Closing a process: the accession (entry into membership, once every required ratifier counts) and the withdrawal.
public static partial class AccessionDecider
{
    private static Decision Decide(CompleteAccession c, AccessionState s, DecisionContext ctx)
    {
        if (s.Accession is { } existing)
        {
            return existing.On == c.On && (c.MemberCount is null || existing.MemberCount == c.MemberCount)
                ? Decision.AlreadyRecorded
                : Conflict($"the accession is recorded on {D(existing.On)}{Members(existing.MemberCount)}; an accession on {D(c.On)}{Members(c.MemberCount)} conflicts with it");
        }
        if ((NotOpen(s, c) ?? Closed(s, c)) is { } refused)
        {
            return refused;
        }
        if (s.RatifiersFixedOn is null)
        {
            return Decision.Reject(RuleCodes.InvitationMissing, $"{s.Candidate} cannot accede on {D(c.On)}: no invitation is recorded.");
        }
        if (ctx.Organization.UsesAccessionProtocol && s.ProtocolSignedOn is null)
        {
            return Decision.Reject(RuleCodes.ProtocolMissing, $"{s.Candidate} cannot accede on {D(c.On)}: the accession protocol is not recorded as signed.");
        }
        var vetoes = s.ActiveVetoes.ToArray();
        if (vetoes.Length > 0)
        {
            return Decision.Reject(RuleCodes.AccessionBlocked,
                $"{s.Candidate} cannot accede on {D(c.On)} while {string.Join(", ", vetoes.Select(v => $"{v.Member}'s {Kind(v)} (since {D(v.Since)})"))} is active.");
        }
        // A member that left the organization before the accession is no longer a required ratifier of it.
        var pending = s.Pending().Where(m => ctx.Organization.LeftBefore(m, c.On) is null).ToArray();
        if (pending.Length > 0)
        {
            var rule = s.CountsAt == RatificationCounts.AtApproval ? "approved" : "deposited";
            return Decision.Reject(RuleCodes.AccessionIncomplete,
                $"{s.Candidate} cannot accede on {D(c.On)}: {pending.Length} of {s.RequiredRatifiers.Count} required ratifiers have not {rule}: {string.Join(", ", pending)}.");
        }
        var (lastMember, lastOn) = s.Counted().OrderBy(x => x.On).LastOrDefault();
        if (lastMember is not null && c.On < lastOn)
        {
            return Before($"the accession on {D(c.On)}", $"the ratification of {lastMember}, which counts from {D(lastOn)}");
        }
        var opened = ctx.Organization.UsesAccessionProtocol ? s.ProtocolSignedOn!.Value : s.RatifiersFixedOn!.Value;
        if (c.On < opened)
        {
            return Before($"the accession on {D(c.On)}", $"the {(ctx.Organization.UsesAccessionProtocol ? "protocol signature" : "invitation")} on {D(opened)}");
        }
        // On completion the check above is the whole rule; a fixed date or a delay may come later than the last step.
        if (s.EntryIntoForce is { Rule: not EntryIntoForceKind.OnCompletion } && EntryIntoForceAnswer.Of(s) is var answer && (answer.Date is not { } date || c.On < date))
        {
            return Decision.Reject(RuleCodes.BeforeEntryIntoForce,
                $"{s.Candidate} cannot accede on {D(c.On)}: the treaty {(answer.Date is { } d ? $"enters into force on {D(d)}" : "does not enter into force under its rule")} ({answer.Reason.TrimEnd('.')}).");
        }
        // A veto ended after the accession date was in force on that date.
        if (s.Vetoes.FirstOrDefault(v => v.Since <= c.On && v.EndedOn > c.On) is { } inForce)
        {
            return Before($"the accession on {D(c.On)}", $"the end of {inForce.Member}'s {Kind(inForce)} on {D(inForce.EndedOn)}");
        }
        if (c.MemberCount is < 1)
        {
            return Decision.Reject(RuleCodes.InvalidNumber, $"member count {c.MemberCount} must be positive.");
        }
        return Decision.Record(new AccessionCompleted(c.On, c.MemberCount));
    }

    private static Decision Decide(WithdrawApplication c, AccessionState s)
    {
        if (s.Withdrawal is { } existing)
        {
            return existing.On == c.On
                ? Decision.AlreadyRecorded
                : Conflict($"the withdrawal is recorded on {D(existing.On)}; a withdrawal on {D(c.On)} conflicts with it");
        }
        if ((NotOpen(s, c) ?? Closed(s, c)) is { } refused)
        {
            return refused;
        }
        return c.On < s.OpenedOn
            ? Before($"the withdrawal on {D(c.On)}", $"the opening of the process on {D(s.OpenedOn)}")
            : Decision.Record(new ApplicationWithdrawn(c.On, c.Reason));
    }
}
