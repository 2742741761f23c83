using Marten;

namespace RatificationLedger.Storage;

/// <summary>
/// The ledger's own Marten store, registered by <c>services.AddRatificationLedger(connectionString)</c>: its own
/// schema (<see cref="LedgerOptions.Schema"/>), string stream keys, the ledger's serializer and metadata columns,
/// beside whatever store the app has (Guid streams, its own serializer), which it leaves untouched.
/// </summary>
public interface ILedgerStore : IDocumentStore;

/// <summary>Which store the ledger's services use: the host's (<c>AddMarten(...).AddRatificationLedger()</c>) or its own.</summary>
internal sealed class LedgerStoreSource(Func<IServiceProvider, IDocumentStore> resolve)
{
    public IDocumentStore Resolve(IServiceProvider services) => resolve(services);

    /// <summary>The store the ledger was registered on; a clear error when the ledger was never registered.</summary>
    public static IDocumentStore For(IServiceProvider services) =>
        (services.GetService(typeof(LedgerStoreSource)) as LedgerStoreSource
         ?? throw new InvalidOperationException(
             "Ratification Ledger is not registered: call services.AddRatificationLedger(connectionString) or "
             + "services.AddMarten(...).AddRatificationLedger() first.")).Resolve(services);
}
