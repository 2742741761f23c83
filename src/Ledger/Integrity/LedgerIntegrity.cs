using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using Marten;
using Npgsql;

namespace RatificationLedger.Integrity;

/// <summary>Where the library hands each digest it takes: somewhere outside the ledger's database (a file, a repository, an e-mail).</summary>
public interface IDigestSink
{
    /// <summary>Keeps <paramref name="digest"/> (its <see cref="LedgerDigest.ToJson"/> is the document to keep).</summary>
    Task KeepAsync(LedgerDigest digest, CancellationToken ct);
}

/// <summary>
/// The ledger's tamper evidence on a Marten store: digests, verification, proofs of one entry. See "Checking the record"
/// in the README for what they prove and what they do not.
/// </summary>
public static class LedgerIntegrity
{
    private static readonly ConditionalWeakTable<IDocumentStore, Task> Upgrades = new();

    /// <summary>
    /// Creates the evidence tables if they are missing and, once per store, chains the entries written before the chain
    /// existed (a database of an earlier version); the writers call this before their first write.
    /// </summary>
    internal static async Task EnsureAsync(IDocumentStore store, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(store);
        await IntegritySchema.EnsureAsync(store, ct).ConfigureAwait(false);
        Task upgrade;
        lock (Upgrades)
        {
            upgrade = Upgrades.GetValue(store, s => ChainExistingAsync(s));
        }
        try
        {
            await upgrade.WaitAsync(ct).ConfigureAwait(false);
        }
        catch when (upgrade.IsFaulted)
        {
            lock (Upgrades)
            {
                Upgrades.Remove(store);
            }
            throw;
        }
    }

    private static async Task ChainExistingAsync(IDocumentStore store)
    {
        await using var connection = Connection(store);
        await connection.OpenAsync().ConfigureAwait(false);
        await ChainWriter.ChainExistingAsync(connection, Schema(store), CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>
    /// Takes a digest of the whole ledger now (the heads of every stream in one snapshot, the instant from the server's
    /// clock), stores it in the digest table and returns it.
    /// </summary>
    public static async Task<LedgerDigest> TakeDigestAsync(IDocumentStore store, CancellationToken ct = default)
    {
        await EnsureAsync(store, ct).ConfigureAwait(false);
        var schema = Schema(store);
        await using var connection = Connection(store);
        await connection.OpenAsync(ct).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, ct).ConfigureAwait(false);
        // One digest taker at a time (numbers follow each other); the snapshot is taken after the lock.
        await Execute(connection, transaction, $"lock table {schema}.{IntegritySchema.DigestTable} in exclusive mode", ct).ConfigureAwait(false);
        var previous = LedgerDigest.None;
        long number = 1;
        DateTimeOffset takenAt;
        await using (var command = new NpgsqlCommand($"select now(), (select number from {schema}.{IntegritySchema.DigestTable} order by number desc limit 1), (select hash from {schema}.{IntegritySchema.DigestTable} order by number desc limit 1)", connection, transaction))
        await using (var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false))
        {
            await reader.ReadAsync(ct).ConfigureAwait(false);
            takenAt = new DateTimeOffset(reader.GetFieldValue<DateTime>(0), TimeSpan.Zero);
            if (!reader.IsDBNull(1))
            {
                number = reader.GetInt64(1) + 1;
                previous = reader.GetFieldValue<byte[]>(2);
            }
        }
        var heads = new List<StreamHead>();
        await using (var command = new NpgsqlCommand($"select distinct on (stream_id) stream_id, version, chain_hash from {schema}.{IntegritySchema.ChainTable} order by stream_id, version desc", connection, transaction))
        await using (var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                heads.Add(new StreamHead(reader.GetString(0), reader.GetInt64(1), reader.GetFieldValue<byte[]>(2)));
            }
        }
        var digest = new LedgerDigest(number, takenAt, heads, previous);
        await using (var insert = new NpgsqlCommand($"insert into {schema}.{IntegritySchema.DigestTable} (number, taken_at, root, previous, hash, heads) values ($1, $2, $3, $4, $5, $6::jsonb)", connection, transaction))
        {
            insert.Parameters.Add(new NpgsqlParameter { Value = number });
            insert.Parameters.Add(new NpgsqlParameter { Value = takenAt.UtcDateTime });
            insert.Parameters.Add(new NpgsqlParameter { Value = digest.Root() });
            insert.Parameters.Add(new NpgsqlParameter { Value = previous });
            insert.Parameters.Add(new NpgsqlParameter { Value = digest.Hash() });
            insert.Parameters.Add(new NpgsqlParameter { Value = HeadsJson(digest.SortedHeads) });
            await insert.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
        await transaction.CommitAsync(ct).ConfigureAwait(false);
        return digest;
    }

    /// <summary>
    /// Takes a digest only when something was written since the last one (or none was taken yet and the ledger holds
    /// entries), and hands it to <paramref name="sink"/>. Returns the digest taken, or null.
    /// </summary>
    public static async Task<LedgerDigest?> TakeDigestIfWrittenAsync(IDocumentStore store, IDigestSink sink, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(sink);
        await EnsureAsync(store, ct).ConfigureAwait(false);
        var schema = Schema(store);
        await using (var connection = Connection(store))
        {
            await connection.OpenAsync(ct).ConfigureAwait(false);
            // The chain table only grows; a digest covers every link there was when it was taken.
            await using var command = new NpgsqlCommand(
                $"select (select count(*) from {schema}.{IntegritySchema.ChainTable}) > coalesce((select (select sum((h ->> 'entries')::bigint) from jsonb_array_elements(d.heads) h) from {schema}.{IntegritySchema.DigestTable} d order by d.number desc limit 1), 0)",
                connection);
            if (await command.ExecuteScalarAsync(ct).ConfigureAwait(false) is not true)
            {
                return null;
            }
        }
        var digest = await TakeDigestAsync(store, ct).ConfigureAwait(false);
        await sink.KeepAsync(digest, ct).ConfigureAwait(false);
        return digest;
    }

