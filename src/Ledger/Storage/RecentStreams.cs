using System.Collections.Concurrent;

namespace RatificationLedger.Storage;

/// <summary>
/// A bounded map from stream key to what a cache keeps of the stream, dropping the least recently used tenth when full
/// (a dropped stream costs one full read later). Shared by the write side's state cache and the projections' entries
/// cache; neither trusts what it keeps (each checks it against the database), so this only decides what is kept.
/// </summary>
internal sealed class RecentStreams<T>(int capacity) where T : class
{
    private readonly ConcurrentDictionary<string, Slot> _streams = new(StringComparer.Ordinal);
    private long _clock;

    private sealed class Slot(T value, long touched)
    {
        public T Value { get; } = value;

        // When the stream was last used (a counter, not a time).
        public long Touched = touched;
    }

    /// <summary>False when the capacity is zero or less: nothing is kept.</summary>
    public bool Enabled => capacity > 0;

    /// <summary>What is kept of <paramref name="stream"/>, marked as just used.</summary>
    public bool TryGet(string stream, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out T? value)
    {
        if (capacity > 0 && _streams.TryGetValue(stream, out var slot))
        {
            slot.Touched = Interlocked.Increment(ref _clock);
            value = slot.Value;
            return true;
        }
        value = null;
        return false;
    }

    /// <summary>Keeps <paramref name="value"/> for <paramref name="stream"/>, making room if needed.</summary>
    public void Set(string stream, T value)
    {
        if (capacity <= 0)
        {
            return;
        }
        // A stream already kept first (the usual case): ConcurrentDictionary's Count takes every lock of the map.
        if (!_streams.ContainsKey(stream) && _streams.Count >= capacity)
        {
            // ConcurrentDictionary's own ToArray is one snapshot under its locks. Through LINQ, OrderBy took its Count,
            // then copied: a stream removed in between by another thread left an empty pair at the end (an exception).
            foreach (var key in _streams.ToArray().OrderBy(s => s.Value.Touched).Take(Math.Max(1, capacity / 10)).Select(s => s.Key).ToArray())
            {
                _streams.TryRemove(key, out _);
            }
        }
        _streams[stream] = new Slot(value, Interlocked.Increment(ref _clock));
    }

    /// <summary>Forgets <paramref name="stream"/>.</summary>
    public void Remove(string stream) => _streams.TryRemove(stream, out _);
}
