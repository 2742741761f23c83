using System.Text.Json;
using System.Text.Json.Serialization;
using JasperFx.Events;
using JasperFx.Events.Daemon;
using JasperFx.Events.Projections;
using Ledger.Domain;
using Ledger.Recording;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Weasel.Core;

namespace Ledger.Storage;

/// <summary>Registers Ratification Ledger in a Marten store.</summary>
public static class LedgerStoreExtensions
{
    /// <summary>
    /// Adds the ledger to the store that <c>services.AddMarten(...)</c> configures: event types under their stored names,
    /// string stream keys, audit metadata columns, the write-side projections, the <see cref="LedgerRecorder"/>, and the
    /// async daemon in Solo mode when a read model needs it. Mediator handlers are picked up by the host's
    /// <c>services.AddMediator(o =&gt; o.Assemblies = [typeof(LedgerRecorder).Assembly, ...])</c>.
    /// </summary>
    /// <example><code>
    /// services.AddMarten(connectionString).AddRatificationLedger(ledger => ledger.AddReadModels());
    /// </code></example>
    public static MartenServiceCollectionExtensions.MartenConfigurationExpression AddRatificationLedger(
        this MartenServiceCollectionExtensions.MartenConfigurationExpression marten,
        Action<LedgerOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(marten);
        var options = new LedgerOptions();
        configure?.Invoke(options);
        marten.Services.TryAddSingleton(options);
        marten.Services.TryAddSingleton(sp => new LedgerRecorder(sp.GetRequiredService<IDocumentStore>(), sp.GetRequiredService<LedgerOptions>()));
        options.ApplyServices(marten.Services);
        marten.Services.ConfigureMarten(store => store.AddRatificationLedger(options));
        if (options.NeedsAsyncDaemon)
        {
            marten.AddAsyncDaemon(DaemonMode.Solo);
        }
        return marten;
    }

    /// <summary>The same registration for apps that build their <see cref="StoreOptions"/> themselves.</summary>
    public static StoreOptions AddRatificationLedger(this StoreOptions store, LedgerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        options ??= new LedgerOptions();

        store.UseSystemTextJsonForSerialization(EnumStorage.AsString, Casing.CamelCase, ConfigureJson);
        store.Events.StreamIdentity = StreamIdentity.AsString;
        foreach (var (type, name) in StoredEventNames.All)
        {
            store.Events.MapEventType(type, name);
        }
        store.Events.MetadataConfig.HeadersEnabled = true;
        store.Events.MetadataConfig.UserNameEnabled = true;
        store.Events.MetadataConfig.CorrelationIdEnabled = true;
        store.Events.MetadataConfig.CausationIdEnabled = true;

        store.Projections.Add(new AccessionStreamProjection(), ProjectionLifecycle.Live);
        store.Projections.Add(new OrganizationProjection(), ProjectionLifecycle.Inline);
        // Real columns (indexed) for the query every command makes: the open processes of its organization.
        store.Schema.For<ProcessEntry>().Duplicate(p => p.Organization).Duplicate(p => p.Phase);
        store.Schema.For<CommandReceipt>();
        options.AddDocuments(typeof(OrganizationView), typeof(ProcessEntry), typeof(CommandReceipt));

        options.ApplyExtensions(store);
        store.Storage.Add(new LedgerStorage(store, options));
        store.Storage.Add(new Integrity.IntegritySchema(store));
        store.Listeners.Add(new Integrity.ChainListener());
        return store;
    }

    /// <summary>The JSON settings of stored events and documents (pinned by the golden-file tests).</summary>
    public static void ConfigureJson(JsonSerializerOptions json)
    {
        ArgumentNullException.ThrowIfNull(json);
        LedgerJson.Configure(json);
    }
}
