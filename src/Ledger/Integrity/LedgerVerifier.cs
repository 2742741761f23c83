using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Npgsql;

namespace RatificationLedger.Integrity;

/// <summary>
/// Recomputes every entry hash and every chain link of the ledger, checks the stored digests, and checks each digest
/// given from outside against the ledger; reports the first divergence per process.
/// </summary>
internal static partial class LedgerVerifier
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
    public static Task<VerificationReport> VerifyAsync(NpgsqlConnection connection, string schema, IReadOnlyList<LedgerDigest> external, IProgress<long>? progress, CancellationToken ct) =>
        VerifyAsync(connection, schema, external, progress, Environment.ProcessorCount, ct);

    internal static async Task<VerificationReport> VerifyAsync(NpgsqlConnection connection, string schema, IReadOnlyList<LedgerDigest> external, IProgress<long>? progress, int workers, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(external);
        var findings = new Dictionary<string, Finding>(StringComparer.Ordinal);
        var digestFindings = new List<Finding>();
        var notes = new List<string>();

        // One snapshot for every read: the streams, the chain, the events and the stored digests.
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
        var links = await ReadLinksAsync(connection, transaction, schema, ct).ConfigureAwait(false);
        var (entries, mismatches) = await ScanEventsAsync(connection, transaction, schema, links, Math.Max(1, workers), progress, ct).ConfigureAwait(false);
        var rows = new List<Row>();
        foreach (var stream in links.Streams)
        {
            Rows(links, stream, rows);
            Check(links, stream, rows, mismatches, streamVersions, findings, notes);
        }
        foreach (var (stream, version) in streamVersions)
        {
            if (!links.ByKey.ContainsKey(stream) && version > 0 && !findings.ContainsKey(stream))
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
        // A stream's chain is its verified prefix: entry v's link is the stored chain hash of its v-th link.
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
                if (!links.ByKey.TryGetValue(head.Stream, out var chain))
                {
                    findings[head.Stream] = new Finding(head.Stream, 1, FindingKind.Deleted, $"the process is gone; {name} covers {head.Version} of its entries");
                }
                else if (chain.Verified < head.Version)
                {
                    findings[head.Stream] = new Finding(head.Stream, chain.Verified + 1, FindingKind.RolledBack, $"the process ends at entry {chain.Verified}; {name} covers {head.Version} entries");
                }
                else if (!links.ChainHash(chain.Start + (int)head.Version - 1).SequenceEqual(head.Chain))
                {
                    // The chain is consistent in itself, so it was recomputed after an entry at or before the head was rewritten.
                    var from = trusted.Where(t => t.Digest.TakenAt < digest.TakenAt)
                        .SelectMany(t => t.Digest.Heads.Where(h => h.Stream == head.Stream && h.Version <= chain.Verified && links.ChainHash(chain.Start + (int)h.Version - 1).SequenceEqual(h.Chain)))
                        .Select(h => h.Version).DefaultIfEmpty(0).Max() + 1;
                    findings[head.Stream] = new Finding(head.Stream, head.Version, FindingKind.Edited,
                        $"the chain at entry {head.Version} is not the one {name} holds: an entry from {from} to {head.Version} was rewritten and the chain recomputed after it");
                }
            }
            var before = (digest.TakenAt - WriteGrace).UtcTicks;
            foreach (var stream in links.Streams)
            {
                if (findings.ContainsKey(stream.Key))
                {
                    continue;
                }
                for (var v = covered.GetValueOrDefault(stream.Key); v < stream.Verified; v++)
                {
                    var recorded = links.Recorded[stream.Start + (int)v];
                    if (recorded < before)
                    {
                        findings[stream.Key] = new Finding(stream.Key, v + 1, FindingKind.Backdated,
                            $"recorded at {LedgerEntry.Instant(new DateTimeOffset(recorded, TimeSpan.Zero))}, before {name}, which does not cover it");
                        break;
                    }
                }
            }
        }

        var all = findings.Values.OrderBy(f => f.Process, StringComparer.Ordinal).Concat(digestFindings).ToArray();
        return new VerificationReport(links.ByKey.Count, entries, stored.Count, external.Count, all, notes);
    }

    // One row of a stream as a full join of the event and chain tables on (stream, version) gives it, in version order:
    // a link (Link >= 0) with or without its event, or an event with no link of its own (Link -1).
    private readonly record struct Row(long Version, int Link, bool HasEvent);

    private static void Rows(Links links, StreamRows stream, List<Row> rows)
    {
        rows.Clear();
        var unlinked = stream.Unlinked;
        unlinked?.Sort();
        int i = stream.Start, end = stream.Start + stream.Count, j = 0, extra = unlinked?.Count ?? 0;
        while (i < end || j < extra)
        {
            if (i < end && (j == extra || links.Versions[i] <= unlinked![j]))
            {
                rows.Add(new Row(links.Versions[i], i, (links.State[i] & LinkState.Claimed) != 0));
                i++;
            }
            else
            {
                rows.Add(new Row(unlinked![j], -1, true));
                j++;
            }
        }
    }

    private static void Check(Links links, StreamRows stream, List<Row> rows, ConcurrentDictionary<int, Mismatch> mismatches, Dictionary<string, long> streamVersions,
        Dictionary<string, Finding> findings, List<string> notes)
    {
        var key = stream.Key;
        Span<byte> previous = stackalloc byte[LedgerHash.Size];
        SHA256.HashData(stream.KeyUtf8, previous);
        Span<byte> link = stackalloc byte[LedgerHash.Size];
        var sha = LedgerHash.Sha256;
        long upgraded = 0;
        Finding? finding = null;
        var verified = 0;
        for (var i = 0; i < rows.Count; i++)
        {
            var row = rows[i];
            var expected = i + 1L;
            if (row.Version != expected)
            {
                finding = new Finding(key, expected, row.Version > expected ? FindingKind.Deleted : FindingKind.Inserted,
                    row.Version > expected ? $"entry {expected} is missing (the next is {row.Version})" : $"an entry numbered {row.Version} stands where {expected} should");
                break;
            }
            if (!row.HasEvent)
            {
                finding = new Finding(key, row.Version, FindingKind.Deleted, "the entry was removed from the event table (its chain link is still there)");
                break;
            }
            if (row.Link < 0)
            {
                finding = new Finding(key, row.Version, FindingKind.Inserted, "the entry has no link in the chain: it was not written through the ledger");
                break;
            }
            var state = links.State[row.Link];
            if ((state & LinkState.Matches) == 0)
            {
                var mismatch = mismatches[row.Link];
                var elsewhere = mismatch.Entry is null ? -1 : rows.FindIndex(r => r.Link >= 0 && r != row && Moved(links, r, mismatch));
                finding = elsewhere >= 0
                    ? new Finding(key, Math.Min(row.Version, rows[elsewhere].Version), FindingKind.Reordered,
                        $"entries {Math.Min(row.Version, rows[elsewhere].Version)} and {Math.Max(row.Version, rows[elsewhere].Version)} stand in each other's place")
                    : new Finding(key, row.Version, FindingKind.Edited, "the entry is not as it was written (its hash differs)");
                break;
            }
            // c_v = SHA-256(0x01 || c_{v-1} || e_v), e_v being the stored entry hash the entry was just found to have.
            sha.AppendData([0x01]);
            sha.AppendData(previous);
            sha.AppendData(links.EntryHash(row.Link));
            sha.GetHashAndReset(link);
            if ((state & LinkState.BadChainHash) != 0 || !link.SequenceEqual(links.ChainHash(row.Link)))
            {
                finding = new Finding(key, row.Version, FindingKind.Edited, "its link does not follow from the entry before it (the chain was altered)");
                break;
            }
            if (links.Roles[row.Link] < 0)
            {
                upgraded = row.Version;
            }
            else if (upgraded > 0 && upgraded != row.Version - 1)
            {
                finding = new Finding(key, row.Version, FindingKind.Edited, "an entry after the chain began has no writing role");
                break;
            }
            verified++;
            link.CopyTo(previous);
        }
        stream.Verified = verified;
        if (finding is null && streamVersions.TryGetValue(key, out var version) && version > rows.Count)
        {
            finding = new Finding(key, rows.Count + 1, FindingKind.Deleted, $"the stream is at version {version}, but its entries end at {rows.Count}");
        }
        if (finding is not null)
        {
            findings[key] = finding;
        }
        if (upgraded > 0)
        {
            notes.Add(string.Create(CultureInfo.InvariantCulture, $"{key}: entries 1 to {upgraded} were written before the chain and chained on upgrade; the chain vouches for them only from then on."));
        }
    }

    // Whether the entry hash stored for r is the hash this mismatched entry's content has at r's version (a swap
    // changes the version column too): this entry was written as r's.
    private static bool Moved(Links links, Row r, Mismatch mismatch)
    {
        if ((links.State[r.Link] & LinkState.BadEntryHash) != 0)
        {
            return false;
        }
        var hash = mismatch.Entry!.Version == r.Version ? mismatch.Hash : (mismatch.Entry with { Version = r.Version }).Hash();
        return links.EntryHash(r.Link).SequenceEqual(hash);
    }

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
