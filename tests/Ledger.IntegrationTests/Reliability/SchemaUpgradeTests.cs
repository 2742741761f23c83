using JasperFx;
using JasperFx.Events;
using JasperFx.Events.Projections;
using RatificationLedger.Domain;
using RatificationLedger.Import;
using RatificationLedger.IntegrationTests.Reliability.Support;
using RatificationLedger.IntegrationTests.Support;
using RatificationLedger.Recording;
using Marten;
using Marten.Events.Aggregation;
using Npgsql;
using static RatificationLedger.IntegrationTests.Support.TestOrganizations;

namespace RatificationLedger.IntegrationTests.Reliability;

/// <summary>A document a newer version of an app might add beside the ledger.</summary>
public sealed class FollowUpNote
{
    public string Id { get; set; } = "";

    public string Process { get; set; } = "";

    public string Text { get; set; } = "";
}

/// <summary>A read model a newer version might add: how many entries each stream has.</summary>
public sealed class StreamDigest
{
    public string Id { get; set; } = "";

    public long Entries { get; set; }
}

public sealed class StreamDigestProjection : SingleStreamProjection<StreamDigest, string>
{
    public override StreamDigest Evolve(StreamDigest? snapshot, string id, IEvent e)
    {
        var digest = snapshot ?? new StreamDigest { Id = id };
        digest.Entries++;
        return digest;
    }
}

/// <summary>
/// A database written by an earlier version of the library meets a newer one (more documents, another projection)
/// and an older or narrower one (fewer metadata columns), both with <see cref="AutoCreate.CreateOrUpdate"/>: only
/// additive changes are applied, no column is dropped, and every event and document stays as it was.
/// </summary>
public sealed class SchemaUpgradeTests : IAsyncLifetime
{
    private readonly string _schema = TestSchemas.Next("schema_upgrade");
    private string _connection = "";

