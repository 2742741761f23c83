using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using RatificationLedger.Benchmarks;
using RatificationLedger.Benchmarks.Support;
using RatificationLedger.Benchmarks.Workloads;

BenchOptions options;
try
{
    options = BenchOptions.Parse(args);
}
catch (ArgumentException e)
{
    await Console.Error.WriteLineAsync(e.Message);
    return 2;
}

var total = Stopwatch.StartNew();
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"Ratification Ledger benchmarks ({(options.Quick ? "quick" : "full")}): {Environment.ProcessorCount} cores, {GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 1073741824.0:0.0} GiB, {RuntimeInformation.OSDescription}, .NET {Environment.Version}, {(System.Runtime.GCSettings.IsServerGC ? "server" : "workstation")} GC{(AppContext.TryGetSwitch("System.GC.Concurrent", out var concurrent) && !concurrent ? "" : ", concurrent")} (the app's settings, not the library's), seed {options.Seed}"));
await using var server = await BenchServer.StartAsync();
Console.WriteLine(server.Server is null
    ? "server: LEDGER_CONNECTION (used as configured)"
    : "server: throwaway LocalPostgres, non-durable (fsync, synchronous_commit, full_page_writes off)");
Console.WriteLine("settings: " + string.Join(", ", (await server.SettingsAsync()).Select(s => $"{s.Name}={s.Value}")));

var report = new Report();
if (options.Workloads.Contains("commands"))
{
    await new CommandsWorkload(server, options, report).RunAsync();
}
var imported = options.Workloads.Overlaps(["import", "as-of", "rebuild", "verify"])
    ? await new ImportWorkload(server, options, report).RunAsync(measure: options.Workloads.Contains("import"))
    : null;
if (imported is not null && options.Workloads.Contains("as-of"))
{
    await new AsOfWorkload(server, options, report, imported).RunAsync();
}
if (imported is not null && options.Workloads.Contains("rebuild"))
{
    await new RebuildWorkload(server, options, report, imported).RunAsync();
}
if (imported is not null && options.Workloads.Contains("verify"))
{
    await new VerifyWorkload(server, report, imported).RunAsync();
}
if (imported is not null)
{
    await imported.DisposeAsync();
}

report.Print();
if (options.JsonPath is { } path)
{
    await report.WriteJsonAsync(path);
    Console.WriteLine($"wrote {path}");
}
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"total {total.Elapsed.TotalSeconds:0} s"));
return 0;
