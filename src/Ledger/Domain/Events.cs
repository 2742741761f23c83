using System.Text.Json.Serialization;

namespace RatificationLedger.Domain;

// The event catalog. Each event is a fact about one accession process (one stream), dated by `On`:
// when it happened in the world, not when the ledger learned it (Marten's timestamp holds that).
// Shipped events are never edited: they change only by adding optional trailing parameters.
// Their stored names are in StoredEventNames and pinned by golden-file tests.

/// <summary>The candidate applied to join. Opens a process.</summary>
/// <param name="CountsAt">The organization's counting rule when the process opened; the process keeps it.</param>
public sealed record ApplicationSubmitted(string Organization, string Candidate, DateOnly On, RatificationCounts CountsAt);

/// <summary>
/// The organization invited the candidate. Fixes the required ratifiers. Opens the process where no
/// formal application exists (then <paramref name="Organization"/>, <paramref name="Candidate"/> and
/// <paramref name="CountsAt"/> are set).
/// </summary>
public sealed record InvitationExtended(
    DateOnly On,
    string Venue,
    IReadOnlyList<string> RequiredRatifiers,
    string? Organization = null,
    string? Candidate = null,
    RatificationCounts? CountsAt = null);

/// <summary>
/// The members' representatives (and the acceding states) signed the accession protocol or treaty, opening national
/// ratification. Where the ledger knows no earlier step (an EU accession treaty) the signature opens the process and
/// fixes the required ratifiers, as an invitation does: then <paramref name="Organization"/>, <paramref name="Candidate"/>,
/// <paramref name="CountsAt"/> and <paramref name="RequiredRatifiers"/> are set. Every field but the date is optional
/// and left out of the stored JSON when null, so NATO's signatures are stored as before.
/// </summary>
/// <param name="Treaty">The treaty's name, e.g. "Treaty of Accession 2011".</param>
/// <param name="CoCandidates">The other states acceding by the same treaty: required ratifiers of this process too.</param>
/// <param name="RequiredRatifiers">The required ratifiers this signature adds: all of them when it opens the process or follows an application, else the co-candidates.</param>
/// <param name="EntryIntoForce">The treaty's entry-into-force rule (the organization's default filled in); null: on completion.</param>
public sealed record AccessionProtocolSigned(
    DateOnly On,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Treaty = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<string>? CoCandidates = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<string>? RequiredRatifiers = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] EntryIntoForceRule? EntryIntoForce = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Organization = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Candidate = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] RatificationCounts? CountsAt = null);

/// <summary>A memorandum or arrangement between parties that bears on the process (e.g. the Trilateral Memorandum of Madrid).</summary>
public sealed record MemorandumSigned(DateOnly On, string Title, IReadOnlyList<string> Parties, string? Summary);

/// <summary>A chamber of a member's parliament voted on the protocol. Vote counts are null where no source gives them.</summary>
public sealed record ParliamentVoted(string Member, DateOnly On, string Chamber, int? For, int? Against, int? Abstained, bool Passed);

/// <summary>The member's national procedure approving the protocol was completed.</summary>
/// <param name="Authority">The national step that completed it, e.g. "Parliament" or "President's signature"; null where no source names it.</param>
public sealed record RatificationApproved(string Member, DateOnly On, string? Authority);

/// <summary>Deposit: the member's instrument of ratification was handed to the depositary.</summary>
public sealed record InstrumentDeposited(string Member, DateOnly On, string Depositary);

/// <summary>A member blocked the process: formally (a decision it vetoed) or de facto (ratification withheld).</summary>
public sealed record VetoDeclared(string Member, DateOnly On, string Reason, bool Formal);

/// <summary>A member's veto or hold ended.</summary>
public sealed record VetoLifted(string Member, DateOnly On, string Reason);

/// <summary>A state became a required ratifier after the invitation (e.g. it joined the organization meanwhile).</summary>
public sealed record RatifierAdded(string Member, DateOnly On, string Reason);

/// <summary>The candidate became a member.</summary>
public sealed record AccessionCompleted(DateOnly On, int? MemberCount);

/// <summary>The candidate withdrew. Closes the process.</summary>
public sealed record ApplicationWithdrawn(DateOnly On, string Reason);

/// <summary>
/// A correction: the entry numbered <paramref name="Entry"/> (its version in the process stream, as the
/// audit trail shows it) is retracted. Its effect is removed; the entry itself stays in the log.
/// </summary>
/// <param name="On">When the correction was made.</param>
public sealed record EntryRetracted(long Entry, DateOnly On, string Reason);

/// <summary>An organization and its policy became known to the ledger.</summary>
public sealed record OrganizationRegistered(
    string Code,
    string Name,
    string Depositary,
    RatificationCounts CountsAt,
    bool NewMembersRatifyOpenProcesses,
    IReadOnlyList<Membership> Members,
    bool UsesAccessionProtocol,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] bool CandidateRatifies = false,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] EntryIntoForceRule? EntryIntoForce = null);

/// <summary>A state joined the organization (on accession, or a roster entry added later).</summary>
public sealed record MemberAdmitted(string State, DateOnly On);

/// <summary>The stored name of every event: independent of the CLR name, never changed once shipped.</summary>
public static class StoredEventNames
{
    /// <summary>Event type to stored name.</summary>
    public static IReadOnlyDictionary<Type, string> All { get; } = new Dictionary<Type, string>
    {
        [typeof(ApplicationSubmitted)] = "application_submitted",
        [typeof(InvitationExtended)] = "invitation_extended",
        [typeof(AccessionProtocolSigned)] = "accession_protocol_signed",
        [typeof(MemorandumSigned)] = "memorandum_signed",
        [typeof(ParliamentVoted)] = "parliament_voted",
        [typeof(RatificationApproved)] = "ratification_approved",
        [typeof(InstrumentDeposited)] = "instrument_deposited",
        [typeof(VetoDeclared)] = "veto_declared",
        [typeof(VetoLifted)] = "veto_lifted",
        [typeof(RatifierAdded)] = "ratifier_added",
        [typeof(AccessionCompleted)] = "accession_completed",
        [typeof(ApplicationWithdrawn)] = "application_withdrawn",
        [typeof(EntryRetracted)] = "entry_retracted",
        [typeof(OrganizationRegistered)] = "organization_registered",
        [typeof(MemberAdmitted)] = "member_admitted",
    };

    /// <summary>The stored name of <paramref name="event"/>'s type.</summary>
    public static string Of(object @event) =>
        All.TryGetValue(@event.GetType(), out var name)
            ? name
            : throw new ArgumentException($"{@event.GetType().Name} is not a ledger event.", nameof(@event));
}
