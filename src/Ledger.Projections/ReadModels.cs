using System.Text.Json.Serialization;

namespace RatificationLedger.Projections;

/// <summary>Where a process stands.</summary>
public enum Stage
{
    /// <summary>Nothing recorded yet (an as-of date before the process opened).</summary>
    NotOpened,

    /// <summary>Applied; not yet invited.</summary>
    Applied,

    /// <summary>Invited; the accession protocol not yet signed.</summary>
    Invited,

    /// <summary>Required ratifiers are ratifying.</summary>
    Ratifying,

    /// <summary>A veto or de facto hold is active.</summary>
    Blocked,

    /// <summary>Every required ratifier counts and no veto is active; the accession can complete.</summary>
    ReadyToAccede,

    /// <summary>The candidate acceded and is a member.</summary>
    Member,

    /// <summary>The application was withdrawn.</summary>
    Withdrawn,
}

/// <summary>A member and a date, with the unconfirmed flag of that date.</summary>
public sealed record MemberDate(string Member, DateOnly On, [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] bool Unconfirmed = false);

/// <summary>A treaty's entry into force: its rule (<c>on-completion</c>, <c>fixed-date</c>, <c>days-after-completion</c>), the computed date (null while it cannot be known) and one sentence why.</summary>
public sealed record EntryIntoForceView(string Rule, [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] DateOnly? Date, string Reason)
{
    /// <summary>The view of a computed answer.</summary>
    public static EntryIntoForceView Of(RatificationLedger.Domain.EntryIntoForceAnswer answer)
    {
        ArgumentNullException.ThrowIfNull(answer);
        return new(answer.Rule.Name, answer.Date, answer.Reason);
    }
}

/// <summary>A veto or de facto hold.</summary>
public sealed record VetoView(
    string Member,
    DateOnly Since,
    string Reason,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] bool Formal,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] bool Unconfirmed,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] DateOnly? EndedOn,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? EndedBy);

/// <summary>A memorandum signed during the process.</summary>
public sealed record MemorandumView(
    DateOnly On,
    string Title,
    IReadOnlyList<string> Parties,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Summary,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] bool Unconfirmed);

/// <summary>
/// The status of one process (document id = stream key). Kept inline for the present; the same shape answers
/// as-of and known-at questions (<see cref="LedgerQueries.StatusAsync"/>).
/// </summary>
public sealed class AccessionStatus
{
    /// <summary>The process, e.g. <c>nato/swe</c>.</summary>
    public string Id { get; set; } = "";

    /// <summary>The organization's code.</summary>
    public string Organization { get; set; } = "";

    /// <summary>The candidate's code.</summary>
    public string Candidate { get; set; } = "";

    /// <summary>Where the process stands.</summary>
    public Stage Stage { get; set; }

    /// <summary>The world date this status is for (null: as of the latest entry).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public DateOnly? AsOf { get; set; }

    /// <summary>The recording instant this status is for (null: everything recorded so far).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public DateTimeOffset? KnownAt { get; set; }

    /// <summary>Application date.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public DateOnly? AppliedOn { get; set; }

    /// <summary>Invitation date.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public DateOnly? InvitedOn { get; set; }

    /// <summary>Where the invitation was extended.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? InvitationVenue { get; set; }

    /// <summary>Accession protocol signature date.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public DateOnly? ProtocolSignedOn { get; set; }

    /// <summary>Accession date.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public DateOnly? AccededOn { get; set; }

    /// <summary>Withdrawal date.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public DateOnly? WithdrawnOn { get; set; }

    /// <summary>Required ratifiers and the date each became one.</summary>
    public List<MemberDate> RequiredRatifiers { get; set; } = [];

    /// <summary>National approvals of required ratifiers (approval date).</summary>
    public List<MemberDate> Ratified { get; set; } = [];

    /// <summary>Instruments deposited by required ratifiers.</summary>
    public List<MemberDate> Deposited { get; set; } = [];

    /// <summary>Required ratifiers whose ratification counts under the policy, with the date it counts from.</summary>
    public List<MemberDate> Counted { get; set; } = [];

    /// <summary>Required ratifiers whose ratification does not count yet.</summary>
    public List<string> Pending { get; set; } = [];

    /// <summary>
    /// Known unknowns: approvals implied by a deposit with no recorded approval. <see cref="MemberDate.On"/> is the
    /// deposit date: the approval happened by then, its exact date unknown.
    /// </summary>
    public List<MemberDate> ApprovalsImplied { get; set; } = [];

    /// <summary>
    /// Known unknowns: deposits implied by the accession (entry into force needs every instrument) where none is
    /// recorded. <see cref="MemberDate.On"/> is the accession date: deposited by then, the exact date unknown.
    /// </summary>
    public List<MemberDate> DepositsImplied { get; set; } = [];

    /// <summary>The treaty's name as recorded with its signature, or null.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Treaty { get; set; }

    /// <summary>The other states acceding by the same treaty.</summary>
    public List<string> CoCandidates { get; set; } = [];

    /// <summary>When the treaty enters into force, as far as the recorded steps tell, and why; null before the process opened.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public EntryIntoForceView? EntryIntoForce { get; set; }

    /// <summary>Vetoes and holds active at the as-of date.</summary>
    public List<VetoView> ActiveVetoes { get; set; } = [];

    /// <summary>Every veto and hold, ended or not.</summary>
    public List<VetoView> Vetoes { get; set; } = [];

    /// <summary>Memoranda signed.</summary>
    public List<MemorandumView> Memoranda { get; set; } = [];

    /// <summary>Entries folded (retracted ones included).</summary>
    public int Entries { get; set; }

