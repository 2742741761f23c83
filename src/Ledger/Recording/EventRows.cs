using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using JasperFx.Events;
using Marten;

namespace RatificationLedger.Recording;

/// <summary>
/// A batch's rows for Marten's event table in PostgreSQL's binary <c>COPY</c> format, written once, straight into one
/// buffer: each value's bytes as the server reads them, with no per-value conversion left for the write. Built when an
/// import decides the batch (on the core not busy writing the batch before), so the write only fills in what is known
/// at the write (each row's sequence number and the common timestamp, at positions kept here) and streams the buffer.
/// </summary>
internal sealed class EventRows : IBufferWriter<byte>
{
    // The columns, in the order of BulkAppender's COPY statement.
    private const short Columns = 14;
    private static readonly byte[] Signature = [(byte)'P', (byte)'G', (byte)'C', (byte)'O', (byte)'P', (byte)'Y', (byte)'\n', 0xff, (byte)'\r', (byte)'\n', 0];
    private static readonly long PostgresEpochTicks = new DateTime(2000, 1, 1, 0, 0, 0, DateTimeKind.Utc).Ticks;
    private static readonly JsonWriterOptions HeaderJson = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true };

    private byte[] _buffer;
    private int _length;
    private readonly int[] _sequenceAt;
    private readonly int[] _timestampAt;
    private int _rows;

    // Each row's entry in canonical form, in three parts around recorded-at and role (see EntryParts): the parts of row
    // i start at _partsAt[i], its head and middle are _head[i] and _middle[i] long, its tail ends where row i + 1 starts.
    private readonly Integrity.ByteSink _parts;
    private readonly int[] _partsAt;
    private readonly int[] _head;
    private readonly int[] _middle;
    private readonly string[] _stream;
    private readonly long[] _version;

    // Where the buffers come from and go back to (an import keeps them between batches).
    private readonly ImportBuffers _buffers;

    private EventRows(int rows, ImportBuffers buffers)
    {
        _buffers = buffers;
        // Room for the rows as the import's rows have been so far (ImportBuffers), so that a batch's buffers are seldom grown.
        var size = (int)Math.Min(Array.MaxLength - 2, Math.Max(4096L, (long)buffers.Rows(rows) * buffers.RowBytes));
        _buffer = buffers.Take(size);
        _sequenceAt = new int[rows];
        _timestampAt = new int[rows];
        _parts = new Integrity.ByteSink(buffers.Take(size));
        _partsAt = new int[rows + 1];
        _head = new int[rows];
        _middle = new int[rows];
        _stream = new string[rows];
        _version = new long[rows];
    }

    /// <summary>How many rows the buffer holds.</summary>
    public int Count => _rows;

    /// <summary>
    /// The rows of <paramref name="streams"/>' events, in order, each event stamped first as the write stamps it (stream,
    /// version after the version read, tenant, recorded-by, correlation and causation); data written by
    /// <paramref name="json"/> and headers serialized with its serializer (headers of plain strings and booleans written
    /// directly, as the same JSON value).
    /// </summary>
    public static EventRows Encode(IReadOnlyList<BulkAppender.StreamAppend> streams, EventJson json, ImportBuffers buffers, string tenant, string recordedBy, string? correlationId, string? causationId)
    {
        var count = 0;
        foreach (var stream in streams)
        {
            count += stream.Events.Count;
        }
        var rows = new EventRows(count, buffers);
        try
        {
            rows.Put(Signature);
            rows.PutInt32(0); // flags
            rows.PutInt32(0); // header extension
            using var headers = new Utf8JsonWriter(rows, HeaderJson);
            foreach (var stream in streams)
            {
                var version = stream.ReadVersion;
                foreach (var e in stream.Events)
                {
                    e.Version = ++version;
                    e.StreamKey = stream.Stream;
                    e.TenantId = tenant;
                    e.UserName = recordedBy;
                    e.CorrelationId ??= correlationId;
                    e.CausationId ??= causationId;
                    rows.Row(e, json, headers);
                }
            }
            return rows;
        }
        catch
        {
            rows.Release();
            throw;
        }
    }

    private void Row(IEvent e, EventJson eventJson, Utf8JsonWriter json)
    {
        PutInt16(Columns);
        PutInt32(8);
        _sequenceAt[_rows] = _length;
        PutInt64(0); // seq_id: at the write
        PutInt32(16);
        e.Id.TryWriteBytes(Span(16), bigEndian: true, out _);
        _length += 16;
        PutText(e.StreamKey);
        PutInt32(8);
        PutInt64(e.Version);
        // Written straight into the row as UTF-8 (the serializer's bytes, see EventJson; the server stores jsonb, and the
        // entry hash canonicalizes these bytes), not through a string per event.
        var dataValue = StartValue();
        Put([1]); // jsonb version
        var dataAt = _length;
        eventJson.Write(this, e.Data);
        var dataLength = _length - dataAt;
        EndValue(dataValue);
        PutText(e.EventTypeName);
        PutInt32(8);
        _timestampAt[_rows] = _length;
        PutInt64(0); // timestamp: at the write
        PutText(e.TenantId);
        PutText(e.DotNetTypeName);
        PutText(e.CorrelationId);
        PutText(e.CausationId);
        var (headersAt, headersLength) = (0, -1);
        if (e.Headers is not { Count: > 0 } headers)
        {
            PutInt32(-1);
        }
        else if (PlainHeaders(headers))
        {
            var at = StartValue();
            Put([1]); // jsonb version
            headersAt = _length;
            json.Reset(this);
            json.WriteStartObject();
            foreach (var (key, value) in headers)
            {
                if (value is string text)
                {
                    json.WriteString(key, text);
                }
                else
                {
                    json.WriteBoolean(key, (bool)value);
                }
            }
            json.WriteEndObject();
            json.Flush();
            headersLength = _length - headersAt;
            EndValue(at);
        }
        else
        {
            (headersAt, headersLength) = PutJson(eventJson.Serializer.ToJson(headers));
        }
        PutText(e.UserName);
        PutInt32(1);
        Put([0]); // is_archived

        // The entry's canonical form from the same JSON bytes the row carries.
        var (head, middle) = Integrity.EntryParts.Write(_parts, _buffer.AsMemory(dataAt, dataLength),
            headersLength < 0 ? null : _buffer.AsMemory(headersAt, headersLength),
            e.CausationId, e.CorrelationId, e.UserName, e.StreamKey!, e.EventTypeName, e.Version);
        _head[_rows] = head;
        _middle[_rows] = middle;
        _stream[_rows] = e.StreamKey!;
        _version[_rows] = e.Version;
        _rows++;
        _partsAt[_rows] = _parts.Length;
    }

    /// <summary>Row <paramref name="row"/>'s stream and version.</summary>
    public (string Stream, long Version) Entry(int row) => (_stream[row], _version[row]);

    /// <summary>
    /// Every row's entry hash as the transaction writes it: recorded at <paramref name="timestamp"/> by
    /// <paramref name="role"/>; 32 bytes per row, in row order, at the start of an array from <see cref="ImportBuffers"/>
    /// (given back by the caller).
    /// </summary>
    public byte[] EntryHashes(DateTimeOffset timestamp, string role)
    {
        var instant = Integrity.EntryParts.Instant(timestamp);
        var roleJson = Integrity.EntryParts.Role(role);
        var hashes = _buffers.Take(Math.Max(1, _buffers.Rows(_rows) * Integrity.LedgerHash.Size));
        var parts = _parts.Written;
        using var sha = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        for (var i = 0; i < _rows; i++)
        {
            Integrity.EntryParts.Hash(sha, parts[_partsAt[i].._partsAt[i + 1]], _head[i], _middle[i], instant, roleJson,
                hashes.AsSpan(i * Integrity.LedgerHash.Size, Integrity.LedgerHash.Size));
        }
        return hashes;
    }

    private static bool PlainHeaders(Dictionary<string, object> headers)
    {
        // The entries themselves (a struct enumerator), not the Values collection, which is an object per dictionary.
        foreach (var (_, value) in headers)
        {
            if (value is not (string or bool))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>Fills in every row's sequence number (in row order) and the timestamp, as the write knows them.</summary>
    public void Complete(ReadOnlySpan<long> sequence, DateTimeOffset timestamp)
    {
        if (sequence.Length != _rows)
        {
            throw new ArgumentException($"{sequence.Length} sequence numbers for {_rows} rows.", nameof(sequence));
        }
        var micros = (timestamp.UtcTicks - PostgresEpochTicks) / TimeSpan.TicksPerMicrosecond;
        for (var i = 0; i < _rows; i++)
        {
            BinaryPrimitives.WriteInt64BigEndian(_buffer.AsSpan(_sequenceAt[i]), sequence[i]);
            BinaryPrimitives.WriteInt64BigEndian(_buffer.AsSpan(_timestampAt[i]), micros);
        }
    }

    /// <summary>The whole COPY payload, rows and trailer.</summary>
    public ReadOnlyMemory<byte> Payload
    {
        get
        {
            BinaryPrimitives.WriteInt16BigEndian(Span(2), -1);
            return _buffer.AsMemory(0, _length + 2);
        }
    }

    /// <summary>Gives the buffers back for the next batch; the rows are not used after this.</summary>
    public void Release()
    {
        var buffer = Interlocked.Exchange(ref _buffer, []);
        if (buffer.Length > 0)
        {
            _buffers.Observe(_rows, Math.Max(_length + 2, _parts.Length));
            _buffers.Give(buffer);
            _buffers.Give(_parts.Buffer);
        }
    }

    private void PutText(string? text)
    {
        if (text is null)
        {
            PutInt32(-1);
            return;
        }
        var at = StartValue();
        PutUtf8(text);
        EndValue(at);
    }

    // A jsonb value; returns where its JSON text starts in the buffer and its length.
    private (int At, int Length) PutJson(string json)
    {
        var at = StartValue();
        Put([1]); // jsonb version
        var start = _length;
        PutUtf8(json);
        EndValue(at);
        return (start, _length - start);
    }

    private void PutUtf8(string text) => _length += Encoding.UTF8.GetBytes(text, Span(Encoding.UTF8.GetMaxByteCount(text.Length)));

    // A value of variable length: its length goes in front once it is written.
    private int StartValue()
    {
        Span(4);
        var at = _length;
        _length += 4;
        return at;
    }

    private void EndValue(int at) => BinaryPrimitives.WriteInt32BigEndian(_buffer.AsSpan(at), _length - at - 4);

    private void PutInt16(short value)
    {
        BinaryPrimitives.WriteInt16BigEndian(Span(2), value);
        _length += 2;
    }

    private void PutInt32(int value)
    {
        BinaryPrimitives.WriteInt32BigEndian(Span(4), value);
        _length += 4;
    }

    private void PutInt64(long value)
    {
        BinaryPrimitives.WriteInt64BigEndian(Span(8), value);
        _length += 8;
    }

    private void Put(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(Span(bytes.Length));
        _length += bytes.Length;
    }

    // At least `size` free bytes at the end (keeping 2 spare for the trailer), growing the buffer if need be.
    private Span<byte> Span(int size)
    {
        if (_length + size + 2 > _buffer.Length)
        {
            _buffer = _buffers.Grow(_buffer, _length, _length + size + 2);
        }
        return _buffer.AsSpan(_length);
    }

    void IBufferWriter<byte>.Advance(int count) => _length += count;

    Memory<byte> IBufferWriter<byte>.GetMemory(int sizeHint)
    {
        Span(Math.Max(sizeHint, 256));
        return _buffer.AsMemory(_length, _buffer.Length - _length - 2);
    }

    Span<byte> IBufferWriter<byte>.GetSpan(int sizeHint)
    {
        Span(Math.Max(sizeHint, 256));
        return _buffer.AsSpan(_length, _buffer.Length - _length - 2);
    }
}
