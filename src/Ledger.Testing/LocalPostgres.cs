using System.Diagnostics;
using System.Globalization;
using Npgsql;

namespace RatificationLedger.Testing;

/// <summary>
/// A real PostgreSQL server started from the machine's binaries on a free loopback port, in a directory of its own.
/// Throwaway servers (<see cref="StartAsync"/>) are stopped and their directory removed on dispose, and by a watchdog
/// process when the owning process dies without disposing. Persistent servers (<see cref="OpenPersistentAsync"/>) keep
/// their data directory across runs, for the <c>ledger</c> tool. Run as root, the server runs as the <c>postgres</c> user.
/// </summary>
/// <remarks>
/// Every server is private to the account that owns it. It listens on 127.0.0.1 and on a Unix socket in a 0700
/// directory, and both require <c>scram-sha-256</c> with a random password kept in a 0600 file beside the data
/// (<see cref="PasswordFile"/>); <c>pg_hba.conf</c> is rewritten on every start with exactly those two entries (no
/// <c>trust</c>, no replication). The data directory is 0700. A persistent directory owned by another account, or
/// that another account can write, is refused (<see cref="LocalPostgresRefusedException"/>). No path reaches a shell:
/// settings go to a configuration file, the data directory to <c>pg_ctl</c> through <c>PGDATA</c>, and the log by a
/// name relative to the run directory.
/// Layout: <c>ROOT/data</c> (PGDATA), <c>ROOT/run</c> (socket, server log), <c>ROOT/password</c>, and for persistent
/// servers <c>ROOT/ledger-port</c> and <c>ROOT/.lock</c> (one start at a time).
/// </remarks>
public sealed partial class LocalPostgres : IAsyncDisposable
{
    /// <summary>The environment variable holding a connection string that replaces the local server.</summary>
    public const string ConnectionVariable = "LEDGER_CONNECTION";

    private const string PortFileName = "ledger-port";
    private const string PasswordFileName = "password";
    private const string ServerUser = "postgres";
    private const string LogName = "server.log";

    private static readonly UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private static readonly UnixFileMode PrivateFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private readonly string _bin;
    private readonly string _root;
    private readonly bool _throwaway;
    private readonly LocalPostgresOptions _options;
    private string _password = "";
    private Process? _watchdog;
    private bool _disposed;

    private LocalPostgres(string bin, string root, int port, bool throwaway, LocalPostgresOptions options)
    {
        _bin = bin;
        _root = root;
        Port = port;
        _throwaway = throwaway;
        _options = options;
    }

    /// <summary>The loopback port the server listens on.</summary>
    public int Port { get; }

    /// <summary>The server's data directory.</summary>
    public string DataDirectory => Path.Combine(_root, "data");

    /// <summary>The directory (mode 0700) holding the server's Unix socket and log.</summary>
    public string SocketDirectory => Path.Combine(_root, "run");

    /// <summary>The file (mode 0600) holding the <c>postgres</c> role's password.</summary>
    public string PasswordFile => Path.Combine(_root, PasswordFileName);

    private string LogFile => Path.Combine(SocketDirectory, LogName);

    /// <summary>A connection string to the <c>postgres</c> database as the <c>postgres</c> superuser.</summary>
    public string ConnectionString => ConnectionStringFor("postgres");

