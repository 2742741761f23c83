using JasperFx;
using RatificationLedger.Recording;
using Marten;
using Microsoft.Extensions.Hosting;

namespace RatificationLedger.Storage;

/// <summary>
/// In a host, ensures the ledger's tables (<see cref="LedgerStorage.EnsureAsync"/>, under its advisory lock) before the
/// hosted services registered after the ledger start, the async daemon among them: the daemon creates the event tables
/// on its own otherwise, outside the lock, racing the other processes of a fresh database. A database that cannot be
/// reached yet is left to the first use, which ensures the same; an app that migrates itself (AutoCreate.None) is left
/// alone.
/// </summary>
internal sealed class LedgerSchemaOnStartup(IServiceProvider services) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var store = LedgerStoreSource.For(services);
        if (store.Options is StoreOptions { AutoCreateSchemaObjects: AutoCreate.None })
        {
            return;
        }
        try
        {
            await LedgerStorage.EnsureAsync(store, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (LedgerUnavailableException.IsDatabaseFailure(e))
        {
            // Not reachable now: the first command or query ensures the tables under the same lock.
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
