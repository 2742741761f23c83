using System.Globalization;

namespace RatificationLedger.Benchmarks;

/// <summary>Command-line options: <c>[--quick] [--json FILE] [--only commands,import,as-of,rebuild,verify] [--seed N]</c>.</summary>
internal sealed record BenchOptions
{
    public bool Quick { get; init; }

    public string? JsonPath { get; init; }

    public IReadOnlySet<string> Workloads { get; init; } = new HashSet<string>(All, StringComparer.Ordinal);

    public int Seed { get; init; } = 20220518;

    /// <summary>Entries in the import file (and the as-of database).</summary>
    public long ImportEvents { get; init; }

    /// <summary>Processes in the as-of database (the import file's processes).</summary>
    public int Processes { get; init; }

    /// <summary>Commands sent by the commands workload (and appended by its baseline).</summary>
    public int Commands { get; init; }

    /// <summary>As-of queries per measurement.</summary>
    public int AsOfQueries { get; init; }

    public int Writers { get; init; } = 8;

    public static readonly string[] All = ["commands", "import", "as-of", "rebuild", "verify"];

    public static BenchOptions Parse(string[] args)
    {
        var quick = args.Contains("--quick");
        var options = new BenchOptions
        {
            Quick = quick,
            ImportEvents = quick ? 100_000 : 1_000_000,
            Processes = quick ? 1_000 : 10_000,
            Commands = quick ? 2_000 : 10_000,
            AsOfQueries = quick ? 400 : 2_000,
        };
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            options = args[i] switch
            {
                "--quick" => options,
                "--json" => options with { JsonPath = Next() },
                "--only" => options with { Workloads = Next().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal) },
                "--seed" => options with { Seed = int.Parse(Next(), CultureInfo.InvariantCulture) },
                "--events" => options with { ImportEvents = long.Parse(Next(), CultureInfo.InvariantCulture) },
                "--processes" => options with { Processes = int.Parse(Next(), CultureInfo.InvariantCulture) },
                "--commands" => options with { Commands = int.Parse(Next(), CultureInfo.InvariantCulture) },
                "--queries" => options with { AsOfQueries = int.Parse(Next(), CultureInfo.InvariantCulture) },
                _ => throw new ArgumentException($"Unknown option {args[i]}. Usage: [--quick] [--json FILE] [--only {string.Join(',', All)}] [--seed N] [--events N] [--processes N] [--commands N] [--queries N]"),
            };
        }
        var unknown = options.Workloads.Except(All).ToArray();
        return unknown.Length > 0 ? throw new ArgumentException($"Unknown workload(s): {string.Join(", ", unknown)}.") : options;
    }
}
