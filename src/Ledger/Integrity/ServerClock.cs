using System.Runtime.CompilerServices;
using JasperFx.Events;
using Marten;
using Npgsql;

namespace RatificationLedger.Integrity;

/// <summary>
/// The recorded-at of what a session appends: its transaction's timestamp on the database server, which the event table's
/// trigger writes whatever the client sends (<see cref="ServerChain"/>). A writer that knows it before it saves stamps its
/// events with it, so that what the inline projections see (and the trigger then leaves alone) is what is stored; it is
/// read with a statement the writer already sends in the transaction, or with one of its own when there is none.
/// </summary>
internal static class ServerClock
{
    /// <summary>SQL of one text column: the transaction's timestamp in microseconds since the Unix epoch.</summary>
    public const string Sql = "select (extract(epoch from transaction_timestamp()) * 1000000)::bigint::text";

    private static readonly ConditionalWeakTable<IDocumentSession, StrongBox<DateTimeOffset>> s_read = new();

    /// <summary>Notes the transaction's timestamp of <paramref name="session"/> as read with <see cref="Sql"/>.</summary>
    public static void Read(IDocumentSession session, string micros) =>
        s_read.AddOrUpdate(session, new StrongBox<DateTimeOffset>(FromMicros(long.Parse(micros, System.Globalization.CultureInfo.InvariantCulture))));

    /// <summary>The transaction's timestamp of <paramref name="session"/>, if it was read.</summary>
    public static bool TryGet(IDocumentSession session, out DateTimeOffset at)
    {
        if (s_read.TryGetValue(session, out var box))
        {
            at = box.Value;
            return true;
        }
        at = default;
        return false;
    }

    /// <summary>
    /// Stamps every event <paramref name="session"/> is about to append with its transaction's timestamp (read now, in
    /// its transaction, when it was not read before).
    /// </summary>
    public static async Task StampAsync(IDocumentSession session, CancellationToken ct)
    {
        if (!TryGet(session, out var at))
        {
            await session.BeginTransactionAsync(ct).ConfigureAwait(false);
            var connection = (NpgsqlConnection)(session.Connection ?? throw new InvalidOperationException("The session has no open connection."));
            await using var command = new NpgsqlCommand(Sql, connection);
            Read(session, (string)(await command.ExecuteScalarAsync(ct).ConfigureAwait(false))!);
            TryGet(session, out at);
        }
        foreach (var stream in session.PendingChanges.Streams())
        {
            foreach (var e in stream.Events)
            {
                if (e.Timestamp == default)
                {
                    e.Timestamp = at;
                }
            }
        }
    }

    private static DateTimeOffset FromMicros(long micros) => DateTimeOffset.UnixEpoch.AddTicks(micros * TimeSpan.TicksPerMicrosecond);
}
