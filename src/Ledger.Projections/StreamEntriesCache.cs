using JasperFx.Events;
using RatificationLedger.Recording;
using RatificationLedger.Storage;
using Marten.Services.BatchQuerying;

namespace RatificationLedger.Projections;

/// <summary>
/// The recorded entries of recently projected process streams, so that a projection reads only what was stored after
/// its copy instead of the whole stream. Never trusted: each read fetches the stream from the cached last entry on and
/// checks that entry's event id; a mismatch (a rolled-back transaction, a reset store) means a full read. Entries are
/// immutable once stored, so a copy whose last entry is confirmed is the stream's prefix.
/// </summary>
internal sealed class StreamEntriesCache(int capacity)
{
    private readonly RecentStreams<Cached> _streams = new(capacity);

    internal sealed record Cached(IReadOnlyList<RecordedEntry> Entries, Guid LastEventId);

    public Read Enlist(IBatchedQuery batch, string stream)
    {
        if (_streams.TryGet(stream, out var cached) && cached.Entries.Count > 0)
        {
            return new Read(cached, batch.Events.FetchStream(stream, fromVersion: cached.Entries[^1].Number));
        }
        return EnlistFull(batch, stream);
    }

    public Read EnlistFull(IBatchedQuery batch, string stream) => new(null, batch.Events.FetchStream(stream));

    /// <summary>
    /// The cached entries of <paramref name="stream"/> when they end exactly at <paramref name="version"/> with the event
    /// <paramref name="lastEventId"/> (what the writing session read and appends after), so no read is needed.
    /// </summary>
    public bool TryConfirmed(string stream, long version, Guid lastEventId, out IReadOnlyList<RecordedEntry> entries)
    {
        if (version == 0)
        {
            // The stream did not exist when it was read: nothing is stored before the events being appended.
            entries = [];
            return true;
        }
        if (_streams.TryGet(stream, out var cached) && cached.Entries.Count > 0
            && cached.Entries[^1].Number == version && cached.LastEventId == lastEventId)
        {
            entries = cached.Entries;
            return true;
        }
        entries = [];
        return false;
    }

    public void Remember(string stream, List<RecordedEntry> entries, Guid lastEventId)
    {
        if (!_streams.Enabled || entries.Count == 0 || lastEventId == Guid.Empty)
        {
            _streams.Remove(stream);
            return;
        }
        _streams.Set(stream, new Cached(entries, lastEventId));
    }

    /// <summary>A stream read enlisted in a batch query.</summary>
    internal sealed class Read(Cached? cached, Task<IReadOnlyList<IEvent>> events)
    {
        /// <summary>The id of the last stored event read (valid after <see cref="ResolveAsync"/>).</summary>
        public Guid LastEventId { get; private set; }

        /// <summary>The stream's stored entries, or null when the cached copy is not the stream's prefix.</summary>
        public async Task<IReadOnlyList<RecordedEntry>?> ResolveAsync()
        {
            var stored = await events.ConfigureAwait(false);
            if (cached is null)
            {
                LastEventId = stored.Count > 0 ? stored[^1].Id : Guid.Empty;
                return [.. stored.Select(RecordedEntry.From)];
            }
            var last = cached.Entries[^1].Number;
            if (stored.Count == 0 || stored[0].Version != last || stored[0].Id != cached.LastEventId)
            {
                return null;
            }
            LastEventId = stored[^1].Id;
            if (stored.Count == 1)
            {
                return cached.Entries;
            }
            var entries = new List<RecordedEntry>(cached.Entries.Count + stored.Count - 1);
            entries.AddRange(cached.Entries);
            entries.AddRange(stored.Skip(1).Select(RecordedEntry.From));
            return entries;
        }
    }
}
