using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using RatificationLedger.Benchmarks.Support;
using RatificationLedger.Integrity;
using Npgsql;

namespace RatificationLedger.Benchmarks.Workloads;

/// <summary>
/// <c>verify</c>: <c>ledger verify</c> over the imported database (every entry read with its chain link, canonicalized,
/// hashed and linked; stream versions and digests checked). Baseline: the same columns of the event table read
/// sequentially in one query and SHA-256 taken over their bytes, in the same run: what reading and hashing the ledger
/// costs at the least.
/// </summary>
internal sealed class VerifyWorkload(BenchServer server, Report report, ImportedDatabase imported)
{
    public async Task RunAsync()
    {
        Console.WriteLine("verify:");
        var app = imported.App;
        var digest = await LedgerIntegrity.TakeDigestAsync(app.Store);
        // Two rounds, baseline then ours, each side's better run counting (as the other workloads do).
        double ours = 0, baseline = 0;
        long entries = 0;
        for (var round = 1; round <= 2; round++)
        {
            var (rows, bytes, seconds) = await BaselineAsync(app.Schema);
            baseline = Math.Max(baseline, rows / seconds);
            if (round == 1)
            {
                Report.Note(string.Create(CultureInfo.InvariantCulture, $"baseline: {rows} rows, {bytes / 1048576.0:0.0} MiB hashed in {seconds:0.00} s"));
            }
            var clock = Stopwatch.StartNew();
            var result = await LedgerIntegrity.VerifyAsync(app.Store, [digest]);
            var elapsed = clock.Elapsed.TotalSeconds;
            Check.That(result.Intact, "the imported ledger verifies: " + string.Join("; ", result.Findings.Take(3)));
            entries = result.Entries;
            ours = Math.Max(ours, entries / elapsed);
            Report.Note(string.Create(CultureInfo.InvariantCulture, $"round {round}: ours {entries / elapsed:0} entries/s ({elapsed:0.00} s), baseline {rows / seconds:0} rows/s"));
        }
        Check.That(entries == await server.ScalarAsync<long>($"SELECT count(*) FROM {app.Schema}.mt_events"), "verify checked every entry");
        report.Add(BenchResult.Throughput("verify", ours, "entries/s", "SHA-256 over the same columns read sequentially from mt_events", baseline));
    }

    private async Task<(long Rows, long Bytes, double Seconds)> BaselineAsync(string schema)
    {
        var clock = Stopwatch.StartNew();
        await using var connection = new NpgsqlConnection(server.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            $"select stream_id, version, type, data::text, headers::text, user_name, correlation_id, causation_id, timestamp from {schema}.mt_events", connection);
        await using var reader = await command.ExecuteReaderAsync();
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long rows = 0, bytes = 0;
        var buffer = new byte[1 << 16];
        while (await reader.ReadAsync())
        {
            for (var i = 0; i < reader.FieldCount; i++)
            {
                if (reader.IsDBNull(i))
                {
                    continue;
                }
                var text = i switch
                {
                    1 => reader.GetInt64(i).ToString(CultureInfo.InvariantCulture),
                    8 => reader.GetFieldValue<DateTime>(i).ToString("O", CultureInfo.InvariantCulture),
                    _ => reader.GetString(i),
                };
                var size = Encoding.UTF8.GetByteCount(text);
                if (size > buffer.Length)
                {
                    buffer = new byte[size];
                }
                Encoding.UTF8.GetBytes(text, buffer);
                sha.AppendData(buffer, 0, size);
                bytes += size;
            }
            rows++;
        }
        sha.GetHashAndReset();
        return (rows, bytes, clock.Elapsed.TotalSeconds);
    }
}
