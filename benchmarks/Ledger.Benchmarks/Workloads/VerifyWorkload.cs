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
        if (Environment.GetEnvironmentVariable("LEDGER_BENCH_VERIFY_BREAKDOWN") is "1")
        {
            await BreakdownAsync(app);
        }
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

    // Where the time goes (docs/benchmarks.md, verify): CPU of client and server for the baseline and for ours with 1, 2
    // and 4 hashing workers, for the event scan's read alone, and for the canonical form and hashing of the rows in memory.
    private async Task BreakdownAsync(LedgerApp app)
    {
        var schema = app.Schema;
        var postmaster = Probe.PostmasterPid(server.Server?.DataDirectory);
        async Task<ProbeResult> Probed(string name, Func<Task> run)
        {
            await using var probe = new Probe(postmaster);
            await run();
            await probe.DisposeAsync();
            Console.WriteLine($"  breakdown, {name}: {probe.Result.Describe()}");
            return probe.Result;
        }
        await Probed("baseline", () => BaselineAsync(schema));
        foreach (var workers in new[] { 1, 2, 4 })
        {
            await Probed($"ours, {workers} workers", async () =>
            {
                await using var connection = new NpgsqlConnection(server.ConnectionString);
                await connection.OpenAsync();
                var r = await LedgerVerifier.VerifyAsync(connection, schema, [], null, workers, default);
                Check.That(r.Intact, "intact");
            });
        }
        // The event scan's read alone (same query, same GetBytes), keeping the bytes for the next step.
        var rows = new List<(byte[] Stream, long Version, byte[] Type, byte[] Data, byte[]? Headers, byte[]? By, long Ticks)>();
        await Probed("read only", async () =>
        {
            await using var connection = new NpgsqlConnection(server.ConnectionString);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"select stream_id, version, type, data, headers, user_name, correlation_id, causation_id, timestamp from {schema}.mt_events", connection);
            await using var reader = await command.ExecuteReaderAsync();
            byte[] Bytes(int i)
            {
                var n = (int)reader.GetBytes(i, 0, null, 0, 0);
                var b = new byte[n];
                reader.GetBytes(i, 0, b, 0, n);
                return b;
            }
            while (await reader.ReadAsync())
            {
                rows.Add((Bytes(0), reader.GetInt64(1), Bytes(2), Bytes(3)[1..], reader.IsDBNull(4) ? null : Bytes(4)[1..], reader.IsDBNull(5) ? null : Bytes(5), reader.GetFieldValue<DateTime>(8).Ticks));
            }
        });
        var role = "ledger_app"u8.ToArray();
        await Probed("canonical form only, one thread", () =>
        {
            var output = new ByteSink(4096);
            var json = Utf8Canonicalizer.ForThisThread;
            foreach (var r in rows)
            {
                output.Length = 0;
                CanonicalEntry.Write(output, json, r.Stream, r.Version, r.Type, r.Data, r.Headers is null ? Utf8Field.Null : new Utf8Field(r.Headers),
                    r.By is null ? Utf8Field.Null : new Utf8Field(r.By), new Utf8Field(role), Utf8Field.Null, Utf8Field.Null, r.Ticks);
            }
            return Task.CompletedTask;
        });
        await Probed("canonical form and SHA-256, one thread", () =>
        {
            var output = new ByteSink(4096);
            var json = Utf8Canonicalizer.ForThisThread;
            Span<byte> hash = stackalloc byte[32];
            long bytes = 0;
            foreach (var r in rows)
            {
                output.Length = 0;
                output.Put(0);
                CanonicalEntry.Write(output, json, r.Stream, r.Version, r.Type, r.Data, r.Headers is null ? Utf8Field.Null : new Utf8Field(r.Headers),
                    r.By is null ? Utf8Field.Null : new Utf8Field(r.By), new Utf8Field(role), Utf8Field.Null, Utf8Field.Null, r.Ticks);
                SHA256.HashData(output.Written, hash);
                bytes += output.Length;
            }
            Console.WriteLine($"  canonical bytes: {bytes / 1048576.0:0.0} MiB");
            return Task.CompletedTask;
        });
        await Probed("SHA-256 of the data only, one thread", () =>
        {
            Span<byte> hash = stackalloc byte[32];
            foreach (var r in rows)
            {
                SHA256.HashData(r.Data, hash);
            }
            return Task.CompletedTask;
        });
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
