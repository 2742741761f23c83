using System.Buffers.Binary;
using System.Text;
using RatificationLedger.Storage;
using Npgsql;
using NpgsqlTypes;

namespace RatificationLedger.Recording;

// The chain links of a batch (hashed from the rows it copies, beside the COPY) and the binary COPY format's helpers.
internal sealed partial class BulkAppender
{
    private async Task WriteLinkedRowsAsync(NpgsqlConnection connection, IReadOnlyList<StreamAppend> streams, IReadOnlyList<CommandReceipt> receipts, EventRows rows,
        Dictionary<string, (long Version, byte[] Chain)> previous, Task<(byte[] Payload, int Length)>? linking, CancellationToken ct)
    {
        try
        {
            await using var copy = await connection.BeginRawBinaryCopyAsync(
                $"copy {_schema}.{StorageNames.Events} ({string.Join(", ", StorageNames.EventRowColumns)}) from stdin (format binary)", ct).ConfigureAwait(false);
            await copy.WriteAsync(rows.Payload, ct).ConfigureAwait(false);
        }
        catch
        {
            // The rows' buffers go back to the shelf after this: nothing may still be reading them.
            if (linking is not null)
            {
                await ((Task)linking).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                if (linking.IsCompletedSuccessfully)
                {
                    _buffers.Give(linking.Result.Payload);
                }
            }
            throw;
        }
        if (linking is null)
        {
            // A stream's last link is not at the version it was read at (entries written without the chain in between):
            // the rows are chained by reading them back (ChainWriter), which says what is wrong.
            await Integrity.ChainWriter.WriteAsync(connection, null, _schema, [.. streams.Select(s => new Integrity.ChainWriter.Written(s.Stream, s.ReadVersion))], ct).ConfigureAwait(false);
        }
        else
        {
            var (payload, length) = await linking.ConfigureAwait(false);
            try
            {
                await using var copy = await connection.BeginRawBinaryCopyAsync(
                    $"copy {_schema}.{Integrity.IntegritySchema.ChainTable} (stream_id, version, role, entry_hash, chain_hash) from stdin (format binary)", ct).ConfigureAwait(false);
                await copy.WriteAsync(payload.AsMemory(0, length), ct).ConfigureAwait(false);
            }
            finally
            {
                _buffers.Give(payload);
            }
        }

        if (receipts.Count > 0)
        {
            var type = typeof(CommandReceipt).FullName;
            await using var copy = await connection.BeginBinaryImportAsync(
                $"copy {_receiptTable.QualifiedName} (id, data, {StorageNames.Version}, {StorageNames.DotNetType}) from stdin (format binary)", ct).ConfigureAwait(false);
            foreach (var receipt in receipts)
            {
                copy.StartRow();
                copy.Write(receipt.Id, NpgsqlDbType.Varchar);
                copy.Write(_serializer.ToJson(receipt), NpgsqlDbType.Jsonb);
                copy.Write(Guid.NewGuid(), NpgsqlDbType.Uuid);
                copy.Write(type, NpgsqlDbType.Varchar);
            }
            await copy.CompleteAsync(ct).ConfigureAwait(false);
        }
    }
}

internal sealed partial class BulkAppender
{
    /// <summary>
    /// Whether every stream's last chain link is at the version the stream was read at, so that the new rows' links are
    /// computed here from the rows' own bytes (their canonical parts, written when they were encoded) with the
    /// transaction's time and role: no read-back.
    /// </summary>
    private static bool Chained(IReadOnlyList<StreamAppend> streams, Dictionary<string, (long Version, byte[] Chain)> previous)
    {
        foreach (var stream in streams)
        {
            var linked = previous.TryGetValue(stream.Stream, out var last) ? last.Version : 0;
            if (linked != stream.ReadVersion)
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>
    /// The rows' chain links as one binary COPY payload for the chain table (in an array from the shelf, given back by
    /// the caller, and its length): computed whole before it is sent, so the server is not kept waiting on the client
    /// while it hashes; the payload's size is known before it is written.
    /// </summary>
    private (byte[] Payload, int Length) Links(EventRows rows, DateTimeOffset timestamp, string role, Dictionary<string, (long Version, byte[] Chain)> previous)
    {
        var entries = rows.EntryHashes(timestamp, role);
        try
        {
            var roleBytes = Encoding.UTF8.GetBytes(role);
            var size = CopySignature.Length + 2;
            string? current = null;
            var streamLength = 0;
            for (var i = 0; i < rows.Count; i++)
            {
                var stream = rows.Entry(i).Stream;
                if (stream != current)
                {
                    current = stream;
                    streamLength = Encoding.UTF8.GetByteCount(stream);
                }
                size += 2 + 4 + streamLength + 4 + 8 + 4 + roleBytes.Length + ((4 + Integrity.LedgerHash.Size) * 2);
            }
            // Sized, as the rows' arrays are, for the largest batch expected (the links of a row are about the same size).
            var payload = _buffers.Take(rows.Count == 0 ? size : (int)Math.Min(Array.MaxLength, (long)size * _buffers.Rows(rows.Count) / rows.Count));
            CopySignature.CopyTo(payload, 0);
            var at = CopySignature.Length;
            current = null;
            byte[] streamBytes = [];
            byte[] chain = [];
            for (var i = 0; i < rows.Count; i++)
            {
                var (stream, version) = rows.Entry(i);
                if (stream != current)
                {
                    current = stream;
                    streamBytes = Encoding.UTF8.GetBytes(stream);
                    chain = previous.TryGetValue(stream, out var last) ? last.Chain : Integrity.LedgerHash.Genesis(stream);
                }
                var entry = entries.AsSpan(i * Integrity.LedgerHash.Size, Integrity.LedgerHash.Size);
                chain = Integrity.LedgerHash.Link(chain, entry);
                at = Put16(payload, at, 5);
                at = PutValue(payload, at, streamBytes);
                at = Put32(payload, at, 8);
                BinaryPrimitives.WriteInt64BigEndian(payload.AsSpan(at), version);
                at += 8;
                at = PutValue(payload, at, roleBytes);
                at = PutValue(payload, at, entry);
                at = PutValue(payload, at, chain);
            }
            at = Put16(payload, at, -1);
            return (payload, at);
        }
        finally
        {
            _buffers.Give(entries);
        }
    }

    // PostgreSQL's binary COPY header: signature, flags, header extension length.
    private static readonly byte[] CopySignature = [(byte)'P', (byte)'G', (byte)'C', (byte)'O', (byte)'P', (byte)'Y', (byte)'\n', 0xff, (byte)'\r', (byte)'\n', 0, 0, 0, 0, 0, 0, 0, 0, 0];

    private static int Put16(byte[] output, int at, short value)
    {
        BinaryPrimitives.WriteInt16BigEndian(output.AsSpan(at), value);
        return at + 2;
    }

    private static int Put32(byte[] output, int at, int value)
    {
        BinaryPrimitives.WriteInt32BigEndian(output.AsSpan(at), value);
        return at + 4;
    }

    // A value of variable length: its length, then its bytes.
    private static int PutValue(byte[] output, int at, ReadOnlySpan<byte> value)
    {
        at = Put32(output, at, value.Length);
        value.CopyTo(output.AsSpan(at));
        return at + value.Length;
    }
}
