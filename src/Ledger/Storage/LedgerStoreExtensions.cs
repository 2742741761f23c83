using System.Text.Json;
using JasperFx.Events;
using JasperFx.Events.Projections;
using RatificationLedger.Domain;
using RatificationLedger.Recording;
using RatificationLedger.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Weasel.Core;

// The registration lives in Marten's namespace: an app that calls AddMarten(...) already imports it.
namespace Marten;

/// <summary>Registers Ratification Ledger in a Marten store.</summary>
// RS0026 (several overloads with optional parameters): the overloads extend different types, so no call can be ambiguous.
#pragma warning disable RS0026
public static class LedgerStoreExtensions
{
    /// <summary>
    /// Makes the store that <c>services.AddMarten(...)</c> configures the ledger's store: event types under their stored
    /// names, <b>string stream keys</b>, <b>the ledger's JSON serializer</b>, audit metadata columns, the write-side
    /// projections and the <see cref="LedgerRecorder"/>. For an app whose Marten store is the ledger's. An app with
    /// streams, documents or a serializer of its own uses <c>services.AddRatificationLedger(connectionString)</c> instead
    /// (the ledger on a store of its own); this overload refuses a store that already has projections or event types of
    /// the app's, and multi-tenant stores. No async daemon is added: the app chooses
    /// (<c>.AddAsyncDaemon(DaemonMode.Solo)</c> or <c>HotCold</c>) where member records are wanted.
    /// </summary>
    /// <example><code>
    /// services.AddMarten(connectionString).AddRatificationLedger(ledger => ledger.AddReadModels()).AddAsyncDaemon(DaemonMode.Solo);
    /// </code></example>
    public static MartenServiceCollectionExtensions.MartenConfigurationExpression AddRatificationLedger(
        this MartenServiceCollectionExtensions.MartenConfigurationExpression marten,
        Action<LedgerOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(marten);
        var options = LedgerRegistration.Register(marten.Services, configure, sp => sp.GetRequiredService<IDocumentStore>());
        marten.Services.ConfigureMarten(store =>
        {
            LedgerRegistration.RefuseForeignConfiguration(store);
            store.AddRatificationLedger(options);
        });
        return marten;
    }

    /// <summary>The ledger's configuration of a <see cref="StoreOptions"/> (for apps that build their store themselves).</summary>
    public static StoreOptions AddRatificationLedger(this StoreOptions store, LedgerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        options ??= new LedgerOptions();
        LedgerRegistration.RefuseMultiTenancy(store);

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
        store.Storage.Add(new RatificationLedger.Integrity.IntegritySchema(store, options.AppendOnlyGuard));
        store.Listeners.Add(new RatificationLedger.Integrity.ChainListener());
        return store;
    }

    /// <summary>The JSON settings of stored events and documents (pinned by the golden-file tests).</summary>
    internal static void ConfigureJson(JsonSerializerOptions json)
    {
        ArgumentNullException.ThrowIfNull(json);
        LedgerJson.Configure(json);
    }
}
#pragma warning restore RS0026
