using System.Collections.Immutable;

namespace RatificationLedger.Domain;

/// <summary>Where a process stands in its lifecycle, as the write side sees it.</summary>
public enum ProcessPhase
{
    /// <summary>Nothing recorded yet.</summary>
    NotOpened,

    /// <summary>Applied, not yet invited.</summary>
    Applied,

    /// <summary>Invited: required ratifiers fixed; protocol signature and ratification follow.</summary>
    Invited,

    /// <summary>Closed: the candidate became a member.</summary>
    Acceded,

    /// <summary>Closed: the candidate withdrew.</summary>
    Withdrawn,
}

/// <summary>Every national step of one state in one process.</summary>
public sealed record MemberSteps(string Member)
{
    /// <summary>Chamber votes, in recorded order.</summary>
    public ImmutableList<ParliamentVoted> Votes { get; init; } = [];

    /// <summary>The completed national approval, or null.</summary>
    public RatificationApproved? Approval { get; init; }

    /// <summary>The deposit with the depositary, or null.</summary>
    public InstrumentDeposited? Deposit { get; init; }

    /// <summary>
    /// The date from which this state's ratification counts under <paramref name="rule"/>, or null. Under approval
    /// counting a deposit with no recorded approval counts from the deposit: the approval is implied, its date unknown.
    /// </summary>
    public DateOnly? CountsFrom(RatificationCounts rule) =>
        rule == RatificationCounts.AtApproval ? Approval?.On ?? Deposit?.On : Deposit?.On;

    /// <summary>
    /// The deposit date when a deposit is recorded without an approval: the approval happened by then, on a date the
    /// ledger does not know. Null when the approval is recorded or nothing is.
    /// </summary>
    public DateOnly? ApprovalImpliedBy => Approval is null ? Deposit?.On : null;
}

/// <summary>A veto or hold by <see cref="Member"/> from <see cref="Since"/>; <see cref="EndedOn"/> is null while active.</summary>
public sealed record Veto(string Member, DateOnly Since, string Reason, bool Formal)
{
    /// <summary>When it ended, or null while active.</summary>
    public DateOnly? EndedOn { get; init; }

    /// <summary>How it ended: the lifting reason, or the member's ratification.</summary>
    public string? EndedBy { get; init; }
}

/// <summary>One recorded entry of the process stream: its number (stream version) and its event.</summary>
internal sealed record Entry(long Number, object Event);

/// <summary>
/// The state of one accession process: a pure fold of its events. The write side decides on it; the
/// read side derives status from it, so the two cannot disagree.
/// </summary>
public sealed record AccessionState
{
    /// <summary>The state before any event.</summary>
    public static AccessionState Initial { get; } = new();

    /// <summary>Organization code (upper case), once opened.</summary>
    public string? Organization { get; init; }

    /// <summary>Candidate (ISO alpha-3), once opened.</summary>
    public string? Candidate { get; init; }

    /// <summary>The counting rule the process opened under.</summary>
    public RatificationCounts CountsAt { get; init; }

    /// <summary>Lifecycle phase.</summary>
    public ProcessPhase Phase { get; init; }

    /// <summary>When the first (opening) entry is dated.</summary>
    public DateOnly? OpenedOn { get; init; }

    /// <summary>The application, or null when the process opened with an invitation.</summary>
    public ApplicationSubmitted? Application { get; init; }

    /// <summary>The invitation, or null.</summary>
    public InvitationExtended? Invitation { get; init; }

    /// <summary>Date of the protocol signature, or null.</summary>
    public DateOnly? ProtocolSignedOn { get; init; }

    /// <summary>The signature, with the treaty's name, co-candidates and entry-into-force rule, or null.</summary>
    public AccessionProtocolSigned? Signature { get; init; }

    /// <summary>When the required ratifiers were fixed: the invitation, or the treaty's signature where it fixed them; null before.</summary>
    public DateOnly? RatifiersFixedOn { get; init; }

    /// <summary>The treaty's entry-into-force rule as recorded with its signature (null: none recorded, on completion).</summary>
    public EntryIntoForceRule? EntryIntoForce => Signature?.EntryIntoForce;

    /// <summary>The accession, or null.</summary>
    public AccessionCompleted? Accession { get; init; }

    /// <summary>The withdrawal, or null.</summary>
    public ApplicationWithdrawn? Withdrawal { get; init; }

    /// <summary>The states whose ratification the protocol needs, with the date each became one.</summary>
    public ImmutableSortedDictionary<string, DateOnly> RequiredRatifiers { get; init; } =
        ImmutableSortedDictionary<string, DateOnly>.Empty.WithComparers(StringComparer.Ordinal);

    /// <summary>National steps of every state that took one, required or not yet required (early approvals).</summary>
    internal MemberStepsMap Steps { get; init; }

