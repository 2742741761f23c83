using System.Globalization;
using System.Text.Json.Serialization;

namespace RatificationLedger.Domain;

/// <summary>How an accession treaty's entry into force is dated.</summary>
public enum EntryIntoForceKind
{
    /// <summary>In force once every required ratification counts (NATO's protocols): the accession may follow from then.</summary>
    OnCompletion,

    /// <summary>In force on a fixed date provided every required ratification counts before it (the EU's accession treaties).</summary>
    FixedDate,

    /// <summary>In force a number of days after the last required ratification counts.</summary>
    DaysAfterCompletion,
}

/// <summary>What happens under <see cref="EntryIntoForceKind.FixedDate"/> when the last ratification counts on or after the date.</summary>
public enum EntryIntoForceOtherwise
{
    /// <summary>In force on the first day of the month after the last ratification counts.</summary>
    FirstDayOfNextMonth,
}

/// <summary>A treaty's entry-into-force rule.</summary>
/// <param name="Rule">Which rule.</param>
/// <param name="Date">The fixed date (<see cref="EntryIntoForceKind.FixedDate"/> only).</param>
/// <param name="Days">Days after completion (<see cref="EntryIntoForceKind.DaysAfterCompletion"/> only).</param>
/// <param name="Otherwise">What applies when the fixed date is missed; null: the treaty does not enter into force.</param>
public sealed record EntryIntoForceRule(
    EntryIntoForceKind Rule,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] DateOnly? Date = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? Days = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] EntryIntoForceOtherwise? Otherwise = null)
{
    /// <summary>The rule where none is given: in force on completion.</summary>
    public static EntryIntoForceRule OnCompletion { get; } = new(EntryIntoForceKind.OnCompletion);

    /// <summary>The longest accepted <see cref="Days"/> (a century).</summary>
    public const int MaxDays = 36_525;

    /// <summary>The rule's name as the history file writes it: <c>on-completion</c>, <c>fixed-date</c>, <c>days-after-completion</c>.</summary>
    [JsonIgnore]
    public string Name => Rule switch
    {
        EntryIntoForceKind.FixedDate => "fixed-date",
        EntryIntoForceKind.DaysAfterCompletion => "days-after-completion",
        _ => "on-completion",
    };

    /// <summary>Checks that the rule carries what it needs and nothing it cannot use; null when it is sound.</summary>
    /// <param name="signedOn">The treaty's signature date, when known: a fixed date must follow it.</param>
    public Rejection? Check(DateOnly? signedOn = null) => Rule switch
    {
        EntryIntoForceKind.FixedDate when Date is null =>
            new Rejection(RuleCodes.InvalidEntryIntoForce, "entry into force 'fixed-date' needs its date."),
        EntryIntoForceKind.FixedDate when signedOn is { } signed && Date <= signed =>
            new Rejection(RuleCodes.InvalidEntryIntoForce, $"entry into force on the fixed date {D(Date)} is not after the treaty's signature on {D(signed)}."),
        EntryIntoForceKind.FixedDate when Days is not null =>
            new Rejection(RuleCodes.InvalidEntryIntoForce, "entry into force 'fixed-date' takes a date, not days."),
        EntryIntoForceKind.DaysAfterCompletion when Days is null =>
            new Rejection(RuleCodes.InvalidEntryIntoForce, "entry into force 'days-after-completion' needs its number of days."),
        EntryIntoForceKind.DaysAfterCompletion when Days is < 0 or > MaxDays =>
            new Rejection(RuleCodes.InvalidEntryIntoForce, $"entry into force {Days} days after completion: the days must be 0 to {MaxDays}."),
        not EntryIntoForceKind.FixedDate when Date is not null =>
            new Rejection(RuleCodes.InvalidEntryIntoForce, $"entry into force '{Name}' takes no date ({D(Date)} given); only 'fixed-date' does."),
        EntryIntoForceKind.OnCompletion when Days is not null =>
            new Rejection(RuleCodes.InvalidEntryIntoForce, "entry into force 'on-completion' takes no days."),
        not EntryIntoForceKind.FixedDate when Otherwise is not null =>
            new Rejection(RuleCodes.InvalidEntryIntoForce, $"entry into force '{Name}' takes no 'otherwise'; only 'fixed-date' does."),
        _ => null,
    };

    private static string D(DateOnly? d) => d?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) ?? "";
}

