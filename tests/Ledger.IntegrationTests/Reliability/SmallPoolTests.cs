using Npgsql;
using RatificationLedger.Import;
using RatificationLedger.IntegrationTests.Reliability.Support;
using RatificationLedger.IntegrationTests.Support;
using RatificationLedger.Projections;

namespace RatificationLedger.IntegrationTests.Reliability;

/// <summary>
/// The connection pool a ledger needs (docs/operations.md): three connections at once. A rebuild holds its staging
/// connection, its reader's and its digests'; the first write on a new database holds its own while the as-of index is
/// made (the index's lock and Marten's migration, one connection each). With three, both work; with two, they fail after
/// the pool's timeout with Npgsql's message naming the pool, and change nothing.
/// </summary>
public sealed class SmallPoolTests
{
    private static async Task<string> PoolAsync(int size) =>
        new NpgsqlConnectionStringBuilder(await TestSchemas.ConnectionStringAsync()) { MaxPoolSize = size, Timeout = 3 }.ConnectionString;

    [Fact]
    public async Task A_pool_of_three_imports_into_a_new_database_and_rebuilds()
    {
        await using var host = LedgerHost.Start(await PoolAsync(3), TestSchemas.Next("pool3"));
        var imported = await host.Sender.Send(new ImportHistoryRequest(HistoryFile.Load(SampleHistory.Path)));
        imported.Failure.Should().BeNull(imported.Failure?.Message);
        var before = await DocumentsAsync(host);

        await host.Queries.RebuildAllAsync();

        (await DocumentsAsync(host)).Select(d => (d.Id, d.Json)).Should().Equal(before.Select(d => (d.Id, d.Json)));
    }

    [Fact]
    public async Task With_a_pool_of_two_an_import_into_a_new_database_and_a_rebuild_fail_naming_the_pool_and_change_nothing()
    {
        var schema = TestSchemas.Next("pool2");
        await using (var small = LedgerHost.Start(await PoolAsync(2), schema))
        {
            var import = () => small.Sender.Send(new ImportHistoryRequest(HistoryFile.Load(SampleHistory.Path))).AsTask();
            (await import.Should().ThrowAsync<ImportInterruptedException>()).Which.Message.Should().Contain("Max Pool Size").And.Contain("after 0 recorded")
                .And.Contain("when a connection of the pool is free").And.Contain("at least three")
                .And.NotContain("when the database is back", "the database is up: the pool is too small");
            (await LedgerSnapshot.StreamsAsync(small.Store)).Should().Equal(["nato"], "the organization (stream nato) is registered first, on its own; no process entry is recorded");
        }

        await using (var host = LedgerHost.Start(await TestSchemas.ConnectionStringAsync(), schema))
        {
            var imported = await host.Sender.Send(new ImportHistoryRequest(HistoryFile.Load(SampleHistory.Path)));
            imported.Failure.Should().BeNull(imported.Failure?.Message);
        }
        await using var rebuilding = LedgerHost.Start(await PoolAsync(2), schema);
        var before = await DocumentsAsync(rebuilding);

        var rebuild = () => rebuilding.Queries.RebuildAllAsync();

        (await rebuild.Should().ThrowAsync<NpgsqlException>()).Which.Message.Should().Contain("Max Pool Size");
        (await DocumentsAsync(rebuilding)).Should().Equal(before, "a rebuild that fails before its swap changes no document");
    }

    // Every status and register document with its version stamp (a rewrite gives a new one).
    private static async Task<List<(string Id, Guid Version, string Json)>> DocumentsAsync(LedgerHost host)
    {
        var rows = new List<(string, Guid, string)>();
        await using var connection = new NpgsqlConnection(await TestSchemas.ConnectionStringAsync());
        await connection.OpenAsync();
        foreach (var type in new[] { typeof(AccessionStatus), typeof(RatificationRegister) })
        {
            var table = host.Store.Options.FindOrResolveDocumentType(type).TableName.QualifiedName;
            await using var select = new NpgsqlCommand($"select id, mt_version, data::text from {table} order by id", connection);
            await using var reader = await select.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                rows.Add((reader.GetString(0), reader.GetGuid(1), reader.GetString(2)));
            }
        }
        return rows;
    }
}
