using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace RatificationLedger.Benchmarks;

/// <summary>One figure with the baseline it is compared to. <see cref="Ratio"/>: how many times the baseline's performance ours reaches (higher is better).</summary>
internal sealed record BenchResult(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("value")] double Value,
    [property: JsonPropertyName("unit")] string Unit,
    [property: JsonPropertyName("baseline")] string Baseline,
    [property: JsonPropertyName("baselineValue")] double BaselineValue,
    [property: JsonPropertyName("ratio")] double Ratio)
{
    /// <summary>Higher is better (throughput): ratio = ours / baseline.</summary>
    public static BenchResult Throughput(string name, double ours, string unit, string baseline, double baselineValue) =>
        new(name, Round(ours), unit, baseline, Round(baselineValue), Round(ours / baselineValue, 3));

    /// <summary>Lower is better (latency, time, memory): ratio = baseline / ours.</summary>
    public static BenchResult Cost(string name, double ours, string unit, string baseline, double baselineValue) =>
        new(name, Round(ours), unit, baseline, Round(baselineValue), Round(baselineValue / ours, 3));

    private static double Round(double v, int digits = 4) =>
        double.IsFinite(v) ? Math.Round(v, v >= 100 ? 1 : digits) : 0;
}

/// <summary>Collects results and notes, prints them, writes the JSON file.</summary>
internal sealed class Report
{
    private readonly List<BenchResult> _results = [];

    public IReadOnlyList<BenchResult> Results => _results;

    public void Add(BenchResult result)
    {
        _results.Add(result);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  => {result.Name}: {result.Value} {result.Unit} vs {result.Baseline} {result.BaselineValue} {result.Unit}; ratio {result.Ratio}"));
    }

    public static void Note(string text) => Console.WriteLine("  " + text);

    public void Print()
    {
        Console.WriteLine();
        Console.WriteLine($"{"name",-28} {"ours",14} {"baseline",14} {"unit",-12} {"ratio",7}  baseline");
        foreach (var r in _results)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{r.Name,-28} {r.Value,14} {r.BaselineValue,14} {r.Unit,-12} {r.Ratio,7}  {r.Baseline}"));
        }
    }

    public async Task WriteJsonAsync(string path)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null)
        {
            Directory.CreateDirectory(directory);
        }
        await using var file = File.Create(path);
        await JsonSerializer.SerializeAsync(file, new { results = _results }, new JsonSerializerOptions { WriteIndented = true });
    }
}
