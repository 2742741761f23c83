using RatificationLedger.Domain;
using RatificationLedger.Recording;

namespace RatificationLedger.Projections;

/// <summary>One answer of the as-of index: the status of a process as of every date from <see cref="ValidFrom"/> until the next answer's.</summary>
/// <param name="ValidFrom">The first date it answers for (<see cref="DateOnly.MinValue"/>: every date before the first dated entry).</param>
/// <param name="Status">What the status is rendered from (<see cref="StatusSnapshot"/>).</param>
internal sealed record AsOfAnswer(DateOnly ValidFrom, byte[] Status);

/// <summary>One row of the as-of index: an answer, and the instants between which the ledger gave it (<see cref="KnownTo"/> null: still).</summary>
internal sealed record AsOfRow(DateOnly ValidFrom, DateTimeOffset KnownFrom, DateTimeOffset? KnownTo, byte[] Status);

public static partial class ProcessViews
{
    /// <summary>The status of <paramref name="process"/> from one answer of the as-of index (see <see cref="StatusSnapshot"/>).</summary>
    internal static AccessionStatus StatusOf(string process, ReadOnlySpan<byte> snapshot, DateOnly? asOf, DateTimeOffset? knownAt)
    {
        var d = StatusSnapshot.Decode(snapshot);
        return Status(process, d.State, asOf, knownAt, d.Unconfirmed, d.Folded, d.VetoUnconfirmed);
    }

    /// <summary>
    /// The answers of a process's status as of every date, as its <paramref name="entries"/> (every entry known) say:
    /// one per distinct effective date of an entry that is not a retraction (the fold as of a date changes only on such
    /// a date), plus one from <see cref="DateOnly.MinValue"/> for the days before the first of them; only those from
    /// <paramref name="from"/> on. Each is what <see cref="BuildStatus"/> as of its date renders (and so as of every date
    /// until the next answer's), folded once from the first entry to the last instead of once per date: the entries in
    /// the fold's order (effective date, then entry number), those retracted by any of the entries left out (the fold
    /// applies retractions last, whatever their date, and a retraction refolds without its target), the entries
    /// counted and the version taken over every entry the fold as of that date sees (retractions and retracted ones
    /// included).
    /// </summary>
    internal static List<AsOfAnswer> AnswersFrom(string process, IReadOnlyList<RecordedEntry> entries, DateOnly from) =>
        FoldAnswers(entries, from).Answers;

    /// <summary>
    /// The stored views of <paramref name="process"/> (as <see cref="BuildStored"/> builds them) and its as-of answers
    /// from <paramref name="from"/> on (as <see cref="AnswersFrom"/> gives them), from one fold where the two folds are
    /// the same: with no retraction among the entries, the views' fold (every entry in effective-date, then entry-number
    /// order) is the answers' fold, and its last state is the views' state. With a retraction (applied last by the
    /// views' fold, left out of the answers') each is folded on its own.
    /// </summary>
    internal static (AccessionStatus Status, RatificationRegister Register, List<AsOfAnswer> Answers) BuildStoredWithAnswers(
        string process, IReadOnlyList<RecordedEntry> entries, DateOnly from)
    {
        ArgumentNullException.ThrowIfNull(entries);
        foreach (var e in entries)
        {
            if (e.Event is EntryRetracted)
            {
                var (status, register) = BuildStored(process, entries);
                return (status, register, AnswersFrom(process, entries, from));
            }
        }
        var fold = FoldAnswers(entries, from);
        var (foldStatus, foldRegister) = ViewsOf(process, fold);
        return (foldStatus, foldRegister, fold.Answers);
    }

    // The stored views from an answers' fold of every entry (none of them a retraction): its last state is the views'.
    private static (AccessionStatus Status, RatificationRegister Register) ViewsOf(string process, AnswerFold fold)
    {
        var folding = new Folding(fold.State, fold.Plain, fold.ByEvent);
        return (Status(process, folding.State, null, null, folding.Unconfirmed, folding.Folded.Count), Register(process, folding.State, folding.Of));
    }

    private static AnswerFold FoldAnswers(IReadOnlyList<RecordedEntry> entries, DateOnly from)
    {
        var fold = new AnswerFold(entries);
        fold.FoldFrom(0, from);
        return fold;
    }

