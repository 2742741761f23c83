using System.Globalization;
using System.Text.Json;
using Npgsql;

namespace RatificationLedger.Integrity;

/// <summary>
/// Recomputes every entry hash and every chain link of the ledger, checks the stored digests, and checks each digest
/// given from outside against the ledger; reports the first divergence per process.
/// </summary>
internal static class LedgerVerifier
{
    /// <summary>
    /// How much earlier than a digest an entry it does not cover may be recorded without being called backdated: a
    /// write transaction takes its recorded-at when it begins and may commit after a digest taken meanwhile.
    /// </summary>
    public static readonly TimeSpan WriteGrace = TimeSpan.FromMinutes(1);

    /// <summary>Verifies the ledger in <paramref name="schema"/> over <paramref name="connection"/> (opened).</summary>
    /// <param name="connection">An open connection to the ledger's database.</param>
    /// <param name="schema">The schema of the ledger's event tables.</param>
    /// <param name="external">Digests the user kept outside the database.</param>
    /// <param name="progress">Told how many entries were checked, now and then.</param>
    /// <param name="ct">Cancels the verification.</param>
    public static async Task<VerificationReport> VerifyAsync(NpgsqlConnection connection, string schema, IReadOnlyList<LedgerDigest> external, IProgress<long>? progress, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(external);
        var findings = new Dictionary<string, Finding>(StringComparer.Ordinal);
        var digestFindings = new List<Finding>();
        var notes = new List<string>();
        // Per stream: the chain hash at every version (for the digests' heads) and the recorded-at of every entry.
        var chains = new Dictionary<string, List<byte[]>>(StringComparer.Ordinal);
        var recorded = new Dictionary<string, List<DateTimeOffset>>(StringComparer.Ordinal);
        long entries = 0;

        await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, ct).ConfigureAwait(false);
        var streamVersions = new Dictionary<string, long>(StringComparer.Ordinal);
        await using (var command = new NpgsqlCommand($"select id, version from {schema}.mt_streams", connection, transaction))
        await using (var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                streamVersions[reader.GetString(0)] = reader.GetInt64(1);
            }
        }

        await using (var command = new NpgsqlCommand(
            $"select coalesce(e.stream_id, c.stream_id), coalesce(e.version, c.version), e.stream_id is not null, c.stream_id is not null, " +
            $"{ChainWriter.EntryColumns}, c.role, c.entry_hash, c.chain_hash " +
            $"from {schema}.mt_events e full join {schema}.{IntegritySchema.ChainTable} c on c.stream_id = e.stream_id and c.version = e.version " +
            "order by 1, 2", connection, transaction))
        await using (var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false))
        {
            var rows = new List<Row>();
            string? stream = null;
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                var key = reader.GetString(0);
                if (key != stream && stream is not null)
                {
                    Check(stream, rows, streamVersions, findings, notes, chains, recorded);
                    rows.Clear();
                }
                stream = key;
                var hasEvent = reader.GetBoolean(2);
                var hasChain = reader.GetBoolean(3);
                rows.Add(new Row(
                    reader.GetInt64(1),
                    hasEvent ? ChainWriter.ReadEntry(reader, 4, hasChain && !reader.IsDBNull(13) ? reader.GetString(13) : null) : null,
                    hasChain ? reader.GetFieldValue<byte[]>(14) : null,
                    hasChain ? reader.GetFieldValue<byte[]>(15) : null));
                if (++entries % 10_000 == 0)
                {
                    progress?.Report(entries);
                }
            }
            if (stream is not null)
            {
                Check(stream, rows, streamVersions, findings, notes, chains, recorded);
            }
        }
        foreach (var (stream, version) in streamVersions)
        {
            if (!chains.ContainsKey(stream) && version > 0 && !findings.ContainsKey(stream))
            {
                findings[stream] = new Finding(stream, 1, FindingKind.Deleted, $"the stream is at version {version}, but none of its entries is there");
            }
        }

        var stored = await StoredDigestsAsync(connection, transaction, schema, ct).ConfigureAwait(false);
        await transaction.CommitAsync(ct).ConfigureAwait(false);

        // The stored digests: each as computed from its heads and linked to the one before.
        var previous = LedgerDigest.None;
        long expected = 1;
        var trusted = new List<(string Name, LedgerDigest Digest)>();
        foreach (var (digest, root, hash) in stored)
        {
            if (digest.Number != expected)
            {
                digestFindings.Add(new Finding(null, expected, FindingKind.Deleted, $"the ledger's digest table skips from digest {expected - 1} to {digest.Number}"));
            }
            else if (!digest.Previous.AsSpan().SequenceEqual(previous))
            {
                digestFindings.Add(new Finding(null, digest.Number, FindingKind.Edited, "its previous hash is not the hash of the digest before it"));
            }
            else if (!digest.Root().AsSpan().SequenceEqual(root) || !digest.Hash().AsSpan().SequenceEqual(hash))
            {
                digestFindings.Add(new Finding(null, digest.Number, FindingKind.Edited, "its root or hash does not follow from its heads, number and instant"));
            }
            else
            {
                trusted.Add(($"stored digest {digest.Number}", digest));
            }
            previous = hash;
            expected = digest.Number + 1;
        }
        foreach (var digest in external)
        {
            var match = stored.FirstOrDefault(s => s.Digest.Number == digest.Number);
            if (match.Digest is not null && !match.Hash.AsSpan().SequenceEqual(digest.Hash()))
            {
                digestFindings.Add(new Finding(null, digest.Number, FindingKind.Edited, "the ledger's digest table holds another digest under this number than the one given"));
            }
            trusted.Add(($"digest {digest.Number} of {LedgerEntry.Instant(digest.TakenAt)}", digest));
        }

        // Every head a digest names must still be on its stream's chain; nothing it does not cover may be recorded before it.
        foreach (var (name, digest) in trusted.OrderBy(t => t.Digest.TakenAt))
        {
            var covered = new Dictionary<string, long>(StringComparer.Ordinal);
            foreach (var head in digest.Heads)
            {
                covered[head.Stream] = head.Version;
                if (findings.ContainsKey(head.Stream))
                {
                    continue;
                }
                if (!chains.TryGetValue(head.Stream, out var chain))
                {
                    findings[head.Stream] = new Finding(head.Stream, 1, FindingKind.Deleted, $"the process is gone; {name} covers {head.Version} of its entries");
                }
                else if (chain.Count < head.Version)
                {
                    findings[head.Stream] = new Finding(head.Stream, chain.Count + 1, FindingKind.RolledBack, $"the process ends at entry {chain.Count}; {name} covers {head.Version} entries");
                }
                else if (!chain[(int)head.Version - 1].AsSpan().SequenceEqual(head.Chain))
                {
                    // The chain is consistent in itself, so it was recomputed after an entry at or before the head was rewritten.
                    var from = trusted.Where(t => t.Digest.TakenAt < digest.TakenAt)
                        .SelectMany(t => t.Digest.Heads.Where(h => h.Stream == head.Stream && h.Version <= chain.Count && chain[(int)h.Version - 1].AsSpan().SequenceEqual(h.Chain)))
                        .Select(h => h.Version).DefaultIfEmpty(0).Max() + 1;
                    findings[head.Stream] = new Finding(head.Stream, head.Version, FindingKind.Edited,
                        $"the chain at entry {head.Version} is not the one {name} holds: an entry from {from} to {head.Version} was rewritten and the chain recomputed after it");
                }
            }
            foreach (var (stream, times) in recorded)
            {
                if (findings.ContainsKey(stream))
                {
                    continue;
                }
                var from = covered.GetValueOrDefault(stream);
                for (var v = from; v < times.Count; v++)
                {
                    if (times[(int)v] < digest.TakenAt - WriteGrace)
                    {
                        findings[stream] = new Finding(stream, v + 1, FindingKind.Backdated,
                            $"recorded at {LedgerEntry.Instant(times[(int)v])}, before {name}, which does not cover it");
                        break;
                    }
                }
            }
        }

        var all = findings.Values.OrderBy(f => f.Process, StringComparer.Ordinal).Concat(digestFindings).ToArray();
        return new VerificationReport(chains.Count, entries, stored.Count, external.Count, all, notes);
    }

    private sealed record Row(long Version, LedgerEntry? Entry, byte[]? EntryHash, byte[]? ChainHash);

    private static void Check(string stream, List<Row> rows, Dictionary<string, long> streamVersions, Dictionary<string, Finding> findings, List<string> notes,
        Dictionary<string, List<byte[]>> chains, Dictionary<string, List<DateTimeOffset>> recorded)
    {
        var chain = new List<byte[]>(rows.Count);
        var times = new List<DateTimeOffset>(rows.Count);
        chains[stream] = chain;
        recorded[stream] = times;
        var previous = LedgerHash.Genesis(stream);
        long upgraded = 0;
        Finding? finding = null;
        for (var i = 0; i < rows.Count && finding is null; i++)
        {
            var row = rows[i];
            var expected = i + 1L;
            if (row.Version != expected)
            {
                finding = new Finding(stream, expected, row.Version > expected ? FindingKind.Deleted : FindingKind.Inserted,
                    row.Version > expected ? $"entry {expected} is missing (the next is {row.Version})" : $"an entry numbered {row.Version} stands where {expected} should");
                break;
            }
            if (row.Entry is null)
            {
                finding = new Finding(stream, row.Version, FindingKind.Deleted, "the entry was removed from the event table (its chain link is still there)");
                break;
            }
            if (row.EntryHash is null || row.ChainHash is null)
            {
                finding = new Finding(stream, row.Version, FindingKind.Inserted, "the entry has no link in the chain: it was not written through the ledger");
                break;
            }
            var hash = row.Entry.Hash();
            if (!hash.AsSpan().SequenceEqual(row.EntryHash))
            {
                var elsewhere = rows.FindIndex(r => r.EntryHash is not null && r != row && Moved(r, row, hash));
                finding = elsewhere >= 0
                    ? new Finding(stream, Math.Min(row.Version, rows[elsewhere].Version), FindingKind.Reordered,
                        $"entries {Math.Min(row.Version, rows[elsewhere].Version)} and {Math.Max(row.Version, rows[elsewhere].Version)} stand in each other's place")
                    : new Finding(stream, row.Version, FindingKind.Edited, "the entry is not as it was written (its hash differs)");
                break;
            }
            var link = LedgerHash.Link(previous, hash);
            if (!link.AsSpan().SequenceEqual(row.ChainHash))
            {
                finding = new Finding(stream, row.Version, FindingKind.Edited, "its link does not follow from the entry before it (the chain was altered)");
                break;
            }
            if (row.Entry.Role is null)
            {
                upgraded = row.Version;
            }
            else if (upgraded > 0 && upgraded != row.Version - 1)
            {
                finding = new Finding(stream, row.Version, FindingKind.Edited, "an entry after the chain began has no writing role");
                break;
            }
            chain.Add(link);
            times.Add(row.Entry.RecordedAt);
            previous = link;
        }
        if (finding is null && streamVersions.TryGetValue(stream, out var version) && version > rows.Count)
        {
            finding = new Finding(stream, rows.Count + 1, FindingKind.Deleted, $"the stream is at version {version}, but its entries end at {rows.Count}");
        }
        if (finding is not null)
        {
            findings[stream] = finding;
        }
        if (upgraded > 0)
        {
            notes.Add(string.Create(CultureInfo.InvariantCulture, $"{stream}: entries 1 to {upgraded} were written before the chain and chained on upgrade; the chain vouches for them only from then on."));
        }
    }

    // Whether the entry hash stored for r is the hash this row's content has (this row's content was written as r's).
    private static bool Moved(Row r, Row row, byte[] hash) => r.EntryHash!.AsSpan().SequenceEqual(Rehash(row.Entry!, r.Version, hash));

    // The hash the entry would have if it stood at another version (a swap changes the version column too).
    private static byte[] Rehash(LedgerEntry entry, long version, byte[] hash) => entry.Version == version ? hash : (entry with { Version = version }).Hash();

    private static async Task<List<(LedgerDigest Digest, byte[] Root, byte[] Hash)>> StoredDigestsAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string schema, CancellationToken ct)
    {
        var stored = new List<(LedgerDigest, byte[], byte[])>();
        await using var command = new NpgsqlCommand($"select number, taken_at, root, previous, hash, heads::text from {schema}.{IntegritySchema.DigestTable} order by number", connection, transaction);
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            var digest = new LedgerDigest(reader.GetInt64(0), new DateTimeOffset(reader.GetFieldValue<DateTime>(1), TimeSpan.Zero), ParseHeads(reader.GetString(5)), reader.GetFieldValue<byte[]>(3));
            stored.Add((digest, reader.GetFieldValue<byte[]>(2), reader.GetFieldValue<byte[]>(4)));
        }
        return stored;
    }

    internal static IReadOnlyList<StreamHead> ParseHeads(string json)
    {
        using var document = JsonDocument.Parse(json);
        return [.. document.RootElement.EnumerateArray().Select(h => new StreamHead(
            h.GetProperty("process").GetString()!, h.GetProperty("entries").GetInt64(), LedgerHash.FromHex(h.GetProperty("chain").GetString(), "stored head")))];
    }
}
