using JasperFx.Descriptors;
using JasperFx.MultiTenancy;
using RatificationLedger.Recording;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace RatificationLedger.Storage;

/// <summary>What both registrations (the host's store, the ledger's own store) share, and the checks they make.</summary>
internal static class LedgerRegistration
{
    public static LedgerOptions Register(IServiceCollection services, Action<LedgerOptions>? configure, Func<IServiceProvider, IDocumentStore> store)
    {
        if (services.Any(s => s.ServiceType == typeof(LedgerStoreSource)))
        {
            throw new InvalidOperationException(
                "Ratification Ledger is registered twice: call AddRatificationLedger once, either on the app's Marten store "
                + "(services.AddMarten(...).AddRatificationLedger()) or on a store of its own (services.AddRatificationLedger(connectionString)).");
        }
        var options = new LedgerOptions();
        configure?.Invoke(options);
        // At registration, before the store is configured from them: a bad option fails the app's start, named.
        LedgerOptionsValidator.ThrowIfInvalid(options);
        services.AddSingleton(new LedgerStoreSource(store));
        services.TryAddSingleton(options);
        services.TryAddSingleton<IOptions<LedgerOptions>>(Options.Create(options));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<LedgerOptions>, LedgerOptionsValidator>());
        services.TryAddSingleton(sp => new LedgerRecorder(LedgerStoreSource.For(sp), sp.GetRequiredService<IOptions<LedgerOptions>>().Value,
            sp.GetServices<ILedgerNotificationSink>(), sp.GetService<ILoggerFactory>(), sp.GetService<TimeProvider>(), sp.GetService<IRecordedByProvider>()));
        services.TryAddSingleton<ILedger>(sp => sp.GetRequiredService<LedgerRecorder>());
        // Before the async daemon's hosted service (added after the ledger): the tables are created under the lock.
        services.AddHostedService(sp => new LedgerSchemaOnStartup(sp));
        options.ApplyServices(services);
        if (options.DigestEvery is { } every)
        {
            if (every <= TimeSpan.Zero)
            {
                throw new ArgumentOutOfRangeException(nameof(configure), every, "LedgerOptions.DigestEvery must be positive.");
            }
            services.AddHostedService(sp => new Integrity.PeriodicDigests(
                LedgerStoreSource.For(sp),
                sp.GetService<Integrity.IDigestSink>() ?? throw new InvalidOperationException(
                    "LedgerOptions.DigestEvery is set but no IDigestSink is registered: register where the digests go "
                    + "(e.g. services.AddSingleton<IDigestSink>(new DirectoryDigestSink(path))); a digest kept only in the ledger's database proves nothing."),
                every,
                sp.GetService<TimeProvider>() ?? TimeProvider.System,
                sp.GetService<ILogger<Integrity.PeriodicDigests>>()));
        }
        return options;
    }

    /// <summary>
    /// The caches and raw SQL of the ledger are single-tenant: a conjoined or per-tenant-database store is refused
    /// until it is supported.
    /// </summary>
    public static void RefuseMultiTenancy(StoreOptions store)
    {
        if (store.Events.TenancyStyle == TenancyStyle.Conjoined)
        {
            throw new InvalidOperationException(
                "Ratification Ledger does not support multi-tenant stores yet (conjoined tenancy is configured on this store): "
                + "register it on a single-tenant store, e.g. services.AddRatificationLedger(connectionString).");
        }
        if (store.Tenancy.Cardinality != DatabaseCardinality.Single)
        {
            throw new InvalidOperationException(
                $"Ratification Ledger does not support multi-tenant stores yet (this store has a database per tenant: {store.Tenancy.GetType().Name}): "
                + "register it on a single-tenant store, e.g. services.AddRatificationLedger(connectionString).");
        }
    }

    /// <summary>
    /// On the host's store the ledger sets string stream keys and its serializer for the whole store: refused, with the
    /// alternative named, when the app already has projections of its own there.
    /// </summary>
    public static void RefuseForeignConfiguration(StoreOptions store)
    {
        // Checked before the ledger adds its own: every projection here is the app's.
        var foreign = store.Projections.All.Select(p => p.GetType().Name).ToList();
        if (foreign.Count > 0)
        {
            throw new InvalidOperationException(
                $"This Marten store has projections of the app's ({string.Join(", ", foreign)}); the ledger would change its stream "
                + "identity and serializer for them. Register the ledger on a store of its own instead: "
                + "services.AddRatificationLedger(connectionString).");
        }
    }
}