    /// <summary>A connection string to <paramref name="database"/> (TCP on 127.0.0.1 with the server's password).</summary>
    public string ConnectionStringFor(string database) => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = Port,
        Username = ServerUser,
        Password = _password,
        Database = database,
        IncludeErrorDetail = true,
        Timeout = 15,
        CommandTimeout = 120,
        MaxPoolSize = 100,
    }.ConnectionString;

    /// <summary>Starts a throwaway server in a new temporary directory and waits until it accepts connections.</summary>
    public static async Task<LocalPostgres> StartAsync(LocalPostgresOptions? options = null, CancellationToken ct = default)
    {
        options ??= new LocalPostgresOptions();
        var bin = FindBinaries(options);
        // Created 0700 by .NET; as root it is handed to the server's user, which must enter it.
        var root = Directory.CreateTempSubdirectory("ledger-pg-").FullName;
        var server = new LocalPostgres(bin, root, FreePort(), throwaway: true, options);
        try
        {
            await GiveToServerUserAsync(root, ct).ConfigureAwait(false);
            server._watchdog = server.StartWatchdog();
            await server.InitAsync(ct).ConfigureAwait(false);
            await server.StartServerAsync(ct).ConfigureAwait(false);
            return server;
        }
        catch
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Opens the persistent server whose files live in <paramref name="directory"/>: creates it on first use, starts
    /// it when it is not running, and leaves it running on dispose (stop it with <see cref="StopPersistentAsync"/>).
    /// Refuses (<see cref="LocalPostgresRefusedException"/>) a directory another account owns or can write. Two
    /// callers racing on first use take turns: one creates and starts the server, the other finds it running.
    /// </summary>
    public static async Task<LocalPostgres> OpenPersistentAsync(string directory, LocalPostgresOptions? options = null, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        options = (options ?? new LocalPostgresOptions()) with { Durable = true };
        var bin = FindBinaries(options);
        var root = Path.GetFullPath(directory);
        if (!Directory.Exists(root))
        {
            var parent = Path.GetDirectoryName(root);
            if (parent is not null)
            {
                CreatePrivateDirectory(parent);
            }
            try
            {
                await CreateServerRootAsync(root, ct).ConfigureAwait(false);
            }
            catch (UnauthorizedAccessException e)
            {
                throw new LocalPostgresException($"Cannot create the server directory {root}: {e.Message}", e);
            }
        }
        await CheckPrivateAsync(root, ct).ConfigureAwait(false);
        if (IsRoot && (await TryRunAsync("test", ["-x", root], asServer: true, "/", ct).ConfigureAwait(false)).ExitCode != 0)
        {
            throw new LocalPostgresException(
                $"The server runs as `{ServerUser}`, which cannot reach {root} (a directory on the way is closed to it). Choose a directory under one it can enter, e.g. /var/lib/ratification-ledger (LEDGER_DATA_DIR).");
        }
        await using var startLock = await StartLock.TakeAsync(Path.Combine(root, ".lock"), options.StartTimeout, ct).ConfigureAwait(false);
        var portFile = Path.Combine(root, PortFileName);
        var port = File.Exists(portFile) && int.TryParse(await File.ReadAllTextAsync(portFile, ct).ConfigureAwait(false), CultureInfo.InvariantCulture, out var saved) ? saved : FreePort();
        var server = new LocalPostgres(bin, root, port, throwaway: false, options);
        if (!File.Exists(Path.Combine(server.DataDirectory, "PG_VERSION")))
        {
            await server.InitAsync(ct).ConfigureAwait(false);
        }
        else
        {
            await CheckPrivateAsync(server.DataDirectory, ct).ConfigureAwait(false);
            if (!File.Exists(server.PasswordFile))
            {
                // Made by an earlier version with `trust` authentication: give it a password before it listens again.
                await server.SecureLegacyAsync(ct).ConfigureAwait(false);
            }
        }
        server._password = (await File.ReadAllTextAsync(server.PasswordFile, ct).ConfigureAwait(false)).Trim();
        await WritePrivateFileAsync(portFile, port.ToString(CultureInfo.InvariantCulture), ct).ConfigureAwait(false);
        if (!await server.IsRunningAsync(ct).ConfigureAwait(false))
        {
            await server.StartServerAsync(ct).ConfigureAwait(false);
        }
        return server;
    }

    /// <summary>Stops the persistent server in <paramref name="directory"/>; false when it was not running.</summary>
    public static async Task<bool> StopPersistentAsync(string directory, LocalPostgresOptions? options = null, CancellationToken ct = default)
    {
        var root = Path.GetFullPath(directory);
        if (!File.Exists(Path.Combine(root, "data", "postmaster.pid")))
        {
            return false;
        }
        var server = new LocalPostgres(FindBinaries(options ?? new LocalPostgresOptions()), root, 0, throwaway: false, options ?? new LocalPostgresOptions());
        if (!await server.IsRunningAsync(ct).ConfigureAwait(false))
        {
            return false;
        }
        await server.StopAsync(immediate: false, ct).ConfigureAwait(false);
        return true;
    }

    /// <summary>
    /// The connection string in <c>LEDGER_CONNECTION</c> when set (and no server); otherwise a new throwaway server.
    /// </summary>
    public static async Task<(string ConnectionString, LocalPostgres? Server)> FromEnvironmentOrStartAsync(LocalPostgresOptions? options = null, CancellationToken ct = default)
    {
        if (Environment.GetEnvironmentVariable(ConnectionVariable) is { Length: > 0 } given)
        {
            return (given, null);
        }
        var server = await StartAsync(options, ct).ConfigureAwait(false);
        return (server.ConnectionString, server);
    }

    /// <summary>Creates a database and returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string name, CancellationToken ct = default)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync(ct).ConfigureAwait(false);
        await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name.Replace("\"", "\"\"", StringComparison.Ordinal)}\"", connection);
        await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        return ConnectionStringFor(name);
    }

    /// <summary>Throwaway servers: stops the server and removes its directory. Persistent servers keep running.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed || !_throwaway)
        {
            return;
        }
        _disposed = true;
        try
        {
            if (File.Exists(Path.Combine(DataDirectory, "postmaster.pid")))
            {
                await StopAsync(immediate: true).ConfigureAwait(false);
            }
        }
        finally
        {
            try
            {
                Directory.Delete(_root, recursive: true);
            }
            catch (DirectoryNotFoundException)
            {
            }
            if (_watchdog is { HasExited: false })
            {
                _watchdog.Kill();
            }
            _watchdog?.Dispose();
        }
    }
}
