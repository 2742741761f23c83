using RatificationLedger.Projections;
using RatificationLedger.Recording;
using RatificationLedger.Storage;
using RatificationLedger.Testing;
using Marten;
using Mediator;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace RatificationLedger.Cli;

/// <summary>
/// Where the tool keeps its ledger: <c>--connection</c>, else <c>LEDGER_CONNECTION</c>, else a local PostgreSQL data
/// directory it creates on first use and starts on demand (<c>LEDGER_DATA_DIR</c>, default under the user's data
/// folder; <c>/var/lib/ratification-ledger</c> for root, whose home the <c>postgres</c> user cannot enter).
/// </summary>
internal sealed class LedgerConnection : IAsyncDisposable
{
    public const string LocalDatabase = "ledger";

    private readonly ServiceProvider _services;

    private LedgerConnection(ServiceProvider services, string description)
    {
        _services = services;
        Description = description;
    }

    public string Description { get; }

    public ISender Sender => _services.GetRequiredService<ISender>();

    public LedgerQueries Queries => _services.GetRequiredService<LedgerQueries>();

    public LedgerRecorder Recorder => _services.GetRequiredService<LedgerRecorder>();

    public Marten.IDocumentStore Store => _services.GetRequiredService<Marten.IDocumentStore>();

    public static string DataDirectory =>
        Environment.GetEnvironmentVariable("LEDGER_DATA_DIR") is { Length: > 0 } dir
            ? dir
            : Environment.IsPrivilegedProcess
                ? "/var/lib/ratification-ledger"
                : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create), "ratification-ledger");

    public static async Task<LedgerConnection> OpenAsync(string? connection, CancellationToken ct)
    {
        string connectionString;
        string description;
        if ((connection ?? Environment.GetEnvironmentVariable(LocalPostgres.ConnectionVariable)) is { Length: > 0 } given)
        {
            connectionString = given;
            description = Describe(given, connection is null ? LocalPostgres.ConnectionVariable : "--connection");
        }
        else
        {
            var server = await LocalPostgres.OpenPersistentAsync(DataDirectory, ct: ct).ConfigureAwait(false);
            connectionString = await EnsureDatabaseAsync(server, ct).ConfigureAwait(false);
            description = $"the local PostgreSQL in {DataDirectory}, port {server.Port}";
        }

        var services = new ServiceCollection();
        services.AddMarten(o =>
            {
                o.Connection(connectionString);
                o.DisableNpgsqlLogging = true;
                // The tool runs no daemon (no host): the async read models (member records) are kept by whichever app
                // runs one. Disabled would make Marten print a warning on stdout, in the middle of --json and --csv.
                o.Projections.AsyncMode = JasperFx.Events.Daemon.DaemonMode.ExternallyManaged;
            })
            .UseLightweightSessions()
            .AddRatificationLedger(ledger =>
            {
                ledger.DefaultRecordedBy = Environment.UserName;
                ledger.AddReadModels();
            });
        services.AddMediator(o =>
        {
            o.Namespace = "RatificationLedger.Cli.Mediation";
            // Internal: test projects that reference the tool generate their own mediator.
            o.GenerateTypesAsInternal = true;
            o.Assemblies = [typeof(AccessionRequestHandler), typeof(LedgerConnection)];
            o.ServiceLifetime = ServiceLifetime.Singleton;
        });
        return new LedgerConnection(services.BuildServiceProvider(), description);
    }

    /// <summary>Where a connection string points, for messages: host, port, database and user, never the password.</summary>
    public static string Describe(string connectionString, string from)
    {
        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (Exception e) when (e is ArgumentException or FormatException or InvalidCastException)
        {
            // The message names the keyword at fault, not the values: the string may hold a password.
            throw new CliFailure($"{from} is not a valid PostgreSQL connection string: {e.Message}", ExitCodes.Usage);
        }
        var user = builder.Username ?? Environment.UserName;
        return $"{from}: host {builder.Host ?? "localhost"}, port {builder.Port}, database {builder.Database ?? user}, user {user}";
    }

    private static async Task<string> EnsureDatabaseAsync(LocalPostgres server, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(server.ConnectionString);
        await connection.OpenAsync(ct).ConfigureAwait(false);
        await using var exists = new NpgsqlCommand("select 1 from pg_database where datname = @name", connection);
        exists.Parameters.AddWithValue("name", LocalDatabase);
        if (await exists.ExecuteScalarAsync(ct).ConfigureAwait(false) is null)
        {
            await using var create = new NpgsqlCommand($"create database {LocalDatabase}", connection);
            try
            {
                await create.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
            catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.DuplicateDatabase or PostgresErrorCodes.UniqueViolation)
            {
                // Another command on first use created it a moment ago.
            }
        }
        return server.ConnectionStringFor(LocalDatabase);
    }

    public async ValueTask DisposeAsync() => await _services.DisposeAsync().ConfigureAwait(false);
}
