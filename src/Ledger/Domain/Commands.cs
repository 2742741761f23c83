namespace RatificationLedger.Domain;

// Commands: what a user asks the ledger to record about one process. They carry everything the
// decision needs except the clock and the organization, which come in a DecisionContext.

/// <summary>A request to record one step of the accession process <paramref name="Process"/>, dated <paramref name="On"/>.</summary>
/// <param name="Process">The process id, e.g. <c>nato/swe</c> (see <see cref="ProcessId"/>).</param>
/// <param name="On">When the step happened in the world.</param>
public abstract record AccessionCommand(string Process, DateOnly On);

/// <summary>Record the candidate's application. Opens the process.</summary>
/// <param name="Process">The process id, <c>{org}/{candidate}</c> in lower case, e.g. <c>nato/fin</c>; it must name the same organization and candidate as the next two.</param>
/// <param name="Organization">The organization's code, e.g. <c>NATO</c>; it must be registered (<c>RegisterOrganizationAsync</c>) first.</param>
/// <param name="Candidate">The applying state, an ISO 3166-1 alpha-3 code (<c>FIN</c>), not already a member.</param>
/// <param name="On">The date of the application; not after today.</param>
public sealed record SubmitApplication(string Process, string Organization, string Candidate, DateOnly On)
    : AccessionCommand(Process, On);

/// <summary>
/// Record the invitation. <paramref name="RequiredRatifiers"/> defaults to the organization's members on
/// <paramref name="On"/>. Where no application exists, the invitation opens the process and
/// <paramref name="Organization"/> and <paramref name="Candidate"/> are required.
/// </summary>
/// <param name="Process">The process id, e.g. <c>nato/fin</c>.</param>
/// <param name="On">The date of the invitation; not before the application.</param>
/// <param name="Venue">Where or by what the invitation was extended (a summit, a council decision).</param>
/// <param name="RequiredRatifiers">The states that must ratify (ISO alpha-3 codes, each a member on <paramref name="On"/>); default: every member that day.</param>
/// <param name="Organization">The organization's code; required when the invitation opens the process (no application recorded).</param>
/// <param name="Candidate">The invited state's code; required when the invitation opens the process.</param>
public sealed record ExtendInvitation(
    string Process,
    DateOnly On,
    string Venue,
    IReadOnlyList<string>? RequiredRatifiers = null,
    string? Organization = null,
    string? Candidate = null) : AccessionCommand(Process, On);

/// <summary>
/// Record the signature of the accession protocol or treaty. Where nothing is recorded yet, or only the application,
/// the signature fixes the required ratifiers: <paramref name="RequiredRatifiers"/> (default: the organization's
/// members on <paramref name="On"/>), the candidate where the organization's candidates ratify, and the
/// <paramref name="CoCandidates"/>.
/// </summary>
/// <param name="Process">The process id, e.g. <c>nato/fin</c>.</param>
/// <param name="On">The date of signature. Every ratification step (approval, deposit, vote) and the accession come
/// after it: where the organization ratifies an accession protocol (NATO), they are refused with
/// <c>order.protocol_missing</c> until the signature is recorded, and each is dated on or after it.</param>
/// <param name="Treaty">The treaty's name.</param>
/// <param name="CoCandidates">The other states acceding by the same treaty; each is a required ratifier of this process.</param>
/// <param name="RequiredRatifiers">The member states that ratify (only where the signature fixes the ratifiers).</param>
/// <param name="EntryIntoForce">The treaty's entry-into-force rule; default: the organization's.</param>
public sealed record SignAccessionProtocol(
    string Process,
    DateOnly On,
    string? Treaty = null,
    IReadOnlyList<string>? CoCandidates = null,
    IReadOnlyList<string>? RequiredRatifiers = null,
    EntryIntoForceRule? EntryIntoForce = null) : AccessionCommand(Process, On);

/// <summary>Record a memorandum or arrangement bearing on the process.</summary>
/// <param name="Process">The process id.</param>
/// <param name="On">The date of signature.</param>
/// <param name="Title">The memorandum's title, e.g. <c>Trilateral Memorandum</c>.</param>
/// <param name="Parties">The signatories (ISO alpha-3 codes).</param>
/// <param name="Summary">What it settles, in a sentence; optional.</param>
public sealed record SignMemorandum(string Process, DateOnly On, string Title, IReadOnlyList<string> Parties, string? Summary = null)
    : AccessionCommand(Process, On);

/// <summary>Record a chamber vote on the protocol in a member's parliament (a step on the way to approval; it does not count by itself).</summary>
/// <param name="Process">The process id.</param>
/// <param name="Member">The voting member state (a required ratifier); the protocol must be signed first.</param>
/// <param name="On">The date of the vote; on or after the protocol's signature.</param>
/// <param name="Chamber">The chamber, e.g. <c>Országgyűlés</c> or <c>Senate</c>.</param>
/// <param name="For">Votes for, where known (0 or more).</param>
/// <param name="Against">Votes against, where known.</param>
/// <param name="Abstained">Abstentions, where known.</param>
/// <param name="Passed">Whether the chamber passed the protocol.</param>
public sealed record RecordParliamentVote(
    string Process,
    string Member,
    DateOnly On,
    string Chamber,
    int? For,
    int? Against,
    int? Abstained,
    bool Passed) : AccessionCommand(Process, On);

