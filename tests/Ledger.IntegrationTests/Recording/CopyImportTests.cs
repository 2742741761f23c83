using RatificationLedger.Import;
using RatificationLedger.IntegrationTests.Support;
using RatificationLedger.Projections;
using Marten;

namespace RatificationLedger.IntegrationTests.Recording;

/// <summary>
/// An import writes its batches with COPY (<see cref="RatificationLedger.Storage.LedgerOptions.ImportWithCopy"/>): the rows must be
/// the ones Marten's append writes, the inline views the ones a rebuild from those rows gives, and concurrent writers
/// must still be caught.
/// </summary>
public sealed class CopyImportTests : IAsyncLifetime
{
    private readonly string _copySchema = TestSchemas.Next("copyimport");
    private readonly string _martenSchema = TestSchemas.Next("martenimport");
    private LedgerHost _copy = null!;
    private LedgerHost _marten = null!;

    public async Task InitializeAsync()
    {
        var connection = await TestSchemas.ConnectionStringAsync();
        // Small batches: many transactions, streams started in one batch and appended to in later ones.
        _copy = LedgerHost.Start(connection, _copySchema, configure: l => l.ImportBatchSize = 16);
        _marten = LedgerHost.Start(connection, _martenSchema, configure: l => { l.ImportBatchSize = 16; l.ImportWithCopy = false; });
    }

    public async Task DisposeAsync()
    {
        await _copy.DisposeAsync();
        await _marten.DisposeAsync();
    }

    private static ImportHistoryRequest Sample() =>
        new(HistoryFile.Load(SampleHistory.Path), RecordedBy: "importer", CorrelationId: "import-1");

