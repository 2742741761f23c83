using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Npgsql;

namespace Ledger.Testing;

/// <summary>Settings of a <see cref="LocalPostgres"/> server.</summary>
public sealed record LocalPostgresOptions
{
    /// <summary>
    /// Directories searched for <c>initdb</c> and <c>pg_ctl</c>. Null: <c>LEDGER_PG_BIN</c>, then PATH, then
    /// <c>pg_config --bindir</c>, then <c>/usr/lib/postgresql/*/bin</c> (highest version first).
    /// </summary>
    public IReadOnlyList<string>? BinaryDirectories { get; init; }

    /// <summary>
    /// Keep PostgreSQL's durability settings (fsync, synchronous commit). Off for throwaway servers, where speed
    /// matters and the data dies with the server anyway.
    /// </summary>
    public bool Durable { get; init; }

    /// <summary>Maximum connections the server accepts. Default 200.</summary>
    public int MaxConnections { get; init; } = 200;

    /// <summary>How long to wait for the server to accept connections. Default 60 s.</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>The process whose death makes the watchdog remove a throwaway server (default: this process).</summary>
    internal int? OwnerProcessId { get; init; }
}

/// <summary>Raised when a local PostgreSQL server cannot be found, started or stopped.</summary>
public sealed class LocalPostgresException : Exception
{
    /// <summary>Creates the exception.</summary>
    public LocalPostgresException(string message) : base(message) { }

    /// <summary>Creates the exception.</summary>
    public LocalPostgresException() { }

    /// <summary>Creates the exception.</summary>
    public LocalPostgresException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>
/// A real PostgreSQL server started from the machine's binaries on a free loopback port, in a directory of its own.
/// Throwaway servers (<see cref="StartAsync"/>) are stopped and their directory removed on dispose, and by a watchdog
/// process when the owning process dies without disposing. Persistent servers (<see cref="OpenPersistentAsync"/>) keep
/// their data directory across runs, for the <c>ledger</c> tool. Run as root, the server runs as the <c>postgres</c> user.
/// </summary>
public sealed class LocalPostgres : IAsyncDisposable
{
    /// <summary>The environment variable holding a connection string that replaces the local server.</summary>
    public const string ConnectionVariable = "LEDGER_CONNECTION";

    private const string PortFile = "ledger-port";
    private readonly string _bin;
    private readonly string _root;
    private readonly bool _throwaway;
    private readonly LocalPostgresOptions _options;
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

    /// <summary>A connection string to the <c>postgres</c> database as the <c>postgres</c> superuser.</summary>
    public string ConnectionString => ConnectionStringFor("postgres");

