using Marten;
using RatificationLedger.Domain;
using RatificationLedger.Integrity;
using RatificationLedger.Recording;
using RatificationLedger.IntegrationTests.Support;
using Npgsql;
using static RatificationLedger.IntegrationTests.Support.TestOrganizations;

namespace RatificationLedger.IntegrationTests.Integrity;

/// <summary>
/// Recorded-at is the server's transaction time whatever the client's clock says; Marten's timestamp override is
/// refused; the chain Marten's appends get from the server hashes unusual JSON (escapes, non-ASCII, numbers) as verify
/// reads it back.
/// </summary>
public sealed class ServerClockTests
{
    private static readonly DateTimeOffset YearsOff = new(2001, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>An app event with awkward JSON, appended by an app through the ledger's store.</summary>
    public sealed record AppNote(string Text, double Ratio, double Tiny, double Huge, long Big, decimal Precise, double[] Values, Dictionary<string, string> Names);

    [Fact]
    public async Task An_app_whose_clocks_are_years_off_records_at_the_servers_transaction_time_and_the_chain_verifies()
    {
        var connection = await TestSchemas.ConnectionStringAsync();
        var schema = TestSchemas.Next("clockskew");
        // The ledger's clock says 2035, Marten's clock for events 2001.
        await using var host = LedgerHost.Start(connection, schema, now: new DateTimeOffset(2035, 1, 1, 0, 0, 0, TimeSpan.Zero), marten: o => o.Events.TimeProvider = new FixedClock(YearsOff));
        (await host.RegisterAsync(Nato())).Succeeded.Should().BeTrue();
        var before = await NowAsync(connection);
        (await host.RecordAsync(new SubmitApplication("nato/fin", "NATO", "FIN", D("2022-05-18")),
            new Provenance(Note: "Türkiye — “quoted” \"and\" \\ back\tslash\n𝄞"))).Succeeded.Should().BeTrue();
        (await host.RecordAsync(new ExtendInvitation("nato/fin", D("2022-06-29"), "Madrid Summit"))).Succeeded.Should().BeTrue();
        (await host.RecordAsync(new SignAccessionProtocol("nato/fin", D("2022-07-05")))).Succeeded.Should().BeTrue();
        (await host.RecordAsync(new RecordParliamentVote("nato/fin", "POL", D("2022-07-07"), "Sejm", 445, 0, 0, true))).Succeeded.Should().BeTrue();
        // What the inline projections saw is what the event table holds: the register written with the entries equals
        // the one built from the entries as stored (its rows carry their recorded-at).
        var recorded = await host.Queries.EntriesAsync("nato/fin");
        var (_, register, _) = RatificationLedger.Projections.ProcessViews.Build("nato/fin", recorded);
        var written = (await host.Queries.RegisterAsync("nato/fin"))!;
        written.Should().BeEquivalentTo(register);
        written.Rows.Single(r => r.Member == "POL").RecordedAt.Should().Be(recorded[^1].RecordedAt);
        // An app's own append through the ledger's store: Marten stamps it with its clock (2001).
        await using (var session = host.Store.LightweightSession())
        {
            session.Events.Append("nato/fin", new ApplicationWithdrawn(D("2022-05-20"), "withdrawn by the app"));
            await session.SaveChangesAsync();
        }
        var after = await NowAsync(connection);

        await using var c = new NpgsqlConnection(connection);
        await c.OpenAsync();
        await using var command = new NpgsqlCommand($"select version, timestamp from {schema}.mt_events where stream_id = 'nato/fin' order by version", c);
        var stored = new List<DateTimeOffset>();
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                stored.Add(new DateTimeOffset(reader.GetFieldValue<DateTime>(1), TimeSpan.Zero));
            }
        }
        stored.Should().HaveCount(5);
        stored.Should().OnlyContain(t => t >= before && t <= after, "recorded-at is the server's time of the writing transaction, not the clock of 2001");

