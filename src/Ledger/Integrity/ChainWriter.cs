using Npgsql;
using NpgsqlTypes;

namespace RatificationLedger.Integrity;

/// <summary>
/// Chains entries by reading them back as stored, with each stream's last chain hash, hashing them here and inserting
/// their links: the upgrade of a database written before the chain existed, and the COPY import's fallback when a
/// stream has unchained entries before the ones it wrote. The write paths themselves chain without reading back:
/// Marten's appends with one server-side call in their own batch (<see cref="ServerChain"/>, <see cref="ChainListener"/>),
/// the COPY import from the bytes it copies (<c>BulkAppender</c>, <see cref="EntryParts"/>). A second writer of the
/// same stream fails on the chain's primary key as it fails on Marten's version check.
/// </summary>
internal static class ChainWriter
{
    /// <summary>One stream written in the transaction, and its version before the transaction wrote to it.</summary>
    /// <param name="Stream">The stream key.</param>
    /// <param name="ReadVersion">
    /// The version the writer read: unchained entries up to it were written before the chain existed (they are chained
    /// with no role, as on upgrade); the ones after it were written now, by the transaction's role.
    /// </param>
    public readonly record struct Written(string Stream, long ReadVersion);

    /// <summary>Chains the streams' unchained entries. Returns how many links were written.</summary>
    public static async Task<int> WriteAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string schema, IReadOnlyCollection<Written> streams, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(streams);
        if (streams.Count == 0)
        {
            return 0;
        }
        var readVersion = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var s in streams)
        {
            readVersion[s.Stream] = readVersion.TryGetValue(s.Stream, out var v) ? Math.Min(v, s.ReadVersion) : s.ReadVersion;
        }
        var keys = new List<string>();
        var versions = new List<long>();
        var roles = new List<string?>();
        var entries = new List<byte[]>();
        var chains = new List<byte[]>();
        await using (var read = new NpgsqlCommand(ReadSql(schema), connection, transaction))
        {
            read.Parameters.Add(new NpgsqlParameter { Value = readVersion.Keys.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Varchar });
            await using var reader = await read.ExecuteReaderAsync(ct).ConfigureAwait(false);
            string? stream = null;
            byte[] previous = [];
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                var row = ReadRow(reader, out var role, out var lastVersion, out var lastChain);
                if (row.Stream != stream)
                {
                    stream = row.Stream;
                    previous = lastChain ?? LedgerHash.Genesis(stream);
                    if (row.Version != lastVersion + 1)
                    {
                        throw new InvalidOperationException($"{stream}: entry {row.Version} follows chained entry {lastVersion}; entries in between are missing from the event table.");
                    }
                }
                var writtenNow = row.Version > readVersion[row.Stream];
                var entry = (row with { Role = writtenNow ? role : null }).Hash();
                var link = LedgerHash.Link(previous, entry);
                keys.Add(row.Stream);
                versions.Add(row.Version);
                roles.Add(writtenNow ? role : null);
                entries.Add(entry);
                chains.Add(link);
                previous = link;
            }
        }
        if (keys.Count == 0)
        {
            return 0;
        }
        await using var insert = new NpgsqlCommand(
            $"insert into {schema}.{IntegritySchema.ChainTable} (stream_id, version, role, entry_hash, chain_hash) select * from unnest($1::varchar[], $2::bigint[], $3::text[], $4::bytea[], $5::bytea[])",
            connection, transaction);
        insert.Parameters.Add(new NpgsqlParameter { Value = keys.ToArray() });
        insert.Parameters.Add(new NpgsqlParameter { Value = versions.ToArray() });
        insert.Parameters.Add(new NpgsqlParameter { Value = roles.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        insert.Parameters.Add(new NpgsqlParameter { Value = entries.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bytea });
        insert.Parameters.Add(new NpgsqlParameter { Value = chains.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bytea });
        await insert.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        return keys.Count;
    }

    /// <summary>
    /// Chains every entry of every stream that has none yet, as written before the chain existed (no role): run once when
    /// a database of an earlier version is first opened; the chain then says, with its role-less links, where it began.
    /// Returns how many links were written.
    /// </summary>
    public static async Task<int> ChainExistingAsync(NpgsqlConnection connection, string schema, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(connection);
        await using var transaction = await connection.BeginTransactionAsync(ct).ConfigureAwait(false);
        var streams = new List<Written>();
        await using (var find = new NpgsqlCommand(
            $"select s.id, s.version from {schema}.mt_streams s where s.version > coalesce((select max(c.version) from {schema}.{IntegritySchema.ChainTable} c where c.stream_id = s.id), 0)",
            connection, transaction))
        await using (var reader = await find.ExecuteReaderAsync(ct).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                streams.Add(new Written(reader.GetString(0), reader.GetInt64(1)));
            }
        }
        var written = await WriteAsync(connection, transaction, schema, streams, ct).ConfigureAwait(false);
        await transaction.CommitAsync(ct).ConfigureAwait(false);
        return written;
    }

    /// <summary>The event columns the entry hash covers, as selected by <see cref="ReadRow"/> (in this order, from alias e).</summary>
    internal const string EntryColumns = "e.stream_id, e.version, e.type, e.data::text, e.headers::text, e.user_name, e.correlation_id, e.causation_id, e.timestamp";

    private static string ReadSql(string schema) =>
        $"select {EntryColumns}, current_user::text, h.version, h.chain_hash from unnest($1) as s(id) " +
        $"left join lateral (select c.version, c.chain_hash from {schema}.{IntegritySchema.ChainTable} c where c.stream_id = s.id order by c.version desc limit 1) h on true " +
        $"join {schema}.mt_events e on e.stream_id = s.id and e.version > coalesce(h.version, 0) " +
        "order by e.stream_id, e.version";

    private static LedgerEntry ReadRow(NpgsqlDataReader reader, out string role, out long lastVersion, out byte[]? lastChain)
    {
        var entry = ReadEntry(reader, 0, role: null);
        role = reader.GetString(9);
        lastVersion = reader.IsDBNull(10) ? 0 : reader.GetInt64(10);
        lastChain = reader.IsDBNull(11) ? null : reader.GetFieldValue<byte[]>(11);
        return entry;
    }

    /// <summary>An entry from the <see cref="EntryColumns"/> starting at <paramref name="at"/>.</summary>
    internal static LedgerEntry ReadEntry(NpgsqlDataReader reader, int at, string? role) => new(
        reader.GetString(at),
        reader.GetInt64(at + 1),
        reader.GetString(at + 2),
        reader.GetString(at + 3),
        reader.IsDBNull(at + 4) ? null : reader.GetString(at + 4),
        reader.IsDBNull(at + 5) ? null : reader.GetString(at + 5),
        role,
        reader.IsDBNull(at + 6) ? null : reader.GetString(at + 6),
        reader.IsDBNull(at + 7) ? null : reader.GetString(at + 7),
        new DateTimeOffset(reader.GetFieldValue<DateTime>(at + 8), TimeSpan.Zero));
}
