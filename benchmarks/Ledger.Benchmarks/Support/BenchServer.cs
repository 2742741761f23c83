using System.Globalization;
using RatificationLedger.Testing;
using Npgsql;

namespace RatificationLedger.Benchmarks.Support;

/// <summary>
/// The PostgreSQL server the benchmark runs on: <c>LEDGER_CONNECTION</c> when set (used as it is), otherwise a throwaway
/// LocalPostgres with non-durable settings (fsync, synchronous_commit and full_page_writes off: the data dies with the
/// run) and a few sizing settings, plus pg_stat_statements to see where the server's time goes.
/// </summary>
internal sealed class BenchServer : IAsyncDisposable
{
    /// <summary>Settings the throwaway server gets on top of LocalPostgres's own; applied to both ours and the baselines.</summary>
    public static readonly IReadOnlyList<(string Name, string Value)> Tuning =
    [
        ("shared_buffers", "2GB"),
        ("work_mem", "32MB"),
        ("maintenance_work_mem", "512MB"),
        ("max_wal_size", "8GB"),
        ("checkpoint_timeout", "30min"),
        ("shared_preload_libraries", "pg_stat_statements"),
        ("track_io_timing", "on"),
    ];

    private BenchServer(string connectionString, LocalPostgres? server)
    {
        ConnectionString = connectionString;
        Server = server;
    }

    public string ConnectionString { get; }

    public LocalPostgres? Server { get; }

    public bool HasStatements { get; private set; }

    public static async Task<BenchServer> StartAsync()
    {
        var (connection, server) = await LocalPostgres.FromEnvironmentOrStartAsync();
        var bench = new BenchServer(WithPool(connection), server);
        if (server is not null)
        {
            await using (var c = new NpgsqlConnection(connection))
            {
                await c.OpenAsync();
                foreach (var (name, value) in Tuning)
                {
                    await using var cmd = new NpgsqlCommand($"ALTER SYSTEM SET {name} = '{value}'", c);
                    await cmd.ExecuteNonQueryAsync();
                }
            }
            await server.StopAsync();
            await server.StartAgainAsync();
        }
        try
        {
            await bench.ExecuteAsync("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
            await bench.ScalarAsync<long>("SELECT count(*) FROM pg_stat_statements");
            bench.HasStatements = true;
        }
        catch (PostgresException)
        {
            bench.HasStatements = false;
        }
        return bench;
    }

    private static string WithPool(string connection) => new NpgsqlConnectionStringBuilder(connection)
    {
        MaxPoolSize = 64,
        CommandTimeout = 3600,
        NoResetOnClose = true,
    }.ConnectionString;

    public async Task ExecuteAsync(string sql)
    {
        await using var c = new NpgsqlConnection(ConnectionString);
        await c.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, c) { CommandTimeout = 3600 };
        await cmd.ExecuteNonQueryAsync();
    }

    public async Task<T> ScalarAsync<T>(string sql)
    {
        await using var c = new NpgsqlConnection(ConnectionString);
        await c.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, c) { CommandTimeout = 3600 };
        var value = await cmd.ExecuteScalarAsync();
        return (T)Convert.ChangeType(value!, typeof(T), CultureInfo.InvariantCulture);
    }

    public async Task<List<string[]>> RowsAsync(string sql)
    {
        await using var c = new NpgsqlConnection(ConnectionString);
        await c.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, c) { CommandTimeout = 3600 };
        await using var reader = await cmd.ExecuteReaderAsync();
        var rows = new List<string[]>();
        while (await reader.ReadAsync())
        {
            var row = new string[reader.FieldCount];
            for (var i = 0; i < row.Length; i++)
            {
                row[i] = reader.IsDBNull(i) ? "" : Convert.ToString(reader.GetValue(i), CultureInfo.InvariantCulture) ?? "";
            }
            rows.Add(row);
        }
        return rows;
    }

    /// <summary>The settings that matter for these workloads, as the server reports them.</summary>
    public async Task<List<(string Name, string Value)>> SettingsAsync()
    {
        var names = new[] { "server_version", "fsync", "synchronous_commit", "full_page_writes", "wal_level", "shared_buffers", "work_mem",
            "maintenance_work_mem", "max_wal_size", "checkpoint_timeout", "max_connections", "effective_cache_size", "jit" };
        var rows = await RowsAsync($"SELECT name, setting || coalesce(' ' || unit, '') FROM pg_settings WHERE name IN ({string.Join(", ", names.Select(n => $"'{n}'"))}) ORDER BY name");
        return [.. rows.Select(r => (r[0], r[1]))];
    }

    public async Task ResetStatementsAsync()
    {
        if (HasStatements)
        {
            await ExecuteAsync("SELECT pg_stat_statements_reset()");
        }
    }

    /// <summary>The statements that took the most server time since the last reset.</summary>
    public async Task<List<StatementStat>> TopStatementsAsync(int count)
    {
        if (!HasStatements)
        {
            return [];
        }
        var rows = await RowsAsync($"""
            SELECT calls, total_exec_time, rows, left(regexp_replace(query, '\s+', ' ', 'g'), 160)
            FROM pg_stat_statements
            WHERE query NOT ILIKE '%pg_stat_statements%'
            ORDER BY total_exec_time DESC LIMIT {count}
            """);
        return [.. rows.Select(r => new StatementStat(long.Parse(r[0], CultureInfo.InvariantCulture), double.Parse(r[1], CultureInfo.InvariantCulture),
            long.Parse(r[2], CultureInfo.InvariantCulture), r[3]))];
    }

    public async Task<double> TotalStatementTimeAsync() =>
        HasStatements ? await ScalarAsync<double>("SELECT coalesce(sum(total_exec_time), 0) FROM pg_stat_statements WHERE query NOT ILIKE '%pg_stat_statements%'") : double.NaN;

    public async Task<long> TotalCallsAsync() =>
        HasStatements ? await ScalarAsync<long>("SELECT coalesce(sum(calls), 0) FROM pg_stat_statements WHERE query NOT ILIKE '%pg_stat_statements%'") : 0;

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        if (Server is not null)
        {
            await Server.DisposeAsync();
        }
    }
}

internal sealed record StatementStat(long Calls, double TotalMs, long Rows, string Query);
