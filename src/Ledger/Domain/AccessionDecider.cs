using System.Globalization;

namespace RatificationLedger.Domain;

/// <summary>
/// The accession rules as one pure function: <see cref="Decide(AccessionCommand, AccessionState, DecisionContext)"/> turns a command and the process state into
/// the events to record, nothing (a repeat), or a rejection that names the rule and the values.
/// </summary>
public static class AccessionDecider
{
    /// <summary>Longest accepted short text (venue, chamber, authority, title, depositary).</summary>
    public const int ShortTextLimit = 500;

    /// <summary>Longest accepted free text (reason, summary).</summary>
    public const int LongTextLimit = 4000;

    /// <summary>Decides <paramref name="command"/> on <paramref name="state"/>. Pure: no clock, no I/O.</summary>
    public static Decision Decide(AccessionCommand command, AccessionState state, DecisionContext context)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(context);

        var process = command.Process;
        if (!ProcessId.TryParse(process, out var org, out var candidate))
        {
            return Decision.Reject(RuleCodes.ProcessIdMalformed,
                $"Process id '{process}' is malformed: expected '{{organization}}/{{candidate}}' in lower case, e.g. 'nato/swe' or 'nato/swe-2'.");
        }
        if (org != context.Organization.Code)
        {
            return Decision.Reject(RuleCodes.UnknownOrganization,
                $"{process}: the process belongs to organization {org}, but the ledger was asked to decide it under {context.Organization.Code}.");
        }
        if (!CountryCode.IsValid(candidate))
        {
            return Decision.Reject(RuleCodes.InvalidCode, $"{process}: candidate '{candidate}' in the process id is not an ISO 3166-1 alpha-3 code.");
        }
        if (command.On > context.Today)
        {
            return Decision.Reject(RuleCodes.DateInFuture,
                $"{process}: {Describe(command)} is dated {command.On:yyyy-MM-dd}, after today ({context.Today:yyyy-MM-dd}); nothing may be dated after the clock.");
        }
        if (Validate(command) is { } invalid)
        {
            return Decision.Reject(invalid.Code, $"{process}: {invalid.Message}");
        }

