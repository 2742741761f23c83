using System.Globalization;
using RatificationLedger.Domain;
using RatificationLedger.Recording;

namespace RatificationLedger.Projections;

/// <summary>
/// Builds a process's read models from its recorded entries with the write side's <see cref="AccessionState.Evolve(AccessionState, long, object)"/>,
/// on both time axes: <c>asOf</c> keeps entries dated up to that day in the world, <c>knownAt</c> keeps entries
/// recorded up to that instant. Entries fold by effective date, then recorded order; a retraction applies when it is
/// known at <c>knownAt</c>, whatever the as-of date (it corrects the record, not the world). Within a process the entry
/// number (stream version) is the recorded order.
/// </summary>
public static partial class ProcessViews
{
    /// <summary>The status, register and audit trail of <paramref name="process"/>.</summary>
    public static (AccessionStatus Status, RatificationRegister Register, AuditTrail Audit) Build(
        string process, IReadOnlyList<RecordedEntry> entries, DateOnly? asOf = null, DateTimeOffset? knownAt = null)
    {
        var (status, register) = BuildStored(process, entries, asOf, knownAt);
        return (status, register, BuildAudit(process, entries, knownAt));
    }

    // The views kept as documents (the audit trail is read from the stream itself: see BuildAudit).
    internal static (AccessionStatus Status, RatificationRegister Register) BuildStored(
        string process, IReadOnlyList<RecordedEntry> entries, DateOnly? asOf = null, DateTimeOffset? knownAt = null)
    {
        var fold = Fold(entries, asOf, knownAt);
        return (Status(process, fold.State, asOf, knownAt, fold.Unconfirmed, fold.Folded.Count), Register(process, fold.State, fold.Of));
    }

