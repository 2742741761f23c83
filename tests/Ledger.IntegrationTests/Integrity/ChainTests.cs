using RatificationLedger.Domain;
using RatificationLedger.Recording;
using RatificationLedger.Import;
using RatificationLedger.Integrity;
using RatificationLedger.IntegrationTests.Support;
using Npgsql;

namespace RatificationLedger.IntegrationTests.Integrity;

/// <summary>Both write paths chain what they write, in the same transaction, the same way; an untouched ledger verifies.</summary>
public sealed class ChainTests : IAsyncLifetime
{
    private readonly string _copySchema = TestSchemas.Next("chaincopy");
    private readonly string _martenSchema = TestSchemas.Next("chainmarten");
    private LedgerHost _copy = null!;
    private LedgerHost _marten = null!;

    public async Task InitializeAsync()
    {
        var connection = await TestSchemas.ConnectionStringAsync();
        _copy = LedgerHost.Start(connection, _copySchema, configure: l => l.ImportBatchSize = 16);
        _marten = LedgerHost.Start(connection, _martenSchema, configure: l => { l.ImportBatchSize = 16; l.ImportWithCopy = false; });
    }

    public async Task DisposeAsync()
    {
        await _copy.DisposeAsync();
        await _marten.DisposeAsync();
    }

    private static ImportHistoryRequest Sample() => new(HistoryFile.Load(SampleHistory.Path), RecordedBy: "importer", CorrelationId: "import-1");

    [Fact]
    public async Task An_untouched_ledger_written_through_marten_verifies()
    {
        (await _marten.Sender.Send(Sample())).Failure.Should().BeNull();

        var report = await LedgerIntegrity.VerifyAsync(_marten.Store);

        report.Findings.Should().BeEmpty();
        report.Intact.Should().BeTrue();
        report.Entries.Should().Be(await _marten.EventCountAsync());
        report.Notes.Should().BeEmpty("every entry was chained when it was written");
    }

    [Fact]
    public async Task An_untouched_ledger_written_with_copy_verifies_and_its_chain_is_the_one_marten_writes()
    {
        (await _copy.Sender.Send(Sample())).Failure.Should().BeNull();
        (await _marten.Sender.Send(Sample())).Failure.Should().BeNull();

        var report = await LedgerIntegrity.VerifyAsync(_copy.Store);
        report.Findings.Should().BeEmpty();
        report.Entries.Should().Be(await _copy.EventCountAsync());

        // Recorded-at differs between the two runs, so the hashes do; the role and the chained versions do not.
        var copyLinks = await LinksAsync(_copySchema);
        var martenLinks = await LinksAsync(_martenSchema);
        copyLinks.Select(l => (l.Stream, l.Version, l.Role)).Should().Equal(martenLinks.Select(l => (l.Stream, l.Version, l.Role)));
    }