    /// <summary>The latest stream version folded.</summary>
    public long Version { get; set; }
}

/// <summary>One national step of a member.</summary>
/// <param name="Type">vote, ratification, deposit, veto, hold, veto-lifted, ratifier-added.</param>
/// <param name="On">Its date.</param>
/// <param name="Detail">Chamber and votes, authority, depositary, or reason.</param>
/// <param name="Unconfirmed">True when no source states the exact date.</param>
/// <param name="Source">Its source citation.</param>
public sealed record RegisterStep(
    string Type,
    DateOnly On,
    string Detail,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] bool Unconfirmed,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Source);

/// <summary>Who ratified when: one required ratifier of one process.</summary>
public sealed class RegisterRow
{
    /// <summary>The member.</summary>
    public string Member { get; set; } = "";

    /// <summary>National approval date, or null.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public DateOnly? RatifiedOn { get; set; }

    /// <summary>Deposit date, or null.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public DateOnly? DepositedOn { get; set; }

    /// <summary>A known unknown: no approval is recorded but the deposit implies it happened by this date (the deposit's), exact date unknown.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public DateOnly? RatifiedBy { get; set; }

    /// <summary>A known unknown: no deposit is recorded but the accession implies it happened by this date (the accession's), exact date unknown.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public DateOnly? DepositedBy { get; set; }

    /// <summary>When the ratification counts from under the policy (later than the approval for a member that approved before it became a required ratifier).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public DateOnly? CountsFrom { get; set; }

    /// <summary>When the member became a required ratifier.</summary>
    public DateOnly RequiredSince { get; set; }

    /// <summary>True when the approval or deposit date is unconfirmed.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool Unconfirmed { get; set; }

    /// <summary>Days from the protocol signature to the approval.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? DaysFromSignature { get; set; }

    /// <summary>Every national step, by date.</summary>
    public List<RegisterStep> Steps { get; set; } = [];

    /// <summary>When the approval (or, lacking one, the latest step) was recorded.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public DateTimeOffset? RecordedAt { get; set; }

    /// <summary>Who recorded it.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? RecordedBy { get; set; }

    /// <summary>Its source.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Source { get; set; }
}

/// <summary>The ratification register of one process (document id = stream key).</summary>
public sealed class RatificationRegister
{
    /// <summary>The process.</summary>
    public string Id { get; set; } = "";

    /// <summary>Protocol signature date, from which days are counted.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public DateOnly? ProtocolSignedOn { get; set; }

    /// <summary>One row per required ratifier, in date order: by approval date (stated, else implied by a deposit or the accession), the members without one last, each day's by member code.</summary>
    public List<RegisterRow> Rows { get; set; } = [];
}

/// <summary>One entry as recorded.</summary>
/// <param name="Sequence">The entry's number in its process: 1, 2, 3... in recorded order (the stream version; what a retraction names).</param>
/// <param name="RecordedBy">Who recorded it, as the app claims.</param>
/// <param name="Role">
/// The database role that wrote it, as its link in the hash chain keeps it (the database's word, beside the app's claim in
/// <paramref name="RecordedBy"/>); null when unknown: see <paramref name="Chained"/>.
/// </param>
/// <param name="Chained">
/// Whether the entry has its link in the hash chain. Chained with no <paramref name="Role"/>: written before the chain
/// existed and chained on upgrade.
/// </param>
public sealed record AuditEntry(
    long Sequence,
    string Type,
    DateOnly On,
    string? Member,
    DateTimeOffset RecordedAt,
    string? RecordedBy,
    string? Source,
    string? Note,
    bool Unconfirmed,
    string? CommandId,
    string? CorrelationId,
    string? CausationId,
    bool Retracted,
    long? RetractedBy,
    string? Role = null,
    bool Chained = false)
{
    /// <summary>
    /// Who recorded the entry and which database role wrote it, in words: <c>alice (role ledger_app)</c>,
    /// <c>alice (role unknown: chained on upgrade)</c>, or <c>alice (role unknown: not chained)</c>.
    /// </summary>
    public string RecordedByAndRole => $"{RecordedBy ?? "unknown"} ({(Role is not null ? $"role {Role}" : Chained ? "role unknown: chained on upgrade" : "role unknown: not chained")})";
}

/// <summary>Every entry of a process as recorded, in recorded order, retracted ones marked (document id = stream key).</summary>
public sealed class AuditTrail
{
    /// <summary>The process.</summary>
    public string Id { get; set; } = "";

    /// <summary>The entries.</summary>
    public List<AuditEntry> Entries { get; set; } = [];
}

/// <summary>A member's ratification of one process.</summary>
public sealed record MemberRatification(
    string Process,
    string Candidate,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] DateOnly? ApprovedOn,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] DateOnly? DepositedOn,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? DaysFromSignature,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] bool Unconfirmed);

/// <summary>A veto or hold a member cast in one process.</summary>
public sealed record MemberVeto(
    string Process,
    string Candidate,
    DateOnly Since,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] DateOnly? EndedOn,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] bool Formal,
    string Reason);

/// <summary>One member state across processes (document id = member code); kept by an async projection.</summary>
public sealed class MemberRecord
{
    /// <summary>The member's code.</summary>
    public string Id { get; set; } = "";

    /// <summary>Its ratifications, by process.</summary>
    public List<MemberRatification> Ratifications { get; set; } = [];

    /// <summary>Its vetoes and holds.</summary>
    public List<MemberVeto> Vetoes { get; set; } = [];

    /// <summary>Mean days from protocol signature to approval over its approvals, or null.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? MeanDaysFromSignature { get; set; }
}
