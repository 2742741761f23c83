using System.Globalization;
using System.Text;
using JasperFx.Events;
using Marten;

namespace RatificationLedger.Integrity;

/// <summary>
/// Chains what every Marten session of the ledger's store appends, whoever calls it (the recorder, a retraction, an
/// app's own append), in the session's own transaction and its own batch: one call of the server's chain function
/// (<see cref="ServerChain"/>) queued after the appends, so the chain costs no round trip. The server builds each entry
/// hash from the row as stored (with its recorded-at, the transaction's time, and the writing role); the client sends
/// only the canonical form of each event's data and headers, which it serialized itself.
/// Refuses Marten's timestamp override: the ledger's recorded-at is the server's clock.
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
        RefuseTimestampOverrides(streams, ((store.Options as StoreOptions)?.Events.TimeProvider ?? TimeProvider.System).GetUtcNow(),
            ServerClock.TryGet(session, out var stamped) ? stamped : null);
        // Entries written before the chain existed are chained once per store before anything is chained after them.
        await LedgerIntegrity.EnsureAsync(store, token).ConfigureAwait(false);

        var serializer = store.Options.Serializer();
        var keys = new string[streams.Count];
        var counts = new int[streams.Count];
        var total = streams.Sum(s => s.Events.Count);
        var data = new string[total];
        var headers = new string[total];
        var n = 0;
        for (var i = 0; i < streams.Count; i++)
        {
            var action = streams[i];
            keys[i] = action.Key ?? action.Id.ToString();
            counts[i] = action.Events.Count;
            foreach (var e in action.Events)
            {
                // What Marten's append serializes (the same serializer, the same objects), in canonical form.
                data[n] = Canonical(serializer.ToJson(e.Data));
                headers[n] = Canonical(serializer.ToJson(e.Headers));
                n++;
            }
        }
        session.QueueSqlCommand(ServerChain.Call(store.Options.Events.DatabaseSchemaName), keys, counts, data, headers);
    }

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
                    var stream = action.Key ?? action.Id.ToString();
                    throw new InvalidOperationException(
                        $"{stream}: event {i + 1} of {action.Events.Count} appended in this session ({action.Events[i].EventTypeName}) carries the recorded-at {at.ToString("O", CultureInfo.InvariantCulture)} set by the app (Marten's timestamp override); " +
                        "the ledger records the database server's time of the transaction and refuses timestamp overrides. Nothing was written. " +
                        "Put the date of the fact in the event itself.");
                }
            }
        }
    }
}
