namespace Ledger.Domain;

// Commands: what a user asks the ledger to record about one process. They carry everything the
// decision needs except the clock and the organization, which come in a DecisionContext.

/// <summary>A request to record one step of the accession process <paramref name="Process"/>, dated <paramref name="On"/>.</summary>
/// <param name="Process">The process id, e.g. <c>nato/swe</c> (see <see cref="ProcessId"/>).</param>
/// <param name="On">When the step happened in the world.</param>
public abstract record AccessionCommand(string Process, DateOnly On);

/// <summary>Record the candidate's application. Opens the process.</summary>
public sealed record SubmitApplication(string Process, string Organization, string Candidate, DateOnly On)
    : AccessionCommand(Process, On);

/// <summary>
/// Record the invitation. <paramref name="RequiredRatifiers"/> defaults to the organization's members on
/// <paramref name="On"/>. Where no application exists, the invitation opens the process and
/// <paramref name="Organization"/> and <paramref name="Candidate"/> are required.
/// </summary>
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
public sealed record SignMemorandum(string Process, DateOnly On, string Title, IReadOnlyList<string> Parties, string? Summary = null)
    : AccessionCommand(Process, On);

/// <summary>Record a chamber vote on the protocol in a member's parliament.</summary>
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
public sealed record ApproveRatification(string Process, string Member, DateOnly On, string? Authority)
    : AccessionCommand(Process, On);

/// <summary>Record the deposit of a member's instrument of ratification. <paramref name="Depositary"/> defaults to the organization's.</summary>
public sealed record DepositInstrument(string Process, string Member, DateOnly On, string? Depositary = null)
    : AccessionCommand(Process, On);

/// <summary>Record a veto (formal) or a hold (de facto, <paramref name="Formal"/> false) by a member.</summary>
public sealed record DeclareVeto(string Process, string Member, DateOnly On, string Reason, bool Formal)
    : AccessionCommand(Process, On);

/// <summary>Record the end of a member's veto or hold.</summary>
public sealed record LiftVeto(string Process, string Member, DateOnly On, string Reason)
    : AccessionCommand(Process, On);

/// <summary>Record that a state became a required ratifier after the invitation.</summary>
public sealed record AddRatifier(string Process, string Member, DateOnly On, string Reason)
    : AccessionCommand(Process, On);

/// <summary>Record the candidate's accession.</summary>
public sealed record CompleteAccession(string Process, DateOnly On, int? MemberCount = null)
    : AccessionCommand(Process, On);

/// <summary>Record the candidate's withdrawal.</summary>
public sealed record WithdrawApplication(string Process, DateOnly On, string Reason)
    : AccessionCommand(Process, On);

/// <summary>Retract entry number <paramref name="Entry"/> of the process (a correction; nothing is deleted).</summary>
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
