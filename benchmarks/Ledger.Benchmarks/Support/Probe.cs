using System.Diagnostics;
using System.Globalization;

namespace RatificationLedger.Benchmarks.Support;

/// <summary>
/// Measures one phase: wall time, this process's CPU time and peak working set (on Linux the kernel's own high-water
/// mark, reset when the phase starts; elsewhere sampled), peak managed heap (sampled every 20 ms), GC allocations, and,
/// for a local server, the CPU time of PostgreSQL's processes (postmaster and backends, from /proc).
/// </summary>
internal sealed class Probe : IAsyncDisposable
{
    private readonly Stopwatch _wall = Stopwatch.StartNew();
    private readonly TimeSpan _cpuStart;
    private readonly long _allocatedStart;
    private readonly TimeSpan _gcPauseStart;
    private readonly int[] _collectionsStart = new int[3];
    private readonly double _serverCpuStart;
    private readonly int? _postmaster;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _sampler;
    private long _peakWorkingSet;
    private readonly long _startWorkingSet;
    private long _peakManaged;

    // Whether the kernel's peak resident set size (VmHWM) was reset for this phase and can be read at its end.
    private readonly bool _kernelPeak;

    public Probe(int? postmaster)
    {
        _postmaster = postmaster;
        GC.Collect();
        GC.WaitForPendingFinalizers();
        using var self = Process.GetCurrentProcess();
        _cpuStart = self.TotalProcessorTime;
        _allocatedStart = GC.GetTotalAllocatedBytes();
        _gcPauseStart = GC.GetTotalPauseDuration();
        for (var g = 0; g < 3; g++)
        {
            _collectionsStart[g] = GC.CollectionCount(g);
        }
        _serverCpuStart = ServerCpuSeconds(postmaster);
        _peakWorkingSet = _startWorkingSet = self.WorkingSet64;
        _kernelPeak = ResetKernelPeak();
        _sampler = Task.Run(SampleAsync);
        // The phase starts now: the collection and the scan of /proc above (58 ms to 2 s under load) are not its time.
        // Counted in, they added the same constant to both sides of a ratio and flattered the slower side.
        _wall.Restart();
    }

    public ProbeResult Result { get; private set; } = null!;

    private async Task SampleAsync()
    {
        using var self = Process.GetCurrentProcess();
        while (!_stop.IsCancellationRequested)
        {
            if (!_kernelPeak)
            {
                // Refreshing parses /proc; with the kernel's mark there is no need to, and the probe costs next to nothing.
                self.Refresh();
                _peakWorkingSet = Math.Max(_peakWorkingSet, self.WorkingSet64);
            }
            _peakManaged = Math.Max(_peakManaged, GC.GetTotalMemory(false));
            try
            {
                await Task.Delay(20, _stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Result is not null)
        {
            return;
        }
        _wall.Stop();
        await _stop.CancelAsync();
        await _sampler;
        using var self = Process.GetCurrentProcess();
        self.Refresh();
        _peakWorkingSet = Math.Max(_kernelPeak ? KernelPeak() ?? 0 : _peakWorkingSet, self.WorkingSet64);
        Result = new ProbeResult(
            _wall.Elapsed,
            self.TotalProcessorTime - _cpuStart,
            _postmaster is null ? null : TimeSpan.FromSeconds(ServerCpuSeconds(_postmaster) - _serverCpuStart),
            _peakWorkingSet,
            _peakManaged,
            GC.GetTotalAllocatedBytes() - _allocatedStart)
        {
            GcPause = GC.GetTotalPauseDuration() - _gcPauseStart,
            StartWorkingSet = _startWorkingSet,
            Collections = [.. Enumerable.Range(0, 3).Select(g => GC.CollectionCount(g) - _collectionsStart[g])],
        };
        _stop.Dispose();
    }

    // Linux: writing 5 to clear_refs resets the peak resident set size that /proc/self/status reports as VmHWM.
    private static bool ResetKernelPeak()
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
            return KernelPeak() is not null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static long? KernelPeak()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            {
                var kb = line["VmHWM:".Length..].Trim().Split(' ')[0];
                return long.Parse(kb, CultureInfo.InvariantCulture) * 1024;
            }
        }
        return null;
    }

