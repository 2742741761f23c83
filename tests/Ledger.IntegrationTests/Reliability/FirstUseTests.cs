using RatificationLedger.Import;
using RatificationLedger.IntegrationTests.Support;
using RatificationLedger.Storage;

namespace RatificationLedger.IntegrationTests.Reliability;

/// <summary>
/// Several hosts (each with a store of its own, as separate processes would have, and Marten's own in-process schema
/// guard per store) start on one fresh schema at the same moment, each with its async daemon: the ledger's tables are
/// created once, under the lock, and every host imports. Without the lock this fails (42P07 ... already exists).
/// </summary>
public sealed class FirstUseTests
{
    [Fact]
    public async Task Four_stores_on_a_fresh_schema_ensure_the_storage_at_once_and_all_import()
    {
        var connection = await TestSchemas.ConnectionStringAsync();
        for (var round = 0; round < 3; round++)
        {
            var schema = TestSchemas.Next("firstuse");
            using var start = new SemaphoreSlim(0);
            var starting = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
            {
                await start.WaitAsync();
                return LedgerHost.Start(connection, schema);
            })).ToList();
            start.Release(starting.Count);
            await Task.WhenAll(starting.Select(t => t.ContinueWith(_ => { }, TaskScheduler.Default)));
            var hosts = starting.Where(t => t.IsCompletedSuccessfully).Select(t => t.Result).ToList();
            try
            {
                starting.Should().OnlyContain(t => t.IsCompletedSuccessfully, string.Join("\n", starting.Where(t => t.IsFaulted).Select(t => t.Exception!.GetBaseException().Message)));
                await Task.WhenAll(hosts.Select(h => LedgerStorage.EnsureAsync(h.Store, default).AsTask()));

                var file = HistoryFile.Load(SampleHistory.Path);
                var imports = await Task.WhenAll(hosts.Select(h => h.Sender.Send(new ImportHistoryRequest(file)).AsTask()));
                imports.Should().OnlyContain(r => r.Succeeded);
                imports.Sum(r => r.Recorded).Should().Be(117, "every entry recorded once, whoever recorded it");
            }
            finally
            {
                foreach (var host in hosts)
                {
                    await host.DisposeAsync();
                }
            }
        }
    }
}
