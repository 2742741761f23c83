using System.Globalization;
using System.Runtime.CompilerServices;
using JasperFx.Events;
using Marten;
using Npgsql;

namespace RatificationLedger.Integrity;

/// <summary>
/// The recorded-at and the writing role of what a session appends: its transaction's timestamp on the database server
/// (which the event table's trigger writes whatever the client sends, <see cref="ServerChain"/>) and
/// <c>current_user</c>. A writer that knows them before it saves stamps its events with the timestamp, so that what the
/// inline projections see (and the trigger then leaves alone) is what is stored, and the chain hashes its entries on the
/// client (<see cref="ChainListener"/>). Both are read with a statement the writer already sends in the transaction
/// (the recorder's facts, with the states it checks), or with one of their own when there is none.
/// </summary>
internal static class ServerClock
{
    /// <summary>
    /// SQL of an instant (a <c>timestamptz</c> expression) as text in microseconds since the Unix epoch, the form
    /// <see cref="Read(IDocumentSession, string)"/> parses; the server's <c>ledger_facts</c> writes its instants with it too.
    /// </summary>
    public static string MicrosOf(string instant) => $"(extract(epoch from {instant}) * 1000000)::bigint::text";

    /// <summary>SQL of one text column: <c>micros,role</c> (the role last: a role name may hold commas).</summary>
    public static readonly string Sql = $"select {MicrosOf("transaction_timestamp()")} || ',' || current_user::text";

    /// <summary>
    /// SQL of one text column, <c>micros,organization version,organization created,stream version,stream event id,stream
    /// chain hash,role</c> (the server's <c>ledger_facts</c>, <see cref="ServerChain"/>): the transaction's facts and, in
    /// the same statement, what the recorder checks before it decides. Parameters: the organization's stream key (its
    /// version and created microseconds are read; empty when it does not exist), a process stream's key and a version
    /// (the stream's version, and the id of its event and the chain hash of its link at that version, are read, each
    /// empty when absent: a cached state of the stream is current exactly when the version and the id match it); an
    /// empty key asks for nothing.
    /// </summary>
    public static string FactsSql(string schema) => $"select {schema}.{ServerChain.FactsFunction}(?::varchar, ?::varchar, ?::bigint)";

    /// <summary>
    /// <see cref="FactsSql"/> as a statement of its own with Npgsql's positional parameters, for a command prepared on
    /// the connection: the function's expression itself (<see cref="ServerChain.FactsExpression"/>), so that the
    /// server runs the plan it keeps for the prepared statement, not a function that runs its own.
    /// </summary>
    public static string FactsCommandSql(string schema) =>
        $"select {ServerChain.FactsExpression(schema, "$1::varchar", "$2::varchar", "$3::bigint")}";

    /// <summary>
    /// What a transaction's read said: its timestamp and role, and, when it checked a process stream, the chain hash of
    /// that stream's link at the version checked (from which entries appended right after it are chained).
    /// </summary>
    internal sealed record Facts(DateTimeOffset At, string Role, ChainHead? Head = null);

    /// <summary>The chain hash of <paramref name="Stream"/>'s link at <paramref name="Version"/>, read in the transaction.</summary>
    internal sealed record ChainHead(string Stream, long Version, byte[] ChainHash);

    /// <summary>A stream's state as <see cref="FactsSql"/> reads it.</summary>
    internal readonly record struct StreamVersion(long Version, DateTimeOffset Created);

    /// <summary>A stream's version and the id of its event at the version asked about (null when there is none).</summary>
    internal readonly record struct StreamCheck(long Version, Guid? EventId);

    private static readonly ConditionalWeakTable<IDocumentSession, Facts> s_read = new();

    /// <summary>The connection of <paramref name="session"/>, whose transaction has begun.</summary>
    internal static NpgsqlConnection ConnectionOf(IDocumentSession session) =>
        session.Connection ?? throw new InvalidOperationException("The session has no open connection.");

    /// <summary>
    /// Reads <see cref="FactsSql"/> in <paramref name="session"/>'s transaction (begun) with a command of its own,
    /// prepared on the connection: Npgsql keeps the prepared statement with the physical connection, so a pooled
    /// connection parses and plans it once. Returns the row, for <see cref="Read(IDocumentSession, string, bool, string?, long)"/>.
    /// </summary>
    public static async Task<string> ReadPreparedAsync(IDocumentSession session, string schema, string organization, string stream, long version, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(FactsCommandSql(schema), ConnectionOf(session));
        command.Parameters.Add(new NpgsqlParameter<string> { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Varchar, TypedValue = organization });
        command.Parameters.Add(new NpgsqlParameter<string> { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Varchar, TypedValue = stream });
        command.Parameters.Add(new NpgsqlParameter<long> { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bigint, TypedValue = version });
        await command.PrepareAsync(ct).ConfigureAwait(false);
        return (string)(await command.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
    }

    /// <summary>Notes the timestamp and role of <paramref name="session"/>'s transaction as read with <see cref="Sql"/>.</summary>
    public static void Read(IDocumentSession session, string row)
    {
        var comma = row.IndexOf(',', StringComparison.Ordinal);
        Note(session, row[..comma], row[(comma + 1)..]);
    }

    /// <summary>
    /// Notes the timestamp and role of <paramref name="session"/>'s transaction as read with
    /// <see cref="FactsSql"/>; returns the organization's stream state and the stream check (null when not
    /// asked for, or when the stream does not exist).
    /// </summary>
    public static (StreamVersion? Organization, StreamCheck? Stream) Read(IDocumentSession session, string row, bool organization, string? stream, long version)
    {
        var parts = row.Split(',', 7);
        StreamVersion? org = organization && parts[1].Length > 0
            ? new StreamVersion(long.Parse(parts[1], CultureInfo.InvariantCulture), parts[2].Length == 0 ? default : FromMicros(long.Parse(parts[2], CultureInfo.InvariantCulture)))
            : null;
        StreamCheck? check = stream is not null && parts[3].Length > 0
            ? new StreamCheck(long.Parse(parts[3], CultureInfo.InvariantCulture), parts[4].Length == 0 ? null : Guid.Parse(parts[4], CultureInfo.InvariantCulture))
            : null;
        var head = stream is not null && parts[5].Length > 0 ? new ChainHead(stream, version, Convert.FromHexString(parts[5])) : null;
        Note(session, parts[0], parts[6], head);
        return (org, check);
    }

    private static void Note(IDocumentSession session, string micros, string role, ChainHead? head = null) =>
        s_read.AddOrUpdate(session, new Facts(FromMicros(long.Parse(micros, CultureInfo.InvariantCulture)), role, head));

    /// <summary>The transaction's timestamp and role of <paramref name="session"/>, if they were read.</summary>
    public static Facts? Get(IDocumentSession session) => s_read.TryGetValue(session, out var facts) ? facts : null;

    /// <summary>
    /// Stamps every event <paramref name="session"/> is about to append with its transaction's timestamp (read now, in
    /// its transaction, when it was not read before).
    /// </summary>
    public static async Task StampAsync(IDocumentSession session, CancellationToken ct)
    {
        var facts = Get(session);
        if (facts is null)
        {
            await session.BeginTransactionAsync(ct).ConfigureAwait(false);
            await using var command = new NpgsqlCommand(Sql, ConnectionOf(session));
            Read(session, (string)(await command.ExecuteScalarAsync(ct).ConfigureAwait(false))!);
            facts = Get(session)!;
        }
        var at = facts.At;
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
