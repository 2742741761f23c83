using System.Text.Json.Nodes;
using Marten;
using Npgsql;
using RatificationLedger.Domain;
using RatificationLedger.Import;
using RatificationLedger.IntegrationTests.Support;
using RatificationLedger.IntegrationTests.Observability;
using RatificationLedger.Projections;
using RatificationLedger.Projections.Rebuilding;
using RatificationLedger.Recording;
using static RatificationLedger.IntegrationTests.Support.TestOrganizations;

namespace RatificationLedger.IntegrationTests.ReadSide;

/// <summary>
/// The rebuild on the real server: the documents it writes are the ones the inline path wrote (as JSON), and a rebuild
/// that is cancelled while it swaps the tables, or fails on the way, leaves the previous read models as they were.
/// </summary>
public sealed class RebuildTests : IAsyncLifetime
{
    private readonly string _schema = TestSchemas.Next("rebuild");
    private LedgerHost _host = null!;

    public async Task InitializeAsync()
    {
        _host = LedgerHost.Start(await TestSchemas.ConnectionStringAsync(), _schema);
        var imported = await _host.Sender.Send(new ImportHistoryRequest(HistoryFile.Load(SampleHistory.Path)));
        imported.Failure.Should().BeNull();
        // A second organization with another policy (the candidate ratifies too, a fixed entry-into-force date).
        var eu = await _host.Sender.Send(new ImportHistoryRequest(HistoryFile.Load(Path.Combine(AppContext.BaseDirectory, "Data", "eu-croatia-2011.json"))));
        eu.Failure.Should().BeNull(eu.Failure?.Message);
        // One correction through the command path, so the inline views also fold a retraction.
        var spain = (await _host.Queries.EntriesAsync("nato/fin")).First(e => e.Event is InstrumentDeposited { Member: "ESP" });
        await _host.RecordAsync(new RetractEntry("nato/fin", spain.Number, D("2024-06-01"), "test: the deposit date could not be confirmed"));
        await _host.Queries.RebuildAsync(MemberRecordProjection.Name);
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private string Table<T>() => _host.Store.Options.FindOrResolveDocumentType(typeof(T)).TableName.QualifiedName;

    private string[] Tables => [Table<AccessionStatus>(), Table<RatificationRegister>(), Table<MemberRecord>()];

    // Every stored row of the read models: table, id, version stamp, JSON.
    private async Task<List<(string Table, string Id, Guid Version, string Json)>> RowsAsync()
    {
        var rows = new List<(string, string, Guid, string)>();
        await using var connection = new NpgsqlConnection(await TestSchemas.ConnectionStringAsync());
        await connection.OpenAsync();
        foreach (var table in Tables)
        {
            await using var command = new NpgsqlCommand($"select id, mt_version, data::text from {table} order by id", connection);
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                rows.Add((table, reader.GetString(0), reader.GetGuid(1), reader.GetString(2)));
            }
        }
        return rows;
    }

    [Fact]
    public async Task A_rebuild_writes_the_documents_the_inline_path_wrote_for_the_NATO_and_EU_samples_as_JSON()
    {
        var inline = await RowsAsync();
        inline.Where(r => r.Table == Table<AccessionStatus>()).Select(r => r.Id).Should().Contain(["nato/fin", "nato/swe", "eu/hrv"]);
        inline.Where(r => r.Table == Table<RatificationRegister>()).Should().HaveCount(inline.Count(r => r.Table == Table<AccessionStatus>()));
        inline.Should().Contain(r => r.Table == Table<MemberRecord>() && r.Id == "TUR");

        await _host.Queries.RebuildAllAsync();

        var rebuilt = await RowsAsync();
        rebuilt.Select(r => (r.Table, r.Id)).Should().Equal(inline.Select(r => (r.Table, r.Id)));
        foreach (var (before, after) in inline.Zip(rebuilt))
        {
            JsonNode.DeepEquals(JsonNode.Parse(before.Json), JsonNode.Parse(after.Json)).Should().BeTrue($"{after.Table} {after.Id} rebuilt is {after.Json}, inline was {before.Json}");
            if (after.Table == Table<MemberRecord>())
            {
                after.Version.Should().NotBe(before.Version, "the rebuild writes every member record again");
            }
            else
            {
                after.Version.Should().Be(before.Version, "status and register equal to the stored ones are left as they are");
            }
        }
        // The retraction is in both: Spain's deposit is gone from Finland's register.
        var finland = JsonNode.Parse(rebuilt.Single(r => r.Table == Table<RatificationRegister>() && r.Id == "nato/fin").Json)!;
        finland["rows"]!.AsArray().Single(r => (string?)r!["member"] == "ESP")!["depositedOn"].Should().BeNull();
    }

