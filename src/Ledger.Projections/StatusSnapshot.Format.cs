using System.Text;

namespace RatificationLedger.Projections;

// The snapshot's binary form: the writer of this thread's buffer and the reader over a stored snapshot.
internal static partial class StatusSnapshot
{
    // The encoding buffer of this thread (the index's answers are encoded on every core).
    [ThreadStatic]
    private static byte[]? t_buffer;

    private struct Writer(byte[] buffer, int length = 0)
    {
        private byte[] _buffer = buffer;
        private int _length = length;

        public readonly byte[] Buffer => _buffer;

        public readonly int Length => _length;

        public readonly byte[] ToArray() => _buffer.AsSpan(0, _length).ToArray();

        public void Byte(byte value) => Take(1)[0] = value;

        public void Bytes(ReadOnlySpan<byte> value) => value.CopyTo(Take(value.Length));

        public void Bool(bool value) => Byte(value ? (byte)1 : (byte)0);

        // Unsigned LEB128.
        public void Int(int value) => Long((uint)value);

        public void Long(long value)
        {
            var v = (ulong)value;
            while (v >= 0x80)
            {
                Byte((byte)(v | 0x80));
                v >>= 7;
            }
            Byte((byte)v);
        }

        // 0: none; otherwise the days from the epoch, zigzag, plus one (two bytes for a date within 22 years of it).
        public void Date(DateOnly? value) => Long(value is { } d ? Zigzag(d.DayNumber - Epoch) + 1L : 0);

        // 0: null; otherwise the UTF-8 length plus one, then the bytes.
        public void String(string? value)
        {
            if (value is null)
            {
                Int(0);
                return;
            }
            var bytes = Encoding.UTF8.GetByteCount(value);
            Int(bytes + 1);
            Encoding.UTF8.GetBytes(value, Take(bytes));
        }

        public void Strings(IReadOnlyList<string> values)
        {
            Int(values.Count);
            foreach (var value in values)
            {
                String(value);
            }
        }

        private Span<byte> Take(int count)
        {
            if (_length + count > _buffer.Length)
            {
                Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + count));
            }
            var span = _buffer.AsSpan(_length, count);
            _length += count;
            return span;
        }
    }

    private ref struct Reader(ReadOnlySpan<byte> data)
    {
        private readonly ReadOnlySpan<byte> _data = data;
        private int _at;

        public byte Byte() => _data[_at++];

        public bool Bool() => Byte() != 0;

        public int Int() => checked((int)Long());

        public long Long()
        {
            ulong value = 0;
            for (var shift = 0; ; shift += 7)
            {
                var b = Byte();
                value |= (ulong)(b & 0x7f) << shift;
                if (b < 0x80)
                {
                    return (long)value;
                }
            }
        }

        public DateOnly? Date()
        {
            var n = Long();
            if (n == 0)
            {
                return null;
            }
            var z = (uint)(n - 1);
            return DateOnly.FromDayNumber(Epoch + ((int)(z >> 1) ^ -(int)(z & 1)));
        }

        public string? String()
        {
            var n = Int();
            if (n == 0)
            {
                return null;
            }
            var value = Encoding.UTF8.GetString(_data.Slice(_at, n - 1));
            _at += n - 1;
            return value;
        }

        public string[] Strings()
        {
            var values = new string[Int()];
            for (var i = 0; i < values.Length; i++)
            {
                values[i] = String()!;
            }
            return values;
        }
    }
}
