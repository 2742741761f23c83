using JasperFx.Events;
using RatificationLedger.Domain;
using RatificationLedger.Observability;
using RatificationLedger.Storage;
using Marten;
using Marten.Services.BatchQuerying;

namespace RatificationLedger.Recording;

/// <summary>
/// The decider's state of recently written process streams, kept by the recorder between commands so that a command
/// reads only the stream's events from the cached version on (usually one row: the cached last event, which proves the
/// cache is current) instead of the whole stream. The cache is a baseline, never trusted: the cached last event's id is
/// checked against the database on every load, events after it are folded on, and a mismatch (a rolled-back write, a
/// reset database) falls back to a full read. Appends still carry the expected version, so a concurrent writer is
/// detected at commit exactly as with FetchForWriting.
/// </summary>
internal sealed class StreamStateCache(int capacity)
{
    private readonly RecentStreams<Cached> _streams = new(capacity);

    internal sealed record Cached(AccessionState State, Guid LastEventId, IReadOnlyDictionary<string, CommandEntries> Commands);

    /// <summary>
    /// A stream's state loaded for a command, with the id of its last event (for the cache after the commit) and the
    /// command ids its events were recorded under, each with the entries it recorded (a command whose id is derived from
    /// it was recorded on this stream exactly when one of its events carries that id: the stream is its receipt).
    /// </summary>
    public sealed record Loaded(AccessionState State, Guid LastEventId, IReadOnlyDictionary<string, CommandEntries> Commands);

    /// <summary>Enlists the read of <paramref name="stream"/> in a batch query; resolve it after the batch executes.</summary>
    public Pending Enlist(IBatchedQuery batch, string stream)
    {
        if (_streams.TryGet(stream, out var cached))
        {
            return new Pending(this, stream, cached, batch.Events.FetchStream(stream, fromVersion: cached.State.Version));
        }
        return new Pending(this, stream, null, batch.Events.FetchStream(stream));
    }

    /// <summary>The version of the state cached for <paramref name="stream"/>, if one is.</summary>
    public bool TryPeek(string stream, out long version)
    {
        version = _streams.TryGet(stream, out var cached) ? cached.State.Version : 0;
        return cached is not null;
    }

    /// <summary>
    /// The cached state of <paramref name="stream"/> when the database says it is current: the stream is at the cached
    /// version and its event there is the cached last event (<paramref name="version"/> and <paramref name="eventId"/>,
    /// read in the transaction that decides). Null otherwise (read it with <see cref="LoadAsync"/>).
    /// </summary>
    public Loaded? Confirm(string stream, long? version, Guid? eventId)
    {
        if (_streams.TryGet(stream, out var cached) && version == cached.State.Version && eventId == cached.LastEventId)
        {
            LedgerTelemetry.CacheLookup("stream", hit: true);
            return new Loaded(cached.State, cached.LastEventId, cached.Commands);
        }
        return null;
    }

    /// <summary>Reads <paramref name="stream"/> on its own (from its cached state when there is one).</summary>
    public async Task<Loaded> LoadAsync(IQuerySession session, string stream, CancellationToken ct)
    {
        var batch = session.CreateBatchQuery();
        var pending = Enlist(batch, stream);
        await batch.Execute(ct).ConfigureAwait(false);
        return await pending.ResolveAsync(session, ct).ConfigureAwait(false);
    }

    /// <summary>Remembers the state a committed write left the stream in.</summary>
    public void Store(string stream, AccessionState state, Guid lastEventId, IReadOnlyDictionary<string, CommandEntries> commands)
    {
        if (!_streams.Enabled || state.Version == 0 || lastEventId == Guid.Empty)
        {
            Evict(stream);
            return;
        }
        _streams.Set(stream, new Cached(state, lastEventId, commands));
    }

    public void Evict(string stream) => _streams.Remove(stream);

    /// <summary>A stream read enlisted in a batch query.</summary>
    internal sealed class Pending
    {
        private readonly StreamStateCache _cache;
        private readonly string _stream;
        private readonly Cached? _cached;
        private readonly Task<IReadOnlyList<IEvent>> _events;

        internal Pending(StreamStateCache cache, string stream, Cached? cached, Task<IReadOnlyList<IEvent>> events)
        {
            _cache = cache;
            _stream = stream;
            _cached = cached;
            _events = events;
        }

        /// <summary>The stream's current state: the cached state plus the events after it, or a fold of the whole stream.</summary>
        public async Task<Loaded> ResolveAsync(IQuerySession session, CancellationToken ct)
        {
            var events = await _events.ConfigureAwait(false);
            if (_cached is { } cached)
            {
                if (events.Count > 0 && events[0].Id == cached.LastEventId && events[0].Version == cached.State.Version)
                {
                    LedgerTelemetry.CacheLookup("stream", hit: true);
                    return Fold(cached.State, cached.LastEventId, cached.Commands, events.Skip(1));
                }
                _cache.Evict(_stream);
                events = await session.Events.FetchStreamAsync(_stream, token: ct).ConfigureAwait(false);
            }
            if (_cache._streams.Enabled)
            {
                LedgerTelemetry.CacheLookup("stream", hit: false);
            }
            return Fold(AccessionState.Initial, Guid.Empty, NoIds, events);
        }

        private static readonly IReadOnlyDictionary<string, CommandEntries> NoIds = new Dictionary<string, CommandEntries>(StringComparer.Ordinal);

        private static Loaded Fold(AccessionState state, Guid lastId, IReadOnlyDictionary<string, CommandEntries> ids, IEnumerable<IEvent> events)
        {
            Dictionary<string, CommandEntries>? more = null;
            foreach (var e in events)
            {
                state = AccessionState.Evolve(state, e.Version, e.Data);
                lastId = e.Id;
                if (RecordedEntry.HeaderText(e, LedgerRecorder.Headers.CommandId) is { } id)
                {
                    more ??= new Dictionary<string, CommandEntries>(ids, StringComparer.Ordinal);
                    more[id] = more.TryGetValue(id, out var known) ? known with { Last = e.Version } : new CommandEntries(e.Version, e.Version);
                }
            }
            return new Loaded(state, lastId, more ?? ids);
        }
    }
}

/// <summary>The entries (first and last number) a command recorded on a stream.</summary>
internal readonly record struct CommandEntries(long First, long Last);
