using System.Collections.Concurrent;
using System.Diagnostics;

namespace RatificationLedger.Benchmarks.Support;

/// <summary>Latency samples in milliseconds, safe to add to from several writers.</summary>
internal sealed class Latencies
{
    private readonly ConcurrentBag<double> _samples = [];

    public int Count => _samples.Count;

    public void Add(TimeSpan elapsed) => _samples.Add(elapsed.TotalMilliseconds);

    public void Add(double milliseconds) => _samples.Add(milliseconds);

    public void Add(Latencies other)
    {
        foreach (var sample in other._samples)
        {
            _samples.Add(sample);
        }
    }

    public double Single() => _samples.Single();

    public void Add(long startTimestamp) => _samples.Add(Stopwatch.GetElapsedTime(startTimestamp).TotalMilliseconds);

    /// <summary>The <paramref name="p"/>-th percentile (nearest rank).</summary>
    public double Percentile(double p)
    {
        var sorted = _samples.Order().ToArray();
        if (sorted.Length == 0)
        {
            return double.NaN;
        }
        var rank = (int)Math.Ceiling(p / 100.0 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }

    public double Mean => _samples.IsEmpty ? double.NaN : _samples.Average();
}
