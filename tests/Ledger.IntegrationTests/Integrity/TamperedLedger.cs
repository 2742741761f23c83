using RatificationLedger.Import;
using RatificationLedger.Integrity;
using RatificationLedger.IntegrationTests.Support;
using Npgsql;

namespace RatificationLedger.IntegrationTests.Integrity;

/// <summary>
/// A ledger holding the sample's history, in its own schema, and a second database role that may change its tables
/// (the guard dropped first, as a superuser can): the tests change the record with SQL as that role, as someone with
/// access to the database would, and check what <c>ledger verify</c> says.
/// </summary>
internal sealed class TamperedLedger : IAsyncDisposable
{
    public const string Role = "ledger_tamperer";

    private TamperedLedger(LedgerHost host, string schema, string connectionString)
    {
        Host = host;
        Schema = schema;
        ConnectionString = connectionString;
    }

    public LedgerHost Host { get; }

    public string Schema { get; }

    public string ConnectionString { get; }

    public static async Task<TamperedLedger> StartAsync(string? until = null)
    {
        var connection = await TestSchemas.ConnectionStringAsync();
        var schema = TestSchemas.Next("tamper");
        var host = LedgerHost.Start(connection, schema);
        var history = until is null ? HistoryFile.Load(SampleHistory.Path) : HistoryFile.Parse(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(SampleHistory.JsonUntil(until))));
        var result = await host.Sender.Send(new ImportHistoryRequest(history, RecordedBy: "clerk"));
        result.Failure.Should().BeNull();
        var ledger = new TamperedLedger(host, schema, connection);
        await ledger.AsOwnerAsync($"""
            do $$ begin
              if not exists (select 1 from pg_roles where rolname = '{Role}') then create role {Role}; end if;
            end $$;
            grant usage on schema {schema} to {Role};
            grant select, insert, update, delete, truncate on all tables in schema {schema} to {Role};
            grant usage on all sequences in schema {schema} to {Role};
            """);
        return ledger;
    }

    /// <summary>Imports the rest of the sample (after <see cref="StartAsync"/> with a date).</summary>
    public async Task ImportRestAsync()
    {
        var result = await Host.Sender.Send(new ImportHistoryRequest(HistoryFile.Load(SampleHistory.Path), RecordedBy: "clerk"));
        result.Failure.Should().BeNull();
    }

    /// <summary>Runs SQL as the owner of the test server (a superuser): what only an administrator can do.</summary>
    public async Task AsOwnerAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Runs SQL as the other role, with the guard dropped first (by a superuser).</summary>
    public async Task TamperAsync(string sql)
    {
        await DropGuardAsync();
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"set role {Role}; set search_path = {Schema}; {sql}", connection);
        await command.ExecuteNonQueryAsync();
    }

    // The server's clock for recorded-at goes too: whoever can drop the guard can drop it, and write any instant.
    public Task DropGuardAsync() => AsOwnerAsync(string.Join(' ', new[] { "mt_events", "ledger_chain", "ledger_digest" }.Select(t =>
        $"drop trigger if exists ledger_guard on {Schema}.{t}; drop trigger if exists ledger_guard_truncate on {Schema}.{t};"))
        + $" drop trigger if exists ledger_recorded_at on {Schema}.mt_events;");

    public async Task<T> ScalarAsync<T>(string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"set search_path = {Schema}; {sql}", connection);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>The entry number (version) of <paramref name="member"/>'s entry of stored type <paramref name="type"/> in <paramref name="process"/>.</summary>
    public Task<long> EntryAsync(string process, string type, string member) =>
        ScalarAsync<long>($"select version from mt_events where stream_id = '{process}' and type = '{type}' and data ->> 'member' = '{member}'");

    public Task<long> LastEntryAsync(string process) => ScalarAsync<long>($"select max(version) from mt_events where stream_id = '{process}'");

    public Task<VerificationReport> VerifyAsync(params LedgerDigest[] digests) => LedgerIntegrity.VerifyAsync(Host.Store, digests);

    /// <summary>
    /// Recomputes, as an attacker who knows the algorithm can, the entry hashes and chain of <paramref name="process"/>
    /// from entry <paramref name="from"/> on, from the rows as they now stand.
    /// </summary>
    public async Task RechainAsync(string process, long from)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        var rows = new List<LedgerEntry>();
        await using (var read = new NpgsqlCommand(
            $"select e.stream_id, e.version, e.type, e.data::text, e.headers::text, e.user_name, e.correlation_id, e.causation_id, e.timestamp, c.role " +
            $"from {Schema}.mt_events e left join {Schema}.ledger_chain c using (stream_id, version) where e.stream_id = $1 order by e.version", connection))
        {
            read.Parameters.AddWithValue(process);
            await using var reader = await read.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                rows.Add(new LedgerEntry(reader.GetString(0), reader.GetInt64(1), reader.GetString(2), reader.GetString(3), reader.IsDBNull(4) ? null : reader.GetString(4),
                    reader.IsDBNull(5) ? null : reader.GetString(5), reader.IsDBNull(9) ? "postgres" : reader.GetString(9), reader.IsDBNull(6) ? null : reader.GetString(6),
                    reader.IsDBNull(7) ? null : reader.GetString(7), new DateTimeOffset(reader.GetFieldValue<DateTime>(8), TimeSpan.Zero)));
            }
        }
        await using (var role = new NpgsqlCommand($"set role {Role}", connection))
        {
            await role.ExecuteNonQueryAsync();
        }
        var chain = LedgerHash.Genesis(process);
        foreach (var row in rows)
        {
            var entry = row.Hash();
            chain = LedgerHash.Link(chain, entry);
            if (row.Version < from)
            {
                continue;
            }
            await using var write = new NpgsqlCommand(
                $"insert into {Schema}.ledger_chain (stream_id, version, role, entry_hash, chain_hash) values ($1, $2, $3, $4, $5) " +
                "on conflict (stream_id, version) do update set role = excluded.role, entry_hash = excluded.entry_hash, chain_hash = excluded.chain_hash", connection);
            write.Parameters.AddWithValue(process);
            write.Parameters.AddWithValue(row.Version);
            write.Parameters.AddWithValue(row.Role!);
            write.Parameters.AddWithValue(entry);
            write.Parameters.AddWithValue(chain);
            await write.ExecuteNonQueryAsync();
        }
    }

    public ValueTask DisposeAsync() => Host.DisposeAsync();
}