    /// <summary>CPU seconds of the postmaster, its reaped children, and its live children.</summary>
    private static double ServerCpuSeconds(int? postmaster)
    {
        if (postmaster is not { } pm || !OperatingSystem.IsLinux())
        {
            return 0;
        }
        var ticks = 100.0; // USER_HZ on Linux
        double total = 0;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }
            string stat;
            try
            {
                stat = File.ReadAllText(Path.Combine(dir, "stat"));
            }
            catch (IOException)
            {
                continue;
            }
            catch (UnauthorizedAccessException)
            {
                continue;
            }
            // Fields after the command name in parentheses: state(3) ppid(4) ... utime(14) stime(15) cutime(16) cstime(17).
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            var ppid = int.Parse(fields[1], CultureInfo.InvariantCulture);
            if (pid == pm)
            {
                total += (double.Parse(fields[11], CultureInfo.InvariantCulture) + double.Parse(fields[12], CultureInfo.InvariantCulture)
                    + double.Parse(fields[13], CultureInfo.InvariantCulture) + double.Parse(fields[14], CultureInfo.InvariantCulture)) / ticks;
            }
            else if (ppid == pm)
            {
                total += (double.Parse(fields[11], CultureInfo.InvariantCulture) + double.Parse(fields[12], CultureInfo.InvariantCulture)) / ticks;
            }
        }
        return total;
    }

    public static int? PostmasterPid(string? dataDirectory)
    {
        if (dataDirectory is null)
        {
            return null;
        }
        var file = Path.Combine(dataDirectory, "postmaster.pid");
        return File.Exists(file) && int.TryParse(File.ReadLines(file).First(), CultureInfo.InvariantCulture, out var pid) ? pid : null;
    }
}

/// <param name="Wall">Elapsed time.</param>
/// <param name="ClientCpu">CPU time of the benchmark process.</param>
/// <param name="ServerCpu">CPU time of PostgreSQL (local server only).</param>
/// <param name="PeakWorkingSet">Peak working set (resident set) of the benchmark process during the phase.</param>
/// <param name="PeakManaged">Peak managed heap during the phase (sampled).</param>
/// <param name="Allocated">Bytes allocated on the managed heap during the phase.</param>
internal sealed record ProbeResult(TimeSpan Wall, TimeSpan ClientCpu, TimeSpan? ServerCpu, long PeakWorkingSet, long PeakManaged, long Allocated)
{
    /// <summary>Time the runtime paused the process for garbage collections during the phase.</summary>
    public TimeSpan GcPause { get; init; }

    /// <summary>The working set when the phase began (after a full collection): the peak's growth above it is the phase's own.</summary>
    public long StartWorkingSet { get; init; }

    /// <summary>Collections of generations 0, 1 and 2 during the phase.</summary>
    public int[] Collections { get; init; } = [0, 0, 0];

    public string Describe() =>
        string.Create(CultureInfo.InvariantCulture,
            $"wall {Wall.TotalSeconds:0.00} s, client CPU {ClientCpu.TotalSeconds:0.00} s, server CPU {(ServerCpu is { } s ? $"{s.TotalSeconds:0.00} s" : "n/a")}, peak working set {PeakWorkingSet / 1048576.0:0} MiB ({(PeakWorkingSet - StartWorkingSet) / 1048576.0:+0;-0} over the start), peak managed heap {PeakManaged / 1048576.0:0} MiB, allocated {Allocated / 1048576.0:0} MiB, GC pauses {GcPause.TotalSeconds:0.00} s ({Collections[0]}/{Collections[1]}/{Collections[2]} collections of gen 0/1/2)");
}
