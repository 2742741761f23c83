using System.Buffers.Binary;
using System.Text;
using Npgsql;
using RatificationLedger.Domain;

namespace RatificationLedger.Projections.Rebuilding;

internal sealed partial class ReadModelRebuild
{
    /// <summary>
    /// The scan's rows as PostgreSQL's binary <c>COPY</c> sends them (stream, version, sequence, type, data, timestamp,
    /// user, source, unconfirmed), taken apart in place: the stream's key is made a string once per stream, the type,
    /// user, source and flag are the previous row's string when their bytes are the same, and the events' JSON is copied
    /// into shared arrays a worker decodes from. One row at a time: <see cref="NextAsync"/>, then the accessors.
    /// </summary>
    private sealed class EventRows(NpgsqlRawCopyStream copy)
    {
        private const int Columns = 9;
        private const int ArenaBytes = 64 * 1024;
        private static readonly long TimestampEpochTicks = new DateTime(2000, 1, 1, 0, 0, 0, DateTimeKind.Utc).Ticks;
        private static readonly byte[] Signature = [(byte)'P', (byte)'G', (byte)'C', (byte)'O', (byte)'P', (byte)'Y', (byte)'\n', 0xff, (byte)'\r', (byte)'\n', 0];

        private readonly int[] _offsets = new int[Columns];
        private readonly int[] _lengths = new int[Columns];
        private readonly List<(byte[] Bytes, string Text)> _types =
            [.. StoredEventNames.All.Values.Select(name => (Encoding.UTF8.GetBytes(name), name))];
        private readonly Reused _user = new(), _source = new(), _unconfirmed = new();
        private byte[] _buffer = new byte[256 * 1024];
        private int _start, _end;
        private bool _header = true;
        private byte[] _stream = new byte[64];
        private int _streamLength;
        private byte[] _arena = new byte[ArenaBytes];
        private int _arenaUsed;

        /// <summary>Moves to the next row; false at the end of the data.</summary>
        public async ValueTask<bool> NextAsync(CancellationToken ct)
        {
            if (_header)
            {
                await FillAsync(Signature.Length + 8, ct).ConfigureAwait(false);
                if (!_buffer.AsSpan(_start, Signature.Length).SequenceEqual(Signature))
                {
                    throw new InvalidOperationException("The event table's binary COPY did not start with PostgreSQL's signature.");
                }
                var extension = BinaryPrimitives.ReadInt32BigEndian(_buffer.AsSpan(_start + Signature.Length + 4));
                _start += Signature.Length + 8;
                await FillAsync(extension, ct).ConfigureAwait(false);
                _start += extension;
                _header = false;
            }
            // A row is taken apart where it lies when the buffer holds all of it (nearly always): no await per field.
            while (true)
            {
                switch (TryRow())
                {
                    case 1:
                        return true;
                    case 0:
                        return false;
                }
                await FillAsync(_end - _start + 1, ct).ConfigureAwait(false);
            }
        }

        // 1: a row (its fields' offsets and lengths set), 0: the end of the data, -1: the row is not all in the buffer.
        private int TryRow()
        {
            var row = _buffer.AsSpan(_start, _end - _start);
            if (row.Length < 2)
            {
                return -1;
            }
            var fields = BinaryPrimitives.ReadInt16BigEndian(row);
            if (fields == -1)
            {
                _start += 2;
                return 0;
            }
            if (fields != Columns)
            {
                throw new InvalidOperationException($"The event table's binary COPY sent a row of {fields} columns, not {Columns}.");
            }
            var at = 2;
            for (var f = 0; f < Columns; f++)
            {
                if (row.Length < at + 4)
                {
                    return -1;
                }
                var length = BinaryPrimitives.ReadInt32BigEndian(row[at..]);
                at += 4;
                _lengths[f] = length;
                _offsets[f] = _start + at;
                if (length > 0)
                {
                    at += length;
                    if (row.Length < at)
                    {
                        return -1;
                    }
                }
            }
            _start += at;
            return 1;
        }

        /// <summary>Whether the row is of the stream last made a string by <see cref="Stream"/>.</summary>
        public bool IsStream() => Field(0).SequenceEqual(_stream.AsSpan(0, _streamLength));

        /// <summary>The row's stream key.</summary>
        public string Stream()
        {
            var key = Field(0);
            if (key.Length > _stream.Length)
            {
                _stream = new byte[key.Length * 2];
            }
            key.CopyTo(_stream);
            _streamLength = key.Length;
            return Encoding.UTF8.GetString(key);
        }

        /// <summary>The row as an entry to decode (its JSON copied out of the buffer).</summary>
        public RawEntry Entry()
        {
            var data = Field(4);
            // jsonb's binary form: a version byte (1), then the JSON text.
            if (data.Length < 1 || data[0] != 1)
            {
                throw new InvalidOperationException($"{Encoding.UTF8.GetString(Field(0))}: entry {Int64(1)} has data in an unknown jsonb format.");
            }
            var json = data[1..];
            if (json.Length > _arena.Length - _arenaUsed)
            {
                _arena = new byte[Math.Max(ArenaBytes, json.Length)];
                _arenaUsed = 0;
            }
            var offset = _arenaUsed;
            json.CopyTo(_arena.AsSpan(offset));
            _arenaUsed += json.Length;
            var micros = Int64(5);
            return new RawEntry(Int64(1), Int64(2), TypeName(), _arena, offset, json.Length,
                new DateTimeOffset(TimestampEpochTicks + micros * TimeSpan.TicksPerMicrosecond, TimeSpan.Zero),
                _user.Of(this, 6), _source.Of(this, 7), _unconfirmed.Of(this, 8));
        }

        private string TypeName()
        {
            var bytes = Field(3);
            foreach (var (known, text) in _types)
            {
                if (bytes.SequenceEqual(known))
                {
                    return text;
                }
            }
            // Unknown: the decoder names it in its error.
            return Encoding.UTF8.GetString(bytes);
        }

        private long Int64(int field) => _lengths[field] == 8
            ? BinaryPrimitives.ReadInt64BigEndian(Field(field))
            : throw new InvalidOperationException($"The event table's binary COPY sent column {field + 1} in {_lengths[field]} bytes, not 8.");

        private ReadOnlySpan<byte> Field(int field) => _lengths[field] <= 0 ? [] : _buffer.AsSpan(_offsets[field], _lengths[field]);

        private bool IsNull(int field) => _lengths[field] < 0;

        // Until `count` bytes from the row's start are in the buffer: what is left moved to the front, the buffer
        // doubled when one row does not fit.
        private async ValueTask FillAsync(int count, CancellationToken ct)
        {
            while (_end - _start < count)
            {
                if (_start > 0)
                {
                    _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
                    _end -= _start;
                    _start = 0;
                }
                if (count > _buffer.Length)
                {
                    Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, count));
                }
                var read = await copy.ReadAsync(_buffer.AsMemory(_end), ct).ConfigureAwait(false);
                if (read == 0)
                {
                    throw new InvalidOperationException("The event table's binary COPY ended in the middle of a row.");
                }
                _end += read;
            }
        }

        // A text column whose value often repeats from one row to the next: the previous string when the bytes are the same.
        private sealed class Reused
        {
            private byte[] _bytes = [];
            private string? _text;

            public string? Of(EventRows rows, int field)
            {
                if (rows.IsNull(field))
                {
                    return null;
                }
                var bytes = rows.Field(field);
                if (_text is null || !bytes.SequenceEqual(_bytes))
                {
                    _bytes = bytes.ToArray();
                    _text = Encoding.UTF8.GetString(bytes);
                }
                return _text;
            }
        }
    }
}
