using System.Text.Json.Nodes;

namespace RatificationLedger.IntegrationTests.Support;

/// <summary>The sample's history file (samples/NatoAccession/nato-2022-2024.json, copied next to the tests).</summary>
public static class SampleHistory
{
    /// <summary>The file's path.</summary>
    public static readonly string Path = System.IO.Path.Combine(AppContext.BaseDirectory, "Data", "nato-2022-2024.json");

    /// <summary>The file's JSON with only the entries dated up to <paramref name="until"/> (YYYY-MM-DD).</summary>
    public static string JsonUntil(string until)
    {
        var root = JsonNode.Parse(File.ReadAllText(Path))!;
        foreach (var process in root["processes"]!.AsArray())
        {
            var kept = process!["events"]!.AsArray()
                .Where(e => string.CompareOrdinal(e!["on"]!.GetValue<string>(), until) <= 0)
                .Select(e => e!.DeepClone()).ToArray();
            process["events"] = new JsonArray(kept);
        }
        return root.ToJsonString();
    }
}
