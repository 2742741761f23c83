using System.Text.Json.Serialization;

namespace RatificationLedger.Domain;

/// <summary>When a member's ratification counts towards the protocol's entry into force.</summary>
public enum RatificationCounts
{
    /// <summary>At national approval: the step that completes the member's domestic procedure.</summary>
    AtApproval,

    /// <summary>At deposit: the instrument of ratification handed to the depositary.</summary>
    AtDeposit,
}

/// <summary>A state's membership of an organization, from <see cref="Since"/> (inclusive) to <see cref="Until"/> (inclusive, null while a member).</summary>
/// <param name="Until">The last day of membership (the United Kingdom left the EU after 2020-01-31), or null.</param>
public sealed record Membership(string State, DateOnly Since, [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] DateOnly? Until = null)
{
    /// <summary>True when the state is a member on <paramref name="on"/>.</summary>
    public bool Covers(DateOnly on) => Since <= on && (Until is null || on <= Until);
}

/// <summary>
/// The body a candidate joins (NATO, the EU, the parties to a treaty) and its accession policy, as data.
/// </summary>
/// <param name="Code">Short upper-case code, e.g. <c>NATO</c>; the first part of every process id.</param>
/// <param name="Name">Full name.</param>
/// <param name="Depositary">The state (ISO alpha-3) that receives instruments of ratification.</param>
/// <param name="CountsAt">When a ratification counts: at national approval or at deposit.</param>
/// <param name="NewMembersRatifyOpenProcesses">Whether a state that joins during an open process becomes one of its required ratifiers (NATO: yes).</param>
/// <param name="Members">The roster with join (and leaving) dates.</param>
/// <param name="UsesAccessionProtocol">Whether ratification follows a signed accession protocol (NATO: yes) or directly the invitation.</param>
/// <param name="CandidateRatifies">Whether the acceding state ratifies its own treaty and is one of its required ratifiers (EU: yes; NATO: no).</param>
/// <param name="EntryIntoForce">The default entry-into-force rule of its treaties (null: on completion); a treaty's signature may give its own.</param>
public sealed record Organization(
    string Code,
    string Name,
    string Depositary,
    RatificationCounts CountsAt,
    bool NewMembersRatifyOpenProcesses,
    IReadOnlyList<Membership> Members,
    bool UsesAccessionProtocol = true,
    bool CandidateRatifies = false,
    EntryIntoForceRule? EntryIntoForce = null)
{
    /// <summary>True when <paramref name="state"/> is a member on <paramref name="on"/> (joined on or before it, not yet left).</summary>
    public bool IsMemberOn(string state, DateOnly on) =>
        Members.Any(m => m.State == state && m.Covers(on));

    /// <summary>The members on <paramref name="on"/>, sorted by code.</summary>
    public IReadOnlyList<string> MembersOn(DateOnly on) =>
        Members.Where(m => m.Covers(on)).Select(m => m.State).Distinct().Order(StringComparer.Ordinal).ToArray();

    /// <summary>The last day of <paramref name="state"/>'s membership if it had left the organization before <paramref name="on"/>, else null.</summary>
    public DateOnly? LeftBefore(string state, DateOnly on)
    {
        // Asked for every ratification an import records: a loop, not a closure and an enumerator per call.
        for (var i = 0; i < Members.Count; i++)
        {
            var m = Members[i];
            if (m.State == state && m.Until is { } until && until < on)
            {
                return until;
            }
        }
        return null;
    }

    /// <summary>The roster with <paramref name="state"/> admitted on <paramref name="on"/> (unchanged if already there).</summary>
    public Organization Admit(string state, DateOnly on) =>
        Members.Any(m => m.State == state)
            ? this
            : this with { Members = [.. Members, new Membership(state, on)] };
}
