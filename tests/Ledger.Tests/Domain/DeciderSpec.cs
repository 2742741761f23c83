using System.Text.Json;
using RatificationLedger.Domain;

namespace RatificationLedger.Tests.Domain;

/// <summary>
/// Given/when/then for the accession decider: events in, a command, events out (or a rejection, or nothing).
/// Defaults: NATO with its real roster, the fixed clock <see cref="Nato.Now"/>, no other open candidacy.
/// </summary>
public sealed class DeciderSpec
{
    private readonly IReadOnlyList<object> _given;
    private readonly Organization _organization;
    private readonly DateTimeOffset _now;
    private readonly IReadOnlySet<string> _openCandidacies;

    private DeciderSpec(IReadOnlyList<object> given, Organization organization, DateTimeOffset now, IReadOnlySet<string> openCandidacies) =>
        (_given, _organization, _now, _openCandidacies) = (given, organization, now, openCandidacies);

    /// <summary>The process so far: these events recorded as entries 1, 2, 3...</summary>
    public static DeciderSpec Given(params object[] events) =>
        new(events, Nato.Organization, Nato.Now, new HashSet<string>(StringComparer.Ordinal));

    /// <summary>Decide under another organization (or NATO with another policy).</summary>
    public DeciderSpec Under(Organization organization) => new(_given, organization, _now, _openCandidacies);

    /// <summary>Decide at another instant.</summary>
    public DeciderSpec At(DateTimeOffset now) => new(_given, _organization, now, _openCandidacies);

    /// <summary>Candidates of other open processes of the organization (they may approve early).</summary>
    public DeciderSpec WhileCandidates(params string[] candidates) =>
        new(_given, _organization, _now, new HashSet<string>(candidates, StringComparer.Ordinal));

    /// <summary>The same setting with <paramref name="events"/> recorded after the given ones.</summary>
    public DeciderSpec And(IEnumerable<object> events) => new([.. _given, .. events], _organization, _now, _openCandidacies);

    public Outcome When(AccessionCommand command)
    {
        var state = AccessionState.Fold(_given);
        var context = new DecisionContext(_now, _organization, _openCandidacies);
        return new Outcome(this, command, state, AccessionDecider.Decide(command, state, context));
    }
}

/// <summary>What the decider made of one command.</summary>
public sealed class Outcome(DeciderSpec spec, AccessionCommand command, AccessionState before, Decision decision)
{
    /// <summary>The setting with this outcome's events recorded: the "given" of the next step.</summary>
    public DeciderSpec Recorded => spec.And(Decision.Events);

    public AccessionCommand Command { get; } = command;

    public AccessionState Before { get; } = before;

    public Decision Decision { get; } = decision;

    /// <summary>The state with the decided events folded in.</summary>
    public AccessionState After => Decision.Events.Aggregate(Before, AccessionState.Evolve);

    /// <summary>The command was accepted and records exactly <paramref name="expected"/> (compared by stored name and stored JSON).</summary>
    public Outcome Then(params object[] expected)
    {
        Decision.Rejection.Should().BeNull($"{Command} should be accepted");
        expected.Should().NotBeEmpty("use ThenNothing() for a repeat");
        Decision.Events.Select(Stored).Should().Equal(expected.Select(Stored), $"{Command} should record exactly these events");
        return this;
    }

    /// <summary>The command was refused with <paramref name="code"/>; the message names the process and every value in <paramref name="naming"/>.</summary>
    public Rejection ThenRejected(string code, params string[] naming)
    {
        Decision.Rejection.Should().NotBeNull($"{Command} should be refused with {code}, but it recorded [{string.Join(", ", Decision.Events)}]");
        var rejection = Decision.Rejection!;
        rejection.Code.Should().Be(code, $"the rejection was: {rejection.Message}");
        Decision.Events.Should().BeEmpty("a rejected command records nothing");
        rejection.Message.Should().StartWith(Command.Process + ":", "every message names the process");
        foreach (var value in naming)
        {
            rejection.Message.Should().Contain(value, $"the message should name {value}");
        }
        return rejection;
    }

    /// <summary>The command repeats a recorded fact: nothing is recorded and nothing refused.</summary>
    public Outcome ThenNothing()
    {
        Decision.Rejection.Should().BeNull($"{Command} repeats a recorded fact and should not be refused");
        Decision.Events.Should().BeEmpty($"{Command} repeats a recorded fact");
        return this;
    }

    /// <summary>The command was accepted (recorded something or nothing); for cases that assert on <see cref="After"/>.</summary>
    public Outcome ThenAccepted()
    {
        Decision.Rejection.Should().BeNull($"{Command} should be accepted");
        return this;
    }

    private static string Stored(object @event) =>
        $"{StoredEventNames.Of(@event)} {JsonSerializer.Serialize(@event, @event.GetType(), LedgerJson.Options)}";
}

/// <summary>Marks a test as the refused case of a rule (see <c>RuleCoverageTests</c>).</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true)]
public sealed class RefusesAttribute(string code) : Attribute
{
    public string Code { get; } = code;
}

/// <summary>Marks a test as an accepted case of a rule: the boundary or situation the rule lets through.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true)]
public sealed class AcceptsAttribute(string code) : Attribute
{
    public string Code { get; } = code;
}
