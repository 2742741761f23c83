using System.Text.Json.Nodes;
using RatificationLedger.Cli;
using RatificationLedger.IntegrationTests.Support;
using Npgsql;

namespace RatificationLedger.IntegrationTests.Cli;

/// <summary>`ledger digest`, `verify`, `proof` and `verify-proof` on the sample's ledger, against the real server.</summary>
public sealed class IntegrityCliTests
{
    private static async Task<string> FreshDatabaseAsync()
    {
        var admin = await TestSchemas.ConnectionStringAsync();
        var name = "cli_" + Guid.NewGuid().ToString("N")[..12];
        await using var connection = new NpgsqlConnection(admin);
        await connection.OpenAsync();
        await using var create = new NpgsqlCommand($"create database {name}", connection);
        await create.ExecuteNonQueryAsync();
        return new NpgsqlConnectionStringBuilder(admin) { Database = name }.ConnectionString;
    }

    private sealed record Run(int Exit, string Out, string Err);

    private static async Task<Run> LedgerAsync(string? connection, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await LedgerCli.RunAsync(connection is null ? args : [.. args, "--connection", connection], output, error);
        return new Run(exit, output.ToString(), error.ToString());
    }

    private static async Task ExecuteAsync(string connection, string sql)
    {
        await using var c = new NpgsqlConnection(connection);
        await c.OpenAsync();
        await using var command = new NpgsqlCommand(sql, c);
        await command.ExecuteNonQueryAsync();
    }

    [Fact]
    public async Task Digest_verify_proof_and_verify_proof_work_on_the_samples_ledger_and_catch_the_issues_falsification()
    {
        var db = await FreshDatabaseAsync();
        var dir = Directory.CreateTempSubdirectory("ledger-integrity-").FullName;
        var digestFile = Path.Combine(dir, "digest-1.json");
        var proofFile = Path.Combine(dir, "hun-swe.json");
        (await LedgerAsync(db, "import", SampleHistory.Path)).Exit.Should().Be(0);

        var digest = await LedgerAsync(db, "digest", "--out", digestFile);
        digest.Exit.Should().Be(0, digest.Err);
        var document = JsonNode.Parse(File.ReadAllText(digestFile))!;
        document["number"]!.GetValue<long>().Should().Be(1);
        document["processes"]!.GetValue<int>().Should().Be(3);
        document["entries"]!.GetValue<long>().Should().Be(await CountAsync(db));

        var verify = await LedgerAsync(db, "verify", "--digest", digestFile);
        verify.Exit.Should().Be(0, verify.Out + verify.Err);
        verify.Out.Should().Contain(": intact.");

        // Hungary's approval of Sweden's protocol, 2024-02-26.
        var entry = await ScalarAsync<long>(db, "select version from public.mt_events where stream_id = 'nato/swe' and type = 'ratification_approved' and data ->> 'member' = 'HUN'");
        var proof = await LedgerAsync(db, "proof", "nato/swe", entry.ToString(System.Globalization.CultureInfo.InvariantCulture), "--digest", digestFile, "--out", proofFile);
        proof.Exit.Should().Be(0, proof.Err);

        // Offline: no connection at all.
        var holds = await LedgerAsync(null, "verify-proof", proofFile, "--digest", digestFile);
        holds.Exit.Should().Be(0, holds.Err);
        holds.Out.Should().Contain($"nato/swe entry {entry} (ratification_approved");

        var forged = JsonNode.Parse(File.ReadAllText(proofFile))!;
        forged["entry"]!["data"]!["on"] = "2023-03-07";
        var forgedFile = Path.Combine(dir, "forged.json");
        File.WriteAllText(forgedFile, forged.ToJsonString());
        var refused = await LedgerAsync(null, "verify-proof", forgedFile, "--digest", digestFile);
        refused.Exit.Should().Be(1);
        refused.Err.Should().Contain("does not hold");

        var audit = await LedgerAsync(db, "audit", "nato/fin");
        audit.Out.Should().Contain("Covered by digest 1 of ");

        // The issue's falsification: Türkiye's approval of Finland's protocol moved to 2022-07-01, as a superuser can.
        var turkey = await ScalarAsync<long>(db, "select version from public.mt_events where stream_id = 'nato/fin' and type = 'ratification_approved' and data ->> 'member' = 'TUR'");
        await ExecuteAsync(db, "drop trigger if exists ledger_guard on public.mt_events; " +
            $"update public.mt_events set data = jsonb_set(data, '{{on}}', '\"2022-07-01\"') where stream_id = 'nato/fin' and version = {turkey}");

        var caught = await LedgerAsync(db, "verify", "--digest", digestFile, "--json");
        caught.Exit.Should().Be(1);
        var report = JsonNode.Parse(caught.Out)!;
        report["intact"]!.GetValue<bool>().Should().BeFalse();
        var finding = report["findings"]!.AsArray().Single()!;
        finding["process"]!.GetValue<string>().Should().Be("nato/fin");
        finding["entry"]!.GetValue<long>().Should().Be(turkey);
        finding["kind"]!.GetValue<string>().Should().Be("edited");

        var stale = await LedgerAsync(db, "proof", "nato/fin", turkey.ToString(System.Globalization.CultureInfo.InvariantCulture), "--digest", digestFile, "--out", Path.Combine(dir, "stale.json"));
        stale.Exit.Should().Be(1);
        stale.Err.Should().Contain("no longer matches digest 1");
    }

    [Fact]
    public async Task An_altered_digest_file_is_refused_with_what_does_not_match()
    {
        var db = await FreshDatabaseAsync();
        var dir = Directory.CreateTempSubdirectory("ledger-integrity-").FullName;
        var digestFile = Path.Combine(dir, "digest.json");
        (await LedgerAsync(db, "import", SampleHistory.Path)).Exit.Should().Be(0);
        (await LedgerAsync(db, "digest", "--out", digestFile)).Exit.Should().Be(0);
        var document = JsonNode.Parse(File.ReadAllText(digestFile))!;
        document["takenAt"] = "2030-01-01T00:00:00.000000Z";
        File.WriteAllText(digestFile, document.ToJsonString());

        var run = await LedgerAsync(db, "verify", "--digest", digestFile);

        run.Exit.Should().Be(1);
        run.Err.Should().Contain("the hash does not match");
    }

    private static async Task<long> CountAsync(string db) => await ScalarAsync<long>(db, "select count(*) from public.mt_events");

    private static async Task<T> ScalarAsync<T>(string connection, string sql)
    {
        await using var c = new NpgsqlConnection(connection);
        await c.OpenAsync();
        await using var command = new NpgsqlCommand(sql, c);
        return (T)(await command.ExecuteScalarAsync())!;
    }
}
