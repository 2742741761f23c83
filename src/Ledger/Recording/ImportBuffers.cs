namespace RatificationLedger.Recording;

/// <summary>
/// The large arrays an import's COPY write fills for every batch (the event rows, their canonical parts, the chain
/// links), kept between batches: each is megabytes, allocated on the large object heap, and a new one per batch would
/// be collected only by full collections. An array goes back to the shelf when its batch is written and is taken again
/// by the next batch that fits in it; the shelf keeps a few and is emptied when the import ends. The staged views' JSON
/// (see <see cref="IStagedProjection"/>) is written into arrays from the same shelf.
/// </summary>
internal sealed class ImportBuffers
{
    // Two batches are in flight (one written, the next encoded), each with three arrays, plus one spare, and the views'
    // JSON of the batch written (one array per table).
    private const int Kept = 10;

    private readonly List<byte[]> _shelf = new(Kept);

    // The most commands a batch of the import under way may hold (0: not known). An import's batches start small and
    // double up to its batch size: arrays sized for each batch's own rows would be outgrown by the next batch, every batch
    // allocating new ones, so they are sized for the largest batch from the first, and every batch reuses them. With room
    // for an eighth more rows than commands: under NATO's policy an accession's batch also records the new member's
    // ratifications of the open processes (a batch of 20,000 commands wrote 22,240 rows in the quick import).
    private volatile int _rows;

    // The most bytes a row (or its canonical parts) took in this import's batches so far (0: none written yet).
    private volatile int _rowBytes;

    // Before any batch is written: a row of Marten's event table and an entry's canonical form are each about 430 to 480
    // bytes with the import's metadata (command id, source, correlation).
    private const int RowEstimate = 640;

    /// <summary>Sizes the arrays taken from now on for batches of up to <paramref name="rows"/> commands (the import's batch size, or fewer entries).</summary>
    public void Expect(int rows) => _rows = Math.Max(0, rows);

    /// <summary>The rows to size a batch's arrays for: its own, or the largest batch expected.</summary>
    public int Rows(int rows) => Math.Max(rows, _rows + (_rows / 8));

    /// <summary>The bytes to size a row for: the most a row took so far in this import and an eighth more, else an estimate.</summary>
    public int RowBytes => _rowBytes is > 0 and var bytes ? bytes + (bytes / 8) : RowEstimate;

    /// <summary>What a batch's rows took: <paramref name="bytes"/> for <paramref name="rows"/> rows.</summary>
    public void Observe(int rows, int bytes)
    {
        if (rows > 0)
        {
            var perRow = (int)Math.Min(int.MaxValue, ((long)bytes + rows - 1) / rows);
            if (perRow > _rowBytes)
            {
                _rowBytes = perRow;
            }
        }
    }

    /// <summary>An array of at least <paramref name="minimum"/> bytes: the smallest on the shelf that fits, else a new one.</summary>
    public byte[] Take(int minimum)
    {
        lock (_shelf)
        {
            var best = -1;
            for (var i = 0; i < _shelf.Count; i++)
            {
                if (_shelf[i].Length >= minimum && (best < 0 || _shelf[i].Length < _shelf[best].Length))
                {
                    best = i;
                }
            }
            if (best >= 0)
            {
                var found = _shelf[best];
                _shelf.RemoveAt(best);
                return found;
            }
        }
        return GC.AllocateUninitializedArray<byte>(minimum);
    }

    /// <summary>
    /// An array of at least <paramref name="minimum"/> bytes, and twice <paramref name="buffer"/>'s length, holding its first
    /// <paramref name="used"/> bytes: what a writer filling an array of the shelf grows into; <paramref name="buffer"/> goes
    /// back on the shelf.
    /// </summary>
    public byte[] Grow(byte[] buffer, int used, int minimum)
    {
        var grown = Take((int)Math.Min(Array.MaxLength, Math.Max((long)buffer.Length * 2, minimum)));
        buffer.AsSpan(0, used).CopyTo(grown);
        Give(buffer);
        return grown;
    }

    /// <summary>Puts an array back for the next batch (the smallest is let go when the shelf is full).</summary>
    public void Give(byte[] buffer)
    {
        if (buffer.Length == 0)
        {
            return;
        }
        lock (_shelf)
        {
            _shelf.Add(buffer);
            if (_shelf.Count > Kept)
            {
                var smallest = 0;
                for (var i = 1; i < _shelf.Count; i++)
                {
                    if (_shelf[i].Length < _shelf[smallest].Length)
                    {
                        smallest = i;
                    }
                }
                _shelf.RemoveAt(smallest);
            }
        }
    }

    /// <summary>Lets every kept array go (the import is over).</summary>
    public void Clear()
    {
        lock (_shelf)
        {
            _shelf.Clear();
        }
        _rows = 0;
        _rowBytes = 0;
    }
}
