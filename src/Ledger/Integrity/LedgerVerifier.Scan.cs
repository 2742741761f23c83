using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;
using System.Security.Cryptography;
using System.Text;
using System.Threading.Channels;
using Npgsql;

namespace RatificationLedger.Integrity;

// Reading and hashing: the chain table first (small, in key order), then the event table in one sequential pass, its
// rows' bytes handed in batches to workers on every core that write each entry's canonical form and hash it against
// the stored entry hash of its link. What follows from the order of the entries (the links, the versions, the digests)
// is checked afterwards, stream by stream, from what the pass left in these arrays.
internal static partial class LedgerVerifier
{
    [Flags]
    private enum LinkState : byte
    {
        None = 0,
        Claimed = 1, // an event of the link's stream and version was read and handed to a worker
        Matches = 2, // the event's hash is the stored entry hash
        Differs = 4, // it is not (see the mismatches)
        BadEntryHash = 8, // the stored entry hash is null or not 32 bytes
        BadChainHash = 16, // the stored chain hash is null or not 32 bytes
    }

    /// <summary>One stream: its links in <see cref="Links"/> from <see cref="Start"/>, and its events that have no link of their own.</summary>
    private sealed class StreamRows(string key, int start)
    {
        public string Key { get; } = key;

        public byte[] KeyUtf8 { get; } = Encoding.UTF8.GetBytes(key);

        public int Start { get; } = start;

        public int Count { get; set; }

        public List<long>? Unlinked { get; set; }

        /// <summary>How many entries from the first verified (their links are the stored chain hashes).</summary>
        public int Verified { get; set; }
    }

    /// <summary>Every link of the chain table as columns, stream after stream, with what the event pass found for each.</summary>
    private sealed class Links
    {
        public List<StreamRows> Streams { get; } = [];

        public Dictionary<string, StreamRows> ByKey { get; } = new(StringComparer.Ordinal);

        public List<string> RoleNames { get; } = [];

        public List<byte[]> RoleBytes { get; } = [];

        public long[] Versions = new long[1024];
        public int[] Roles = new int[1024]; // into RoleNames, -1 for none
        public byte[] Hashes = new byte[1024 * 2 * LedgerHash.Size]; // per link: entry hash, chain hash
        public LinkState[] State = new LinkState[1024];
        public long[] Recorded = new long[1024]; // per link: its event's recorded-at, UTC ticks
        public int Count;

        public ReadOnlySpan<byte> EntryHash(int link) => Hashes.AsSpan(link * 2 * LedgerHash.Size, LedgerHash.Size);

        public ReadOnlySpan<byte> ChainHash(int link) => Hashes.AsSpan((link * 2 + 1) * LedgerHash.Size, LedgerHash.Size);

        public void Grow()
        {
            var size = Versions.Length * 2;
            Array.Resize(ref Versions, size);
            Array.Resize(ref Roles, size);
            Array.Resize(ref Hashes, size * 2 * LedgerHash.Size);
            Array.Resize(ref State, size);
            Array.Resize(ref Recorded, size);
        }

        public StreamRows Stream(string key)
        {
            if (!ByKey.TryGetValue(key, out var stream))
            {
                stream = new StreamRows(key, Count);
                ByKey.Add(key, stream);
                Streams.Add(stream);
            }
            return stream;
        }

        // The link of the stream's entry at this version, or -1.
        public int Find(StreamRows stream, long version)
        {
            var guess = stream.Start + version - 1;
            if (version >= 1 && version <= stream.Count && Versions[guess] == version)
            {
                return (int)guess;
            }
            var at = Array.BinarySearch(Versions, stream.Start, stream.Count, version);
            if (at < 0)
            {
                return -1;
            }
            while (at > stream.Start && Versions[at - 1] == version)
            {
                at--; // a version linked twice (the key dropped): the first
            }
            return at;
        }
    }

    /// <summary>An entry whose hash is not its link's: the entry as read (null when a column it needs is null) and its hash.</summary>
    private sealed record Mismatch(LedgerEntry? Entry, byte[] Hash);

