using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace RatificationLedger.Projections.Rebuilding;

/// <summary>
/// Rows of one table in PostgreSQL's binary <c>COPY</c> format (without the file header and trailer, which
/// <see cref="Header"/> and <see cref="Trailer"/> add when the rows are sent), built on any thread and sent by the
/// rebuild's writer as they are. A row is <see cref="StartRow"/> then one call per column, in the table's column order.
/// </summary>
internal sealed class CopyRows : IBufferWriter<byte>
{
    /// <summary>The binary <c>COPY</c> signature, flags and header extension length.</summary>
    public static ReadOnlySpan<byte> Header => [(byte)'P', (byte)'G', (byte)'C', (byte)'O', (byte)'P', (byte)'Y', (byte)'\n', 0xff, (byte)'\r', (byte)'\n', 0, 0, 0, 0, 0, 0, 0, 0, 0];

    /// <summary>The end of the data: a field count of -1.</summary>
    public static ReadOnlySpan<byte> Trailer => [0xff, 0xff];

    // 2000-01-01, PostgreSQL's epoch for dates and timestamps.
    private static readonly DateOnly DateEpoch = new(2000, 1, 1);
    private static readonly long TimestampEpochTicks = new DateTime(2000, 1, 1, 0, 0, 0, DateTimeKind.Utc).Ticks;

    private byte[] _buffer;
    private int _length;

    public CopyRows(int capacity = 4096) => _buffer = new byte[Math.Max(capacity, 64)];

    /// <summary>How many rows were started.</summary>
    public int Count { get; private set; }

    /// <summary>The encoded rows' length in bytes.</summary>
    public int Length => _length;

    /// <summary>The encoded rows.</summary>
    public ReadOnlyMemory<byte> Written => _buffer.AsMemory(0, _length);

    /// <summary>Empties the buffer for new rows (keeping its memory).</summary>
    public void Clear()
    {
        _length = 0;
        Count = 0;
    }

    public void StartRow(short columns)
    {
        BinaryPrimitives.WriteInt16BigEndian(Take(2), columns);
        Count++;
    }

    public void Null() => BinaryPrimitives.WriteInt32BigEndian(Take(4), -1);

    public void Text(string? value)
    {
        if (value is null)
        {
            Null();
            return;
        }
        var bytes = Encoding.UTF8.GetByteCount(value);
        BinaryPrimitives.WriteInt32BigEndian(Take(4), bytes);
        Encoding.UTF8.GetBytes(value, Take(bytes));
    }

    /// <summary>A <c>jsonb</c> value written by <paramref name="write"/> (UTF-8 JSON into this buffer).</summary>
    public void Jsonb(Action<IBufferWriter<byte>> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        var lengthAt = _length;
        Take(4);
        Take(1)[0] = 1; // jsonb's binary format version
        write(this);
        BinaryPrimitives.WriteInt32BigEndian(_buffer.AsSpan(lengthAt, 4), _length - lengthAt - 4);
    }

    /// <summary>A <c>jsonb</c> value given as UTF-8 JSON.</summary>
    public void Jsonb(ReadOnlySpan<byte> json)
    {
        BinaryPrimitives.WriteInt32BigEndian(Take(4), json.Length + 1);
        Take(1)[0] = 1; // jsonb's binary format version
        json.CopyTo(Take(json.Length));
    }

    public void Bytea(ReadOnlySpan<byte> value)
    {
        BinaryPrimitives.WriteInt32BigEndian(Take(4), value.Length);
        value.CopyTo(Take(value.Length));
    }

    public void Uuid(Guid value)
    {
        BinaryPrimitives.WriteInt32BigEndian(Take(4), 16);
        value.TryWriteBytes(Take(16), bigEndian: true, out _);
    }

    public void Int64(long value)
    {
        BinaryPrimitives.WriteInt32BigEndian(Take(4), 8);
        BinaryPrimitives.WriteInt64BigEndian(Take(8), value);
    }

    public void Int32(int value)
    {
        BinaryPrimitives.WriteInt32BigEndian(Take(4), 4);
        BinaryPrimitives.WriteInt32BigEndian(Take(4), value);
    }

    public void Boolean(bool value)
    {
        BinaryPrimitives.WriteInt32BigEndian(Take(4), 1);
        Take(1)[0] = value ? (byte)1 : (byte)0;
    }

    public void Date(DateOnly? value)
    {
        if (value is not { } date)
        {
            Null();
            return;
        }
        BinaryPrimitives.WriteInt32BigEndian(Take(4), 4);
        // DateOnly.MinValue and MaxValue are '-infinity' and 'infinity', as Npgsql writes them (the as-of index's answer
        // for the days before the first entry, which the live maintenance writes through Npgsql): the server's
        // int.MinValue and int.MaxValue, not the years 1 and 9999.
        var days = date == DateOnly.MinValue ? int.MinValue : date == DateOnly.MaxValue ? int.MaxValue : date.DayNumber - DateEpoch.DayNumber;
        BinaryPrimitives.WriteInt32BigEndian(Take(4), days);
    }

    /// <summary>A <c>timestamptz</c> (microseconds since 2000-01-01 UTC).</summary>
    public void Timestamp(DateTimeOffset? value)
    {
        if (value is not { } instant)
        {
            Null();
            return;
        }
        BinaryPrimitives.WriteInt32BigEndian(Take(4), 8);
        BinaryPrimitives.WriteInt64BigEndian(Take(8), (instant.UtcTicks - TimestampEpochTicks) / TimeSpan.TicksPerMicrosecond);
    }

    void IBufferWriter<byte>.Advance(int count) => _length += count;

    Memory<byte> IBufferWriter<byte>.GetMemory(int sizeHint)
    {
        Ensure(Math.Max(sizeHint, 256));
        return _buffer.AsMemory(_length);
    }

    Span<byte> IBufferWriter<byte>.GetSpan(int sizeHint)
    {
        Ensure(Math.Max(sizeHint, 256));
        return _buffer.AsSpan(_length);
    }

    private Span<byte> Take(int count)
    {
        Ensure(count);
        var span = _buffer.AsSpan(_length, count);
        _length += count;
        return span;
    }

    private void Ensure(int count)
    {
        if (_length + count > _buffer.Length)
        {
            Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + count));
        }
    }
}