        var decision = command switch
        {
            SubmitApplication c => Decide(c, state, context),
            ExtendInvitation c => Decide(c, state, context),
            SignAccessionProtocol c => Decide(c, state, context),
            SignMemorandum c => Decide(c, state),
            RecordParliamentVote c => Decide(c, state, context),
            ApproveRatification c => Decide(c, state, context),
            DepositInstrument c => Decide(c, state, context),
            DeclareVeto c => Decide(c, state, context),
            LiftVeto c => Decide(c, state),
            AddRatifier c => Decide(c, state, context),
            CompleteAccession c => Decide(c, state, context),
            WithdrawApplication c => Decide(c, state),
            RetractEntry c => Decide(c, state, context),
            _ => throw new ArgumentException($"Unknown command {command.GetType().Name}.", nameof(command)),
        };
        return decision.Rejection is { } r && !r.Message.StartsWith(process + ":", StringComparison.Ordinal)
            ? Decision.Reject(r.Code, $"{process}: {r.Message}")
            : decision;
    }

    private static Decision Decide(SubmitApplication c, AccessionState s, DecisionContext ctx)
    {
        ProcessId.TryParse(c.Process, out var org, out var candidate);
        if (c.Organization != org || c.Candidate != candidate)
        {
            return Decision.Reject(RuleCodes.ProcessIdMismatch,
                $"the application of {c.Candidate} to {c.Organization} does not belong to process '{c.Process}' ({candidate} to {org}).");
        }
        if (s.Application is { } existing)
        {
            return existing.On == c.On
                ? Decision.AlreadyRecorded
                : Conflict($"the application is recorded on {D(existing.On)}; another one on {D(c.On)} conflicts with it");
        }
        if (s.Phase != ProcessPhase.NotOpened)
        {
            return Decision.Reject(RuleCodes.ProcessAlreadyOpen,
                $"the process is already open (opened on {D(s.OpenedOn)}); an application on {D(c.On)} cannot open it again.");
        }
        if (ctx.Organization.IsMemberOn(c.Candidate, c.On))
        {
            return Decision.Reject(RuleCodes.CandidateAlreadyMember, $"{c.Candidate} is already a member of {org} on {D(c.On)}.");
        }
        return Decision.Record(new ApplicationSubmitted(c.Organization, c.Candidate, c.On, ctx.Organization.CountsAt));
    }

    private static Decision Decide(ExtendInvitation c, AccessionState s, DecisionContext ctx)
    {
        ProcessId.TryParse(c.Process, out var org, out var candidate);
        if ((c.Organization is not null && c.Organization != org) || (c.Candidate is not null && c.Candidate != candidate))
        {
            return Decision.Reject(RuleCodes.ProcessIdMismatch,
                $"the invitation of {c.Candidate ?? candidate} to {c.Organization ?? org} does not belong to process '{c.Process}' ({candidate} to {org}).");
        }
        var ratifiers = Ratifiers(c.RequiredRatifiers ?? ctx.Organization.MembersOn(c.On), candidate, [], ctx.Organization);
        if (s.Invitation is { } existing)
        {
            return existing.On == c.On && existing.Venue == c.Venue && existing.RequiredRatifiers.SequenceEqual(ratifiers)
                ? Decision.AlreadyRecorded
                : Conflict($"the invitation is recorded on {D(existing.On)} ({existing.Venue}, {existing.RequiredRatifiers.Count} required ratifiers); a different one on {D(c.On)} conflicts with it");
        }
        if (Closed(s, c) is { } closed)
        {
            return closed;
        }
        // The mirror of a signature naming ratifiers after the invitation: where the treaty's signature opened the
        // process it fixed the required ratifiers, and an invitation would fix them again (from a later date, after
        // steps that already counted).
        if (s.Invitation is null && s.RatifiersFixedOn is { } fixedBySignature)
        {
            return Decision.Reject(RuleCodes.ConflictingRepeat,
                $"the treaty's signature of {D(fixedBySignature)} opened the process and fixed the required ratifiers ({s.RequiredRatifiers.Count}); an invitation on {D(c.On)} cannot fix them again.");
        }
        if (ratifiers.Length == 0)
        {
            // Accession needs every required ratifier counted: with none, it would need nothing at all.
            return Decision.Reject(RuleCodes.MissingField, c.RequiredRatifiers is null
                ? $"the invitation of {candidate} on {D(c.On)} has no required ratifiers: {org} has no members on that date (register its roster first)."
                : $"the invitation of {candidate} on {D(c.On)} names no required ratifier; name at least one, or leave the list out to take {org}'s members on that date.");
        }
        if (s.Application is { } application && c.On < application.On)
        {
            return Before($"the invitation on {D(c.On)}", $"the application on {D(application.On)}");
        }
        if (s.Phase == ProcessPhase.NotOpened && ctx.Organization.IsMemberOn(candidate, c.On))
        {
            return Decision.Reject(RuleCodes.CandidateAlreadyMember, $"{candidate} is already a member of {org} on {D(c.On)}.");
        }
        if (RatifiersRule(ratifiers, candidate, [], ctx.Organization, c.On, "the invitation") is { } refusedRatifier)
        {
            return refusedRatifier;
        }
        return s.Phase == ProcessPhase.NotOpened
            ? Decision.Record(new InvitationExtended(c.On, c.Venue, ratifiers, org, candidate, ctx.Organization.CountsAt))
            : Decision.Record(new InvitationExtended(c.On, c.Venue, ratifiers));
    }

    private static Decision Decide(SignAccessionProtocol c, AccessionState s, DecisionContext ctx)
    {
        ProcessId.TryParse(c.Process, out var org, out var candidate);
        var rule = c.EntryIntoForce ?? ctx.Organization.EntryIntoForce;
        var coCandidates = (c.CoCandidates ?? []).Distinct().Order(StringComparer.Ordinal).ToArray();
        if (s.Signature is { } signed)
        {
            // A repeat may leave out what the first record gave (a NATO file has no treaty name); what it gives must match.
            return signed.On == c.On && (c.Treaty is null || c.Treaty == signed.Treaty)
                && (c.CoCandidates is null || coCandidates.SequenceEqual(signed.CoCandidates ?? []))
                && (c.EntryIntoForce is null || c.EntryIntoForce == signed.EntryIntoForce)
                ? Decision.AlreadyRecorded
                : Conflict($"the accession protocol is recorded as signed on {D(signed.On)}{Treaty(signed.Treaty)}; a different signature on {D(c.On)}{Treaty(c.Treaty)} conflicts with it");
        }
        // A treaty's signature opens a process where the ledger knows no earlier step, when it names the treaty.
        if (s.Phase == ProcessPhase.NotOpened && c.Treaty is null)
        {
            return Decision.Reject(RuleCodes.ProcessNotOpen,
                $"{Describe(c)} on {D(c.On)} cannot be recorded: the process has not been opened by an application or an invitation (a signature opens it only when it names the treaty).");
        }
        if (Closed(s, c) is { } closed)
        {
            return closed;
        }
        if (rule?.Check(c.On) is { } badRule)
        {
            return Decision.Reject(badRule.Code, badRule.Message);
        }
        // A signature that opens the process fixes the required ratifiers, as an invitation does (an EU accession treaty,
        // whose first step the ledger knows is its signature); after an invitation it may only add the co-candidates.
        var fixes = s.Phase == ProcessPhase.NotOpened;
        if (s.Invitation is not null && c.RequiredRatifiers is not null)
        {
            return Decision.Reject(RuleCodes.ConflictingRepeat,
                $"the invitation of {D(s.RatifiersFixedOn)} fixed the required ratifiers ({s.RequiredRatifiers.Count}); the protocol signature on {D(c.On)} cannot name them again (leave 'ratifiers' out).");
        }
        if (s.Invitation is { } invitation && c.On < invitation.On)
        {
            return Before($"the protocol signature on {D(c.On)}", $"the invitation on {D(invitation.On)}");
        }
        if (s.Application is { } application && c.On < application.On)
        {
            return Before($"the protocol signature on {D(c.On)}", $"the application on {D(application.On)}");
        }
        if (s.Phase == ProcessPhase.NotOpened && ctx.Organization.IsMemberOn(candidate, c.On))
        {
            return Decision.Reject(RuleCodes.CandidateAlreadyMember, $"{candidate} is already a member of {org} on {D(c.On)}.");
        }
        if (!fixes && s.Invitation is null)
        {
            return Decision.Reject(RuleCodes.InvitationMissing, $"the accession protocol cannot be signed on {D(c.On)} before the invitation; none is recorded.");
        }
        var ratifiers = fixes
            ? Ratifiers(c.RequiredRatifiers ?? ctx.Organization.MembersOn(c.On), candidate, coCandidates, ctx.Organization)
            : [.. coCandidates.Where(m => !s.RequiredRatifiers.ContainsKey(m))];
        if (fixes && ratifiers.Length == 0)
        {
            return Decision.Reject(RuleCodes.MissingField, c.RequiredRatifiers is null
                ? $"the signature of {candidate}'s treaty on {D(c.On)} has no required ratifiers: {org} has no members on that date (register its roster first)."
                : $"the signature of {candidate}'s treaty on {D(c.On)} names no required ratifier; name at least one, or leave the list out to take {org}'s members on that date.");
        }
        if (RatifiersRule(fixes ? ratifiers : [], candidate, coCandidates, ctx.Organization, c.On, "the treaty's signature") is { } refused)
        {
            return refused;
        }
        var opens = s.Phase == ProcessPhase.NotOpened;
        return Decision.Record(new AccessionProtocolSigned(c.On, c.Treaty, coCandidates.Length == 0 ? null : coCandidates,
            fixes || ratifiers.Length > 0 ? ratifiers : null, rule,
            opens ? org : null, opens ? candidate : null, opens ? ctx.Organization.CountsAt : null));
    }

    // The required ratifiers a list of members makes: the members, the co-candidates, and the candidate where it ratifies.
    private static string[] Ratifiers(IEnumerable<string> members, string candidate, IEnumerable<string> coCandidates, Organization organization) =>
        [.. members.Concat(coCandidates).Concat(organization.CandidateRatifies ? [candidate] : []).Distinct().Order(StringComparer.Ordinal)];

    // Who may be a required ratifier: a member on the day the ratifiers are fixed (not one that had left), a co-candidate
    // that is not yet a member, and the candidate only where the organization's candidates ratify.
    private static Decision? RatifiersRule(IReadOnlyList<string> ratifiers, string candidate, IReadOnlyList<string> coCandidates, Organization organization, DateOnly on, string what)
    {
        foreach (var co in coCandidates)
        {
            if (co == candidate)
            {
                return Decision.Reject(RuleCodes.CoCandidateIsMember, $"co-candidate {co} is the candidate of this process itself; list only the other states acceding by the same treaty.");
            }
            if (organization.IsMemberOn(co, on))
            {
                return Decision.Reject(RuleCodes.CoCandidateIsMember, $"co-candidate {co} is already a member of {organization.Code} on {D(on)}, the date of {what}; a member cannot accede.");
            }
        }
        foreach (var member in ratifiers)
        {
            if (member == candidate)
            {
                if (!organization.CandidateRatifies)
                {
                    return Decision.Reject(RuleCodes.CandidateOwnProtocol, $"the candidate {candidate} cannot be a required ratifier of its own accession ({organization.Code}'s candidates do not ratify).");
                }
                continue;
            }
            if (coCandidates.Contains(member))
            {
                continue;
            }
            if (organization.LeftBefore(member, on) is { } left)
            {
                return Decision.Reject(RuleCodes.NotAMember,
                    $"required ratifier {member} left {organization.Code} on {D(left)}, before {what} on {D(on)}; a state that left is not a required ratifier.");
            }
            if (!organization.IsMemberOn(member, on))
            {
                return Decision.Reject(RuleCodes.NotAMember,
                    $"required ratifier {member} is not a member of {organization.Code} on {D(on)}, the date of {what}.");
            }
        }
        return null;
    }

    private static string Treaty(string? name) => name is null ? "" : $" ({name})";

    private static Decision Decide(SignMemorandum c, AccessionState s)
    {
        var recorded = new MemorandumSigned(c.On, c.Title, c.Parties, c.Summary);
        if (s.Memoranda.FirstOrDefault(m => m.Title == c.Title && m.On == c.On) is { } existing)
        {
            return existing.Parties.SequenceEqual(c.Parties) && existing.Summary == c.Summary
                ? Decision.AlreadyRecorded
                : Conflict($"the memorandum '{c.Title}' of {D(c.On)} is recorded with other parties or summary");
        }
        if ((NotOpen(s, c) ?? Closed(s, c)) is { } refused)
        {
            return refused;
        }
        return c.On < s.OpenedOn
            ? Before($"the memorandum '{c.Title}' on {D(c.On)}", $"the opening of the process on {D(s.OpenedOn)}")
            : Decision.Record(recorded);
    }

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

    private static Decision? NotOpen(AccessionState s, AccessionCommand c) =>
        s.Phase == ProcessPhase.NotOpened
            ? Decision.Reject(RuleCodes.ProcessNotOpen, $"{Describe(c)} on {D(c.On)} cannot be recorded: the process has not been opened by an application or an invitation.")
            : null;

    private static Decision? Closed(AccessionState s, AccessionCommand c) => s.Phase switch
    {
        ProcessPhase.Acceded => Decision.Reject(RuleCodes.ProcessClosed,
            $"{Describe(c)} on {D(c.On)} cannot be recorded: the process closed with {s.Candidate}'s accession on {D(s.Accession!.On)}; only retractions are accepted."),
        ProcessPhase.Withdrawn => Decision.Reject(RuleCodes.ProcessClosed,
            $"{Describe(c)} on {D(c.On)} cannot be recorded: the process closed with the withdrawal on {D(s.Withdrawal!.On)}; only retractions are accepted."),
        _ => null,
    };

    private static Decision Conflict(string message) =>
        Decision.Reject(RuleCodes.ConflictingRepeat, message + "; retract the recorded entry first to correct it.");

    private static Decision Before(string step, string dependency) =>
        Decision.Reject(RuleCodes.DateBeforeDependency, $"{step} is dated before {dependency} it depends on.");

    // Field-level checks: codes and free text. Hostile but valid text (quotes, markup, SQL, right-to-left marks) passes.
    private static Rejection? Validate(AccessionCommand command) => command switch
    {
        SubmitApplication c => Code(c.Candidate, "candidate") ?? Required(c.Organization, "organization"),
        ExtendInvitation c => Short(c.Venue, "venue") ?? Codes(c.RequiredRatifiers, "required ratifier")
            ?? (c.Candidate is null ? null : Code(c.Candidate, "candidate")),
        SignMemorandum c => Required(c.Title, "title") ?? Short(c.Title, "title") ?? Long(c.Summary, "summary")
            ?? (c.Parties is null || c.Parties.Count == 0
                ? new Rejection(RuleCodes.MissingField, "a memorandum needs at least one party.")
                : c.Parties.Select(p => CountryCode.IsValid(p) || (p is { Length: >= 2 and <= 16 } && p.All(char.IsAsciiLetterUpper)) ? null
                    : new Rejection(RuleCodes.InvalidCode, $"memorandum party '{p}' is neither an ISO 3166-1 alpha-3 code nor an organization code.")).FirstOrDefault(r => r is not null)),
        RecordParliamentVote c => Code(c.Member, "member") ?? Required(c.Chamber, "chamber") ?? Short(c.Chamber, "chamber")
            ?? Count(c.For, "for") ?? Count(c.Against, "against") ?? Count(c.Abstained, "abstained"),
        SignAccessionProtocol c => Short(c.Treaty, "treaty") ?? Codes(c.CoCandidates, "co-candidate") ?? Codes(c.RequiredRatifiers, "required ratifier"),
        ApproveRatification c => Code(c.Member, "member") ?? Short(c.Authority, "authority")
            ?? (c.Authority is { } a && string.IsNullOrWhiteSpace(a) ? new Rejection(RuleCodes.MissingField, "authority is blank; leave it out where it is unknown.") : null),
        DepositInstrument c => Code(c.Member, "member") ?? (c.Depositary is null ? null : Code(c.Depositary, "depositary")),
        DeclareVeto c => Code(c.Member, "member") ?? Long(c.Reason, "reason"),
        LiftVeto c => Code(c.Member, "member") ?? Long(c.Reason, "reason"),
        AddRatifier c => Code(c.Member, "member") ?? Long(c.Reason, "reason"),
        WithdrawApplication c => Long(c.Reason, "reason"),
        RetractEntry c => Required(c.Reason, "reason") ?? Long(c.Reason, "reason")
            ?? (c.Entry < 1 ? new Rejection(RuleCodes.InvalidNumber, $"entry number {c.Entry} must be 1 or more.") : null),
        _ => null,
    };

    private static Rejection? Code(string? code, string field) =>
        CountryCode.IsValid(code)
            ? null
            : new Rejection(RuleCodes.InvalidCode, $"{field} '{code}' is not an ISO 3166-1 alpha-3 country code (three upper-case letters, e.g. SWE).");

    private static Rejection? Codes(IReadOnlyList<string>? codes, string field) =>
        codes?.Select(c => Code(c, field)).FirstOrDefault(r => r is not null);

    private static Rejection? Count(int? value, string field) =>
        value is < 0 ? new Rejection(RuleCodes.InvalidNumber, $"vote count '{field}' is {value}; it cannot be negative.") : null;

    private static Rejection? Required(string? text, string field) =>
        string.IsNullOrWhiteSpace(text) ? new Rejection(RuleCodes.MissingField, $"{field} is required.") : null;

    private static Rejection? Short(string? text, string field) => Text(text, field, ShortTextLimit);

    private static Rejection? Long(string? text, string field) => Text(text, field, LongTextLimit);

    /// <summary>Checks free text: at most <paramref name="limit"/> characters, no control characters but tab and line breaks.</summary>
    public static Rejection? Text(string? text, string field, int limit)
    {
        if (text is null)
        {
            return null;
        }
        if (text.Length > limit)
        {
            return new Rejection(RuleCodes.TextTooLong, $"{field} is {text.Length} characters long; at most {limit} are accepted.");
        }
        for (var i = 0; i < text.Length; i++)
        {
            var ch = text[i];
            if (char.IsControl(ch) && ch is not ('\t' or '\n' or '\r'))
            {
                return new Rejection(RuleCodes.InvalidText,
                    $"{field} contains the control character U+{(int)ch:X4} at position {i}; control characters other than tab and line breaks are not accepted.");
            }
            if (char.IsSurrogate(ch) && !(char.IsHighSurrogate(ch) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]) && i++ >= 0))
            {
                return new Rejection(RuleCodes.InvalidText, $"{field} contains an unpaired surrogate at position {i}; the text is not valid Unicode.");
            }
        }
        return null;
    }

    private static string Describe(AccessionCommand c) => c switch
    {
        SubmitApplication => "the application",
        ExtendInvitation => "the invitation",
        SignAccessionProtocol => "the protocol signature",
        SignMemorandum m => $"the memorandum '{m.Title}'",
        RecordParliamentVote v => $"{v.Member}'s {v.Chamber} vote",
        ApproveRatification a => $"{a.Member}'s approval",
        DepositInstrument d => $"{d.Member}'s deposit",
        DeclareVeto v => $"{v.Member}'s {(v.Formal ? "veto" : "hold")}",
        LiftVeto l => $"the lifting of {l.Member}'s veto",
        AddRatifier r => $"adding {r.Member} as a required ratifier",
        CompleteAccession => "the accession",
        WithdrawApplication => "the withdrawal",
        RetractEntry r => $"the retraction of entry {r.Entry}",
        _ => c.GetType().Name,
    };

    private static string Members(int? count) => count is { } n ? $" ({n.ToString(CultureInfo.InvariantCulture)} members)" : "";

    private static string Kind(Veto v) => v.Formal ? "veto" : "hold";

    private static string Figures(ParliamentVoted v) =>
        $"{Consequences.Outcome(v)} {v.For?.ToString(CultureInfo.InvariantCulture) ?? "?"}-{v.Against?.ToString(CultureInfo.InvariantCulture) ?? "?"}-{v.Abstained?.ToString(CultureInfo.InvariantCulture) ?? "?"}";

    private static string D(DateOnly? date) => date?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) ?? "(no date)";
}