    [Fact]
    public async Task Batches_of_two_import_every_entry_around_the_accessions_and_the_rows_are_marten_s()
    {
        // Batches of one and two commands: accessions are decided ahead wherever they fall in a batch (first or second,
        // on top of a batch that may itself hold one), and the write takes COPY from two commands up.
        await using var tiny = LedgerHost.Start(await TestSchemas.ConnectionStringAsync(), TestSchemas.Next("tinybatch"), configure: l => l.ImportBatchSize = 2);
        var file = HistoryFile.Load(SampleHistory.Path);
        file.Entries.Count(e => e.Command is RatificationLedger.Domain.CompleteAccession).Should().BeGreaterThan(1, "the sample has accessions to decide ahead");

        var first = await tiny.Sender.Send(new ImportHistoryRequest(file, RecordedBy: "importer", CorrelationId: "import-1"));
        var byMarten = await _marten.Sender.Send(Sample());
        var again = await tiny.Sender.Send(new ImportHistoryRequest(file, RecordedBy: "importer", CorrelationId: "import-2"));

        first.Should().BeEquivalentTo(byMarten);
        first.Failure.Should().BeNull();
        again.Should().BeEquivalentTo(new { Recorded = 0, AlreadyThere = file.Entries.Count, Failure = (ImportFailure?)null });
        const string Events = "select stream_id, version::text, type, data::text from {0}.mt_events order by stream_id, version";
        var tinyRows = await RowsAsync(tiny, string.Format(System.Globalization.CultureInfo.InvariantCulture, Events, tiny.Schema));
        var martenRows = await RowsAsync(_marten, string.Format(System.Globalization.CultureInfo.InvariantCulture, Events, _martenSchema));
        tinyRows.Should().NotBeEmpty().And.Equal(martenRows);

        // The views' rows are Marten's on both paths: every process's status and register, with Marten's .NET type, a
        // version of their own, and last modified by the transaction that wrote the process's last entry.
        foreach (var table in new[] { "mt_doc_accessionstatus", "mt_doc_ratificationregister" })
        {
            const string Documents = "select d.id, d.mt_dotnet_type, (d.mt_last_modified = (select max(e.timestamp) from {0}.mt_events e where e.stream_id = d.id))::text from {0}.{1} d order by d.id";
            var tinyDocuments = await RowsAsync(tiny, string.Format(System.Globalization.CultureInfo.InvariantCulture, Documents, tiny.Schema, table));
            var martenDocuments = await RowsAsync(_marten, string.Format(System.Globalization.CultureInfo.InvariantCulture, Documents, _martenSchema, table));
            tinyDocuments.Should().HaveCount(tinyRows.Select(r => r.Split(" | ")[0]).Where(s => s.StartsWith("nato/", StringComparison.Ordinal)).Distinct().Count(), table).And.Equal(martenDocuments, table);
            tinyDocuments.Should().OnlyContain(r => r.EndsWith(" | true", StringComparison.Ordinal), table);
            (await RowsAsync(tiny, $"select count(distinct mt_version)::text from {tiny.Schema}.{table}")).Should().Equal(tinyDocuments.Count.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    [Fact]
    public async Task An_import_s_own_batch_size_bounds_every_transaction_and_a_size_under_one_is_refused_before_anything_is_written()
    {
        // The store's batch size is 16; this run asks for at most 5 entries per transaction. Each progress report
        // follows one commit, so no step between reports is larger than 5, and there are at least entries / 5 of them.
        var file = HistoryFile.Load(SampleHistory.Path);
        var steps = new List<int>();
        var result = await _copy.Recorder.ImportAsync(file, new ImportOptions { RecordedBy = "importer", BatchSize = 5, Progress = new Steps(steps) });

        result.Failure.Should().BeNull();
        (result.Recorded + result.AlreadyThere).Should().Be(file.Entries.Count);
        steps.Should().NotBeEmpty().And.OnlyContain(n => n >= 1 && n <= 5);
        steps.Sum().Should().Be(file.Entries.Count);
        steps.Count.Should().BeGreaterThanOrEqualTo((file.Entries.Count + 4) / 5);

        var zero = () => _marten.Recorder.ImportAsync(file, new ImportOptions { RecordedBy = "importer", BatchSize = 0 });
        (await zero.Should().ThrowAsync<ArgumentOutOfRangeException>()).Which.Message.Should().Contain("BatchSize is 0");
        (await _marten.EventCountAsync()).Should().Be(0, "nothing is written, not even the organization");
    }

    [Fact]
    public async Task A_loaded_file_changed_during_its_import_stops_it_between_batches_and_the_original_file_then_continues()
    {
        // A loaded file's entries are read again from the file when the import reaches them. Blanked after the first
        // commit (the same length, in place: the handle the file was checked through sees it; POSIX lets a writer in),
        // a later batch finds its entries are no longer what was checked.
        var directory = Directory.CreateTempSubdirectory("ledger-import-");
        try
        {
            var path = Path.Combine(directory.FullName, "history.json");
            File.Copy(SampleHistory.Path, path);
            var original = await File.ReadAllBytesAsync(path);
            var file = HistoryFile.Load(path);
            var blanked = false;
            var progress = new Reports(_ =>
            {
                if (!blanked)
                {
                    using var stream = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
                    stream.Write(Enumerable.Repeat((byte)' ', original.Length).ToArray());
                    blanked = true;
                }
            });

            var import = () => _copy.Recorder.ImportAsync(file, new ImportOptions { RecordedBy = "importer", BatchSize = 5, Progress = progress });

            (await import.Should().ThrowAsync<HistoryFileException>()).Which.Message.Should().Contain($"{path} changed while it was imported");
            var written = await _copy.EventCountAsync();
            written.Should().BeGreaterThan(1, "the batches before the change are recorded");

            // Whole batches only: the original file, imported again, finds what was recorded and records the rest.
            await File.WriteAllBytesAsync(path, original);
            var again = await _copy.Recorder.ImportAsync(HistoryFile.Load(path), new ImportOptions { RecordedBy = "importer" });
            again.Failure.Should().BeNull();
            (again.Recorded + again.AlreadyThere).Should().Be(file.Entries.Count);
            again.AlreadyThere.Should().BeGreaterThan(0);
            var whole = await _marten.Sender.Send(Sample());
            (await RowsAsync(_copy, $"select stream_id, version::text, type, data::text from {_copySchema}.mt_events order by stream_id, version"))
                .Should().Equal(await RowsAsync(_marten, $"select stream_id, version::text, type, data::text from {_martenSchema}.mt_events order by stream_id, version"));
            whole.Failure.Should().BeNull();
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    private sealed class Reports(Action<ImportProgress> report) : IProgress<ImportProgress>
    {
        public void Report(ImportProgress value) => report(value);
    }

    // Records how many entries each report adds, as the report is made (Progress<T> would post it later).
    private sealed class Steps(List<int> steps) : IProgress<ImportProgress>
    {
        private int _done;

        public void Report(ImportProgress value)
        {
            steps.Add(value.Done - _done);
            _done = value.Done;
        }
    }

    [Fact]
    public async Task The_copy_path_is_the_one_taken_with_the_default_registration()
    {
        (await _copy.Recorder.CopyAvailableAsync(default)).Should().BeTrue("the store has Marten's default event layout");
    }

    [Fact]
    public async Task Rows_written_with_copy_are_the_rows_marten_writes()
    {
        var byCopy = await _copy.Sender.Send(Sample());
        var byMarten = await _marten.Sender.Send(Sample());

        byCopy.Should().BeEquivalentTo(byMarten);
        byCopy.Failure.Should().BeNull();
        const string Events = "select stream_id, version::text, type, data::text, mt_dotnet_type, coalesce(headers::text, ''), coalesce(user_name, ''), coalesce(correlation_id, ''), coalesce(causation_id, ''), tenant_id, is_archived::text from {0}.mt_events order by stream_id, version";
        const string Streams = "select id, type, version::text, tenant_id, is_archived::text from {0}.mt_streams order by id";
        const string Receipts = "select id, (data - 'recordedAt')::text, mt_dotnet_type from {0}.mt_doc_commandreceipt order by id";
        foreach (var query in new[] { Events, Streams, Receipts })
        {
            var copied = await RowsAsync(_copy, string.Format(System.Globalization.CultureInfo.InvariantCulture, query, _copySchema));
            var appended = await RowsAsync(_marten, string.Format(System.Globalization.CultureInfo.InvariantCulture, query, _martenSchema));
            copied.Should().NotBeEmpty().And.Equal(appended, query);
        }
        await using var session = _copy.Store.QuerySession();
        var sequences = await session.QueryAsync<long>($"select seq_id from {_copySchema}.mt_events order by seq_id");
        sequences.Should().OnlyHaveUniqueItems().And.HaveCount(byCopy.Recorded + 1 + 3, "every entry, the reaction's RatifierAdded, the registration and two admissions");
    }

    [Fact]
    public async Task The_inline_views_of_a_copy_import_are_what_a_rebuild_from_the_stored_rows_gives()
    {
        (await _copy.Sender.Send(Sample())).Failure.Should().BeNull();
        var inline = new List<object?>();
        foreach (var process in new[] { "nato/fin", "nato/swe" })
        {
            inline.Add(await _copy.Queries.StatusAsync(process));
            inline.Add(await _copy.Queries.RegisterAsync(process));
            inline.Add(await _copy.Queries.AuditAsync(process));
        }

        await _copy.Queries.RebuildAsync(ProcessViewsProjection.Name);

        var rebuilt = new List<object?>();
        foreach (var process in new[] { "nato/fin", "nato/swe" })
        {
            rebuilt.Add(await _copy.Queries.StatusAsync(process));
            rebuilt.Add(await _copy.Queries.RegisterAsync(process));
            rebuilt.Add(await _copy.Queries.AuditAsync(process));
        }
        rebuilt.Should().BeEquivalentTo(inline, o => o.RespectingRuntimeTypes().WithStrictOrdering());
        ((AuditTrail)inline[5]!).Entries.Should().HaveCount(61);
    }

    [Fact]
    public async Task Two_apps_importing_the_same_file_at_once_record_every_entry_once()
    {
        // Both apps have created the schema (and their daemons started) before the race: two apps creating one schema at
        // once is not what this is about.
        var organization = HistoryFile.Load(SampleHistory.Path).Organization;
        (await _copy.RegisterAsync(organization)).Succeeded.Should().BeTrue();
        (await _copy.Recorder.CopyAvailableAsync(default)).Should().BeTrue();
        await _copy.Queries.WaitForAsyncProjectionsAsync(TimeSpan.FromSeconds(30));
        await _copy.Store.Storage.ApplyAllConfiguredChangesToDatabaseAsync();
        await using var other = LedgerHost.Start(await TestSchemas.ConnectionStringAsync(), _copySchema, configure: l => l.ImportBatchSize = 16);
        (await other.RegisterAsync(organization)).Succeeded.Should().BeTrue();
        (await other.Recorder.CopyAvailableAsync(default)).Should().BeTrue();
        await other.Queries.WaitForAsyncProjectionsAsync(TimeSpan.FromSeconds(30));

        var results = await Task.WhenAll(_copy.Sender.Send(Sample()).AsTask(), other.Sender.Send(Sample()).AsTask());

        results.Should().OnlyContain(r => r.Failure == null);
        results.Sum(r => r.Recorded).Should().Be(117, "each entry is recorded by one of them; the other finds it there");
        await using var session = _copy.Store.QuerySession();
        var perStream = await session.QueryAsync<long>(
            $"select count(*) - count(distinct version) + (max(version) - count(*)) from {_copySchema}.mt_events where stream_id like 'nato/%' group by stream_id");
        perStream.Should().OnlyContain(n => n == 0, "versions are contiguous and unique");
        (await _copy.EventCountAsync()).Should().Be(118 + 3);
        (await _copy.Reader.ReadEntriesAsync("nato/swe")).Should().HaveCount(61);
    }

    [Fact]
    public async Task Event_ids_timestamps_and_sequence_numbers_are_stored_as_the_write_stamps_them()
    {
        var bulk = await RatificationLedger.Recording.BulkAppender.CreateAsync(_copy.Store, default);
        bulk.Should().NotBeNull();
        await using var session = _copy.Store.LightweightSession();
        session.CorrelationId = "correlation-1";
        // Ids whose bytes are all different, so a swapped byte order cannot pass.
        var ids = new[] { Guid.Parse("00112233-4455-6677-8899-aabbccddeeff"), Guid.Parse("f0e1d2c3-b4a5-9687-7869-5a4b3c2d1e0f") };
        var events = ids.Select((id, i) =>
        {
            var e = session.Events.BuildEvent(i == 0
                ? new RatificationLedger.Domain.ApplicationSubmitted("NATO", "ISL", new DateOnly(2024, 1, 2), RatificationLedger.Domain.RatificationCounts.AtApproval)
                : new RatificationLedger.Domain.AccessionProtocolSigned(new DateOnly(2024, 2, 3)));
            e.Id = id;
            e.SetHeader("command-id", $"c-{i}");
            e.SetHeader("unconfirmed", true);
            return e;
        }).ToList();

        await bulk!.WriteAsync(session, [new("nato/isl", 0, events)], [], "writer", rows: null, default);
        session.QueueSqlCommand("select 1");
        await session.SaveChangesAsync();

        var stored = await RowsAsync(_copy, $"select id::text, seq_id::text, version::text, (extract(epoch from timestamp) * 1000000)::bigint::text, headers::text, user_name, correlation_id from {_copySchema}.mt_events where stream_id = 'nato/isl' order by version");
        stored.Should().Equal(events.Select(e => string.Join(" | ",
            e.Id.ToString(), e.Sequence.ToString(System.Globalization.CultureInfo.InvariantCulture), e.Version.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ((e.Timestamp.UtcTicks - DateTime.UnixEpoch.Ticks) / 10).ToString(System.Globalization.CultureInfo.InvariantCulture),
            $"{{\"command-id\": \"c-{e.Version - 1}\", \"unconfirmed\": true}}", "writer", "correlation-1")));
        await using var query = _copy.Store.QuerySession();
        var read = await query.Events.FetchStreamAsync("nato/isl");
        read.Select(e => (e.Id, e.Sequence, e.Version, e.Timestamp)).Should().Equal(events.Select(e => (e.Id, e.Sequence, e.Version, e.Timestamp)));
        read.Select(e => e.Data).Should().BeEquivalentTo(events.Select(e => e.Data), o => o.RespectingRuntimeTypes().WithStrictOrdering());
    }

    private static async Task<List<string>> RowsAsync(LedgerHost host, string sql)
    {
        await using var session = host.Store.QuerySession();
        var rows = new List<string>();
        await using var reader = await session.ExecuteReaderAsync(new Npgsql.NpgsqlCommand(sql));
        while (await reader.ReadAsync())
        {
            rows.Add(string.Join(" | ", Enumerable.Range(0, reader.FieldCount).Select(reader.GetString)));
        }
        return rows;
    }
}