/// <summary>When a process's treaty enters (or entered) into force, as far as the recorded steps tell, and why.</summary>
/// <param name="Rule">The rule that applies.</param>
/// <param name="Date">The computed date, or null while it cannot be known (ratifications pending, or a fixed date missed).</param>
/// <param name="Reason">One sentence saying why.</param>
public sealed record EntryIntoForceAnswer(EntryIntoForceRule Rule, DateOnly? Date, string Reason)
{
    /// <summary>
    /// Computes the entry into force of <paramref name="state"/>'s treaty from its recorded steps: only steps that count
    /// (recorded, never implied) complete it.
    /// </summary>
    public static EntryIntoForceAnswer Of(AccessionState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var rule = state.EntryIntoForce ?? EntryIntoForceRule.OnCompletion;
        var total = state.RequiredRatifiers.Count;
        var deposit = state.CountsAt == RatificationCounts.AtDeposit;
        var noun = deposit ? "instruments" : "ratifications";
        var pending = state.Pending().ToArray();
        if (total == 0)
        {
            return new(rule, null, "no required ratifiers are fixed yet (no invitation or treaty signature is recorded).");
        }
        if (pending.Length > 0)
        {
            var waiting = $"{pending.Length} of {total} required {noun} {(deposit ? "not yet deposited" : "not yet counted")} ({List(pending)})";
            return rule.Rule switch
            {
                EntryIntoForceKind.FixedDate => new(rule, null, $"{waiting}; in force on the fixed date {D(rule.Date)} provided all are {(deposit ? "deposited" : "counted")} before it."),
                EntryIntoForceKind.DaysAfterCompletion => new(rule, null, $"{waiting}; in force {rule.Days} days after the last."),
                _ => new(rule, null, $"{waiting}; in force once the last counts."),
            };
        }
        var (last, lastOn) = state.Counted().OrderBy(c => c.On).ThenBy(c => c.Member, StringComparer.Ordinal).Last();
        var all = $"all {total} {noun} {(deposit ? "deposited" : "counted")} by {D(lastOn)} (the last: {last})";
        switch (rule.Rule)
        {
            case EntryIntoForceKind.FixedDate when lastOn < rule.Date!.Value:
                return new(rule, rule.Date, $"{all}; in force on the fixed date {D(rule.Date)}.");
            case EntryIntoForceKind.FixedDate when rule.Otherwise == EntryIntoForceOtherwise.FirstDayOfNextMonth:
                var next = new DateOnly(lastOn.Year, lastOn.Month, 1).AddMonths(1);
                return new(rule, next, $"{all}, not before the fixed date {D(rule.Date)}; in force on the first day of the next month, {D(next)}.");
            case EntryIntoForceKind.FixedDate:
                return new(rule, null, $"{all}, not before the fixed date {D(rule.Date)}; the treaty does not enter into force under its rule.");
            case EntryIntoForceKind.DaysAfterCompletion:
                var after = lastOn.AddDays(rule.Days!.Value);
                return new(rule, after, $"{all}; in force {rule.Days} days later, on {D(after)}.");
            default:
                return new(rule, lastOn, $"{all}; in force on completion, {D(lastOn)}.");
        }
    }

    private static string List(string[] members) =>
        members.Length <= 6 ? string.Join(", ", members) : $"{string.Join(", ", members.Take(5))} and {members.Length - 5} more";

    private static string D(DateOnly? d) => d?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) ?? "";
}
