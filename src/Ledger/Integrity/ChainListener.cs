using System.Globalization;
using System.Text;
using JasperFx.Events;
using Marten;

namespace RatificationLedger.Integrity;

/// <summary>
/// Chains what every Marten session of the ledger's store appends, whoever calls it (the recorder, a retraction, an
/// app's own append), in the session's own transaction and its own batch, queued after the appends, so the chain costs
/// no round trip:
/// <list type="bullet">
/// <item>when the session read its transaction's time and role (<see cref="ServerClock"/>: the recorder does, in the
/// read it sends anyway) and appends at known versions, each entry hash is computed here from the row Marten writes
/// (<see cref="LedgerEntry"/>), and one plain insert per entry links it on the server to the link before it
/// (<see cref="ServerChain.LinkSql"/>);</item>
/// <item>otherwise one call of the server's chain function, which builds each entry hash from the row as stored; the
/// client sends only the canonical form of each event's data and headers, which it serialized itself.</item>
/// </list>
/// Both give the same hashes (the verifier recomputes them from the rows as stored). Refuses Marten's timestamp
/// override: the ledger's recorded-at is the server's clock.
/// </summary>
internal sealed class ChainListener : DocumentSessionListenerBase
{
    /// <summary>
    /// How far before the store's clock Marten's own stamp can be when the listener sees it (Marten stamps the events at
    /// the start of <c>SaveChanges</c>, before inline projections that may read the database).
    /// </summary>
    internal static readonly TimeSpan StampWindow = TimeSpan.FromMinutes(10);

    public override async Task BeforeSaveChangesAsync(IDocumentSession session, CancellationToken token)
    {
        List<StreamAction>? streams = null;
        foreach (var action in session.PendingChanges.Streams())
        {
            if (action.Events.Count > 0)
            {
                (streams ??= []).Add(action);
            }
        }
        if (streams is null)
        {
            return;
        }
        var store = session.DocumentStore;
        var facts = ServerClock.Get(session);
        RefuseTimestampOverrides(streams, ((store.Options as StoreOptions)?.Events.TimeProvider ?? TimeProvider.System).GetUtcNow(), facts?.At);
        // Entries written before the chain existed are chained once per store before anything is chained after them.
        await LedgerIntegrity.EnsureAsync(store, token).ConfigureAwait(false);

        var serializer = store.Options.Serializer();
        var schema = store.Options.Events.DatabaseSchemaName;
        if (facts is not null)
        {
            streams.RemoveAll(action => LinkHere(session, action, facts, serializer, schema));
            if (streams.Count == 0)
            {
                return;
            }
        }
        var keys = new string[streams.Count];
        var counts = new int[streams.Count];
        var total = streams.Sum(s => s.Events.Count);
        var data = new string[total];
        var headers = new string[total];
        var n = 0;
        for (var i = 0; i < streams.Count; i++)
        {
            var action = streams[i];
            keys[i] = KeyOf(action);
            counts[i] = action.Events.Count;
            foreach (var e in action.Events)
            {
                // What Marten's append serializes (the same serializer, the same objects), in canonical form.
                data[n] = Canonical(serializer.ToJson(e.Data));
                headers[n] = Canonical(serializer.ToJson(e.Headers));
                n++;
            }
        }
        session.QueueSqlCommand(ServerChain.Call(schema), keys, counts, data, headers);
    }

    // Hashes the entries of one stream here and queues their links, when everything the entry hash covers is known
    // before the write: the versions (an append at an expected version, or a new stream), the recorded-at (every event
    // stamped with the transaction's time) and the role. Returns false (nothing queued) otherwise.
    private static bool LinkHere(IDocumentSession session, StreamAction action, ServerClock.Facts facts, ISerializer serializer, string schema)
    {
        long before;
        if (action.ActionType == StreamActionType.Start)
        {
            before = 0;
        }
        else if (action.ExpectedVersionOnServer is { } expected)
        {
            before = expected;
        }
        else
        {
            return false;
        }
        var key = KeyOf(action);
        for (var i = 0; i < action.Events.Count; i++)
        {
            var e = action.Events[i];
            if (e.Version != before + i + 1 || e.Timestamp != facts.At)
            {
                return false;
            }
        }
        // The link before the first entry, when the transaction read it (the recorder's facts of a cached stream): the
        // entries are chained here, and each link is a plain insert. Otherwise the server chains each to the one before.
        var previous = facts.Head is { } head && head.Version == before && string.Equals(head.Stream, key, StringComparison.Ordinal) ? head.ChainHash : null;
        var sql = previous is null ? ServerChain.LinkSql(schema) : ServerChain.AppendLinkSql(schema);
        foreach (var e in action.Events)
        {
            var entry = new LedgerEntry(key, e.Version, e.EventTypeName, serializer.ToJson(e.Data), serializer.ToJson(e.Headers),
                e.UserName, facts.Role, e.CorrelationId, e.CausationId, facts.At);
            var hash = entry.Hash();
            if (previous is null)
            {
                session.QueueSqlCommand(sql, key, e.Version, facts.Role, hash);
            }
            else
            {
                previous = LedgerHash.Link(previous, hash);
                session.QueueSqlCommand(sql, key, e.Version, facts.Role, hash, previous);
            }
        }
        return true;
    }

    // The stream's key as stored (the ledger's streams have string keys; a Guid stream's id as text).
    private static string KeyOf(StreamAction action) => action.Key ?? action.Id.ToString();

    private static string Canonical(string json) => Encoding.UTF8.GetString(CanonicalJson.Canonicalize(json));

    // Marten stamps an event whose timestamp is unset with its clock when SaveChanges begins; the recorder stamps its
    // events with the transaction's timestamp (ServerClock). An event that carries another instant had it set by the app
    // (Marten's per-event timestamp override).
    internal static void RefuseTimestampOverrides(IReadOnlyList<StreamAction> streams, DateTimeOffset now, DateTimeOffset? stamped)
    {
        foreach (var action in streams)
        {
            for (var i = 0; i < action.Events.Count; i++)
            {
                var at = action.Events[i].Timestamp;
                if (at != stamped && (at > now || at < now - StampWindow))
                {
                    var stream = KeyOf(action);
                    throw new InvalidOperationException(
                        $"{stream}: event {i + 1} of {action.Events.Count} appended in this session ({action.Events[i].EventTypeName}) carries the recorded-at {at.ToString("O", CultureInfo.InvariantCulture)} set by the app (Marten's timestamp override); " +
                        "the ledger records the database server's time of the transaction and refuses timestamp overrides. Nothing was written. " +
                        "Put the date of the fact in the event itself.");
                }
            }
        }
    }
}