    /// <summary>
    /// The audit trail of <paramref name="process"/>: every entry recorded (up to <paramref name="knownAt"/>) in recorded
    /// order, with its metadata, retracted ones marked. It needs no fold: it is the stream as recorded, so it is built
    /// from the stream when asked rather than stored as a copy rewritten at every entry. <paramref name="roles"/>: the
    /// database role that wrote each entry, by entry number, as its chain link keeps it (null: chained on upgrade); an
    /// entry missing from it has no link (none at all when null).
    /// </summary>
    public static AuditTrail BuildAudit(string process, IReadOnlyList<RecordedEntry> entries, DateTimeOffset? knownAt = null, IReadOnlyDictionary<long, string?>? roles = null)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var known = entries.Where(e => knownAt is null || e.RecordedAt <= knownAt).ToList();
        var retractedBy = new Dictionary<long, long>();
        foreach (var e in known)
        {
            if (e.Event is EntryRetracted r)
            {
                retractedBy.TryAdd(r.Entry, e.Number);
            }
        }
        return new AuditTrail
        {
            Id = process,
            Entries = [.. known.OrderBy(e => e.Number).Select(e => new AuditEntry(
                e.Number, e.Type, e.On, e.Member, e.RecordedAt, e.RecordedBy, e.Source, e.Note, e.Unconfirmed,
                e.CommandId, e.CorrelationId, e.CausationId, retractedBy.ContainsKey(e.Number),
                retractedBy.TryGetValue(e.Number, out var by) ? by : null,
                roles is not null && roles.TryGetValue(e.Number, out var role) ? role : null,
                roles is not null && roles.ContainsKey(e.Number)))],
        };
    }

    /// <summary>The status of <paramref name="process"/> alone (what an as-of query needs).</summary>
    public static AccessionStatus BuildStatus(string process, IReadOnlyList<RecordedEntry> entries, DateOnly? asOf = null, DateTimeOffset? knownAt = null)
    {
        var fold = Fold(entries, asOf, knownAt);
        return Status(process, fold.State, asOf, knownAt, fold.Unconfirmed, fold.Folded.Count);
    }

    /// <summary>The register of <paramref name="process"/> alone.</summary>
    public static RatificationRegister BuildRegister(string process, IReadOnlyList<RecordedEntry> entries, DateOnly? asOf = null, DateTimeOffset? knownAt = null)
    {
        var fold = Fold(entries, asOf, knownAt);
        return Register(process, fold.State, fold.Of);
    }

    private sealed record Folding(AccessionState State, List<RecordedEntry> Folded, Dictionary<object, RecordedEntry> ByEvent)
    {
        public RecordedEntry? Of(object? e) => e is not null && ByEvent.TryGetValue(e, out var r) ? r : null;

        public bool Unconfirmed(object? e) => Of(e)?.Unconfirmed ?? false;
    }

    private static Folding Fold(IReadOnlyList<RecordedEntry> entries, DateOnly? asOf, DateTimeOffset? knownAt)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var folded = entries
            .Where(e => (knownAt is null || e.RecordedAt <= knownAt) && (asOf is null || e.On <= asOf || e.Event is EntryRetracted))
            .OrderBy(e => e.Event is EntryRetracted ? DateOnly.MaxValue : e.On)
            .ThenBy(e => e.Number)
            .ToList();
        var state = AccessionState.Initial;
        foreach (var entry in folded)
        {
            state = AccessionState.Evolve(state, entry.Number, entry.Event);
        }
        var byEvent = folded.ToDictionary(e => e.Event, ReferenceEqualityComparer.Instance);
        return new Folding(state, folded, byEvent);
    }

    // vetoUnconfirmed: whether each veto's declaration is unconfirmed, where the state holds no entries to find it in (a
    // state decoded from the as-of index: see StatusSnapshot); null: found among the state's entries.
    private static AccessionStatus Status(string process, AccessionState s, DateOnly? asOf, DateTimeOffset? knownAt, Func<object?, bool> unconfirmed, int folded,
        Func<Veto, bool>? vetoUnconfirmed = null)
    {
        ProcessId.TryParse(process, out var org, out var candidate);
        var counted = new List<MemberDate>(s.RequiredRatifiers.Count);
        foreach (var (member, on) in s.Counted())
        {
            counted.Add(new MemberDate(member, on));
        }
        counted.Sort(ByDateThenMember);
        var vetoes = s.Vetoes.Select(v => View(v, vetoUnconfirmed?.Invoke(v) ?? VetoUnconfirmed(v, s, unconfirmed))).ToList();
        // Each required ratifier's steps looked up once for the four lists that read them (a lookup per list and member
        // before: the views are built for every process an import's batch or a rebuild touches).
        List<MemberDate> ratified = [], deposited = [], approvalsImplied = [], depositsImplied = [];
        foreach (var member in s.RequiredRatifiers.Keys)
        {
            var steps = s.StepsOf(member);
            if (steps.Approval is { } approval)
            {
                ratified.Add(new MemberDate(member, approval.On, unconfirmed(approval)));
            }
            if (steps.Deposit is { } deposit)
            {
                deposited.Add(new MemberDate(member, deposit.On, unconfirmed(deposit)));
            }
            if (steps.ApprovalImpliedBy is { } impliedBy)
            {
                approvalsImplied.Add(new MemberDate(member, impliedBy, unconfirmed(steps.Deposit)));
            }
            if (DepositImpliedBy(s, steps) is { } depositBy)
            {
                depositsImplied.Add(new MemberDate(member, depositBy, unconfirmed(s.Accession)));
            }
        }
        ratified.Sort(ByDateThenMember);
        deposited.Sort(ByDateThenMember);
        approvalsImplied.Sort(ByDateThenMember);
        depositsImplied.Sort(static (a, b) => string.CompareOrdinal(a.Member, b.Member));
        return new AccessionStatus
        {
            Id = process,
            Organization = s.Organization ?? org,
            Candidate = s.Candidate ?? candidate,
            Stage = StageOf(s),
            AsOf = asOf,
            KnownAt = knownAt,
            AppliedOn = s.Application?.On,
            InvitedOn = s.Invitation?.On,
            InvitationVenue = s.Invitation?.Venue,
            ProtocolSignedOn = s.ProtocolSignedOn,
            AccededOn = s.Accession?.On,
            WithdrawnOn = s.Withdrawal?.On,
            RequiredRatifiers = [.. s.RequiredRatifiers.Select(r => new MemberDate(r.Key, r.Value))],
            Ratified = ratified,
            Deposited = deposited,
            Counted = counted,
            Pending = [.. s.Pending()],
            ApprovalsImplied = approvalsImplied,
            DepositsImplied = depositsImplied,
            Treaty = s.Signature?.Treaty,
            CoCandidates = [.. s.Signature?.CoCandidates ?? []],
            EntryIntoForce = s.Phase == ProcessPhase.NotOpened ? null : EntryIntoForceView.Of(EntryIntoForceAnswer.Of(s)),
            ActiveVetoes = [.. vetoes.Where(v => v.EndedOn is null)],
            Vetoes = vetoes,
            Memoranda = [.. s.Memoranda.Select(m => new MemorandumView(m.On, m.Title, m.Parties, m.Summary, unconfirmed(m)))],
            Entries = folded,
            Version = s.Version,
        };
    }

    private static int ByDateThenMember(MemberDate a, MemberDate b)
    {
        var byDate = a.On.CompareTo(b.On);
        return byDate != 0 ? byDate : string.CompareOrdinal(a.Member, b.Member);
    }

    private static VetoView View(Veto v, bool unconfirmed) => new(v.Member, v.Since, v.Reason, v.Formal, unconfirmed, v.EndedOn, v.EndedBy);

    // Whether the declaration of a veto is unconfirmed: the last one of the member on the veto's date among the entries
    // folded (retracted ones included).
    private static bool VetoUnconfirmed(Veto v, AccessionState s, Func<object?, bool> unconfirmed) =>
        unconfirmed(s.Entries.Select(e => e.Event).OfType<VetoDeclared>().LastOrDefault(d => d.Member == v.Member && d.On == v.Since));

    /// <summary>The stage of a state.</summary>
    public static Stage StageOf(AccessionState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        return state.Phase switch
        {
            ProcessPhase.NotOpened => Stage.NotOpened,
            ProcessPhase.Acceded => Stage.Member,
            ProcessPhase.Withdrawn => Stage.Withdrawn,
            _ when state.ActiveVetoes.Any() => Stage.Blocked,
            ProcessPhase.Applied => Stage.Applied,
            _ when state.ProtocolSignedOn is null && state.Steps.IsEmpty => Stage.Invited,
            _ when !state.Pending().Any() => Stage.ReadyToAccede,
            _ => Stage.Ratifying,
        };
    }

    private static RatificationRegister Register(string process, AccessionState s, Func<object?, RecordedEntry?> of)
    {
        var rows = new List<RegisterRow>(s.RequiredRatifiers.Count);
        var counted = s.Counted().ToDictionary(c => c.Member, c => c.On, StringComparer.Ordinal);
        // Each member's live (not retracted) events in recorded order, gathered in one pass over the entries.
        var byMember = new Dictionary<string, List<object>>(StringComparer.Ordinal);
        foreach (var entry in s.Entries)
        {
            if (MemberOf(entry.Event) is { } memberOf && !s.Retracted.Contains(entry.Number))
            {
                if (!byMember.TryGetValue(memberOf, out var list))
                {
                    byMember[memberOf] = list = [];
                }
                list.Add(entry.Event);
            }
        }
        foreach (var (member, since) in s.RequiredRatifiers)
        {
            var steps = s.StepsOf(member);
            var events = byMember.TryGetValue(member, out var own) ? own : [];
            var principal = of(steps.Approval) ?? (events.Count > 0 ? of(events[^1]) : null);
            rows.Add(new RegisterRow
            {
                Member = member,
                RatifiedOn = steps.Approval?.On,
                DepositedOn = steps.Deposit?.On,
                RatifiedBy = steps.ApprovalImpliedBy,
                DepositedBy = DepositImpliedBy(s, steps),
                CountsFrom = counted.TryGetValue(member, out var from) ? from : null,
                RequiredSince = since,
                Unconfirmed = (of(steps.Approval)?.Unconfirmed ?? false) || (of(steps.Deposit)?.Unconfirmed ?? false),
                DaysFromSignature = steps.Approval is { } a && s.ProtocolSignedOn is { } signed ? a.On.DayNumber - signed.DayNumber : null,
                Steps = Steps(events, of),
                RecordedAt = principal?.RecordedAt,
                RecordedBy = principal?.RecordedBy,
                Source = principal?.Source,
            });
        }
        // Who ratified when, in the order it happened: by approval date (stated, else implied), those without one last,
        // each day's by member code.
        rows.Sort(static (a, b) =>
        {
            var byDate = (a.RatifiedOn ?? a.RatifiedBy ?? DateOnly.MaxValue).CompareTo(b.RatifiedOn ?? b.RatifiedBy ?? DateOnly.MaxValue);
            return byDate != 0 ? byDate : string.CompareOrdinal(a.Member, b.Member);
        });
        return new RatificationRegister { Id = process, ProtocolSignedOn = s.ProtocolSignedOn, Rows = rows };
    }

    // A member's steps by date, those of one day in recorded order (a stable sort: each step goes after those of its
    // date or earlier; a member has a handful). Without LINQ's iterators and sort map: the register is built for every
    // process a batch of an import or a rebuild touches.
    private static List<RegisterStep> Steps(List<object> events, Func<object?, RecordedEntry?> of)
    {
        var steps = new List<RegisterStep>(events.Count);
        foreach (var e in events)
        {
            if (Step(e, of(e)) is { } step)
            {
                var at = steps.Count;
                while (at > 0 && steps[at - 1].On > step.On)
                {
                    at--;
                }
                steps.Insert(at, step);
            }
        }
        return steps;
    }

    // An accession implies every required ratifier's deposit (a treaty enters into force only once every instrument is
    // deposited): a deposit not recorded happened by the accession date, on a date the ledger does not know.
    private static DateOnly? DepositImpliedBy(AccessionState s, MemberSteps steps) =>
        s.Accession is { } accession && steps.Deposit is null ? accession.On : null;

    // A process's register is about its organization's members, not about admissions to the roster (another stream).
    private static string? MemberOf(object e) => e is MemberAdmitted ? null : Consequences.MemberOf(e);

    private static RegisterStep? Step(object e, RecordedEntry? entry)
    {
        var unconfirmed = entry?.Unconfirmed ?? false;
        var source = entry?.Source;
        return e switch
        {
            ParliamentVoted v => new RegisterStep("vote", v.On, Votes(v), unconfirmed, source),
            RatificationApproved r => new RegisterStep("ratification", r.On, r.Authority ?? "authority unknown", unconfirmed, source),
            InstrumentDeposited d => new RegisterStep("deposit", d.On, $"deposited with {d.Depositary}", unconfirmed, source),
            VetoDeclared v => new RegisterStep(v.Formal ? "veto" : "hold", v.On, v.Reason, unconfirmed, source),
            VetoLifted v => new RegisterStep("veto-lifted", v.On, v.Reason, unconfirmed, source),
            RatifierAdded r => new RegisterStep("ratifier-added", r.On, r.Reason, unconfirmed, source),
            _ => null,
        };
    }

    private static string Votes(ParliamentVoted v)
    {
        var counts = v.For is null && v.Against is null && v.Abstained is null
            ? ""
            : string.Create(CultureInfo.InvariantCulture, $" {v.For?.ToString(CultureInfo.InvariantCulture) ?? "?"}-{v.Against?.ToString(CultureInfo.InvariantCulture) ?? "?"}-{v.Abstained?.ToString(CultureInfo.InvariantCulture) ?? "?"}");
        return $"{v.Chamber}{counts}, {Consequences.Outcome(v)}";
    }
}
