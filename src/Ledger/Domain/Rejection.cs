using System.Diagnostics.CodeAnalysis;

namespace RatificationLedger.Domain;

/// <summary>Why the ledger refused to record a command. <see cref="Code"/> is stable; <see cref="Message"/> names the rule and the values.</summary>
public sealed record Rejection(string Code, string Message)
{
    /// <inheritdoc/>
    public override string ToString() => $"{Code}: {Message}";
}

/// <summary>The outcome of <c>Decide</c>: the events to record (none for a repeat), or a rejection.</summary>
public sealed record Decision
{
    private Decision(IReadOnlyList<object> events, Rejection? rejection) => (Events, Rejection) = (events, rejection);

    /// <summary>The events to append; empty when the command repeats what is already recorded or was rejected.</summary>
    public IReadOnlyList<object> Events { get; }

    /// <summary>Why nothing may be recorded, or null.</summary>
    public Rejection? Rejection { get; }

    /// <summary>True when the command was refused; <see cref="Rejection"/> then says why.</summary>
    [MemberNotNullWhen(true, nameof(Rejection))]
    public bool IsRejected => Rejection is not null;

    /// <summary>Record these events.</summary>
    public static Decision Record(params object[] events) => new(events, null);

    /// <summary>The command repeats a recorded fact: record nothing, refuse nothing.</summary>
    public static Decision AlreadyRecorded { get; } = new([], null);

    /// <summary>Refuse the command.</summary>
    public static Decision Reject(string code, string message) => new([], new Rejection(code, message));

    /// <inheritdoc/>
    public override string ToString() =>
        Rejection is not null ? $"Rejected {Rejection}" : $"Record [{string.Join(", ", Events)}]";
}

/// <summary>
/// The stable rejection codes, one per rule. Clients may switch on them. The prefix names the kind of rule
/// (<c>order</c>, <c>date</c>, <c>who</c>, <c>repeat</c>, <c>veto</c>, <c>retraction</c>, <c>input</c>, ...);
/// docs/rule-codes.md lists them with these descriptions.
/// </summary>
public static class RuleCodes
{
    /// <summary>The process id is not of the form <c>org/candidate</c> (an organization code, a slash, an ISO 3166-1 alpha-3 code, optionally a suffix for a later attempt).</summary>
    public const string ProcessIdMalformed = "process.id_malformed";
    /// <summary>The command names a candidate or organization other than the one its process id names.</summary>
    public const string ProcessIdMismatch = "process.id_mismatch";
    /// <summary>A step of a process that no application, invitation or treaty signature (naming the treaty) has opened.</summary>
    public const string ProcessNotOpen = "order.process_not_open";
    /// <summary>An application or invitation for a process that is already open.</summary>
    public const string ProcessAlreadyOpen = "order.process_already_open";
    /// <summary>A step after the process closed (accession or withdrawal); only retractions are accepted then.</summary>
    public const string ProcessClosed = "order.process_closed";
    /// <summary>The accession protocol is signed before any invitation is recorded.</summary>
    public const string InvitationMissing = "order.invitation_missing";
    /// <summary>A ratification step, or the accession, before the accession protocol is recorded as signed.</summary>
    public const string ProtocolMissing = "order.protocol_missing";
    /// <summary>The accession is recorded while a required ratifier's step that counts is missing.</summary>
    public const string AccessionIncomplete = "order.accession_incomplete";
    /// <summary>The accession is recorded while a member's veto or hold is active.</summary>
    public const string AccessionBlocked = "order.accession_blocked_by_veto";
    /// <summary>The accession is dated before the treaty's entry into force under its rule (a fixed date, days after completion), or the treaty does not enter into force.</summary>
    public const string BeforeEntryIntoForce = "order.before_entry_into_force";
    /// <summary>A step is dated before the step it depends on (a deposit before its approval, a ratification before the signature, ...).</summary>
    public const string DateBeforeDependency = "date.before_dependency";
    /// <summary>A step is dated after today anywhere on Earth (the clock the ledger is given).</summary>
    public const string DateInFuture = "date.in_future";
    /// <summary>A state code is not an ISO 3166-1 alpha-3 code.</summary>
    public const string InvalidCode = "who.invalid_code";
    /// <summary>The process belongs to an organization the ledger has not registered.</summary>
    public const string UnknownOrganization = "who.unknown_organization";
    /// <summary>A state that is not a member of the organization on that date ratifies, votes, deposits or vetoes.</summary>
    public const string NotAMember = "who.not_a_member";
    /// <summary>After the invitation, a member that is not a required ratifier of this process ratifies, votes, deposits or vetoes.</summary>
    public const string NotRequiredRatifier = "who.not_required_ratifier";
    /// <summary>The candidate vetoes its own accession, or ratifies, deposits or is named among its required ratifiers where the organization's candidates do not ratify (NATO).</summary>
    public const string CandidateOwnProtocol = "who.candidate_ratifies_own_protocol";
    /// <summary>The candidate of an application or invitation is already a member of the organization.</summary>
    public const string CandidateAlreadyMember = "who.candidate_already_member";
    /// <summary>A co-candidate of a joint treaty is already a member of the organization on the signature date, or is the candidate itself.</summary>
    public const string CoCandidateIsMember = "who.co_candidate_is_member";
    /// <summary>A fact already recorded is recorded again with different values (a second approval date for the same member, ...).</summary>
    public const string ConflictingRepeat = "repeat.conflicting_fact";
    /// <summary>A veto is lifted that is not active.</summary>
    public const string NoActiveVeto = "veto.none_active";
    /// <summary>A member vetoes or holds a protocol it has already approved.</summary>
    public const string VetoAfterApproval = "veto.after_approval";
    /// <summary>A retraction names an entry number the process does not have.</summary>
    public const string UnknownEntry = "retraction.unknown_entry";
    /// <summary>A retraction of an entry that cannot be retracted (a retraction, the entry that opened the process, the accession).</summary>
    public const string RetractionNotAllowed = "retraction.not_allowed";
    /// <summary>A retraction of an entry that a later entry depends on (retract that one first).</summary>
    public const string RetractionHasDependents = "retraction.has_dependents";
    /// <summary>A required field of the command is missing or empty.</summary>
    public const string MissingField = "input.missing_field";
    /// <summary>A text field is longer than the ledger accepts.</summary>
    public const string TextTooLong = "input.text_too_long";
    /// <summary>A text field holds control characters or is not valid Unicode.</summary>
    public const string InvalidText = "input.invalid_text";
    /// <summary>A number is out of range (a negative vote count, an entry number below 1, a member count that is not positive).</summary>
    public const string InvalidNumber = "input.invalid_number";
    /// <summary>An entry-into-force rule lacks what it needs or carries what it cannot use (a fixed date missing or not after the signature, days out of range).</summary>
    public const string InvalidEntryIntoForce = "input.invalid_entry_into_force";
    /// <summary>An organization is registered again with a different policy or roster than the one recorded.</summary>
    public const string OrganizationConflict = "organization.conflicting_definition";
}
