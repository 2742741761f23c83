using System.Collections;
using RatificationLedger.Domain;
using RatificationLedger.Storage;

namespace RatificationLedger.Recording;

/// <summary>
/// The candidates of an organization's open processes, kept up to date while a transaction decides several commands,
/// and seen by each command without its own process (the decider's <see cref="DecisionContext.OpenCandidacies"/>).
/// </summary>
internal sealed class OpenCandidacies
{
    private readonly Dictionary<string, string> _open = new(StringComparer.Ordinal); // process -> candidate
    private readonly Dictionary<string, int> _count = new(StringComparer.Ordinal);   // candidate -> open processes

    public OpenCandidacies(IEnumerable<ProcessEntry> open)
    {
        foreach (var p in open)
        {
            Add(p.Id, p.Candidate);
        }
    }

    private OpenCandidacies(OpenCandidacies other)
    {
        _open = new Dictionary<string, string>(other._open, StringComparer.Ordinal);
        _count = new Dictionary<string, int>(other._count, StringComparer.Ordinal);
    }

    /// <summary>An independent copy (a batch decided on top of another gets its own).</summary>
    public OpenCandidacies Copy() => new(this);

    public void Update(string process, AccessionState state)
    {
        if (_open.Remove(process, out var candidate))
        {
            _count[candidate]--;
        }
        if (state.IsOpen && state.Candidate is { } c)
        {
            Add(process, c);
        }
    }

    private void Add(string process, string candidate)
    {
        _open[process] = candidate;
        _count[candidate] = _count.GetValueOrDefault(candidate) + 1;
    }

    /// <summary>The candidates of the open processes other than <paramref name="process"/>.</summary>
    public IReadOnlySet<string> Excluding(string process) =>
        new View(this, _open.TryGetValue(process, out var own) ? own : null);

    // A live view: Contains is what the decider asks; anything else works on a copy.
    private sealed class View(OpenCandidacies owner, string? own) : IReadOnlySet<string>
    {
        private HashSet<string>? _copy;

        private HashSet<string> Copy => _copy ??= [.. owner._count.Where(c => c.Value - (c.Key == own ? 1 : 0) > 0).Select(c => c.Key)];

        public bool Contains(string item) => owner._count.TryGetValue(item, out var n) && n - (item == own ? 1 : 0) > 0;

        public int Count => Copy.Count;

        public IEnumerator<string> GetEnumerator() => Copy.GetEnumerator();

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

        public bool IsProperSubsetOf(IEnumerable<string> other) => Copy.IsProperSubsetOf(other);

        public bool IsProperSupersetOf(IEnumerable<string> other) => Copy.IsProperSupersetOf(other);

        public bool IsSubsetOf(IEnumerable<string> other) => Copy.IsSubsetOf(other);

        public bool IsSupersetOf(IEnumerable<string> other) => Copy.IsSupersetOf(other);

        public bool Overlaps(IEnumerable<string> other) => Copy.Overlaps(other);

        public bool SetEquals(IEnumerable<string> other) => Copy.SetEquals(other);
    }
}

/// <summary>
/// Stands in for the open candidacies before they are read: empty, and remembers whether the decider asked. A decision
/// that did not ask does not depend on them; one that did is made again with the real set.
/// </summary>
internal sealed class UnreadCandidacies : IReadOnlySet<string>
{
    public bool Consulted { get; private set; }

    private bool Ask()
    {
        Consulted = true;
        return false;
    }

    public bool Contains(string item) => Ask();

    public int Count => Ask() ? 1 : 0;

    public IEnumerator<string> GetEnumerator()
    {
        Ask();
        return Enumerable.Empty<string>().GetEnumerator();
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public bool IsProperSubsetOf(IEnumerable<string> other) => Ask() || other.Any();

    public bool IsProperSupersetOf(IEnumerable<string> other) => Ask();

    public bool IsSubsetOf(IEnumerable<string> other) => !Ask();

    public bool IsSupersetOf(IEnumerable<string> other) => Ask() || !other.Any();

    public bool Overlaps(IEnumerable<string> other) => Ask();

    public bool SetEquals(IEnumerable<string> other) => Ask() || !other.Any();
}
