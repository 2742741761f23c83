using System.Globalization;

namespace RatificationLedger.Domain;

/// <summary>
/// The accession rules as one pure function: <see cref="Decide(AccessionCommand, AccessionState, DecisionContext)"/> turns a command and the process state into
/// the events to record, nothing (a repeat), or a rejection that names the rule and the values. This part holds the
/// dispatch, the guards every rule shares and the wording of rejections; the rules are in partial files named after
/// what they decide (Opening, Ratifications, Vetoes, Completion, Retractions) and the field checks in Validation.
/// </summary>
public static partial class AccessionDecider
{
    /// <summary>Longest accepted short text (venue, chamber, authority, title, depositary).</summary>
    public const int ShortTextLimit = 500;

    /// <summary>Longest accepted free text (reason, summary).</summary>
    public const int LongTextLimit = 4000;

    /// <summary>Decides <paramref name="command"/> on <paramref name="state"/>. Pure: no clock, no I/O.</summary>
    public static Decision Decide(AccessionCommand command, AccessionState state, DecisionContext context)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(context);

        var process = command.Process;
        if (!ProcessId.TryParse(process, out var org, out var candidate))
        {
            return Decision.Reject(RuleCodes.ProcessIdMalformed,
                $"Process id '{process}' is malformed: expected '{{organization}}/{{candidate}}' in lower case, e.g. 'nato/swe' or 'nato/swe-2'.");
        }
        if (org != context.Organization.Code)
        {
            return Decision.Reject(RuleCodes.UnknownOrganization,
                $"{process}: the process belongs to organization {org}, but the ledger was asked to decide it under {context.Organization.Code}.");
        }
        if (!CountryCode.IsValid(candidate))
        {
            return Decision.Reject(RuleCodes.InvalidCode, $"{process}: candidate '{candidate}' in the process id is not an ISO 3166-1 alpha-3 code.");
        }
        if (command.On > context.Today)
        {
            return Decision.Reject(RuleCodes.DateInFuture,
                $"{process}: {Describe(command)} is dated {command.On:yyyy-MM-dd}, after today ({context.Today:yyyy-MM-dd}); nothing may be dated after the clock.");
        }
        if (Validate(command) is { } invalid)
        {
            return Decision.Reject(invalid.Code, $"{process}: {invalid.Message}");
        }

        var decision = command switch
        {
            SubmitApplication c => Decide(c, state, context),
            ExtendInvitation c => Decide(c, state, context),
            SignAccessionProtocol c => Decide(c, state, context),
            SignMemorandum c => Decide(c, state),
            RecordParliamentVote c => Decide(c, state, context),
            ApproveRatification c => Decide(c, state, context),
            DepositInstrument c => Decide(c, state, context),
            DeclareVeto c => Decide(c, state, context),
            LiftVeto c => Decide(c, state),
            AddRatifier c => Decide(c, state, context),
            CompleteAccession c => Decide(c, state, context),
            WithdrawApplication c => Decide(c, state),
            RetractEntry c => Decide(c, state, context),
            _ => throw new ArgumentException($"Unknown command {command.GetType().Name}.", nameof(command)),
        };
        return decision.Rejection is { } r && !r.Message.StartsWith(process + ":", StringComparison.Ordinal)
            ? Decision.Reject(r.Code, $"{process}: {r.Message}")
            : decision;
    }

    private static Decision? NotOpen(AccessionState s, AccessionCommand c) =>
        s.Phase == ProcessPhase.NotOpened
            ? Decision.Reject(RuleCodes.ProcessNotOpen, $"{Describe(c)} on {D(c.On)} cannot be recorded: the process has not been opened by an application or an invitation.")
            : null;

    private static Decision? Closed(AccessionState s, AccessionCommand c) => s.Phase switch
    {
        ProcessPhase.Acceded => Decision.Reject(RuleCodes.ProcessClosed,
            $"{Describe(c)} on {D(c.On)} cannot be recorded: the process closed with {s.Candidate}'s accession on {D(s.Accession!.On)}; only retractions are accepted."),
        ProcessPhase.Withdrawn => Decision.Reject(RuleCodes.ProcessClosed,
            $"{Describe(c)} on {D(c.On)} cannot be recorded: the process closed with the withdrawal on {D(s.Withdrawal!.On)}; only retractions are accepted."),
        _ => null,
    };

    private static Decision Conflict(string message) =>
        Decision.Reject(RuleCodes.ConflictingRepeat, message + "; retract the recorded entry first to correct it.");

    private static Decision Before(string step, string dependency) =>
        Decision.Reject(RuleCodes.DateBeforeDependency, $"{step} is dated before {dependency} it depends on.");

    private static string Describe(AccessionCommand c) => c switch
    {
        SubmitApplication => "the application",
        ExtendInvitation => "the invitation",
        SignAccessionProtocol => "the protocol signature",
        SignMemorandum m => $"the memorandum '{m.Title}'",
        RecordParliamentVote v => $"{v.Member}'s {v.Chamber} vote",
        ApproveRatification a => $"{a.Member}'s approval",
        DepositInstrument d => $"{d.Member}'s deposit",
        DeclareVeto v => $"{v.Member}'s {(v.Formal ? "veto" : "hold")}",
        LiftVeto l => $"the lifting of {l.Member}'s veto",
        AddRatifier r => $"adding {r.Member} as a required ratifier",
        CompleteAccession => "the accession",
        WithdrawApplication => "the withdrawal",
        RetractEntry r => $"the retraction of entry {r.Entry}",
        _ => c.GetType().Name,
    };

    private static string Members(int? count) => count is { } n ? $" ({n.ToString(CultureInfo.InvariantCulture)} members)" : "";

    private static string Kind(Veto v) => v.Formal ? "veto" : "hold";

    private static string Figures(ParliamentVoted v) =>
        $"{Consequences.Outcome(v)} {v.For?.ToString(CultureInfo.InvariantCulture) ?? "?"}-{v.Against?.ToString(CultureInfo.InvariantCulture) ?? "?"}-{v.Abstained?.ToString(CultureInfo.InvariantCulture) ?? "?"}";

    private static string D(DateOnly? date) => date?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) ?? "(no date)";
}