    [Fact]
    public async Task An_entry_of_the_longest_text_in_two_byte_characters_is_read_whole_and_the_documents_are_the_inline_ones()
    {
        // The scan takes the log's binary COPY apart itself (rows split across its reads, the events' JSON copied into
        // shared arrays): a retraction whose reason is the longest accepted, 4,000 characters, most of them two bytes in
        // UTF-8 and some escaped in JSON, is decoded to the same documents as the inline path's.
        var reason = "test: \"" + string.Concat(Enumerable.Repeat("é—", 1_995)) + "\"";
        var deposit = (await _host.Queries.EntriesAsync("nato/swe")).First(e => e.Event is InstrumentDeposited);
        var member = ((InstrumentDeposited)deposit.Event).Member;
        await _host.RecordAsync(new RetractEntry("nato/swe", deposit.Number, D("2024-06-01"), reason));
        // Member records are the async daemon's: brought up to date as the set-up does.
        await _host.Queries.RebuildAsync(MemberRecordProjection.Name);
        var inline = await RowsAsync();
        JsonNode.Parse(inline.Single(r => r.Table == Table<RatificationRegister>() && r.Id == "nato/swe").Json)!["rows"]!.AsArray()
            .Single(r => (string?)r!["member"] == member)!["depositedOn"].Should().BeNull("the retraction took the deposit out");

        await _host.Queries.RebuildAllAsync();

        var rebuilt = await RowsAsync();
        rebuilt.Select(r => (r.Table, r.Id)).Should().Equal(inline.Select(r => (r.Table, r.Id)));
        foreach (var (before, after) in inline.Zip(rebuilt))
        {
            JsonNode.DeepEquals(JsonNode.Parse(before.Json), JsonNode.Parse(after.Json)).Should().BeTrue($"{after.Table} {after.Id} rebuilt is {after.Json}, inline was {before.Json}");
        }
    }

    [Fact]
    public async Task A_rebuild_puts_back_the_as_of_index_rows_that_were_changed_removed_or_added_and_keeps_the_others()
    {
        await _host.Queries.RebuildAllAsync();
        var rebuilt = await AsOfRowsAsync();
        rebuilt.Should().Contain(r => r.Process == "nato/fin").And.Contain(r => r.Process == "eu/hrv");
        // One row's snapshot changed (Finland's first), one removed (Sweden's last), one added (a process with no entry).
        await using (var connection = new NpgsqlConnection(await TestSchemas.ConnectionStringAsync()))
        {
            await connection.OpenAsync();
            var table = $"{_schema}.ledger_asof";
            await using var tamper = new NpgsqlCommand(
                $"update {table} set status = '\\x00'::bytea where ctid = (select ctid from {table} where process = 'nato/fin' order by valid_from, known_from limit 1); "
                + $"delete from {table} where ctid = (select ctid from {table} where process = 'nato/swe' order by valid_from desc, known_from desc limit 1); "
                + $"insert into {table} (process, valid_from, known_from, status) values ('nato/xyz', '2020-01-01', now(), '\\x01'::bytea)",
                connection);
            await tamper.ExecuteNonQueryAsync();
        }
        var tampered = await AsOfRowsAsync();
        tampered.Should().HaveCount(rebuilt.Count).And.Contain(r => r.Process == "nato/xyz").And.Contain(r => r.Status == "00");
        (await AsOfRowsAsync()).Should().NotEqual(rebuilt);

        await _host.Queries.RebuildAllAsync();

        (await AsOfRowsAsync()).Should().Equal(rebuilt);
    }