/// <summary>Record the completion of a member's national approval of the protocol; <paramref name="Authority"/> null where unknown.</summary>
/// <param name="Process">The process id.</param>
/// <param name="Member">The approving state (ISO alpha-3), a required ratifier of the process (<c>who.not_required_ratifier</c> otherwise).</param>
/// <param name="On">The date the domestic procedure completed; on or after the protocol's signature, which must be
/// recorded first (<c>order.protocol_missing</c>). Where the organization counts at approval, the ratification counts from this date.</param>
/// <param name="Authority">Who approved: the parliament, the head of state; null where unknown.</param>
public sealed record ApproveRatification(string Process, string Member, DateOnly On, string? Authority)
    : AccessionCommand(Process, On);

/// <summary>Record the deposit of a member's instrument of ratification. <paramref name="Depositary"/> defaults to the organization's.</summary>
/// <param name="Process">The process id.</param>
/// <param name="Member">The depositing state, a required ratifier.</param>
/// <param name="On">The date of deposit; on or after the protocol's signature (recorded first) and the member's approval where one is recorded.</param>
/// <param name="Depositary">The state that received the instrument (ISO alpha-3); default the organization's depositary.</param>
public sealed record DepositInstrument(string Process, string Member, DateOnly On, string? Depositary = null)
    : AccessionCommand(Process, On);

/// <summary>Record a veto (formal) or a hold (de facto, <paramref name="Formal"/> false) by a member.</summary>
/// <param name="Process">The process id.</param>
/// <param name="Member">The member state blocking the accession; one that has already approved cannot veto (<c>veto.after_approval</c>).</param>
/// <param name="On">Since when.</param>
/// <param name="Reason">Why, as stated.</param>
/// <param name="Formal">True for a formal veto, false for a hold (a de facto delay).</param>
public sealed record DeclareVeto(string Process, string Member, DateOnly On, string Reason, bool Formal)
    : AccessionCommand(Process, On);

/// <summary>Record the end of a member's veto or hold.</summary>
/// <param name="Process">The process id.</param>
/// <param name="Member">The member whose active veto or hold ends (<c>veto.none_active</c> when it has none).</param>
/// <param name="On">The date it ended; not before the veto.</param>
/// <param name="Reason">Why, as stated, e.g. the memorandum that settled it.</param>
public sealed record LiftVeto(string Process, string Member, DateOnly On, string Reason)
    : AccessionCommand(Process, On);

/// <summary>Record that a state became a required ratifier after the invitation.</summary>
/// <param name="Process">The process id.</param>
/// <param name="Member">The state (a member of the organization on <paramref name="On"/>).</param>
/// <param name="On">From when it is a required ratifier.</param>
/// <param name="Reason">Why, e.g. its own accession.</param>
public sealed record AddRatifier(string Process, string Member, DateOnly On, string Reason)
    : AccessionCommand(Process, On);

/// <summary>Record the candidate's accession. Closes the process and admits the candidate to the organization's roster.</summary>
/// <param name="Process">The process id.</param>
/// <param name="On">The date of accession: after every required ratifier's counting step, with no veto in force, and not
/// before the treaty's entry into force under its rule.</param>
/// <param name="MemberCount">The organization's member count after the accession, where a source states it (kept with the entry; positive).</param>
public sealed record CompleteAccession(string Process, DateOnly On, int? MemberCount = null)
    : AccessionCommand(Process, On);

/// <summary>Record the candidate's withdrawal. Closes the process.</summary>
/// <param name="Process">The process id.</param>
/// <param name="On">The date of withdrawal.</param>
/// <param name="Reason">Why, as stated.</param>
public sealed record WithdrawApplication(string Process, DateOnly On, string Reason)
    : AccessionCommand(Process, On);

/// <summary>Retract entry number <paramref name="Entry"/> of the process (a correction; nothing is deleted).</summary>
/// <param name="Process">The process id.</param>
/// <param name="Entry">The entry's number in the process (1, 2, 3... as the audit trail shows it); no later live entry may depend on it.</param>
/// <param name="On">The date of the correction.</param>
/// <param name="Reason">Why the entry is wrong (required).</param>
public sealed record RetractEntry(string Process, long Entry, DateOnly On, string Reason)
    : AccessionCommand(Process, On);

/// <summary>What the decider needs besides the command and the state: the clock and the organization.</summary>
/// <param name="Now">The current instant. Nothing may be dated after today anywhere on Earth (UTC+14).</param>
/// <param name="Organization">The organization of the process, with its roster and policy.</param>
/// <param name="OpenCandidacies">Candidates of the organization's other open processes: they may approve early.</param>
public sealed record DecisionContext(DateTimeOffset Now, Organization Organization, IReadOnlySet<string> OpenCandidacies)
{
    /// <summary>The latest calendar date anywhere on Earth at <see cref="Now"/>.</summary>
    public DateOnly Today => Consequences.LatestDate(Now);
}
