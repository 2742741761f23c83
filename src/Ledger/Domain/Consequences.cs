namespace RatificationLedger.Domain;

/// <summary>
/// What follows from recorded facts, as pure functions the write side, the notifications and the read side all use:
/// which member an event is about, the latest date the clock allows, when a required ratifier's ratification counts,
/// and the cross-process rule's command for an invited process.
/// </summary>
internal static class Consequences
{
    /// <summary>The member (a state of the organization or acceding to it) <paramref name="event"/> is about, or null.</summary>
    public static string? MemberOf(object @event) => @event switch
    {
        ParliamentVoted e => e.Member,
        RatificationApproved e => e.Member,
        InstrumentDeposited e => e.Member,
        VetoDeclared e => e.Member,
        VetoLifted e => e.Member,
        RatifierAdded e => e.Member,
        MemberAdmitted e => e.State,
        _ => null,
    };

    /// <summary>A parliamentary vote's outcome in one word: <c>passed</c> or <c>rejected</c>.</summary>
    public static string Outcome(ParliamentVoted vote) => vote.Passed ? "passed" : "rejected";

    /// <summary>The latest calendar date anywhere on Earth (UTC+14) at <paramref name="now"/>: nothing may be dated later.</summary>
    public static DateOnly LatestDate(DateTimeOffset now) => DateOnly.FromDateTime(now.ToOffset(TimeSpan.FromHours(14)).DateTime);

    /// <summary>
    /// When <paramref name="member"/>'s ratification counts in <paramref name="state"/>: the later of its counting step
    /// (approval or deposit, by the organization's policy) and its becoming a required ratifier; null when it is not a
    /// required ratifier or has not taken that step.
    /// </summary>
    public static DateOnly? CountsFrom(AccessionState state, string member) =>
        state.RequiredRatifiers.TryGetValue(member, out var since) && state.Steps.TryGetValue(member, out var steps) && steps.CountsFrom(state.CountsAt) is { } on
            ? (on > since ? on : since)
            : null;

    /// <summary>
    /// The cross-process rule for one invited process: a state that joins <paramref name="organization"/> on
    /// <paramref name="on"/> (by the accession in <paramref name="acceding"/>) becomes a required ratifier of
    /// <paramref name="invited"/> from that date, when the organization's policy says new members ratify open processes.
    /// </summary>
    public static AddRatifier NewMemberRatifies(string organization, string acceding, string member, DateOnly on, string invited) =>
        new(invited, member, on, $"joined {organization} on {on:yyyy-MM-dd} ({acceding})");

    /// <summary>
    /// The cross-process rule for a process that is invited again (<paramref name="before"/> was not invited,
    /// <paramref name="after"/> is: its withdrawal was retracted): every member of <paramref name="organization"/>
    /// admitted after the invitation that is not yet a required ratifier becomes one from its admission, as the rule would
    /// have made it at its accession had the process been invited then. Empty when the policy does not say so, or the
    /// process was not reopened.
    /// </summary>
    public static IReadOnlyList<AddRatifier> ReopenedProcessRatifies(Organization organization, string process, AccessionState before, AccessionState after)
    {
        if (!organization.NewMembersRatifyOpenProcesses || before.Phase == ProcessPhase.Invited || after.Phase != ProcessPhase.Invited
            || after.Invitation is not { } invitation)
        {
            return [];
        }
        return [.. organization.Members
            .Where(m => m.Since > invitation.On && m.State != after.Candidate && !after.RequiredRatifiers.ContainsKey(m.State))
            .OrderBy(m => m.Since).ThenBy(m => m.State, StringComparer.Ordinal)
            .Select(m => new AddRatifier(process, m.State, m.Since, $"joined {organization.Code} on {m.Since:yyyy-MM-dd}; added when the process was invited again (its withdrawal retracted)"))];
    }
}
