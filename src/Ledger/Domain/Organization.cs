namespace Ledger.Domain;

/// <summary>When a member's ratification counts towards the protocol's entry into force.</summary>
public enum RatificationCounts
{
    /// <summary>At national approval: the step that completes the member's domestic procedure.</summary>
    AtApproval,

    /// <summary>At deposit: the instrument of ratification handed to the depositary.</summary>
    AtDeposit,
}

/// <summary>A state's membership of an organization, from <see cref="Since"/> (inclusive).</summary>
public sealed record Membership(string State, DateOnly Since);

/// <summary>
/// The body a candidate joins (NATO, the EU, the parties to a treaty) and its accession policy, as data.
/// </summary>
/// <param name="Code">Short upper-case code, e.g. <c>NATO</c>; the first part of every process id.</param>
/// <param name="Name">Full name.</param>
/// <param name="Depositary">The state (ISO alpha-3) that receives instruments of ratification.</param>
/// <param name="CountsAt">When a ratification counts: at national approval or at deposit.</param>
/// <param name="NewMembersRatifyOpenProcesses">Whether a state that joins during an open process becomes one of its required ratifiers (NATO: yes).</param>
/// <param name="Members">The roster with join dates.</param>
/// <param name="UsesAccessionProtocol">Whether ratification follows a signed accession protocol (NATO: yes) or directly the invitation.</param>
public sealed record Organization(
    string Code,
    string Name,
    string Depositary,
    RatificationCounts CountsAt,
    bool NewMembersRatifyOpenProcesses,
    IReadOnlyList<Membership> Members,
    bool UsesAccessionProtocol = true)
{
    /// <summary>True when <paramref name="state"/> is a member on <paramref name="on"/>.</summary>
    public bool IsMemberOn(string state, DateOnly on) =>
        Members.Any(m => m.State == state && m.Since <= on);

    /// <summary>The members on <paramref name="on"/>, sorted by code.</summary>
    public IReadOnlyList<string> MembersOn(DateOnly on) =>
        Members.Where(m => m.Since <= on).Select(m => m.State).Distinct().Order(StringComparer.Ordinal).ToArray();

    /// <summary>The roster with <paramref name="state"/> admitted on <paramref name="on"/> (unchanged if already there).</summary>
    public Organization Admit(string state, DateOnly on) =>
        Members.Any(m => m.State == state)
            ? this
            : this with { Members = [.. Members, new Membership(state, on)] };
}
