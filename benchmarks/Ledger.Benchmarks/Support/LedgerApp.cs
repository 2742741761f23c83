using JasperFx;
using RatificationLedger.Projections;
using RatificationLedger.Recording;
using RatificationLedger.Storage;
using Marten;
using Mediator;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace RatificationLedger.Benchmarks.Support;

/// <summary>
/// The ledger wired as an application wires it (Marten + <c>AddRatificationLedger(l =&gt; l.AddReadModels())</c> +
/// Mediator), on one schema. The host is built but not started: the async daemon (member records) does not run behind
/// the measured workloads; the rebuild workload replays member records explicitly.
/// </summary>
internal sealed class LedgerApp : IAsyncDisposable
{
    private readonly IHost _host;

    private LedgerApp(IHost host, string schema)
    {
        _host = host;
        Schema = schema;
    }

    public string Schema { get; }

    public IServiceProvider Services => _host.Services;

    public IDocumentStore Store => Services.GetRequiredService<IDocumentStore>();

    public ISender Sender => Services.GetRequiredService<ISender>();

    public LedgerRecorder Recorder => Services.GetRequiredService<LedgerRecorder>();

    public LedgerQueries Queries => Services.GetRequiredService<LedgerQueries>();

    /// <param name="connectionString">The benchmark server.</param>
    /// <param name="schema">The app's schema.</param>
    /// <param name="chain">
    /// Whether Marten's appends are chained (the ledger's tamper evidence) and stamped with the server's clock. Off only
    /// for a baseline of raw Marten appends, so that the baseline is Marten as it comes.
    /// </param>
    public static async Task<LedgerApp> CreateAsync(string connectionString, string schema, bool chain = true)
    {
        // Nothing watched: the default builder watches its content root (the current directory, with every directory
        // under it) for changes of its settings files. Run from a directory holding the benchmark server's data, the
        // watcher's thread took 2 to 4 % of the client's CPU, following the server's writes.
        var settings = new HostApplicationBuilderSettings { ContentRootPath = AppContext.BaseDirectory, Configuration = new ConfigurationManager() };
        settings.Configuration["hostBuilder:reloadConfigOnChange"] = "false";
        var builder = Host.CreateApplicationBuilder(settings);
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddMarten(o =>
            {
                o.Connection(connectionString);
                o.DatabaseSchemaName = schema;
                o.AutoCreateSchemaObjects = AutoCreate.CreateOrUpdate;
                o.DisableNpgsqlLogging = true;
            })
            .UseLightweightSessions()
            .AddRatificationLedger(ledger =>
            {
                ledger.DefaultRecordedBy = "benchmark";
                // The workloads empty their tables between rounds, which the append-only guard refuses.
                ledger.AppendOnlyGuard = false;
                ledger.AddReadModels();
            });
        if (!chain)
        {
            builder.Services.ConfigureMarten(o => o.Listeners.RemoveAll(l => l is RatificationLedger.Integrity.ChainListener));
        }
        builder.Services.AddMediator(o =>
        {
            o.Assemblies = [typeof(AccessionRequestHandler), typeof(LedgerApp)];
            o.ServiceLifetime = ServiceLifetime.Singleton;
        });
        var app = new LedgerApp(builder.Build(), schema);
        await app.Store.Storage.ApplyAllConfiguredChangesToDatabaseAsync();
        if (!chain)
        {
            // Marten as it comes: without the ledger's server clock for recorded-at either (a trigger on its event table).
            await using var connection = (Npgsql.NpgsqlConnection)app.Store.Storage.Database.CreateConnection();
            await connection.OpenAsync();
            await using var drop = new Npgsql.NpgsqlCommand($"drop trigger if exists ledger_recorded_at on {schema}.mt_events", connection);
            await drop.ExecuteNonQueryAsync();
        }
        return app;
    }

    /// <summary>Empties the app's events, streams, documents, the ledger's chain and digests, and the as-of index.</summary>
    public async Task ResetAsync()
    {
        await Store.Advanced.Clean.DeleteAllEventDataAsync();
        await Store.Advanced.Clean.DeleteAllDocumentsAsync();
        await using var connection = (Npgsql.NpgsqlConnection)Store.Storage.Database.CreateConnection();
        await connection.OpenAsync();
        // The as-of index too, when it exists (it is created on first use).
        await using var command = new Npgsql.NpgsqlCommand(
            $"delete from {Schema}.ledger_chain; delete from {Schema}.ledger_digest; "
            + $"do $$ begin if to_regclass('{Schema}.ledger_asof') is not null then delete from {Schema}.ledger_asof; end if; end $$", connection);
        await command.ExecuteNonQueryAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (_host.Services.GetService<IDocumentStore>() is IDisposable store)
        {
            store.Dispose();
        }
        _host.Dispose();
        await Task.CompletedTask;
    }
}
