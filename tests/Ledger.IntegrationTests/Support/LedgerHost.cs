using System.Collections.Concurrent;
using JasperFx;
using JasperFx.Events.Daemon;
using RatificationLedger.Domain;
using RatificationLedger.Recording;
using RatificationLedger.Storage;
using Marten;
using Mediator;
using RatificationLedger.Projections;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace RatificationLedger.IntegrationTests.Support;

/// <summary>A ledger as an app wires it: Marten + AddRatificationLedger + Mediator, on one schema of the test server.</summary>
public sealed class LedgerHost : IAsyncDisposable
{
    private readonly IHost _host;
    private readonly IServiceProvider _services;

    private LedgerHost(IHost host, string schema, FixedClock clock)
    {
        _host = host;
        _services = host.Services;
        Schema = schema;
        Clock = clock;
    }

    public string Schema { get; }

    public FixedClock Clock { get; }

    public IDocumentStore Store => _services.GetRequiredService<IDocumentStore>();

    public ISender Sender => _services.GetRequiredService<ISender>();

    public IPublisher Publisher => _services.GetRequiredService<IPublisher>();

    public LedgerRecorder Recorder => _services.GetRequiredService<LedgerRecorder>();

    /// <summary>A recorder over the same store with no notification sink: an app that publishes nothing.</summary>
    public LedgerRecorder Unobserved => _unobserved ??= new LedgerRecorder(Store, _services.GetRequiredService<LedgerOptions>());

    private LedgerRecorder? _unobserved;

    /// <summary>The record as the write side keeps it: a process's decider state, a stream's entries, an organization.</summary>
    internal LedgerReader Reader => new(Store);

    public IServiceProvider Services => _services;

    public LedgerQueries Queries => _services.GetRequiredService<LedgerQueries>();

    /// <summary>Notifications published in this host, in order.</summary>
    public IReadOnlyList<LedgerNotification> Notifications => NotificationLog.For(Schema);

    public static LedgerHost Start(string connectionString, string schema, DateTimeOffset? now = null, Action<LedgerOptions>? configure = null, Action<StoreOptions>? marten = null, Action<IServiceCollection>? app = null)
    {
        var clock = new FixedClock(now ?? new DateTimeOffset(2024, 6, 1, 12, 0, 0, TimeSpan.Zero));
        var builder = Host.CreateApplicationBuilder();
        var services = builder.Services;
        app?.Invoke(services);
        services.AddSingleton(new HostSchema(schema));
        services.AddMarten(o =>
            {
                o.Connection(connectionString);
                o.DatabaseSchemaName = schema;
                o.AutoCreateSchemaObjects = AutoCreate.CreateOrUpdate;
                marten?.Invoke(o);
            })
            .UseLightweightSessions()
            .AddRatificationLedger(ledger =>
            {
                ledger.Clock = clock;
                ledger.DefaultRecordedBy = "integration-tests";
                ledger.AddReadModels();
                configure?.Invoke(ledger);
            })
            .AddAsyncDaemon(DaemonMode.Solo);
        services.AddRatificationLedgerMediator();
        services.AddMediator(o =>
        {
            o.Assemblies = [typeof(AccessionRequestHandler), typeof(LedgerHost)];
            o.ServiceLifetime = ServiceLifetime.Singleton;
        });
        var host = builder.Build();
        host.Start();
        return new LedgerHost(host, schema, clock);
    }

    public async Task<RecordResult> SendAsync(AccessionCommand command, Provenance? provenance = null, long? expectedVersion = null) =>
        await Sender.Send(AccessionRequest.For(command, provenance, expectedVersion));

    public async Task<RecordResult> RegisterAsync(Organization organization) =>
        await Sender.Send(new RegisterOrganizationRequest(organization));

    /// <summary>Sends and asserts the command recorded something new.</summary>
    public async Task<RecordResult> RecordAsync(AccessionCommand command, Provenance? provenance = null)
    {
        var result = await SendAsync(command, provenance);
        result.Outcome.Should().Be(RecordOutcome.Recorded, result.ToString());
        return result;
    }

    public async Task<long> EventCountAsync()
    {
        await using var session = Store.QuerySession();
        return await session.Events.QueryAllRawEvents().CountAsync();
    }

    /// <summary>
    /// Wipes the events, as an administrator can: the append-only guard dropped first, the chain and digests with the
    /// events, and the as-of index (Marten's <c>Advanced.Clean</c> alone is refused by the guard and leaves the ledger's own tables).
    /// </summary>
    public async Task WipeEventsAsync()
    {
        await using (var connection = (Npgsql.NpgsqlConnection)Store.Storage.Database.CreateConnection())
        {
            await connection.OpenAsync();
            var sql = string.Join(' ', new[] { "mt_events", "ledger_chain", "ledger_digest" }.Select(t =>
                $"drop trigger if exists ledger_guard on {Schema}.{t}; drop trigger if exists ledger_guard_truncate on {Schema}.{t};"))
                + $" delete from {Schema}.ledger_chain; delete from {Schema}.ledger_digest;"
                + $" do $$ begin if to_regclass('{Schema}.ledger_asof') is not null then delete from {Schema}.ledger_asof; end if; end $$;";
            await using var command = new Npgsql.NpgsqlCommand(sql, connection);
            await command.ExecuteNonQueryAsync();
        }
        await Store.Advanced.Clean.DeleteAllEventDataAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
    }
}

public sealed record HostSchema(string Name);

public sealed class FixedClock(DateTimeOffset now) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = now;

    public override DateTimeOffset GetUtcNow() => Now;
}

/// <summary>Collects every ledger notification, per host schema, so tests can assert what was published.</summary>
public sealed class NotificationLog(HostSchema schema) : INotificationHandler<LedgerNotificationPublished>
{
    private static readonly ConcurrentDictionary<string, ConcurrentQueue<LedgerNotification>> Logs = new();

    public static IReadOnlyList<LedgerNotification> For(string schema) => Logs.TryGetValue(schema, out var q) ? [.. q] : [];

    public ValueTask Handle(LedgerNotificationPublished notification, CancellationToken cancellationToken)
    {
        Logs.GetOrAdd(schema.Name, _ => new()).Enqueue(notification.Notification);
        return ValueTask.CompletedTask;
    }
}

/// <summary>NATO as the ledger records it: policy and the roster before 2022 (from the shared reference facts).</summary>
public static class TestOrganizations
{
    public static readonly string[] Founders = ["BEL", "CAN", "DNK", "FRA", "ISL", "ITA", "LUX", "NLD", "NOR", "PRT", "GBR", "USA"];

    public static Organization Nato(RatificationCounts countsAt = RatificationCounts.AtApproval)
    {
        var members = new List<Membership>();
        void Add(string since, params string[] states) => members.AddRange(states.Select(s => new Membership(s, DateOnly.Parse(since, System.Globalization.CultureInfo.InvariantCulture))));
        Add("1949-08-24", Founders);
        Add("1952-02-18", "GRC", "TUR");
        Add("1955-05-06", "DEU");
        Add("1982-05-30", "ESP");
        Add("1999-03-12", "CZE", "HUN", "POL");
        Add("2004-03-29", "BGR", "EST", "LVA", "LTU", "ROU", "SVK", "SVN");
        Add("2009-04-01", "ALB", "HRV");
        Add("2017-06-05", "MNE");
        Add("2020-03-27", "MKD");
        return new Organization("NATO", "North Atlantic Treaty Organization", "USA", countsAt, true, members);
    }

    public static DateOnly D(string iso) => DateOnly.Parse(iso, System.Globalization.CultureInfo.InvariantCulture);
}
