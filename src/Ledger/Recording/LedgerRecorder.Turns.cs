namespace RatificationLedger.Recording;

// Stream turns: writers of one stream in this process take turns.
public sealed partial class LedgerRecorder
{
    // Writers of one stream in this process take turns (striped by stream key): optimistic retries then only
    // resolve races with other processes, instead of every concurrent sender here re-deciding in a storm.
    private readonly SemaphoreSlim[] _stripes = [.. Enumerable.Range(0, 1024).Select(_ => new SemaphoreSlim(1, 1))];
    private static readonly TimeSpan TurnWait = TimeSpan.FromSeconds(2);

    private async Task<List<int>> TakeStripesAsync(List<Item> items, CancellationToken ct)
    {
        // The stripes in ascending order, each once (so that two batches never wait for each other's): marked, then read
        // off in order, rather than through a set and a sort (a batch of an import holds thousands of commands); a
        // command of the same process as the one before is not hashed again.
        var marked = new bool[_stripes.Length];
        string? last = null;
        foreach (var item in items)
        {
            if (!ReferenceEquals(item.Command.Process, last))
            {
                last = item.Command.Process;
                marked[StripeOf(last)] = true;
            }
        }
        var taken = new List<int>();
        try
        {
            for (var stripe = 0; stripe < marked.Length; stripe++)
            {
                if (!marked[stripe])
                {
                    continue;
                }
                // Bounded like RecordAsync's turn: optimistic concurrency still decides when the wait runs out.
                if (await _stripes[stripe].WaitAsync(TurnWait, ct).ConfigureAwait(false))
                {
                    taken.Add(stripe);
                }
            }
        }
        catch
        {
            ReleaseStripes(taken);
            throw;
        }
        return taken;
    }

    private void ReleaseStripes(List<int> taken)
    {
        foreach (var stripe in taken)
        {
            _stripes[stripe].Release();
        }
    }

    private int StripeOf(string process) => (StringComparer.Ordinal.GetHashCode(process) & int.MaxValue) % _stripes.Length;
}
