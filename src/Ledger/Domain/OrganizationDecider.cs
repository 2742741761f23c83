using System.Globalization;

namespace RatificationLedger.Domain;

/// <summary>Record an organization and its policy, or confirm it (idempotent; new roster entries are admitted).</summary>
public sealed record RegisterOrganization(Organization Organization);

/// <summary>Record that <paramref name="State"/> joined organization <paramref name="Organization"/> on <paramref name="On"/>.</summary>
public sealed record AdmitMember(string Organization, string State, DateOnly On);

/// <summary>
/// The organization stream (key: the code in lower case, e.g. <c>nato</c>): its policy and roster over time.
/// </summary>
public static class OrganizationDecider
{
    /// <summary>The stream key of an organization.</summary>
    public static string StreamKey(string code) => code.ToLowerInvariant();

    /// <summary>Decides a registration: new organization, same definition (nothing), new members (admitted), or a conflict.</summary>
    public static Decision Decide(RegisterOrganization command, Organization? state, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(command);
        var o = command.Organization;
        if (Validate(o, now) is { } invalid)
        {
            return Decision.Reject(invalid.Code, $"organization {o.Code}: {invalid.Message}");
        }
        if (state is null)
        {
            return Decision.Record(new OrganizationRegistered(o.Code, o.Name, o.Depositary, o.CountsAt,
                o.NewMembersRatifyOpenProcesses, [.. o.Members.OrderBy(m => m.Since).ThenBy(m => m.State, StringComparer.Ordinal)], o.UsesAccessionProtocol,
                o.CandidateRatifies, o.EntryIntoForce));
        }
        if ((o.Name, o.Depositary, o.CountsAt, o.NewMembersRatifyOpenProcesses, o.UsesAccessionProtocol, o.CandidateRatifies, o.EntryIntoForce)
            != (state.Name, state.Depositary, state.CountsAt, state.NewMembersRatifyOpenProcesses, state.UsesAccessionProtocol, state.CandidateRatifies, state.EntryIntoForce))
        {
            return Decision.Reject(RuleCodes.OrganizationConflict,
                $"organization {o.Code} is recorded as '{state.Name}' (depositary {state.Depositary}, ratification counts {Rule(state.CountsAt)}, new members ratify open processes: {Yes(state.NewMembersRatifyOpenProcesses)}, accession protocol: {Yes(state.UsesAccessionProtocol)}, candidates ratify: {Yes(state.CandidateRatifies)}, entry into force: {Rule(state.EntryIntoForce)}); "
                + $"the definition given ('{o.Name}', depositary {o.Depositary}, counts {Rule(o.CountsAt)}, new members ratify: {Yes(o.NewMembersRatifyOpenProcesses)}, accession protocol: {Yes(o.UsesAccessionProtocol)}, candidates ratify: {Yes(o.CandidateRatifies)}, entry into force: {Rule(o.EntryIntoForce)}) differs. Policies are not changed by re-registration.");
        }
        var admitted = new List<object>();
        foreach (var m in o.Members)
        {
            var known = state.Members.FirstOrDefault(k => k.State == m.State);
            if (known is null)
            {
                admitted.Add(new MemberAdmitted(m.State, m.Since));
            }
            else if (known.Since != m.Since)
            {
                return Decision.Reject(RuleCodes.OrganizationConflict,
                    $"{m.State} is recorded as a member of {o.Code} since {D(known.Since)}; the roster given says since {D(m.Since)}.");
            }
            else if (known.Until != m.Until)
            {
                // A departure is not yet an event of its own: the roster is taken as first registered.
                return Decision.Reject(RuleCodes.OrganizationConflict,
                    $"{m.State} is recorded as a member of {o.Code} {Until(known.Until)}; the roster given says {Until(m.Until)}.");
            }
        }
        return admitted.Count == 0 ? Decision.AlreadyRecorded : Decision.Record([.. admitted]);
    }

