namespace Ledger.Domain;

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

    /// <summary>True when the command was refused.</summary>
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

/// <summary>The stable rejection codes, one per rule. Clients may switch on them.</summary>
public static class RuleCodes
{
#pragma warning disable CS1591 // each constant is named after its rule; the decider's messages explain them.
    public const string ProcessIdMalformed = "process.id_malformed";
    public const string ProcessIdMismatch = "process.id_mismatch";
    public const string ProcessNotOpen = "order.process_not_open";
    public const string ProcessAlreadyOpen = "order.process_already_open";
    public const string ProcessClosed = "order.process_closed";
    public const string InvitationMissing = "order.invitation_missing";
    public const string ProtocolMissing = "order.protocol_missing";
    public const string AccessionIncomplete = "order.accession_incomplete";
    public const string AccessionBlocked = "order.accession_blocked_by_veto";
    public const string BeforeEntryIntoForce = "order.before_entry_into_force";
    public const string DateBeforeDependency = "date.before_dependency";
    public const string DateInFuture = "date.in_future";
    public const string InvalidCode = "who.invalid_code";
    public const string UnknownOrganization = "who.unknown_organization";
    public const string NotAMember = "who.not_a_member";
    public const string NotRequiredRatifier = "who.not_required_ratifier";
    public const string CandidateOwnProtocol = "who.candidate_ratifies_own_protocol";
    public const string CandidateAlreadyMember = "who.candidate_already_member";
    public const string CoCandidateIsMember = "who.co_candidate_is_member";
    public const string ConflictingRepeat = "repeat.conflicting_fact";
    public const string NoActiveVeto = "veto.none_active";
    public const string VetoAfterApproval = "veto.after_approval";
    public const string UnknownEntry = "retraction.unknown_entry";
    public const string RetractionNotAllowed = "retraction.not_allowed";
    public const string RetractionHasDependents = "retraction.has_dependents";
    public const string MissingField = "input.missing_field";
    public const string TextTooLong = "input.text_too_long";
    public const string InvalidText = "input.invalid_text";
    public const string InvalidNumber = "input.invalid_number";
    public const string InvalidEntryIntoForce = "input.invalid_entry_into_force";
    public const string OrganizationConflict = "organization.conflicting_definition";
#pragma warning restore CS1591
}