    [Fact]
    public async Task A_rebuild_rewrites_the_as_of_index_rows_of_the_processes_whose_rows_changed_and_no_others()
    {
        // The index as the live maintenance wrote it, then as a rebuild writes it: every process's rows are left as they
        // are (same transaction id), since their digests equal the stored ones.
        var live = await AsOfRowVersionsAsync();
        live.Select(r => r.Process).Distinct().Should().Contain(["nato/fin", "nato/swe", "eu/hrv"]);
        await _host.Queries.RebuildAllAsync();
        (await AsOfRowVersionsAsync()).Should().Equal(live, "no row of the index differs from the fold of the log, so none is rewritten");

        // One row of Sweden's changed behind the rebuild's back: the next rebuild writes Sweden's rows again (a new
        // transaction id on every one of them) and leaves every other process's rows as they were.
        await using (var connection = new NpgsqlConnection(await TestSchemas.ConnectionStringAsync()))
        {
            await connection.OpenAsync();
            var table = $"{_schema}.ledger_asof";
            await using var tamper = new NpgsqlCommand(
                $"update {table} set known_to = known_from + interval '1 second' where ctid = (select ctid from {table} where process = 'nato/swe' and known_to is null order by valid_from desc limit 1)",
                connection);
            (await tamper.ExecuteNonQueryAsync()).Should().Be(1);
        }
        var tampered = await AsOfRowVersionsAsync();
        await _host.Queries.RebuildAllAsync();
        var rebuilt = await AsOfRowVersionsAsync();

        rebuilt.Where(r => r.Process != "nato/swe").Should().Equal(live.Where(r => r.Process != "nato/swe"));
        var swedenBefore = tampered.Where(r => r.Process == "nato/swe").Select(r => r.Version).ToHashSet();
        rebuilt.Where(r => r.Process == "nato/swe").Should().NotBeEmpty().And.OnlyContain(r => !swedenBefore.Contains(r.Version));
        (await AsOfRowsAsync()).Where(r => r.Process == "nato/swe").Should().OnlyContain(r => r.KnownTo == null || r.KnownTo != r.KnownFrom.AddSeconds(1));
    }

    [Fact]
    public async Task A_rebuild_puts_back_the_documents_changed_removed_or_added_behind_its_back_and_leaves_the_others()
    {
        var inline = await RowsAsync();
        // Sweden's register edited (Türkiye's approval moved, as in the tampering of issue 20, but on the read model),
        // Finland's status deleted, a status for a process the log does not have added.
        await using (var connection = new NpgsqlConnection(await TestSchemas.ConnectionStringAsync()))
        {
            await connection.OpenAsync();
            await using var tamper = new NpgsqlCommand(
                $"update {Table<RatificationRegister>()} set data = jsonb_set(data, '{{protocolSignedOn}}', '\"2022-07-01\"') where id = 'nato/swe'; "
                + $"delete from {Table<AccessionStatus>()} where id = 'nato/fin'; "
                + $"insert into {Table<AccessionStatus>()} (id, data, mt_version, mt_dotnet_type) select 'nato/xyz', jsonb_set(data, '{{id}}', '\"nato/xyz\"'), gen_random_uuid(), mt_dotnet_type "
                + $"from {Table<AccessionStatus>()} where id = 'nato/swe'",
                connection);
            (await tamper.ExecuteNonQueryAsync()).Should().Be(3);
        }
        (await RowsAsync()).Should().NotBeEquivalentTo(inline);

        await _host.Queries.RebuildAllAsync();

        var rebuilt = await RowsAsync();
        rebuilt.Select(r => (r.Table, r.Id, r.Json)).Should().Equal(inline.Select(r => (r.Table, r.Id, r.Json)));
        var documents = new[] { Table<AccessionStatus>(), Table<RatificationRegister>() };
        var written = rebuilt.Where(r => documents.Contains(r.Table)).Except(inline.Where(r => documents.Contains(r.Table))).Select(r => (r.Table, r.Id));
        written.Should().BeEquivalentTo([(Table<RatificationRegister>(), "nato/swe"), (Table<AccessionStatus>(), "nato/fin")],
            "only the documents that differed from the fold of the log are written again");
    }

