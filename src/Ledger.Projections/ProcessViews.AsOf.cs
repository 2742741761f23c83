using RatificationLedger.Domain;
using RatificationLedger.Recording;

namespace RatificationLedger.Projections;

/// <summary>One answer of the as-of index: the status and register of a process as of every date from <see cref="ValidFrom"/> until the next answer's.</summary>
/// <param name="ValidFrom">The first date it answers for (<see cref="DateOnly.MinValue"/>: every date before the first dated entry).</param>
/// <param name="Status">The status (with <see cref="AccessionStatus.AsOf"/> and <see cref="AccessionStatus.KnownAt"/> unset).</param>
/// <param name="Register">The register.</param>
internal sealed record AsOfAnswer(DateOnly ValidFrom, AccessionStatus Status, RatificationRegister Register);

/// <summary>One row of the as-of index: an answer, and the instants between which the ledger gave it (<see cref="KnownTo"/> null: still).</summary>
internal sealed record AsOfRow(DateOnly ValidFrom, DateTimeOffset KnownFrom, DateTimeOffset? KnownTo, AccessionStatus Status, RatificationRegister Register);

public static partial class ProcessViews
{
    /// <summary>
    /// The answers of a process's status and register as of every date, as its <paramref name="entries"/> (every entry
    /// known) say: one per distinct effective date of an entry that is not a retraction (the fold as of a date changes
    /// only on such a date), plus one from <see cref="DateOnly.MinValue"/> for the days before the first of them; only
    /// those from <paramref name="from"/> on. Each equals <see cref="BuildStatus"/> / <see cref="BuildRegister"/> as of its
    /// date (and so as of every date until the next answer's): the same ordering (effective date, then entry number,
    /// retractions last whatever their date), the same <see cref="AccessionState.Evolve(AccessionState, long, object)"/>,
    /// folded once from the first entry to the last instead of once per date.
    /// </summary>
    internal static List<AsOfAnswer> AnswersFrom(string process, IReadOnlyList<RecordedEntry> entries, DateOnly from)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var plain = new List<RecordedEntry>(entries.Count);
        var retractions = new List<RecordedEntry>();
        var byEvent = new Dictionary<object, RecordedEntry>(entries.Count, ReferenceEqualityComparer.Instance);
        foreach (var e in entries)
        {
            (e.Event is EntryRetracted ? retractions : plain).Add(e);
            byEvent.TryAdd(e.Event, e);
        }
        plain.Sort(static (a, b) => a.On != b.On ? a.On.CompareTo(b.On) : a.Number.CompareTo(b.Number));
        retractions.Sort(static (a, b) => a.Number.CompareTo(b.Number));
        RecordedEntry? Of(object? e) => e is not null && byEvent.TryGetValue(e, out var r) ? r : null;
        bool Unconfirmed(object? e) => Of(e)?.Unconfirmed ?? false;

        var answers = new List<AsOfAnswer>();
        var state = AccessionState.Initial;
        void Answer(DateOnly on, int folded)
        {
            var s = state;
            foreach (var r in retractions)
            {
                s = AccessionState.Evolve(s, r.Number, r.Event);
            }
            answers.Add(new AsOfAnswer(on, Status(process, s, null, null, Unconfirmed, folded + retractions.Count), Register(process, s, Of)));
        }

        if (from == DateOnly.MinValue && (plain.Count == 0 || plain[0].On != DateOnly.MinValue))
        {
            Answer(DateOnly.MinValue, 0);
        }
        var i = 0;
        while (i < plain.Count)
        {
            var on = plain[i].On;
            for (; i < plain.Count && plain[i].On == on; i++)
            {
                state = AccessionState.Evolve(state, plain[i].Number, plain[i].Event);
            }
            if (on >= from)
            {
                Answer(on, i);
            }
        }
        return answers;
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
    internal static List<AsOfRow> AsOfHistory(string process, IReadOnlyList<RecordedEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var rows = new List<AsOfRow>();
        var known = new List<RecordedEntry>(entries.Count);
        var i = 0;
        while (i < entries.Count)
        {
            var at = entries[i].RecordedAt;
            var first = i;
            for (; i < entries.Count && entries[i].RecordedAt == at; i++)
            {
                known.Add(entries[i]);
            }
            var from = AsOfChangesFrom(entries.Skip(first).Take(i - first));
            for (var r = 0; r < rows.Count; r++)
            {
                if (rows[r].KnownTo is null && rows[r].ValidFrom >= from)
                {
                    rows[r] = rows[r] with { KnownTo = at };
                }
            }
            foreach (var answer in AnswersFrom(process, known, from))
            {
                rows.Add(new AsOfRow(answer.ValidFrom, at, null, answer.Status, answer.Register));
            }
        }
        return rows;
    }
}