    private static async Task<Links> ReadLinksAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string schema, CancellationToken ct)
    {
        var links = new Links();
        var roles = new Dictionary<string, int>(StringComparer.Ordinal);
        await using var command = new NpgsqlCommand(
            $"select stream_id, version, role, entry_hash, chain_hash from {schema}.{IntegritySchema.ChainTable} order by stream_id, version", connection, transaction);
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        StreamRows? stream = null;
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            var key = reader.GetString(0);
            if (stream is null || !string.Equals(stream.Key, key, StringComparison.Ordinal))
            {
                if (links.ByKey.ContainsKey(key))
                {
                    throw new InvalidOperationException($"The chain table did not come back grouped by stream ({key} twice).");
                }
                stream = links.Stream(key);
            }
            if (links.Count == links.Versions.Length)
            {
                links.Grow();
            }
            var i = links.Count++;
            stream.Count++;
            links.Versions[i] = reader.GetInt64(1);
            if (reader.IsDBNull(2))
            {
                links.Roles[i] = -1;
            }
            else
            {
                var role = reader.GetString(2);
                if (!roles.TryGetValue(role, out var r))
                {
                    roles[role] = r = links.RoleNames.Count;
                    links.RoleNames.Add(role);
                    links.RoleBytes.Add(Encoding.UTF8.GetBytes(role));
                }
                links.Roles[i] = r;
            }
            var state = LinkState.None;
            if (!ReadHash(reader, 3, links.Hashes, i * 2 * LedgerHash.Size))
            {
                state |= LinkState.BadEntryHash;
            }
            if (!ReadHash(reader, 4, links.Hashes, (i * 2 + 1) * LedgerHash.Size))
            {
                state |= LinkState.BadChainHash;
            }
            links.State[i] = state;
        }
        return links;
    }

    private static bool ReadHash(NpgsqlDataReader reader, int ordinal, byte[] into, int at)
    {
        if (reader.IsDBNull(ordinal) || reader.GetBytes(ordinal, 0, null, 0, 0) != LedgerHash.Size)
        {
            return false;
        }
        reader.GetBytes(ordinal, 0, into, at, LedgerHash.Size);
        return true;
    }

    /// <summary>A batch of event rows for a worker: their columns' bytes in one array.</summary>
    private sealed class Batch
    {
        public const int Rows = 256;

        public byte[] Bytes = new byte[1 << 17];
        public int Used;
        public readonly EventRow[] Row = new EventRow[Rows];
        public int Count;

        public (int At, int Length) Column(NpgsqlDataReader reader, int ordinal, bool jsonb)
        {
            if (reader.IsDBNull(ordinal))
            {
                return (0, -1);
            }
            var length = (int)reader.GetBytes(ordinal, 0, null, 0, 0);
            if (Bytes.Length - Used < length)
            {
                Array.Resize(ref Bytes, Math.Max(Bytes.Length * 2, Used + length));
            }
            reader.GetBytes(ordinal, 0, Bytes, Used, length);
            var at = Used;
            Used += length;
            if (!jsonb)
            {
                return (at, length);
            }
            // jsonb's binary form: a format byte (1: the text follows), then the JSON text.
            if (length == 0 || Bytes[at] != 1)
            {
                throw new InvalidOperationException($"A jsonb value in a format this version does not read (format byte {(length == 0 ? "missing" : Bytes[at].ToString(System.Globalization.CultureInfo.InvariantCulture))}).");
            }
            return (at + 1, length - 1);
        }

        public ReadOnlySpan<byte> Span((int At, int Length) range) => Bytes.AsSpan(range.At, Math.Max(range.Length, 0));

        public Utf8Field Field((int At, int Length) range) => range.Length < 0 ? Utf8Field.Null : new Utf8Field(Bytes.AsSpan(range.At, range.Length));

        public string? Text((int At, int Length) range) => range.Length < 0 ? null : Encoding.UTF8.GetString(Bytes, range.At, range.Length);

        public void Clear()
        {
            Used = 0;
            Count = 0;
            Array.Clear(Row); // drop the stream references
        }
    }

    private struct EventRow
    {
        public int Link;
        public StreamRows Stream;
        public long Version;
        public long Recorded;
        public (int At, int Length) Type, Data, Headers, RecordedBy, Correlation, Causation;
    }

    /// <summary>
    /// Reads every event once, in the table's order, and hashes each against its link on <paramref name="workers"/>
    /// threads. Returns how many rows a full join of the two tables has (the entries checked) and the mismatches.
    /// </summary>
    private static async Task<(long Entries, ConcurrentDictionary<int, Mismatch> Mismatches)> ScanEventsAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, string schema, Links links, int workers, IProgress<long>? progress, CancellationToken ct)
    {
        var mismatches = new ConcurrentDictionary<int, Mismatch>();
        var channel = Channel.CreateBounded<Batch>(new BoundedChannelOptions(workers * 2) { SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });
        var spare = new ConcurrentBag<Batch>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var hashing = Enumerable.Range(0, workers).Select(_ => Task.Run(async () =>
        {
            try
            {
                await foreach (var batch in channel.Reader.ReadAllAsync(stop.Token).ConfigureAwait(false))
                {
                    HashBatch(batch, links, mismatches);
                    batch.Clear();
                    spare.Add(batch);
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                // the reader failed or the caller cancelled: the reader reports it
            }
            catch
            {
                await stop.CancelAsync().ConfigureAwait(false);
                throw;
            }
        }, CancellationToken.None)).ToArray();

        long events = 0;
        Exception? failure = null;
        try
        {
            await using var command = new NpgsqlCommand(
                $"select stream_id, version, type, data, headers, user_name, correlation_id, causation_id, timestamp from {schema}.mt_events",
                connection, transaction);
            await using var reader = await command.ExecuteReaderAsync(stop.Token).ConfigureAwait(false);
            var batch = spare.TryTake(out var b) ? b : new Batch();
            while (await reader.ReadAsync(stop.Token).ConfigureAwait(false))
            {
                var stream = links.Stream(reader.GetString(0));
                var version = reader.GetInt64(1);
                var link = links.Find(stream, version);
                if (++events % 10_000 == 0)
                {
                    progress?.Report(events);
                }
                if (link < 0 || (links.State[link] & LinkState.Claimed) != 0)
                {
                    // No link of its own (or its link already has an event): the check stops at it before any hash.
                    (stream.Unlinked ??= []).Add(version);
                    continue;
                }
                links.State[link] |= LinkState.Claimed;
                var recorded = reader.GetFieldValue<DateTime>(8).Ticks;
                links.Recorded[link] = recorded;
                ref var row = ref batch.Row[batch.Count++];
                row.Link = link;
                row.Stream = stream;
                row.Version = version;
                row.Recorded = recorded;
                row.Type = batch.Column(reader, 2, jsonb: false);
                row.Data = batch.Column(reader, 3, jsonb: true);
                row.Headers = batch.Column(reader, 4, jsonb: true);
                row.RecordedBy = batch.Column(reader, 5, jsonb: false);
                row.Correlation = batch.Column(reader, 6, jsonb: false);
                row.Causation = batch.Column(reader, 7, jsonb: false);
                if (batch.Count == Batch.Rows || batch.Used > batch.Bytes.Length * 3 / 4)
                {
                    await channel.Writer.WriteAsync(batch, stop.Token).ConfigureAwait(false);
                    batch = spare.TryTake(out b) ? b : new Batch();
                }
            }
            if (batch.Count > 0)
            {
                await channel.Writer.WriteAsync(batch, stop.Token).ConfigureAwait(false);
            }
        }
        catch (Exception e)
        {
            failure = e;
            await stop.CancelAsync().ConfigureAwait(false);
        }
        channel.Writer.TryComplete();
        try
        {
            await Task.WhenAll(hashing).ConfigureAwait(false);
        }
        catch (Exception e) when (failure is not null || hashing.Any(t => t.IsFaulted))
        {
            // A worker's own error (a JSON text that is not JSON, say) explains the reader's cancellation: report it.
            failure = hashing.FirstOrDefault(t => t.IsFaulted)?.Exception?.InnerException ?? failure ?? e;
        }
        if (failure is not null)
        {
            ExceptionDispatchInfo.Throw(failure);
        }
        ct.ThrowIfCancellationRequested();

        // The rows of a full join on (stream, version): every event, and the links no event claimed.
        var entries = events;
        for (var i = 0; i < links.Count; i++)
        {
            if ((links.State[i] & LinkState.Claimed) == 0)
            {
                entries++;
            }
        }
        return (entries, mismatches);
    }

    [ThreadStatic]
    private static ByteSink? t_canonical;

    private static void HashBatch(Batch batch, Links links, ConcurrentDictionary<int, Mismatch> mismatches)
    {
        var json = Utf8Canonicalizer.ForThisThread;
        var output = t_canonical ??= new ByteSink(4096);
        var sha = LedgerHash.Sha256;
        Span<byte> hash = stackalloc byte[LedgerHash.Size];
        for (var i = 0; i < batch.Count; i++)
        {
            ref var row = ref batch.Row[i];
            var role = links.Roles[row.Link];
            var state = links.State[row.Link];
            if (row.Type.Length < 0 || row.Data.Length < 0)
            {
                // A column the ledger always writes is null: the entry is not as it was written.
                mismatches[row.Link] = new Mismatch(null, []);
                links.State[row.Link] = state | LinkState.Differs;
                continue;
            }
            output.Length = 0;
            output.Put(0x00);
            CanonicalEntry.Write(output, json, row.Stream.KeyUtf8, row.Version, batch.Span(row.Type), batch.Span(row.Data), batch.Field(row.Headers),
                batch.Field(row.RecordedBy), role < 0 ? Utf8Field.Null : new Utf8Field(links.RoleBytes[role]), batch.Field(row.Correlation),
                batch.Field(row.Causation), row.Recorded);
            sha.AppendData(output.Written);
            sha.GetHashAndReset(hash);
            if ((state & LinkState.BadEntryHash) == 0 && hash.SequenceEqual(links.EntryHash(row.Link)))
            {
                links.State[row.Link] = state | LinkState.Matches;
                continue;
            }
            var entry = new LedgerEntry(row.Stream.Key, row.Version, batch.Text(row.Type)!, batch.Text(row.Data)!, batch.Text(row.Headers),
                batch.Text(row.RecordedBy), role < 0 ? null : links.RoleNames[role], batch.Text(row.Correlation), batch.Text(row.Causation),
                new DateTimeOffset(row.Recorded, TimeSpan.Zero));
            mismatches[row.Link] = new Mismatch(entry, hash.ToArray());
            links.State[row.Link] = state | LinkState.Differs;
        }
        if (output.Buffer.Length > 1 << 20)
        {
            t_canonical = null;
        }
    }
}