    [Fact]
    public async Task Recorded_at_is_the_servers_transaction_time_and_the_role_is_the_writing_role()
    {
        _marten.Clock.Now = new DateTimeOffset(2024, 6, 1, 12, 0, 0, TimeSpan.Zero);
        await _marten.RegisterAsync(TestOrganizations.Nato());
        await using var connection = new NpgsqlConnection(await TestSchemas.ConnectionStringAsync());
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            $"select abs(extract(epoch from (e.timestamp - now()))) < 600, c.role = current_user from {_martenSchema}.mt_events e join {_martenSchema}.ledger_chain c using (stream_id, version)", connection);
        await using var reader = await command.ExecuteReaderAsync();
        (await reader.ReadAsync()).Should().BeTrue();
        reader.GetBoolean(0).Should().BeTrue("recorded-at is the server's time, not the injected clock of 2024");
        reader.GetBoolean(1).Should().BeTrue();
    }

    [Fact]
    public async Task Recorded_at_on_either_path_does_not_come_from_the_clients_clock()
    {
        // Marten's own clock for events set to 2001 in this app: a timestamp from the client would say 2001.
        var connection = await TestSchemas.ConnectionStringAsync();
        var schema = TestSchemas.Next("chainclock");
        await using var host = LedgerHost.Start(connection, schema, marten: o => o.Events.TimeProvider = new FixedClock(new DateTimeOffset(2001, 1, 1, 0, 0, 0, TimeSpan.Zero)));
        (await host.Sender.Send(Sample())).Failure.Should().BeNull();

        await using var c = new NpgsqlConnection(connection);
        await c.OpenAsync();
        await using var command = new NpgsqlCommand($"select count(*) filter (where timestamp < now() - interval '1 hour'), count(*) from {schema}.mt_events", c);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        reader.GetInt64(0).Should().Be(0, "every recorded-at is the server's transaction time: the COPY path's (all of nato/fin) and Marten's appends' (the organization, the ratifier added to Sweden's process)");
        reader.GetInt64(1).Should().BeGreaterThan(50);
        await reader.DisposeAsync();
        (await LedgerIntegrity.VerifyAsync(host.Store)).Findings.Should().BeEmpty();
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Commands_recorded_one_by_one_on_a_stream_the_recorder_holds_are_chained_as_the_rule_says(bool prepare)
    {
        // The recorder chains the entries of a stream it holds from the link it read with its facts (a plain insert per
        // entry), else the server chains them: either way each link must be SHA-256(0x01 || link before || entry hash),
        // the first SHA-256 of the stream's key. Checked here in SQL, not with the library's verifier.
        var schema = TestSchemas.Next(prepare ? "chainprep" : "chainunprep");
        await using var host = LedgerHost.Start(await TestSchemas.ConnectionStringAsync(), schema, configure: o => o.PrepareStatements = prepare);
        (await host.Recorder.RegisterOrganizationAsync(TestOrganizations.Nato())).Succeeded.Should().BeTrue();
        var d = TestOrganizations.D;
        (await host.Recorder.RecordAsync(new ExtendInvitation("nato/fin", d("2022-06-29"), "Madrid summit", Organization: "NATO", Candidate: "FIN"))).Outcome.Should().Be(RecordOutcome.Recorded);
        (await host.Recorder.RecordAsync(new SignAccessionProtocol("nato/fin", d("2022-07-05")))).Outcome.Should().Be(RecordOutcome.Recorded);
        foreach (var (member, on) in new[] { ("CAN", "2022-07-05"), ("DNK", "2022-07-05"), ("ISL", "2022-07-05"), ("NOR", "2022-07-05") })
        {
            (await host.Recorder.RecordAsync(new ApproveRatification("nato/fin", member, d(on), null))).Outcome.Should().Be(RecordOutcome.Recorded);
            (await host.Recorder.RecordAsync(new DepositInstrument("nato/fin", member, d(on)))).Outcome.Should().Be(RecordOutcome.Recorded);
        }

        await using var connection = new NpgsqlConnection(await TestSchemas.ConnectionStringAsync());
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            $"select (select count(*) from {schema}.mt_events where stream_id = 'nato/fin'), " +
            $"(select count(*) from {schema}.ledger_chain where stream_id = 'nato/fin'), " +
            $"(select count(*) from {schema}.ledger_chain c left join {schema}.ledger_chain p on p.stream_id = c.stream_id and p.version = c.version - 1 " +
            $" where c.stream_id = 'nato/fin' and c.chain_hash is distinct from sha256('\x01'::bytea || coalesce(p.chain_hash, case when c.version = 1 then sha256(convert_to(c.stream_id, 'UTF8')) end) || c.entry_hash))", connection);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        reader.GetInt64(0).Should().Be(10, "an invitation, a signature, and four approvals and deposits");
        reader.GetInt64(1).Should().Be(10, "every entry has its link");
        reader.GetInt64(2).Should().Be(0, "every link is chained to the one before it");
        await reader.DisposeAsync();
        (await LedgerIntegrity.VerifyAsync(host.Store)).Findings.Should().BeEmpty();
    }

    private static async Task<List<(string Stream, long Version, string? Role)>> LinksAsync(string schema)
    {
        await using var connection = new NpgsqlConnection(await TestSchemas.ConnectionStringAsync());
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"select stream_id, version, role from {schema}.ledger_chain order by stream_id, version", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var links = new List<(string, long, string?)>();
        while (await reader.ReadAsync())
        {
            links.Add((reader.GetString(0), reader.GetInt64(1), reader.IsDBNull(2) ? null : reader.GetString(2)));
        }
        return links;
    }
}