    /// <summary>A connection string to <paramref name="database"/>.</summary>
    public string ConnectionStringFor(string database) => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = Port,
        Username = "postgres",
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
        var root = Directory.CreateTempSubdirectory("ledger-pg-").FullName;
        var server = new LocalPostgres(bin, root, FreePort(), throwaway: true, options);
        try
        {
            GiveToServerUser(root);
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
    /// </summary>
    public static async Task<LocalPostgres> OpenPersistentAsync(string directory, LocalPostgresOptions? options = null, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        options = (options ?? new LocalPostgresOptions()) with { Durable = true };
        var bin = FindBinaries(options);
        var root = Path.GetFullPath(directory);
        Directory.CreateDirectory(root);
        var portFile = Path.Combine(root, PortFile);
        var port = File.Exists(portFile) && int.TryParse(await File.ReadAllTextAsync(portFile, ct).ConfigureAwait(false), CultureInfo.InvariantCulture, out var saved) ? saved : FreePort();
        var server = new LocalPostgres(bin, root, port, throwaway: false, options);
        if (!File.Exists(Path.Combine(server.DataDirectory, "PG_VERSION")))
        {
            GiveToServerUser(root);
            await server.InitAsync(ct).ConfigureAwait(false);
        }
        await File.WriteAllTextAsync(portFile, port.ToString(CultureInfo.InvariantCulture), ct).ConfigureAwait(false);
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

    /// <summary>Kills the server as a crash would (immediate shutdown, no checkpoint); <see cref="StartAgainAsync"/> recovers it.</summary>
    public Task KillAsync(CancellationToken ct = default) => StopAsync(immediate: true, ct);

    /// <summary>Stops the server (fast shutdown, or immediate as a crash would), keeping its data directory.</summary>
    public async Task StopAsync(bool immediate = false, CancellationToken ct = default)
    {
        NpgsqlConnection.ClearAllPools();
        var postmaster = PostmasterPid(DataDirectory);
        await RunAsync(Path.Combine(_bin, "pg_ctl"), ["-D", DataDirectory, "stop", "-w", "-t", "60", "-m", immediate ? "immediate" : "fast"], ct).ConfigureAwait(false);
        // pg_ctl returns once postmaster.pid is gone, which the postmaster removes just before it exits; stopped
        // means no process left (and nothing still writing to a directory about to be deleted or reused).
        if (postmaster is { } pid)
        {
            var clock = Stopwatch.StartNew();
            while (IsAlive(pid) && clock.Elapsed < TimeSpan.FromSeconds(30))
            {
                await Task.Delay(TimeSpan.FromMilliseconds(20), ct).ConfigureAwait(false);
            }
        }
    }

    private static int? PostmasterPid(string data)
    {
        try
        {
            var first = File.ReadLines(Path.Combine(data, "postmaster.pid")).FirstOrDefault();
            return int.TryParse(first, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? pid : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    // Whether a process runs; an exited one not yet reaped (a zombie, common in containers) does not.
    private static bool IsAlive(int pid)
    {
        try
        {
            // "pid (name) state ...": the state letter follows the last ')'.
            var text = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
            var state = text[(text.LastIndexOf(')') + 1)..].TrimStart();
            return state.Length > 0 && state[0] is not ('Z' or 'X');
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return true;
        }
    }

    /// <summary>Starts the server again on the same port and data directory (after <see cref="StopAsync"/> or <see cref="KillAsync"/>).</summary>
    public Task StartAgainAsync(CancellationToken ct = default) => StartServerAsync(ct);

    /// <summary>True when the server answers <c>pg_ctl status</c>.</summary>
    public async Task<bool> IsRunningAsync(CancellationToken ct = default) =>
        (await TryRunAsync(Path.Combine(_bin, "pg_ctl"), ["-D", DataDirectory, "status"], ct).ConfigureAwait(false)).ExitCode == 0;

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

    /// <summary>Finds the directory holding <c>initdb</c> and <c>pg_ctl</c>, or throws naming the package to install.</summary>
    public static string FindBinaries(LocalPostgresOptions? options = null)
    {
        var candidates = options?.BinaryDirectories ?? DefaultBinaryDirectories();
        foreach (var dir in candidates)
        {
            if (File.Exists(Path.Combine(dir, "initdb")) && File.Exists(Path.Combine(dir, "pg_ctl")))
            {
                return dir;
            }
        }
        throw new LocalPostgresException(
            "PostgreSQL server binaries (initdb, pg_ctl) were not found"
            + (candidates.Count > 0 ? $" in {string.Join(", ", candidates)}" : "")
            + ". Install the `postgresql` package (Debian/Ubuntu: apt-get install postgresql), put its bin directory on PATH "
            + "or in LEDGER_PG_BIN, or set LEDGER_CONNECTION to use an existing server.");
    }

    private static List<string> DefaultBinaryDirectories()
    {
        var dirs = new List<string>();
        if (Environment.GetEnvironmentVariable("LEDGER_PG_BIN") is { Length: > 0 } pinned)
        {
            dirs.Add(pinned);
        }
        dirs.AddRange((Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries));
        try
        {
            using var pgConfig = Process.Start(new ProcessStartInfo("pg_config", "--bindir") { RedirectStandardOutput = true, RedirectStandardError = true });
            if (pgConfig is not null)
            {
                var output = pgConfig.StandardOutput.ReadToEnd().Trim();
                pgConfig.WaitForExit();
                if (pgConfig.ExitCode == 0 && output.Length > 0)
                {
                    dirs.Add(output);
                }
            }
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // pg_config is not installed; the other places remain.
        }
        if (Directory.Exists("/usr/lib/postgresql"))
        {
            dirs.AddRange(Directory.GetDirectories("/usr/lib/postgresql")
                .OrderByDescending(d => int.TryParse(Path.GetFileName(d), CultureInfo.InvariantCulture, out var v) ? v : 0)
                .Select(d => Path.Combine(d, "bin")));
        }
        return dirs;
    }

    private async Task InitAsync(CancellationToken ct) =>
        await RunAsync(Path.Combine(_bin, "initdb"), ["-D", DataDirectory, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"], ct).ConfigureAwait(false);

    private async Task StartServerAsync(CancellationToken ct)
    {
        var settings = new StringBuilder()
            .Append(CultureInfo.InvariantCulture, $"-p {Port} -h 127.0.0.1 -k {_root} -c max_connections={_options.MaxConnections}");
        if (!_options.Durable)
        {
            settings.Append(" -c fsync=off -c synchronous_commit=off -c full_page_writes=off");
        }
        var log = Path.Combine(_root, "server.log");
        var result = await TryRunAsync(Path.Combine(_bin, "pg_ctl"),
            ["-D", DataDirectory, "-o", settings.ToString(), "-l", log, "-w", "-t", ((int)_options.StartTimeout.TotalSeconds).ToString(CultureInfo.InvariantCulture), "start"], ct).ConfigureAwait(false);
        if (result.ExitCode != 0)
        {
            throw new LocalPostgresException($"PostgreSQL did not start on port {Port} (pg_ctl exit {result.ExitCode}): {result.Output.Trim()}\n{Tail(log)}");
        }
        var deadline = DateTime.UtcNow + _options.StartTimeout;
        while (true)
        {
            try
            {
                await using var connection = new NpgsqlConnection(ConnectionString);
                await connection.OpenAsync(ct).ConfigureAwait(false);
                return;
            }
            catch (NpgsqlException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100, ct).ConfigureAwait(false);
            }
            catch (NpgsqlException e)
            {
                throw new LocalPostgresException($"PostgreSQL on port {Port} did not accept connections within {_options.StartTimeout.TotalSeconds:0} s.\n{Tail(log)}", e);
            }
        }
    }

    private Process StartWatchdog()
    {
        // A detached shell that outlives this process: when the owner dies without disposing, it stops the server and
        // removes the directory, so a crashed test leaves nothing behind.
        var ownerPid = _options.OwnerProcessId ?? Environment.ProcessId;
        var script = $"while kill -0 {ownerPid} 2>/dev/null && [ -d '{_root}' ]; do sleep 1; done; "
            + $"if [ -d '{_root}' ]; then {AsServerUser($"'{Path.Combine(_bin, "pg_ctl")}' -D '{DataDirectory}' stop -m immediate -w -t 30")} >/dev/null 2>&1; rm -rf '{_root}'; fi";
        var start = new ProcessStartInfo("setsid", ["sh", "-c", script])
        {
            RedirectStandardInput = false,
            RedirectStandardOutput = false,
            RedirectStandardError = false,
            UseShellExecute = false,
        };
        return Process.Start(start) ?? throw new LocalPostgresException("Could not start the LocalPostgres watchdog (setsid sh).");
    }

    private static bool IsRoot => Environment.IsPrivilegedProcess && !OperatingSystem.IsWindows();

    private static string AsServerUser(string command) => IsRoot ? $"runuser -u postgres -- {command}" : command;

    private static void GiveToServerUser(string root)
    {
        if (!IsRoot)
        {
            return;
        }
        using var chown = Process.Start("chown", ["-R", "postgres:postgres", root]);
        chown.WaitForExit();
        if (chown.ExitCode != 0)
        {
            throw new LocalPostgresException($"Running as root, LocalPostgres runs the server as the `postgres` user, but `chown postgres {root}` failed. Create the user (the `postgresql` package does) or run as another user.");
        }
    }

    private static async Task RunAsync(string file, string[] args, CancellationToken ct)
    {
        var result = await TryRunAsync(file, args, ct).ConfigureAwait(false);
        if (result.ExitCode != 0)
        {
            throw new LocalPostgresException($"{Path.GetFileName(file)} {string.Join(' ', args)} failed (exit {result.ExitCode}): {result.Output.Trim()}");
        }
    }

    private static async Task<(int ExitCode, string Output)> TryRunAsync(string file, string[] args, CancellationToken ct)
    {
        var start = IsRoot ? new ProcessStartInfo("runuser", ["-u", "postgres", "--", file, .. args]) : new ProcessStartInfo(file, args);
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.WorkingDirectory = Path.GetTempPath();
        using var process = Process.Start(start) ?? throw new LocalPostgresException($"Could not run {file}.");
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct).ConfigureAwait(false);
        return (process.ExitCode, await stdout.ConfigureAwait(false) + await stderr.ConfigureAwait(false));
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string Tail(string log)
    {
        try
        {
            return "Server log (last lines):\n" + string.Join('\n', File.ReadLines(log).TakeLast(15));
        }
        catch (IOException)
        {
            return "(no server log)";
        }
        catch (UnauthorizedAccessException)
        {
            return "(server log unreadable)";
        }
    }
}
