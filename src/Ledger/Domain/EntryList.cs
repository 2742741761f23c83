using System.Collections;
using System.Runtime.CompilerServices;

namespace RatificationLedger.Domain;

/// <summary>
/// The entries of a process in recorded order: an immutable list whose <see cref="Add"/> costs no copy and no node.
/// </summary>
/// <remarks>
/// A fold adds one entry per event to the list it was handed, so the lists of successive states share one array: a
/// list is that array and how many of its slots it sees. Adding to the newest list writes the next slot in place (the
/// slot is claimed with a compare-and-swap, so of two threads adding to the same list one writes it and the other
/// copies); adding to an older list (a branch, e.g. a decision retried on an earlier state) copies that list's slots into
/// a new array. A list never sees slots beyond its count, so no list observes another branch's entries.
/// <para>
/// Equality is identity, as for the <c>ImmutableList</c> this replaced: two lists are equal when they are the same
/// list (same storage, same count), not when their entries are equal.
/// </para>
/// </remarks>
[CollectionBuilder(typeof(EntryList), nameof(Create))]
internal readonly struct EntryList : IReadOnlyList<Entry>, IEquatable<EntryList>
{
    private const int FirstCapacity = 16;

    private readonly Storage? _storage;
    private readonly int _count;

    private EntryList(Storage storage, int count)
    {
        _storage = storage;
        _count = count;
    }

    /// <summary>The empty list (also <c>default</c>).</summary>
    public static EntryList Empty => default;

    /// <summary>The number of entries.</summary>
    public int Count => _count;

    /// <summary>The entry at <paramref name="index"/> (0 is the first recorded).</summary>
    public Entry this[int index]
    {
        get
        {
            if ((uint)index >= (uint)_count)
            {
                throw new ArgumentOutOfRangeException(nameof(index), index, $"The list has {_count} entries.");
            }
            return _storage!.Items[index];
        }
    }

    /// <summary>A list of <paramref name="entries"/> in order.</summary>
    public static EntryList Create(ReadOnlySpan<Entry> entries)
    {
        var list = Empty;
        foreach (var entry in entries)
        {
            list = list.Add(entry);
        }
        return list;
    }

    /// <summary>This list with <paramref name="entry"/> added at the end; this list is unchanged.</summary>
    public EntryList Add(Entry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var storage = _storage;
        var count = _count;
        if (storage is not null && count < storage.Items.Length && Interlocked.CompareExchange(ref storage.Used, count + 1, count) == count)
        {
            // The slot is this list's alone now: no list sees it until the one returned here is published.
            storage.Items[count] = entry;
            return new EntryList(storage, count + 1);
        }
        var items = new Entry[Math.Max(FirstCapacity, count * 2)];
        if (count > 0)
        {
            Array.Copy(storage!.Items, items, count);
        }
        items[count] = entry;
        return new EntryList(new Storage(items, count + 1), count + 1);
    }

    /// <summary>An enumerator over the entries in order.</summary>
    public Enumerator GetEnumerator() => new(this);

    IEnumerator<Entry> IEnumerable<Entry>.GetEnumerator() => GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>True when <paramref name="other"/> is the same list (same storage and count).</summary>
    public bool Equals(EntryList other) => ReferenceEquals(_storage, other._storage) && _count == other._count;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is EntryList other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(RuntimeHelpers.GetHashCode(_storage), _count);

    /// <summary>True when both are the same list.</summary>
    public static bool operator ==(EntryList left, EntryList right) => left.Equals(right);

    /// <summary>True unless both are the same list.</summary>
    public static bool operator !=(EntryList left, EntryList right) => !left.Equals(right);

    /// <summary>Enumerates the entries of a list in order without allocating.</summary>
    public struct Enumerator : IEnumerator<Entry>
    {
        private readonly Entry[]? _items;
        private readonly int _count;
        private int _index;

        internal Enumerator(EntryList list)
        {
            _items = list._storage?.Items;
            _count = list._count;
            _index = -1;
        }

        /// <summary>The entry at the current position.</summary>
        public readonly Entry Current => _items![_index];

        readonly object IEnumerator.Current => Current;

        /// <summary>Advances to the next entry; false at the end.</summary>
        public bool MoveNext()
        {
            if (_index < _count)
            {
                _index++;
            }
            return _index < _count;
        }

        /// <summary>Back to before the first entry.</summary>
        public void Reset() => _index = -1;

        /// <summary>Nothing to release.</summary>
        public readonly void Dispose()
        {
        }
    }

    // The array shared by the lists of one line of states, and how many of its slots are taken.
    private sealed class Storage(Entry[] items, int used)
    {
        public readonly Entry[] Items = items;
        public int Used = used;
    }
}