    /// <summary>Every veto and hold, active and ended, in recorded order.</summary>
    public ImmutableList<Veto> Vetoes { get; init; } = [];

    /// <summary>Memoranda, in recorded order.</summary>
    public ImmutableList<MemorandumSigned> Memoranda { get; init; } = [];

    /// <summary>Every entry in recorded order, retracted ones included.</summary>
    internal EntryList Entries { get; init; }

    /// <summary>Numbers of the retracted entries.</summary>
    public ImmutableSortedSet<long> Retracted { get; init; } = [];

    /// <summary>The number of the last entry folded (the stream version).</summary>
    public long Version { get; init; }

    /// <summary>True once opened and before accession or withdrawal.</summary>
    public bool IsOpen => Phase is ProcessPhase.Applied or ProcessPhase.Invited;

    /// <summary>True after accession or withdrawal.</summary>
    public bool IsClosed => Phase is ProcessPhase.Acceded or ProcessPhase.Withdrawn;

    /// <summary>Vetoes and holds in force.</summary>
    public IEnumerable<Veto> ActiveVetoes => Vetoes.Where(v => v.EndedOn is null);

    /// <summary>The active veto of <paramref name="member"/>, or null.</summary>
    public Veto? ActiveVetoOf(string member) => ActiveIn(Vetoes, member);

    /// <summary>The steps of <paramref name="member"/> (empty when none).</summary>
    public MemberSteps StepsOf(string member) => Steps.TryGetValue(member, out var s) ? s : new MemberSteps(member);

    /// <summary>Required ratifiers whose ratification counts, with the date it counts from.</summary>
    /// <remarks>
    /// A state that approved before it became a required ratifier (Finland approving Sweden's protocol while
    /// itself a candidate) counts from the later of the two dates.
    /// </remarks>
    public IEnumerable<(string Member, DateOnly On)> Counted()
    {
        // (An iterator rather than a query with `let`, which made an object per ratifier: the views and the as-of
        // index ask this of every state they render.)
        foreach (var r in RequiredRatifiers)
        {
            if (Consequences.CountsFrom(this, r.Key) is { } on)
            {
                yield return (r.Key, on);
            }
        }
    }

    /// <summary>Required ratifiers whose ratification does not count yet.</summary>
    public IEnumerable<string> Pending() =>
        RequiredRatifiers.Keys.Where(m => StepsOf(m).CountsFrom(CountsAt) is null);

    /// <summary>Folds one event recorded as the next entry.</summary>
    public static AccessionState Evolve(AccessionState state, object @event) => Evolve(state, state.Version + 1, @event);

    /// <summary>
    /// Folds the event recorded as entry <paramref name="number"/>. An <see cref="EntryRetracted"/> removes its
    /// target's effect by refolding the entries without it; an entry already known to be retracted has no effect.
    /// </summary>
    public static AccessionState Evolve(AccessionState state, long number, object @event)
    {
        var entries = state.Entries.Add(new Entry(number, @event));
        var version = Math.Max(state.Version, number);
        return @event switch
        {
            EntryRetracted r => Refold(entries, state.Retracted.Add(r.Entry), version),
            _ when state.Retracted.Contains(number) => state with { Entries = entries, Version = version },
            _ => Apply(state, entries, version, @event),
        };
    }

    /// <summary>Folds <paramref name="events"/> from <see cref="Initial"/>, numbering them 1, 2, 3...</summary>
    public static AccessionState Fold(IEnumerable<object> events) => events.Aggregate(Initial, Evolve);

    private static AccessionState Refold(EntryList entries, ImmutableSortedSet<long> retracted, long version)
    {
        var state = Initial with { Entries = entries, Retracted = retracted, Version = version };
        foreach (var e in entries)
        {
            if (e.Event is not EntryRetracted && !retracted.Contains(e.Number))
            {
                state = Apply(state, entries, version, e.Event);
            }
        }
        return state;
    }