    /// <summary>
    /// The as-of answers' fold of one process (see <see cref="AnswersFrom"/>), kept between transactions by
    /// <see cref="AsOfHistory"/>: a transaction that retracts nothing and adds entries dated on or after every entry
    /// folded so far continues it (its entries come last in the fold's order) instead of folding the process again.
    /// </summary>
    private sealed class AnswerFold
    {
        // The fold's order: effective date, then entry number.
        private static readonly Comparer<RecordedEntry> FoldOrder = Comparer<RecordedEntry>.Create(static (a, b) =>
        {
            var (x, y) = (a.On, b.On);
            return x != y ? x.CompareTo(y) : a.Number.CompareTo(b.Number);
        });

        // Sorts entries[start..] into the fold's order; most streams are recorded in it already (one pass says so).
        private static void Sort(List<RecordedEntry> entries, int start)
        {
            for (var i = start + 1; i < entries.Count; i++)
            {
                if (FoldOrder.Compare(entries[i - 1], entries[i]) > 0)
                {
                    entries.Sort(start, entries.Count - start, FoldOrder);
                    return;
                }
            }
        }

        private readonly HashSet<long> _retracted = [];
        private readonly Dictionary<(string Member, DateOnly On), bool> _declared = [];
        private readonly StatusSnapshot.Ratifiers _ratifiers;
        private readonly Func<object?, bool> _unconfirmed;
        private readonly Func<Veto, bool> _vetoUnconfirmed;
        private readonly int _retractions;
        private long _version;

        public AnswerFold(IReadOnlyList<RecordedEntry> entries)
        {
            ArgumentNullException.ThrowIfNull(entries);
            Plain = new List<RecordedEntry>(entries.Count);
            ByEvent = new Dictionary<object, RecordedEntry>(entries.Count, ReferenceEqualityComparer.Instance);
            foreach (var e in entries)
            {
                if (e.Event is EntryRetracted r)
                {
                    _retracted.Add(r.Entry);
                    _retractions++;
                    _version = Math.Max(_version, e.Number);
                }
                else
                {
                    Plain.Add(e);
                }
                ByEvent.TryAdd(e.Event, e);
            }
            Sort(Plain, 0);
            _unconfirmed = e => e is not null && ByEvent.TryGetValue(e, out var r) && r.Unconfirmed;
            // The declaration a veto's view reads: the last of the member on the veto's date in the fold's order,
            // retracted ones included (ProcessViews.VetoUnconfirmed over the state's entries).
            _vetoUnconfirmed = v => _declared.TryGetValue((v.Member, v.Since), out var u) && u;
            _ratifiers = new StatusSnapshot.Ratifiers(_unconfirmed);
        }

        /// <summary>The entries that are not retractions, in the fold's order (those folded so far).</summary>
        public List<RecordedEntry> Plain { get; }

        /// <summary>Every entry by its event.</summary>
        public Dictionary<object, RecordedEntry> ByEvent { get; }

        /// <summary>The state after every entry folded.</summary>
        public AccessionState State { get; private set; } = AccessionState.Initial;

        /// <summary>The answers of the last fold or continuation.</summary>
        public List<AsOfAnswer> Answers { get; private set; } = [];

        /// <summary>
        /// Continues the fold with <paramref name="added"/> (entries recorded after every entry folded) when they retract
        /// nothing and none is dated before the last entry folded; the answers from <paramref name="from"/> on are then
        /// <see cref="Answers"/>. False: nothing changed, fold again.
        /// </summary>
        public bool TryContinue(IReadOnlyList<RecordedEntry> added, DateOnly from)
        {
            var last = Plain.Count > 0 ? Plain[^1].On : DateOnly.MinValue;
            foreach (var e in added)
            {
                if (e.Event is EntryRetracted || e.On < last)
                {
                    return false;
                }
            }
            var start = Plain.Count;
            foreach (var e in added)
            {
                Plain.Add(e);
                ByEvent.TryAdd(e.Event, e);
            }
            Sort(Plain, start);
            FoldFrom(start, from);
            return true;
        }