    /// <summary>Decides an admission: idempotent for the same date, a conflict for another.</summary>
    public static Decision Decide(AdmitMember command, Organization? state, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (state is null)
        {
            return Decision.Reject(RuleCodes.UnknownOrganization, $"organization {command.Organization} is not registered; {command.State} cannot be admitted to it.");
        }
        if (!CountryCode.IsValid(command.State))
        {
            return Decision.Reject(RuleCodes.InvalidCode, $"'{command.State}' is not an ISO 3166-1 alpha-3 country code.");
        }
        var today = Consequences.LatestDate(now);
        if (command.On > today)
        {
            return Decision.Reject(RuleCodes.DateInFuture, $"{command.State}'s admission to {state.Code} is dated {D(command.On)}, after today ({D(today)}).");
        }
        var known = state.Members.FirstOrDefault(m => m.State == command.State);
        return known switch
        {
            null => Decision.Record(new MemberAdmitted(command.State, command.On)),
            _ when known.Since == command.On => Decision.AlreadyRecorded,
            _ => Decision.Reject(RuleCodes.ConflictingRepeat,
                $"{command.State} is recorded as a member of {state.Code} since {D(known.Since)}; an admission on {D(command.On)} conflicts with it."),
        };
    }

    /// <summary>Folds the organization stream.</summary>
    public static Organization? Evolve(Organization? state, object @event) => @event switch
    {
        OrganizationRegistered e => new Organization(e.Code, e.Name, e.Depositary, e.CountsAt, e.NewMembersRatifyOpenProcesses, e.Members, e.UsesAccessionProtocol,
            e.CandidateRatifies, e.EntryIntoForce),
        MemberAdmitted e when state is not null => state.Admit(e.State, e.On),
        _ => state,
    };

    private static Rejection? Validate(Organization o, DateTimeOffset now)
    {
        if (o.Code is not { Length: >= 2 and <= 16 } || !o.Code.All(c => char.IsAsciiLetterUpper(c) || char.IsAsciiDigit(c)) || !char.IsAsciiLetterUpper(o.Code[0]))
        {
            return new Rejection(RuleCodes.InvalidCode, $"code '{o.Code}' must be 2 to 16 upper-case letters or digits, starting with a letter (e.g. NATO).");
        }
        if (string.IsNullOrWhiteSpace(o.Name))
        {
            return new Rejection(RuleCodes.MissingField, "name is required.");
        }
        if (AccessionDecider.Text(o.Name, "name", AccessionDecider.ShortTextLimit) is { } badName)
        {
            return badName;
        }
        if (!CountryCode.IsValid(o.Depositary))
        {
            return new Rejection(RuleCodes.InvalidCode, $"depositary '{o.Depositary}' is not an ISO 3166-1 alpha-3 country code.");
        }
        var today = DateOnly.FromDateTime(now.ToOffset(TimeSpan.FromHours(14)).DateTime);
        foreach (var m in o.Members)
        {
            if (!CountryCode.IsValid(m.State))
            {
                return new Rejection(RuleCodes.InvalidCode, $"member '{m.State}' is not an ISO 3166-1 alpha-3 country code.");
            }
            if (m.Since > today)
            {
                return new Rejection(RuleCodes.DateInFuture, $"member {m.State} joins on {D(m.Since)}, after today ({D(today)}).");
            }
            if (m.Until is { } until && until < m.Since)
            {
                return new Rejection(RuleCodes.DateBeforeDependency, $"member {m.State} leaves on {D(until)}, before it joined on {D(m.Since)}; 'until' is the last day of membership.");
            }
            if (m.Until > today)
            {
                return new Rejection(RuleCodes.DateInFuture, $"member {m.State} leaves on {D(m.Until.Value)}, after today ({D(today)}).");
            }
        }
        if (o.EntryIntoForce?.Check() is { } badRule)
        {
            return badRule;
        }
        var twice = o.Members.GroupBy(m => m.State).FirstOrDefault(g => g.Count() > 1);
        return twice is null ? null : new Rejection(RuleCodes.ConflictingRepeat, $"member {twice.Key} is listed {twice.Count()} times in the roster.");
    }

    private static string Rule(RatificationCounts r) => r == RatificationCounts.AtApproval ? "at approval" : "at deposit";

    private static string Rule(EntryIntoForceRule? r) => r is null ? "on completion"
        : r.Rule == EntryIntoForceKind.FixedDate ? $"{r.Name} {D(r.Date!.Value)}" : r.Rule == EntryIntoForceKind.DaysAfterCompletion ? $"{r.Name} {r.Days}" : r.Name;

    private static string Until(DateOnly? until) => until is { } u ? $"until {D(u)}" : "with no end date";

    private static string Yes(bool b) => b ? "yes" : "no";

    private static string D(DateOnly d) => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}