    // The effect of one fact on the state, made in the one copy that also takes the new entries and version: the fold
    // runs for every recorded event, and a copy for the entries followed by one for the effect doubled its largest
    // allocation. Numbering and retraction are handled by Evolve.
    private static AccessionState Apply(AccessionState s, EntryList entries, long version, object @event) => @event switch
    {
        ApplicationSubmitted e => s with
        {
            Organization = e.Organization,
            Candidate = e.Candidate,
            CountsAt = e.CountsAt,
            Phase = ProcessPhase.Applied,
            OpenedOn = e.On,
            Application = e,
            Entries = entries,
            Version = version,
        },
        InvitationExtended e => s with
        {
            Organization = s.Organization ?? e.Organization,
            Candidate = s.Candidate ?? e.Candidate,
            CountsAt = s.Phase == ProcessPhase.NotOpened ? e.CountsAt ?? RatificationCounts.AtApproval : s.CountsAt,
            Phase = ProcessPhase.Invited,
            OpenedOn = s.OpenedOn ?? e.On,
            Invitation = e,
            RatifiersFixedOn = s.RatifiersFixedOn ?? e.On,
            RequiredRatifiers = Required(s.RequiredRatifiers, e.RequiredRatifiers, e.On),
            Entries = entries,
            Version = version,
        },
        AccessionProtocolSigned e => s with
        {
            Organization = s.Organization ?? e.Organization,
            Candidate = s.Candidate ?? e.Candidate,
            CountsAt = s.Phase == ProcessPhase.NotOpened ? e.CountsAt ?? RatificationCounts.AtApproval : s.CountsAt,
            Phase = s.Phase == ProcessPhase.NotOpened || (s.Phase == ProcessPhase.Applied && e.RequiredRatifiers is not null) ? ProcessPhase.Invited : s.Phase,
            OpenedOn = s.OpenedOn ?? e.On,
            ProtocolSignedOn = e.On,
            Signature = e,
            RatifiersFixedOn = s.RatifiersFixedOn ?? (e.RequiredRatifiers is not null ? e.On : null),
            RequiredRatifiers = e.RequiredRatifiers is { } added ? Required(s.RequiredRatifiers, added, e.On) : s.RequiredRatifiers,
            Entries = entries,
            Version = version,
        },
        MemorandumSigned e => s with { Memoranda = s.Memoranda.Add(e), Entries = entries, Version = version },
        ParliamentVoted e => s with
        {
            Steps = s.Steps.SetItem(e.Member, Voted(s.StepsOf(e.Member), e)),
            Entries = entries,
            Version = version,
        },
        RatificationApproved e => s with
        {
            Steps = s.Steps.SetItem(e.Member, s.StepsOf(e.Member) with { Approval = e }),
            // A member's approval ends its hold (the reason is only written when there is one to end).
            Vetoes = s.ActiveVetoOf(e.Member) is null ? s.Vetoes : EndVeto(s.Vetoes, e.Member, e.On, e.Authority is null ? "ratification approved" : $"ratification approved ({e.Authority})"),
            Entries = entries,
            Version = version,
        },
        InstrumentDeposited e => s with
        {
            Steps = s.Steps.SetItem(e.Member, s.StepsOf(e.Member) with { Deposit = e }),
            // A deposit with no recorded approval implies it, and so ends the member's hold as an approval would.
            Vetoes = s.ActiveVetoOf(e.Member) is null ? s.Vetoes : EndVeto(s.Vetoes, e.Member, e.On, "instrument of ratification deposited"),
            Entries = entries,
            Version = version,
        },
        VetoDeclared e => s with { Vetoes = s.Vetoes.Add(new Veto(e.Member, e.On, e.Reason, e.Formal)), Entries = entries, Version = version },
        VetoLifted e => s with { Vetoes = EndVeto(s.Vetoes, e.Member, e.On, e.Reason), Entries = entries, Version = version },
        RatifierAdded e => s with
        {
            RequiredRatifiers = s.RequiredRatifiers.ContainsKey(e.Member) ? s.RequiredRatifiers : s.RequiredRatifiers.Add(e.Member, e.On),
            Entries = entries,
            Version = version,
        },
        AccessionCompleted e => s with { Phase = ProcessPhase.Acceded, Accession = e, Entries = entries, Version = version },
        ApplicationWithdrawn e => s with { Phase = ProcessPhase.Withdrawn, Withdrawal = e, Entries = entries, Version = version },
        _ => s with { Entries = entries, Version = version },
    };

    // SetItems with a builder: SetItems copies a path of the tree per ratifier, the builder changes its own nodes in place.
    private static ImmutableSortedDictionary<string, DateOnly> Required(ImmutableSortedDictionary<string, DateOnly> required, IReadOnlyList<string> members, DateOnly since)
    {
        ArgumentNullException.ThrowIfNull(members);
        var builder = required.ToBuilder();
        foreach (var member in members)
        {
            builder[member] = since;
        }
        return builder.ToImmutable();
    }

    private static MemberSteps Voted(MemberSteps m, ParliamentVoted e) => m with { Votes = m.Votes.Add(e) };

    private static Veto? ActiveIn(ImmutableList<Veto> vetoes, string member)
    {
        Veto? active = null;
        foreach (var v in vetoes)
        {
            if (v.EndedOn is null && v.Member == member)
            {
                active = v;
            }
        }
        return active;
    }

    // The vetoes with the member's active one ended (unchanged when none is active).
    private static ImmutableList<Veto> EndVeto(ImmutableList<Veto> vetoes, string member, DateOnly on, string reason) =>
        ActiveIn(vetoes, member) is { } active ? vetoes.Replace(active, active with { EndedOn = on, EndedBy = reason }) : vetoes;
}
