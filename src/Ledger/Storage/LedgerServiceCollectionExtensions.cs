using RatificationLedger.Storage;
using Marten;

// In the namespace every app that configures services already imports.
namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers Ratification Ledger on a Marten store of its own.</summary>
public static class LedgerServiceCollectionExtensions
{
    /// <summary>
    /// Adds the ledger on a Marten store of its own (<see cref="ILedgerStore"/>) in the schema
    /// <see cref="LedgerOptions.Schema"/> (default <c>ledger</c>) of the given database, beside any store the app has:
    /// the app's own streams (Guid or string), documents and serializer are untouched. Resolve <c>LedgerRecorder</c>
    /// (and, with <c>ledger.AddReadModels()</c>, <c>LedgerQueries</c>) from the container. No async daemon is added:
    /// call <c>.AddAsyncDaemon(DaemonMode.Solo)</c> (one node) or <c>DaemonMode.HotCold</c> (several nodes, one
    /// projecting at a time) on the result where member records are wanted, in an app that runs the Generic Host.
    /// </summary>
    /// <param name="services">The app's services.</param>
    /// <param name="connectionString">The PostgreSQL connection string.</param>
    /// <param name="configure">The ledger's options (read models, clock, import settings, schema).</param>
    /// <param name="store">Further settings of the ledger's store (logging, schema creation), applied before the ledger's own.</param>
    /// <example><code>
    /// services.AddRatificationLedger(connectionString, ledger => ledger.AddReadModels())
    ///     .AddAsyncDaemon(DaemonMode.HotCold);
    /// </code></example>
    public static MartenServiceCollectionExtensions.MartenStoreExpression<ILedgerStore> AddRatificationLedger(
        this IServiceCollection services,
        string connectionString,
        Action<LedgerOptions>? configure = null,
        Action<StoreOptions>? store = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        var options = LedgerRegistration.Register(services, configure, sp => sp.GetRequiredService<ILedgerStore>());
        return services.AddMartenStore<ILedgerStore>(_ =>
        {
            var storeOptions = new StoreOptions();
            storeOptions.Connection(connectionString);
            storeOptions.DatabaseSchemaName = options.Schema;
            store?.Invoke(storeOptions);
            return storeOptions.AddRatificationLedger(options);
        });
    }
}
