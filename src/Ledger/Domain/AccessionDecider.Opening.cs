namespace RatificationLedger.Domain;

// Opening a process: the application, the invitation (which fixes the required ratifiers), the treaty's signature
// (which may open the process and fix them instead), and memorandums.
public static partial class AccessionDecider
{
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
}