        recorded.Select(e => e.RecordedAt).Should().Equal(stored.Take(4));
        var report = await LedgerIntegrity.VerifyAsync(host.Store);
        report.Findings.Should().BeEmpty();
        report.Entries.Should().Be(6);
    }

    [Fact]
    public async Task Marten_timestamp_override_is_refused_naming_the_stream_and_nothing_is_written()
    {
        var connection = await TestSchemas.ConnectionStringAsync();
        var schema = TestSchemas.Next("override");
        await using var host = LedgerHost.Start(connection, schema);
        await host.RegisterAsync(Nato());
        await host.RecordAsync(new SubmitApplication("nato/fin", "NATO", "FIN", D("2022-05-18")));
        var count = await host.EventCountAsync();

        await using var session = host.Store.LightweightSession();
        var e = session.Events.BuildEvent(new ApplicationWithdrawn(D("2022-06-01"), "withdrawn"));
        e.Timestamp = new DateTimeOffset(2019, 3, 1, 0, 0, 0, TimeSpan.Zero);
        session.Events.Append("nato/fin", e);
        var act = () => session.SaveChangesAsync();

        (await act.Should().ThrowAsync<InvalidOperationException>())
            .Which.Message.Should().StartWith("nato/fin: event 1 of 1").And.Contain("timestamp override").And.Contain("2019-03-01");
        (await host.EventCountAsync()).Should().Be(count);
    }

    [Fact]
    public async Task Awkward_json_appended_through_marten_is_chained_as_verify_reads_it_back()
    {
        var connection = await TestSchemas.ConnectionStringAsync();
        var schema = TestSchemas.Next("awkward");
        await using var host = LedgerHost.Start(connection, schema);
        await host.RegisterAsync(Nato());
        await using (var session = host.Store.LightweightSession())
        {
            session.CorrelationId = "corr-\"é\"";
            session.CausationId = "cause\u001f\u007f";
            session.LastModifiedBy = "Zoë \\ O'Brien";
            var note = new AppNote("Ünïcödé “quotes” \"escaped\" \\ / \b\f\n\r\t \u0001\u001f \u2028 𝄞 <&>", 0.1, 1e-7, 1.5e300, 123456789012345678, 1.2345678901234567890123456789m,
                [1.0, -0.0, 5e-324, 1e21, 123.456e-5, 100], new() { ["é"] = "1", ["e"] = "2", ["\u00e9\u0301"] = "3", ["Z"] = "4", ["a"] = "plain" });
            var e = session.Events.BuildEvent(note);
            e.SetHeader("Ünïcode header", "𝄞 \"x\"");
            e.SetHeader("number", 1.50);
            session.Events.StartStream("app/notes", e);
            session.Events.Append("app/notes", new AppNote("second", -2.5, 0, -1e-9, -1, 0.5m, [], []));
            await session.SaveChangesAsync();
        }

        var report = await LedgerIntegrity.VerifyAsync(host.Store);
        report.Findings.Should().BeEmpty("the server's chain of these rows is what verify computes from them as stored");
        report.Entries.Should().Be(await host.EventCountAsync());
        await using var c = new NpgsqlConnection(connection);
        await c.OpenAsync();
        await using var command = new NpgsqlCommand($"select count(*) from {schema}.ledger_chain where stream_id = 'app/notes' and role = current_user", c);
        ((long)(await command.ExecuteScalarAsync())!).Should().Be(2);
    }

    [Fact]
    public async Task An_append_after_entries_written_without_the_chain_is_refused_naming_the_stream()
    {
        var connection = await TestSchemas.ConnectionStringAsync();
        var schema = TestSchemas.Next("unchained");
        await using var host = LedgerHost.Start(connection, schema);
        await host.RegisterAsync(Nato());
        await host.RecordAsync(new SubmitApplication("nato/fin", "NATO", "FIN", D("2022-05-18")));
        await WriteBehindTheLedgersBackAsync(connection, schema);
        await using var session = host.Store.LightweightSession();
        session.Events.Append("nato/fin", new ApplicationWithdrawn(D("2022-06-01"), "withdrawn"));
        var act = () => session.SaveChangesAsync();

        (await act.Should().ThrowAsync<Exception>()).Which.ToString().Should().Contain("nato/fin: 1 entries appended").And.Contain("written without the chain");
        // (Marten writes a tombstone event elsewhere for the sequence numbers the failed append drew.)
        await using var check = new NpgsqlConnection(connection);
        await check.OpenAsync();
        await using var count = new NpgsqlCommand($"select count(*) from {schema}.mt_events where stream_id = 'nato/fin'", check);
        ((long)(await count.ExecuteScalarAsync())!).Should().Be(2, "the application and the entry written behind the ledger's back; nothing of the refused append");
    }

    [Fact]
    public async Task A_recorded_command_after_entries_written_without_the_chain_is_refused_naming_the_stream_and_nothing_is_written()
    {
        // The recorder's appends are hashed on the client and linked on the server to the link before them: an entry
        // with no link before it (written behind the ledger's back) is refused as the server's chain function refuses it.
        var connection = await TestSchemas.ConnectionStringAsync();
        var schema = TestSchemas.Next("unchainedrec");
        await using var host = LedgerHost.Start(connection, schema);
        await host.RegisterAsync(Nato());
        await host.RecordAsync(new SubmitApplication("nato/fin", "NATO", "FIN", D("2022-05-18")));
        await WriteBehindTheLedgersBackAsync(connection, schema);

        var act = () => host.RecordAsync(new ExtendInvitation("nato/fin", D("2022-06-29"), "Madrid Summit"));

        (await act.Should().ThrowAsync<Exception>()).Which.ToString().Should().Contain("nato/fin: 1 entries appended, but entry 2 before it is not chained")
            .And.Contain("written without the chain");
        await using var check = new NpgsqlConnection(connection);
        await check.OpenAsync();
        await using var count = new NpgsqlCommand($"select (select count(*) from {schema}.mt_events where stream_id = 'nato/fin') * 100 + (select count(*) from {schema}.ledger_chain where stream_id = 'nato/fin')", check);
        ((long)(await count.ExecuteScalarAsync())!).Should().Be(2 * 100 + 1, "two entries (the application and the one written behind the ledger's back) and one link; nothing of the refused command");
    }

    // Entry 2 of nato/fin written behind the ledger's back: a plain INSERT (a copy of entry 1), no link.
    private static async Task WriteBehindTheLedgersBackAsync(string connection, string schema)
    {
        await using var c = new NpgsqlConnection(connection);
        await c.OpenAsync();
        await using var insert = new NpgsqlCommand(
            $"insert into {schema}.mt_events (seq_id, id, stream_id, version, data, type, timestamp, tenant_id, mt_dotnet_type, headers, user_name, is_archived) " +
            $"select nextval('{schema}.mt_events_sequence'), gen_random_uuid(), stream_id, 2, data, type, now(), tenant_id, mt_dotnet_type, headers, 'intruder', false from {schema}.mt_events where stream_id = 'nato/fin' and version = 1; " +
            $"update {schema}.mt_streams set version = 2 where id = 'nato/fin'", c);
        await insert.ExecuteNonQueryAsync();
    }

    private static async Task<DateTimeOffset> NowAsync(string connection)
    {
        await using var c = new NpgsqlConnection(connection);
        await c.OpenAsync();
        await using var command = new NpgsqlCommand("select now()", c);
        return new DateTimeOffset((DateTime)(await command.ExecuteScalarAsync())!, TimeSpan.Zero);
    }
}
