using JasperFx;
using Ledger.Projections;
using Ledger.Recording;
using Ledger.Storage;
using Marten;
using Mediator;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Ledger.Benchmarks.Support;

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

    public static async Task<LedgerApp> CreateAsync(string connectionString, string schema)
    {
        var builder = Host.CreateApplicationBuilder();
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
                ledger.AddReadModels();
            });
        builder.Services.AddMediator(o =>
        {
            o.Assemblies = [typeof(AccessionRequestHandler), typeof(LedgerApp)];
            o.ServiceLifetime = ServiceLifetime.Singleton;
        });
        var app = new LedgerApp(builder.Build(), schema);
        await app.Store.Storage.ApplyAllConfiguredChangesToDatabaseAsync();
        return app;
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