        /// <summary>Folds <see cref="Plain"/> from index <paramref name="start"/> on, an answer at the end of each date from <paramref name="from"/> on.</summary>
        public void FoldFrom(int start, DateOnly from)
        {
            var answers = new List<AsOfAnswer>();
            var plain = Plain;
            if (start == 0 && from == DateOnly.MinValue && (plain.Count == 0 || plain[0].On != DateOnly.MinValue))
            {
                answers.Add(new AsOfAnswer(DateOnly.MinValue, StatusSnapshot.Encode(State, _unconfirmed, _vetoUnconfirmed, _retractions, _version, _ratifiers)));
            }
            var i = start;
            var state = State;
            while (i < plain.Count)
            {
                var on = plain[i].On;
                for (; i < plain.Count && plain[i].On == on; i++)
                {
                    var e = plain[i];
                    _version = Math.Max(_version, e.Number);
                    if (e.Event is VetoDeclared d)
                    {
                        _declared[(d.Member, d.On)] = e.Unconfirmed;
                    }
                    if (!_retracted.Contains(e.Number))
                    {
                        state = AccessionState.Evolve(state, e.Number, e.Event);
                        _ratifiers.Folded(state, e.Event);
                    }
                }
                if (on >= from)
                {
                    answers.Add(new AsOfAnswer(on, StatusSnapshot.Encode(state, _unconfirmed, _vetoUnconfirmed, i + _retractions, _version, _ratifiers)));
                }
            }
            State = state;
            Answers = answers;
        }
    }

    /// <summary>
    /// Where a transaction that records <paramref name="added"/> (entries of one process, after the ones stored) changes
    /// the as-of answers: from <see cref="DateOnly.MinValue"/> when it starts the stream or retracts an entry (a
    /// retraction can change the fold as of any date), otherwise from the earliest effective date it adds (the answers
    /// for earlier dates fold none of them).
    /// </summary>
    internal static DateOnly AsOfChangesFrom(IEnumerable<RecordedEntry> added)
    {
        var from = DateOnly.MaxValue;
        foreach (var e in added)
        {
            if (e.Number == 1 || e.Event is EntryRetracted)
            {
                return DateOnly.MinValue;
            }
            if (e.On < from)
            {
                from = e.On;
            }
        }
        return from;
    }

    /// <summary>
    /// The whole as-of index of one process from its entries (every entry, in recorded order): the rows its live
    /// maintenance writes, transaction after transaction (the entries recorded at one instant are one transaction's),
    /// with the entries' recorded-at instants as the instants the answers became known and stopped being the ledger's.
    /// What an upgrade and a rebuild write.
    /// </summary>
    internal static List<AsOfRow> AsOfHistory(string process, IReadOnlyList<RecordedEntry> entries) => HistoryFolds(process, entries, out _);

    /// <summary>
    /// <see cref="AsOfHistory(string, IReadOnlyList{RecordedEntry})"/> with the stored views (<see cref="BuildStored"/>),
    /// from one fold where the two are the same (see <see cref="BuildStoredWithAnswers"/>): what a rebuild writes of one
    /// process.
    /// </summary>
    internal static (List<AsOfRow> History, AccessionStatus Status, RatificationRegister Register) AsOfHistoryWithViews(string process, IReadOnlyList<RecordedEntry> entries)
    {
        var history = HistoryFolds(process, entries, out var last);
        var (status, register) = last is null || entries.Any(e => e.Event is EntryRetracted) ? BuildStored(process, entries) : ViewsOf(process, last);
        return (history, status, register);
    }

    // The last fold: of every entry, once the last transaction's are in (null for no entries).
    private static List<AsOfRow> HistoryFolds(string process, IReadOnlyList<RecordedEntry> entries, out AnswerFold? last)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var rows = new List<AsOfRow>();
        var known = new List<RecordedEntry>(entries.Count);
        AnswerFold? fold = null;
        var i = 0;
        while (i < entries.Count)
        {
            var at = entries[i].RecordedAt;
            var first = i;
            for (; i < entries.Count && entries[i].RecordedAt == at; i++)
            {
                known.Add(entries[i]);
            }
            var added = known.GetRange(first, i - first);
            var from = AsOfChangesFrom(added);
            for (var r = 0; r < rows.Count; r++)
            {
                if (rows[r].KnownTo is null && rows[r].ValidFrom >= from)
                {
                    rows[r] = rows[r] with { KnownTo = at };
                }
            }
            // A process recorded entry by entry (commands) would otherwise be folded once per transaction, from its
            // first entry: the fold continues where the last transaction's ended when it can (see AnswerFold).
            if (fold is null || !fold.TryContinue(added, from))
            {
                fold = FoldAnswers(known, from);
            }
            foreach (var answer in fold.Answers)
            {
                rows.Add(new AsOfRow(answer.ValidFrom, at, null, answer.Status));
            }
        }
        last = fold;
        return rows;
    }
}
