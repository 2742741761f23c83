using System.Collections;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace RatificationLedger.Domain;

/// <summary>
/// The national steps of a process by member, in ordinal order of the member codes: an immutable map whose
/// <see cref="SetItem"/> allocates one small record of the change instead of a path of tree nodes.
/// </summary>
/// <remarks>
/// The fold changes one member's steps per national event, always on the map it was just handed, so the maps of
/// successive states share one store: each member's changes, newest first, each stamped with its place in the line of
/// changes, and a map is that store and how many changes it sees. Changing the newest map claims the next stamp with a
/// compare-and-swap (of two threads changing the same map one extends the store, the other copies); changing an older
/// map (a branch) copies what that map sees into a new store. A map never sees a change stamped at or after its own
/// count, so no map observes another branch's changes.
/// <para>
/// Equality is identity, as for the <c>ImmutableSortedDictionary</c> this replaced: two maps are equal when they are the
/// same map (same store, same count of changes), not when their steps are equal.
/// </para>
/// </remarks>
internal readonly struct MemberStepsMap : IReadOnlyDictionary<string, MemberSteps>, IEquatable<MemberStepsMap>
{
    private readonly Store? _store;
    private readonly int _stamp;
    private readonly int _count;

    private MemberStepsMap(Store store, int stamp, int count)
    {
        _store = store;
        _stamp = stamp;
        _count = count;
    }

    /// <summary>The empty map (also <c>default</c>).</summary>
    public static MemberStepsMap Empty => default;

    /// <summary>The number of members with steps.</summary>
    public int Count => _count;

    /// <summary>True when no member has taken a step.</summary>
    public bool IsEmpty => _count == 0;

    /// <summary>The members with steps, in ordinal order.</summary>
    public IEnumerable<string> Keys => this.Select(p => p.Key);

    /// <summary>The steps, in ordinal order of their members.</summary>
    public IEnumerable<MemberSteps> Values => this.Select(p => p.Value);

    /// <summary>The steps of <paramref name="key"/>.</summary>
    /// <exception cref="KeyNotFoundException">The member has no steps.</exception>
    public MemberSteps this[string key] =>
        TryGetValue(key, out var steps) ? steps : throw new KeyNotFoundException($"{key} has no steps.");

    /// <summary>True when <paramref name="key"/> has steps.</summary>
    public bool ContainsKey(string key) => TryGetValue(key, out _);

    /// <summary>The steps of <paramref name="key"/>, if it has any.</summary>
    public bool TryGetValue(string key, [MaybeNullWhen(false)] out MemberSteps value)
    {
        ArgumentNullException.ThrowIfNull(key);
        value = _store?.Find(key)?.StepsBefore(_stamp);
        return value is not null;
    }

    /// <summary>This map with <paramref name="key"/>'s steps set to <paramref name="value"/>; this map is unchanged.</summary>
    public MemberStepsMap SetItem(string key, MemberSteps value)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        var (store, stamp) = (_store, _stamp);
        if (store is null || Interlocked.CompareExchange(ref store.Used, stamp + 1, stamp) != stamp)
        {
            // A branch (or the first step): a store of its own, holding what this map sees as change 0.
            store = Copy();
            stamp = 1;
            store.Used = 2;
        }
        // Stamp `stamp` is this call's alone: only the map returned here sees it, and nothing else writes the store
        // until that map is changed in turn.
        var count = _count;
        if (store.Find(key) is { } member)
        {
            Volatile.Write(ref member.Latest, new Change(stamp, value, member.Latest));
        }
        else
        {
            store.Insert(new Member(key, new Change(stamp, value, null)));
            count++;
        }
        return new MemberStepsMap(store, stamp + 1, count);
    }

    /// <summary>An enumerator over the members and their steps in ordinal order of the members.</summary>
    public Enumerator GetEnumerator() => new(this);

    IEnumerator<KeyValuePair<string, MemberSteps>> IEnumerable<KeyValuePair<string, MemberSteps>>.GetEnumerator() => GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>True when <paramref name="other"/> is the same map (same store and count of changes).</summary>
    public bool Equals(MemberStepsMap other) => ReferenceEquals(_store, other._store) && _stamp == other._stamp;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is MemberStepsMap other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(RuntimeHelpers.GetHashCode(_store), _stamp);

    /// <summary>True when both are the same map.</summary>
    public static bool operator ==(MemberStepsMap left, MemberStepsMap right) => left.Equals(right);

    /// <summary>True unless both are the same map.</summary>
    public static bool operator !=(MemberStepsMap left, MemberStepsMap right) => !left.Equals(right);

    private Store Copy()
    {
        var store = new Store();
        if (_count > 0)
        {
            var members = new Member[_count];
            var i = 0;
            foreach (var (key, steps) in this)
            {
                members[i++] = new Member(key, new Change(0, steps, null));
            }
            store.Members = members;
        }
        return store;
    }

    /// <summary>Enumerates the members and their steps in ordinal order of the members without allocating.</summary>
    public struct Enumerator : IEnumerator<KeyValuePair<string, MemberSteps>>
    {
        private readonly Member[] _members;
        private readonly int _stamp;
        private int _index;
        private KeyValuePair<string, MemberSteps> _current;

        internal Enumerator(MemberStepsMap map)
        {
            _members = map._store is { } store ? Volatile.Read(ref store.Members) : [];
            _stamp = map._stamp;
            _index = -1;
            _current = default;
        }

        /// <summary>The member and its steps at the current position.</summary>
        public readonly KeyValuePair<string, MemberSteps> Current => _current;

        readonly object IEnumerator.Current => Current;

        /// <summary>Advances to the next member with steps; false at the end.</summary>
        public bool MoveNext()
        {
            // The store may hold members that a later map added: they have no change this map sees.
            while (++_index < _members.Length)
            {
                if (_members[_index].StepsBefore(_stamp) is { } steps)
                {
                    _current = KeyValuePair.Create(_members[_index].Key, steps);
                    return true;
                }
            }
            _index = _members.Length;
            _current = default;
            return false;
        }

        /// <summary>Back to before the first member.</summary>
        public void Reset()
        {
            _index = -1;
            _current = default;
        }

        /// <summary>Nothing to release.</summary>
        public readonly void Dispose()
        {
        }
    }

    // The changes of one line of maps. Members is replaced (never changed in place) when a member is added, so a reader
    // holding an older array still finds every member it sees.
    private sealed class Store
    {
        public int Used;
        public Member[] Members = [];

        public Member? Find(string key)
        {
            var members = Volatile.Read(ref Members);
            int lo = 0, hi = members.Length - 1;
            while (lo <= hi)
            {
                var mid = lo + ((hi - lo) >> 1);
                var order = string.CompareOrdinal(members[mid].Key, key);
                if (order == 0)
                {
                    return members[mid];
                }
                if (order < 0)
                {
                    lo = mid + 1;
                }
                else
                {
                    hi = mid - 1;
                }
            }
            return null;
        }

        public void Insert(Member member)
        {
            var members = Members;
            var at = 0;
            while (at < members.Length && string.CompareOrdinal(members[at].Key, member.Key) < 0)
            {
                at++;
            }
            var grown = new Member[members.Length + 1];
            Array.Copy(members, grown, at);
            grown[at] = member;
            Array.Copy(members, at, grown, at + 1, members.Length - at);
            Volatile.Write(ref Members, grown);
        }
    }

    // One member's changes, newest first.
    private sealed class Member(string key, Change first)
    {
        public string Key { get; } = key;

        public Change? Latest = first;

        // The steps as a map that sees changes stamped below `stamp` has them, or null when it sees none.
        public MemberSteps? StepsBefore(int stamp)
        {
            for (var change = Volatile.Read(ref Latest); change is not null; change = change.Previous)
            {
                if (change.Stamp < stamp)
                {
                    return change.Steps;
                }
            }
            return null;
        }
    }

    private sealed class Change(int stamp, MemberSteps steps, Change? previous)
    {
        public int Stamp { get; } = stamp;

        public MemberSteps Steps { get; } = steps;

        public Change? Previous { get; } = previous;
    }
}