    /// <summary>Verifies the whole ledger, and each digest in <paramref name="digests"/> against it.</summary>
    public static async Task<VerificationReport> VerifyAsync(IDocumentStore store, IReadOnlyList<LedgerDigest>? digests = null, IProgress<long>? progress = null, CancellationToken ct = default)
    {
        await EnsureAsync(store, ct).ConfigureAwait(false);
        await using var connection = Connection(store);
        await connection.OpenAsync(ct).ConfigureAwait(false);
        return await LedgerVerifier.VerifyAsync(connection, Schema(store), digests ?? [], progress, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// A proof that entry <paramref name="entry"/> of <paramref name="process"/> is in the ledger <paramref name="digest"/>
    /// describes. Refused when the digest does not cover the entry, or when the ledger no longer matches the digest
    /// (then <c>ledger verify</c> says where).
    /// </summary>
    /// <exception cref="InvalidOperationException">The proof cannot be made; the message says why.</exception>
    public static async Task<LedgerProof> ProveAsync(IDocumentStore store, string process, long entry, LedgerDigest digest, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(process);
        ArgumentNullException.ThrowIfNull(digest);
        var sorted = digest.SortedHeads;
        var index = sorted.ToList().FindIndex(h => h.Stream == process);
        if (index < 0)
        {
            throw new InvalidOperationException($"digest {digest.Number} does not cover {process} (it names {sorted.Count} processes).");
        }
        var head = sorted[index];
        if (entry < 1 || entry > head.Version)
        {
            throw new InvalidOperationException($"digest {digest.Number} covers entries 1 to {head.Version} of {process}; entry {entry} is not among them.");
        }
        await EnsureAsync(store, ct).ConfigureAwait(false);
        var schema = Schema(store);
        await using var connection = Connection(store);
        await connection.OpenAsync(ct).ConfigureAwait(false);
        await using var command = new NpgsqlCommand(
            $"select {ChainWriter.EntryColumns}, c.role, c.chain_hash from {schema}.mt_events e join {schema}.{IntegritySchema.ChainTable} c on c.stream_id = e.stream_id and c.version = e.version " +
            "where e.stream_id = $1 and e.version between $2 and $3 order by e.version", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = process });
        command.Parameters.Add(new NpgsqlParameter { Value = entry - 1 });
        command.Parameters.Add(new NpgsqlParameter { Value = head.Version });
        var rows = new List<(LedgerEntry Entry, byte[] Chain)>();
        await using (var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                rows.Add((ChainWriter.ReadEntry(reader, 0, reader.IsDBNull(9) ? null : reader.GetString(9)), reader.GetFieldValue<byte[]>(10)));
            }
        }
        var at = rows.FindIndex(r => r.Entry.Version == entry);
        if (at < 0 || rows.Count != head.Version - entry + 1 + (entry > 1 ? 1 : 0))
        {
            throw new InvalidOperationException($"{process}: entries {entry} to {head.Version} are not all in the ledger any more; run `ledger verify --digest` to see what changed.");
        }
        var previous = entry == 1 ? LedgerHash.Genesis(process) : rows[0].Chain;
        var proof = new LedgerProof(
            rows[at].Entry,
            previous,
            [.. rows.Skip(at + 1).Select(r => r.Entry.Hash())],
            index,
            sorted.Count,
            MerkleTree.AuditPath([.. sorted.Select(h => h.Leaf())], index),
            digest.Number,
            digest.Hash());
        if (proof.Verify(digest) is { } failure)
        {
            throw new InvalidOperationException($"{process}: the ledger no longer matches digest {digest.Number} ({failure}); run `ledger verify --digest` to see what changed.");
        }
        return proof;
    }

    /// <summary>The latest stored digest that covers entry <paramref name="entry"/> of <paramref name="process"/>, or null.</summary>
    public static async Task<(long Number, DateTimeOffset TakenAt)?> LatestCoveringDigestAsync(IDocumentStore store, string process, long entry, CancellationToken ct = default)
    {
        await EnsureAsync(store, ct).ConfigureAwait(false);
        var schema = Schema(store);
        await using var connection = Connection(store);
        await connection.OpenAsync(ct).ConfigureAwait(false);
        await using var command = new NpgsqlCommand(
            $"select d.number, d.taken_at from {schema}.{IntegritySchema.DigestTable} d where exists (select 1 from jsonb_array_elements(d.heads) h where h ->> 'process' = $1 and (h ->> 'entries')::bigint >= $2) order by d.number desc limit 1",
            connection);
        command.Parameters.Add(new NpgsqlParameter { Value = process });
        command.Parameters.Add(new NpgsqlParameter { Value = entry });
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        return await reader.ReadAsync(ct).ConfigureAwait(false)
            ? (reader.GetInt64(0), new DateTimeOffset(reader.GetFieldValue<DateTime>(1), TimeSpan.Zero))
            : null;
    }

    internal static string Schema(IDocumentStore store) => store.Options.Events.DatabaseSchemaName;

    internal static NpgsqlConnection Connection(IDocumentStore store) => (NpgsqlConnection)store.Storage.Database.CreateConnection();

    private static string HeadsJson(IEnumerable<StreamHead> heads) =>
        new JsonArray([.. heads.Select(h => (JsonNode)new JsonObject { ["process"] = h.Stream, ["entries"] = h.Version, ["chain"] = LedgerHash.Hex(h.Chain) })]).ToJsonString();

    private static async Task Execute(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }
}