    public async Task InitializeAsync()
    {
        _connection = await TestSchemas.ConnectionStringAsync();
        await using var earlier = LedgerHost.Start(_connection, _schema);
        var import = await earlier.Sender.Send(new ImportHistoryRequest(SyntheticHistory.File(extraProcesses: 2)));
        import.Failure.Should().BeNull(import.Failure?.Message);
        await earlier.Queries.WaitForAsyncProjectionsAsync(TimeSpan.FromSeconds(60));
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task A_newer_registration_adds_its_tables_and_keeps_every_column_event_and_document()
    {
        var before = await DatabaseAsync();
        before.Tables.Should().Contain("mt_events").And.Contain("mt_doc_processentry").And.Contain("mt_doc_accessionstatus");
        before.Events.Should().HaveCountGreaterThan(100);
        before.Documents.Should().HaveCountGreaterThan(10);

        await using (var newer = LedgerHost.Start(_connection, _schema, configure: ledger => ledger.Extend(store =>
        {
            store.Schema.For<FollowUpNote>().Index(n => n.Process);
            store.Projections.Add(new StreamDigestProjection(), ProjectionLifecycle.Inline);
        })))
        {
            await newer.Store.Storage.ApplyAllConfiguredChangesToDatabaseAsync();

            var after = await DatabaseAsync();
            after.Columns.Should().Contain(before.Columns, "no column may be dropped or change type");
            after.Events.Should().Equal(before.Events, "every event is kept exactly");
            after.Documents.Should().Equal(before.Documents, "every document is kept exactly");
            after.Tables.Except(before.Tables).Should().BeEquivalentTo("mt_doc_followupnote", "mt_doc_streamdigest");

            // The newer version reads what the earlier one wrote and writes beside it.
            var sweden = await newer.Reader.LoadStateAsync("nato/swe");
            sweden.Phase.Should().Be(ProcessPhase.Acceded);
            var geo = await newer.Reader.LoadStateAsync("nato/geo");
            var pending = geo.Pending().First();
            await newer.RecordAsync(new ApproveRatification("nato/geo", pending, D("2024-05-01"), "Parliament"));
            await using var session = newer.Store.LightweightSession();
            session.Store(new FollowUpNote { Id = "n1", Process = "nato/geo", Text = "ask for the deposit date" });
            await session.SaveChangesAsync();
            (await session.LoadAsync<StreamDigest>("nato/geo"))!.Entries.Should().Be(1, "a new inline projection starts with the events appended after it was added");
            (await newer.Queries.StatusAsync("nato/geo"))!.Ratified.Should().Contain(r => r.Member == pending);
        }

        // The earlier version still runs against the upgraded database.
        await using var earlier = LedgerHost.Start(_connection, _schema);
        (await earlier.Reader.ReadEntriesAsync("nato/geo")).Should().HaveCount(before.Events.Count(e => e.StartsWith("nato/geo|", StringComparison.Ordinal)) + 1);
    }

    [Fact]
    public async Task CreateOrUpdate_from_a_registration_without_the_metadata_columns_drops_none_of_them()
    {
        var before = await DatabaseAsync();
        before.Columns.Should().Contain(c => c.StartsWith("mt_events.headers ", StringComparison.Ordinal))
            .And.Contain(c => c.StartsWith("mt_events.correlation_id ", StringComparison.Ordinal))
            .And.Contain(c => c.StartsWith("mt_events.causation_id ", StringComparison.Ordinal))
            .And.Contain(c => c.StartsWith("mt_events.user_name ", StringComparison.Ordinal));

        // A store over the same schema that knows nothing of the ledger's metadata columns, headers or documents.
        await using (var narrow = DocumentStore.For(o =>
        {
            o.Connection(_connection);
            o.DatabaseSchemaName = _schema;
            o.AutoCreateSchemaObjects = AutoCreate.CreateOrUpdate;
            o.Events.StreamIdentity = StreamIdentity.AsString;
            o.Schema.For<FollowUpNote>();
        }))
        {
            await narrow.Storage.ApplyAllConfiguredChangesToDatabaseAsync();
            await using var session = narrow.LightweightSession();
            session.Store(new FollowUpNote { Id = "n2", Process = "nato/fin", Text = "written by a narrower store" });
            await session.SaveChangesAsync();
        }

        var after = await DatabaseAsync();
        after.Columns.Should().Contain(before.Columns, "CreateOrUpdate must never drop a column");
        after.Events.Should().Equal(before.Events);
        after.Documents.Should().Equal(before.Documents.Concat(after.Documents.Where(d => d.StartsWith("mt_doc_followupnote|", StringComparison.Ordinal))).Order(StringComparer.Ordinal));

        // And the ledger, opened again, finds everything as it left it.
        await using var ledger = LedgerHost.Start(_connection, _schema);
        var entries = await ledger.Reader.ReadEntriesAsync("nato/fin");
        entries.Should().NotBeEmpty().And.OnlyContain(e => e.CommandId != null && e.RecordedBy == "integration-tests");
        (await ledger.Reader.LoadStateAsync("nato/fin")).Phase.Should().Be(ProcessPhase.Acceded);
    }

    private sealed record Database(IReadOnlyList<string> Tables, IReadOnlyList<string> Columns, IReadOnlyList<string> Events, IReadOnlyList<string> Documents);

    private async Task<Database> DatabaseAsync()
    {
        await using var connection = new NpgsqlConnection(_connection);
        await connection.OpenAsync();
        async Task<List<string>> RowsAsync(string sql)
        {
            await using var command = new NpgsqlCommand(sql, connection);
            command.Parameters.AddWithValue("schema", _schema);
            await using var reader = await command.ExecuteReaderAsync();
            var rows = new List<string>();
            while (await reader.ReadAsync())
            {
                rows.Add(reader.GetString(0));
            }
            return rows;
        }
        var tables = await RowsAsync("select table_name::text from information_schema.tables where table_schema = @schema order by 1");
        var columns = await RowsAsync("""
            select table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' ' || coalesce(column_default, '')
            from information_schema.columns where table_schema = @schema order by 1
            """);
        var events = await RowsAsync($"""
            select concat_ws('|', stream_id, version, seq_id, type, data::text, headers::text, correlation_id, causation_id, user_name, timestamp::text)
            from {_schema}.mt_events order by seq_id
            """);
        var documents = new List<string>();
        foreach (var table in tables.Where(t => t.StartsWith("mt_doc_", StringComparison.Ordinal)))
        {
            documents.AddRange(await RowsAsync($"select '{table}|' || id::text || '|' || data::text || '|' || mt_version::text from {_schema}.{table}"));
        }
        documents.Sort(StringComparer.Ordinal);
        return new Database(tables, columns, events, documents);
    }
}
