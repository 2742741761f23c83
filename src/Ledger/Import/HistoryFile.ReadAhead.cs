using System.Buffers;

namespace RatificationLedger.Import;

// An import's batch of entries read from the file together rather than one read each.
public sealed partial record HistoryFile
{
    /// <summary>
    /// Entries of a <see cref="HistoryEntryList"/> read from the file together (see <see cref="HistoryEntryList.ReadAhead"/>):
    /// their places sorted, neighbours less than <see cref="Gap"/> bytes apart read as one run, each run with one positioned
    /// read into one pooled array (given back on <see cref="Dispose"/>). Each entry is then checked and built as a single
    /// read builds it; an entry outside the window is read alone. Read on every core while it is open.
    /// </summary>
    private sealed class ReadAheadWindow : IReadOnlyList<HistoryEntry>, IDisposable
    {
        // Bytes between two entries that are read with them rather than costing a second read; and the longest run.
        private const int Gap = 4096;
        private const int LongestRun = 1 << 20;

        private readonly HistoryEntryList _list;
        private readonly EntryText.InFile _file;
        private readonly int _start;
        private readonly int[] _at;
        private byte[]? _buffer;

        public ReadAheadWindow(HistoryEntryList list, EntryText.InFile file, int start, int end)
        {
            (_list, _file, _start) = (list, file, start);
            var count = end - start;
            var order = new int[count];
            var places = new long[count];
            for (var i = 0; i < count; i++)
            {
                order[i] = i;
                places[i] = list.Place(start + i).Start;
            }
            Array.Sort(places, order);

            // The runs: [first, last] of `order`, with the text's start and length of each.
            var runs = new List<(long Start, int Length)>();
            long runStart = -1, runEnd = -1;
            var total = 0L;
            for (var k = 0; k < count; k++)
            {
                var at = places[k];
                var length = list.Place(start + order[k]).Length;
                if (runStart >= 0 && at <= runEnd + Gap && Math.Max(runEnd, at + length) - runStart <= LongestRun)
                {
                    runEnd = Math.Max(runEnd, at + length);
                    continue;
                }
                if (runStart >= 0)
                {
                    runs.Add((runStart, (int)(runEnd - runStart)));
                    total += runEnd - runStart;
                }
                (runStart, runEnd) = (at, at + length);
            }
            runs.Add((runStart, (int)(runEnd - runStart)));
            total += runEnd - runStart;

            _buffer = ArrayPool<byte>.Shared.Rent((int)Math.Min(Array.MaxLength, total));
            _at = new int[count];
            try
            {
                var into = 0;
                var k2 = 0;
                foreach (var (runAt, length) in runs)
                {
                    _file.ReadText(runAt, _buffer.AsSpan(into, length));
                    for (; k2 < count && places[k2] < runAt + length; k2++)
                    {
                        _at[order[k2]] = into + (int)(places[k2] - runAt);
                    }
                    into += length;
                }
            }
            catch
            {
                Dispose();
                throw;
            }
        }

        public int Count => _list.Count;

        public HistoryEntry this[int index]
        {
            get
            {
                var i = index - _start;
                if (_buffer is not { } buffer || i < 0 || i >= _at.Length)
                {
                    return _list[index];
                }
                return _list.Read(index, buffer.AsSpan(_at[i], _list.Place(index).Length), _file);
            }
        }

        public IEnumerator<HistoryEntry> GetEnumerator()
        {
            for (var i = 0; i < Count; i++)
            {
                yield return this[i];
            }
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _buffer, null) is { } buffer)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }
}