    [Fact]
    public async Task Documents_that_all_differ_are_replaced_whole_without_comparing_the_rest_and_come_back_as_the_inline_ones()
    {
        // As after an upgrade that changes every status document: a key added to each. With the comparison given up
        // after the first process that differs, the status table is replaced whole; the register, unchanged, is still
        // compared and none of it written; with the default (64 processes, more than this database has) both are compared.
        var inline = await RowsAsync();
        await using (var connection = new NpgsqlConnection(await TestSchemas.ConnectionStringAsync()))
        {
            await connection.OpenAsync();
            await using var upgrade = new NpgsqlCommand($"update {Table<AccessionStatus>()} set data = data || '{{\"stale\": true}}'", connection);
            (await upgrade.ExecuteNonQueryAsync()).Should().BeGreaterThan(2);
        }
        using var logs = new CapturedLogs();
        var logger = logs.CreateLogger("rebuild");

        await ReadModelRebuild.For(_host.Store, new EntryReader(_host.Store), logger, views: true, members: false, abandonAfter: 1).RunAsync(CancellationToken.None);

        logs.Entries.Should().Contain(e => e.Message.Contains("replaced whole") && e.Message.Contains(Table<AccessionStatus>()));
        logs.Entries.Should().Contain(e => e.Message.Contains("compared process by process") && e.Message.Contains(Table<RatificationRegister>())
            && Equals(e.Fields["Replaced"], 0));
        var rebuilt = await RowsAsync();
        rebuilt.Select(r => (r.Table, r.Id, r.Json)).Should().Equal(inline.Select(r => (r.Table, r.Id, r.Json)));
        rebuilt.Where(r => r.Table == Table<AccessionStatus>()).Should().OnlyContain(r => inline.All(i => i.Version != r.Version));

        await using (var connection = new NpgsqlConnection(await TestSchemas.ConnectionStringAsync()))
        {
            await connection.OpenAsync();
            await using var upgrade = new NpgsqlCommand($"update {Table<AccessionStatus>()} set data = data || '{{\"stale\": true}}'", connection);
            await upgrade.ExecuteNonQueryAsync();
        }
        using var again = new CapturedLogs();
        await ReadModelRebuild.For(_host.Store, new EntryReader(_host.Store), again.CreateLogger("rebuild"), views: true, members: false).RunAsync(CancellationToken.None);
        again.Entries.Should().Contain(e => e.Message.Contains("compared process by process") && e.Message.Contains(Table<AccessionStatus>()));
        again.Entries.Should().NotContain(e => e.Message.Contains("replaced whole"));
        (await RowsAsync()).Select(r => (r.Table, r.Id, r.Json)).Should().Equal(inline.Select(r => (r.Table, r.Id, r.Json)));
    }

    // Every row of the as-of index with the transaction that wrote it (xmin), in key order.
    private Task<List<(string Process, DateOnly ValidFrom, DateTimeOffset KnownFrom, string Version)>> AsOfRowVersionsAsync() =>
        AsOfIndexAsync("process, valid_from, known_from, xmin::text",
            r => (r.GetString(0), r.GetFieldValue<DateOnly>(1), r.GetFieldValue<DateTimeOffset>(2), r.GetString(3)));

    // Every row of the as-of index: its key, its end and its snapshot's bytes (hex), in key order.
    private Task<List<(string Process, DateOnly ValidFrom, DateTimeOffset KnownFrom, DateTimeOffset? KnownTo, string Status)>> AsOfRowsAsync() =>
        AsOfIndexAsync("process, valid_from, known_from, known_to, encode(status, 'hex')",
            r => (r.GetString(0), r.GetFieldValue<DateOnly>(1), r.GetFieldValue<DateTimeOffset>(2), r.IsDBNull(3) ? (DateTimeOffset?)null : r.GetFieldValue<DateTimeOffset>(3), r.GetString(4)));

    // The columns given of every row of the as-of index, in key order.
    private async Task<List<T>> AsOfIndexAsync<T>(string columns, Func<NpgsqlDataReader, T> row)
    {
        var rows = new List<T>();
        await using var connection = new NpgsqlConnection(await TestSchemas.ConnectionStringAsync());
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"select {columns} from {_schema}.ledger_asof order by process, valid_from, known_from", connection);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows.Add(row(reader));
        }
        return rows;
    }

    [Fact]
    public async Task A_rebuild_cancelled_while_it_replaces_the_tables_leaves_the_read_models_as_they_were()
    {
        var before = await RowsAsync();
        var connectionString = await TestSchemas.ConnectionStringAsync();
        await using var writer = new NpgsqlConnection(connectionString);
        await writer.OpenAsync();
        // A writer in the middle of its transaction on the register: the rebuild's swap waits for it, after it has
        // begun its own transaction and locked the status table.
        await using var writing = await writer.BeginTransactionAsync();
        await using (var lockRegister = new NpgsqlCommand($"lock table {Table<RatificationRegister>()} in row exclusive mode", writer, writing))
        {
            await lockRegister.ExecuteNonQueryAsync();
        }

        using var cancel = new CancellationTokenSource();
        var rebuild = _host.Queries.RebuildAllAsync(cancel.Token);
        await WaitUntilAsync(connectionString, $"select exists (select 1 from pg_locks where not granted and relation = '{Table<RatificationRegister>()}'::regclass)");
        (await CountAsync(connectionString, $"select count(*) from pg_locks where granted and mode = 'ShareRowExclusiveLock' and relation = '{Table<AccessionStatus>()}'::regclass"))
            .Should().Be(1, "the swap holds the status table");
        await cancel.CancelAsync();

        await FluentActions.Awaiting(() => rebuild).Should().ThrowAsync<OperationCanceledException>();
        await writing.RollbackAsync();
        (await RowsAsync()).Should().Equal(before, "nothing the cancelled rebuild did is visible");
        // Dropped by the rebuild, or, when the cancellation broke its connection, by the end of its session, which
        // PostgreSQL completes after the client has gone: waited for.
        await WaitUntilAsync(connectionString, "select not exists (select 1 from pg_class where relname like 'ledger_rebuild_%')", "the staging tables are gone");

        await _host.Queries.RebuildAllAsync();
        var after = await RowsAsync();
        after.Select(r => (r.Table, r.Id)).Should().Equal(before.Select(r => (r.Table, r.Id)));
        after.Select(r => (r.Table, r.Id, r.Json)).Should().Equal(before.Select(r => (r.Table, r.Id, r.Json)));
        after.Where(r => r.Table == Table<MemberRecord>()).Should().NotBeEmpty()
            .And.OnlyContain(r => before.All(b => b.Version != r.Version), "the next rebuild went through: it replaced every member record");
    }

    [Fact]
    public async Task A_stream_written_between_the_scan_and_the_swap_is_folded_again_into_every_read_model()
    {
        var connectionString = await TestSchemas.ConnectionStringAsync();
        await using var holder = new NpgsqlConnection(connectionString);
        await holder.OpenAsync();
        // A writer in the middle of its transaction on the member records: the rebuild's swap, its scan done, locks the
        // status and register tables and waits for it.
        await using var holding = await holder.BeginTransactionAsync();
        await using (var lockMembers = new NpgsqlCommand($"lock table {Table<MemberRecord>()} in row exclusive mode", holder, holding))
        {
            await lockMembers.ExecuteNonQueryAsync();
        }
        var rebuild = _host.Queries.RebuildAllAsync();
        await WaitUntilAsync(connectionString, $"select exists (select 1 from pg_locks where not granted and relation = '{Table<MemberRecord>()}'::regclass)");

        // Meanwhile one more entry of nato/fin is committed (written behind the ledger's back: the ledger's own writer
        // would wait for the swap): a formal veto by Croatia, which the scan did not see.
        await using (var connection = new NpgsqlConnection(connectionString))
        {
            await connection.OpenAsync();
            await using var append = new NpgsqlCommand(
                $"insert into {_schema}.mt_events (seq_id, id, stream_id, version, data, type, timestamp, tenant_id, mt_dotnet_type) "
                + $"select nextval('{_schema}.mt_events_sequence'), gen_random_uuid(), id, version + 1, "
                + "'{\"member\": \"HRV\", \"on\": \"2022-07-06\", \"reason\": \"written during a rebuild\", \"formal\": true}'::jsonb, "
                + $"'veto_declared', now(), '*DEFAULT*', 'RatificationLedger.Domain.VetoDeclared, RatificationLedger' from {_schema}.mt_streams where id = 'nato/fin'; "
                + $"update {_schema}.mt_streams set version = version + 1 where id = 'nato/fin'",
                connection);
            await append.ExecuteNonQueryAsync();
        }
        await holding.RollbackAsync();
        await rebuild;

        var caughtUp = await RowsAsync();
        var caughtUpIndex = await AsOfRowsAsync();
        Json<AccessionStatus>("nato/fin")["vetoes"]!.AsArray().Should().Contain(v => (string?)v!["reason"] == "written during a rebuild" && (string?)v["member"] == "HRV");
        Json<MemberRecord>("HRV")["vetoes"]!.AsArray().Should().ContainSingle(v => (string?)v!["process"] == "nato/fin" && (string?)v["reason"] == "written during a rebuild");
        // The same documents as a rebuild that nothing interrupts.
        await _host.Queries.RebuildAllAsync();
        (await RowsAsync()).Select(r => (r.Table, r.Id, JsonNode.Parse(r.Json)!.ToJsonString())).Should()
            .Equal(caughtUp.Select(r => (r.Table, r.Id, JsonNode.Parse(r.Json)!.ToJsonString())));
        caughtUpIndex.Should().Contain(r => r.Process == "nato/fin" && r.KnownTo == null && r.Status.Length > 0);
        (await AsOfRowsAsync()).Should().Equal(caughtUpIndex, "the as-of index the catch-up wrote is the one an uninterrupted rebuild writes");

        JsonNode Json<T>(string id) => JsonNode.Parse(caughtUp.Single(r => r.Table == Table<T>() && r.Id == id).Json)!;
    }

    [Fact]
    public async Task A_rebuild_that_fails_on_an_entry_it_cannot_read_names_it_and_leaves_the_read_models_as_they_were()
    {
        var before = await RowsAsync();
        var connectionString = await TestSchemas.ConnectionStringAsync();
        // An entry written behind the ledger's back, of a type no version of the ledger wrote, in the middle of the log's
        // key order (after nato/fin's entries, before nato/swe's).
        await using (var connection = new NpgsqlConnection(connectionString))
        {
            await connection.OpenAsync();
            await using var insert = new NpgsqlCommand(
                $"insert into {_schema}.mt_events (seq_id, id, stream_id, version, data, type, timestamp, tenant_id, mt_dotnet_type) "
                + $"values (nextval('{_schema}.mt_events_sequence'), gen_random_uuid(), 'nato/fin', 100000, '{{}}'::jsonb, 'no_such_entry', now(), '*DEFAULT*', 'Unknown')",
                connection);
            await insert.ExecuteNonQueryAsync();
        }

        await FluentActions.Awaiting(() => _host.Queries.RebuildAllAsync()).Should().ThrowAsync<InvalidOperationException>()
            .WithMessage("nato/fin: entry 100000 has the unknown stored type 'no_such_entry'.");
        (await RowsAsync()).Should().Equal(before);
        (await CountAsync(connectionString, "select count(*) from pg_class where relname like 'ledger_rebuild_%'")).Should().Be(0);
    }

    [Fact]
    public async Task A_read_model_with_a_column_the_rebuild_would_leave_empty_is_refused_before_anything_is_written()
    {
        await using var host = LedgerHost.Start(await TestSchemas.ConnectionStringAsync(), TestSchemas.Next("rebuildduplicated"),
            marten: o => o.Schema.For<AccessionStatus>().Duplicate(s => s.Candidate));
        await host.RegisterAsync(Nato());
        await host.RecordAsync(new SubmitApplication("nato/fin", "NATO", "FIN", D("2022-05-18")));

        await FluentActions.Awaiting(() => host.Queries.RebuildAllAsync()).Should().ThrowAsync<InvalidOperationException>()
            .WithMessage("*mt_doc_accessionstatus has the column candidate, which the rebuild does not fill*");
        (await host.Queries.StatusAsync("nato/fin"))!.Candidate.Should().Be("FIN");
    }

    /// <summary>An earlier shape of an approval, only there so that the store registers an upcaster.</summary>
    public sealed record ApprovalWithoutAuthority(string Member, DateOnly On);

    [Fact]
    public async Task A_store_that_upcasts_events_is_rebuilt_through_martens_reader_to_the_same_documents()
    {
        var schema = TestSchemas.Next("rebuildupcast");
        await using var host = LedgerHost.Start(await TestSchemas.ConnectionStringAsync(), schema,
            marten: o => o.Events.Upcast<ApprovalWithoutAuthority, RatificationApproved>(old => new RatificationApproved(old.Member, old.On, null)));
        (await host.Sender.Send(new ImportHistoryRequest(HistoryFile.Load(SampleHistory.Path)))).Failure.Should().BeNull();
        await using var session = host.Store.QuerySession();
        var before = await session.Query<RatificationRegister>().OrderBy(r => r.Id).ToListAsync();
        before.Should().NotBeEmpty();

        // The ledger's own reader steps aside for a store that upcasts (Marten 9 keeps upcasts in its map of stored
        // names, not in JasperFx's list of upcasters); a store that does not keeps it.
        new EntryReader(host.Store).Usable.Should().BeFalse();
        new EntryReader(_host.Store).Usable.Should().BeTrue();

        await host.Queries.RebuildAllAsync();

        await using var after = host.Store.QuerySession();
        (await after.Query<RatificationRegister>().OrderBy(r => r.Id).ToListAsync()).Should().BeEquivalentTo(before, o => o.WithStrictOrdering());
        (await after.Query<MemberRecord>().CountAsync()).Should().BeGreaterThan(0);
        // Through Marten's reader nothing is compared and the as-of index is replaced whole, but for its marker row (the
        // row that says the index is complete; without it the next start would fill the index again from the log).
        await using var connection = new NpgsqlConnection(await TestSchemas.ConnectionStringAsync());
        await connection.OpenAsync();
        await using var marker = new NpgsqlCommand($"select count(*) from {schema}.ledger_asof where process = ''", connection);
        ((long)(await marker.ExecuteScalarAsync())!).Should().Be(1);
    }

    private static async Task<long> CountAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static async Task WaitUntilAsync(string connectionString, string sql, string what = "the rebuild reaches its swap")
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!(await CountAsync(connectionString, $"select ({sql})::int") > 0))
        {
            DateTime.UtcNow.Should().BeBefore(deadline, $"{what} within a minute");
            await Task.Delay(20);
        }
    }
}
