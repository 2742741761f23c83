using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Npgsql;

namespace RatificationLedger.Testing;

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
public class LocalPostgresException : Exception
{
    /// <summary>Creates the exception.</summary>
    public LocalPostgresException(string message) : base(message) { }

    /// <summary>Creates the exception.</summary>
    public LocalPostgresException() { }

    /// <summary>Creates the exception.</summary>
    public LocalPostgresException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>
/// Raised when a local server's directory is not private to its account (another account owns it or can write it):
/// the server is not started on it.
/// </summary>
public sealed class LocalPostgresRefusedException : LocalPostgresException
{
    /// <summary>Creates the exception.</summary>
    public LocalPostgresRefusedException(string message) : base(message) { }

    /// <summary>Creates the exception.</summary>
    public LocalPostgresRefusedException() { }

    /// <summary>Creates the exception.</summary>
    public LocalPostgresRefusedException(string message, Exception inner) : base(message, inner) { }
}

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
public sealed class LocalPostgres : IAsyncDisposable
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
                CreatePrivateDirectory(root);
                await GiveToServerUserAsync(root, ct).ConfigureAwait(false);
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

    /// <summary>Kills the server as a crash would (immediate shutdown, no checkpoint); <see cref="StartAgainAsync"/> recovers it.</summary>
    public Task KillAsync(CancellationToken ct = default) => StopAsync(immediate: true, ct);

    /// <summary>Stops the server (fast shutdown, or immediate as a crash would), keeping its data directory.</summary>
    public async Task StopAsync(bool immediate = false, CancellationToken ct = default)
    {
        NpgsqlConnection.ClearAllPools();
        var postmaster = PostmasterPid(DataDirectory);
        await RunPgCtlAsync(["stop", "-w", "-t", "60", "-m", immediate ? "immediate" : "fast"], ct).ConfigureAwait(false);
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
        (await TryRunPgCtlAsync(["status"], ct).ConfigureAwait(false)).ExitCode == 0;

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

    private async Task InitAsync(CancellationToken ct)
    {
        await CreateServerDirectoryAsync(DataDirectory, ct).ConfigureAwait(false);
        await CreateServerDirectoryAsync(SocketDirectory, ct).ConfigureAwait(false);
        _password = Convert.ToHexString(RandomNumberGenerator.GetBytes(24)).ToLowerInvariant();
        await WritePrivateFileAsync(PasswordFile, _password, ct).ConfigureAwait(false);
        // initdb reads the password from a file the server's user can read: a copy in the 0700 run directory, removed
        // at once. The kept copy (PasswordFile) belongs to the account that runs the tool.
        var initPassword = Path.Combine(SocketDirectory, ".initdb-password");
        await WriteServerFileAsync(initPassword, _password, ct).ConfigureAwait(false);
        try
        {
            await RunAsync(Path.Combine(_bin, "initdb"),
                ["-D", DataDirectory, "-U", ServerUser, "-A", "scram-sha-256", "--pwfile", initPassword, "-E", "UTF8", "--locale=C", "--no-sync"], ct).ConfigureAwait(false);
        }
        finally
        {
            File.Delete(initPassword);
        }
    }

    // A server directory made before the server had a password (`initdb -A trust`): stopped if running, started once
    // with no TCP and trust on the private socket only, given a password, and stopped again.
    private async Task SecureLegacyAsync(CancellationToken ct)
    {
        if (await IsRunningAsync(ct).ConfigureAwait(false))
        {
            await StopAsync(immediate: false, ct).ConfigureAwait(false);
        }
        if (!Directory.Exists(SocketDirectory))
        {
            await CreateServerDirectoryAsync(SocketDirectory, ct).ConfigureAwait(false);
        }
        if (!SocketFits)
        {
            throw new LocalPostgresException($"The server in {_root} has no password yet (made by an earlier version) and its socket path is too long to set one safely; move the directory to a shorter path.");
        }
        await WriteServerFileAsync(Path.Combine(DataDirectory, "pg_hba.conf"), "local all all trust\n", ct).ConfigureAwait(false);
        await WriteSettingsAsync(listen: false, ct).ConfigureAwait(false);
        await StartPostmasterAsync(ct).ConfigureAwait(false);
        var password = Convert.ToHexString(RandomNumberGenerator.GetBytes(24)).ToLowerInvariant();
        var socket = new NpgsqlConnectionStringBuilder { Host = SocketDirectory, Port = Port, Username = ServerUser, Database = "postgres" }.ConnectionString;
        await using (var connection = new NpgsqlConnection(socket))
        {
            await connection.OpenAsync(ct).ConfigureAwait(false);
            await using var alter = new NpgsqlCommand($"alter role {ServerUser} password '{password}'", connection);
            await alter.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
        await StopAsync(immediate: false, ct).ConfigureAwait(false);
        await WritePrivateFileAsync(PasswordFile, password, ct).ConfigureAwait(false);
    }

    // Unix socket paths are limited to 107 bytes: a longer one is left out, and connections use TCP only.
    private bool SocketFits => Encoding.UTF8.GetByteCount(Path.Combine(SocketDirectory, ".s.PGSQL.65535")) <= 100;

    private async Task WriteSettingsAsync(bool listen, CancellationToken ct)
    {
        static string Quote(string value) => "'" + value.Replace("'", "''", StringComparison.Ordinal).Replace("\\", "\\\\", StringComparison.Ordinal) + "'";
        var settings = new StringBuilder()
            .AppendLine("# Written by LocalPostgres on every start; edits are overwritten.")
            .AppendLine(CultureInfo.InvariantCulture, $"listen_addresses = {Quote(listen ? "127.0.0.1" : "")}")
            .AppendLine(CultureInfo.InvariantCulture, $"port = {Port}")
            .AppendLine(CultureInfo.InvariantCulture, $"unix_socket_directories = {Quote(SocketFits ? SocketDirectory : "")}")
            .AppendLine("unix_socket_permissions = 0700")
            .AppendLine("password_encryption = 'scram-sha-256'")
            .AppendLine(CultureInfo.InvariantCulture, $"max_connections = {_options.MaxConnections}");
        if (!_options.Durable)
        {
            settings.AppendLine("fsync = off").AppendLine("synchronous_commit = off").AppendLine("full_page_writes = off");
        }
        await WriteServerFileAsync(Path.Combine(DataDirectory, "ledger.conf"), settings.ToString(), ct).ConfigureAwait(false);
        var main = Path.Combine(DataDirectory, "postgresql.conf");
        const string include = "include 'ledger.conf'";
        if (!(await File.ReadAllLinesAsync(main, ct).ConfigureAwait(false)).Contains(include, StringComparer.Ordinal))
        {
            await File.AppendAllTextAsync(main, $"\n{include}\n", ct).ConfigureAwait(false);
        }
    }

    private async Task StartServerAsync(CancellationToken ct)
    {
        await WriteServerFileAsync(Path.Combine(DataDirectory, "pg_hba.conf"),
            "# Written by LocalPostgres on every start: password (scram-sha-256) on the private socket and on 127.0.0.1; no replication.\n"
            + "local all all scram-sha-256\n"
            + "host all all 127.0.0.1/32 scram-sha-256\n", ct).ConfigureAwait(false);
        await WriteSettingsAsync(listen: true, ct).ConfigureAwait(false);
        await StartPostmasterAsync(ct).ConfigureAwait(false);
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
                throw new LocalPostgresException($"PostgreSQL on port {Port} did not accept connections within {_options.StartTimeout.TotalSeconds:0} s.\n{Tail(LogFile)}", e);
            }
        }
    }

    private async Task StartPostmasterAsync(CancellationToken ct)
    {
        // The log by a name relative to the run directory (pg_ctl hands it to a shell); the data directory as PGDATA.
        var result = await TryRunPgCtlAsync(["-l", LogName, "-w", "-t", ((int)_options.StartTimeout.TotalSeconds).ToString(CultureInfo.InvariantCulture), "start"], ct).ConfigureAwait(false);
        if (result.ExitCode != 0)
        {
            throw new LocalPostgresException($"PostgreSQL did not start on port {Port} (pg_ctl exit {result.ExitCode}): {result.Output.Trim()}\n{Tail(LogFile)}");
        }
    }

    private Process StartWatchdog()
    {
        // A detached shell that outlives this process: when the owner dies without disposing, it stops the server and
        // removes the directory, so a crashed test leaves nothing behind. Paths are positional arguments, never code.
        var ownerPid = (_options.OwnerProcessId ?? Environment.ProcessId).ToString(CultureInfo.InvariantCulture);
        const string script = "while kill -0 \"$1\" 2>/dev/null && [ -d \"$2\" ]; do sleep 1; done; "
            + "if [ -d \"$2\" ]; then cd \"$2\" && $5 env PGDATA=\"$3\" \"$4\" stop -m immediate -w -t 30 >/dev/null 2>&1; cd /; rm -rf -- \"$2\"; fi";
        var start = new ProcessStartInfo("setsid", ["sh", "-c", script, "ledger-pg-watchdog", ownerPid, _root, DataDirectory, Path.Combine(_bin, "pg_ctl"), IsRoot ? $"runuser -u {ServerUser} --" : ""])
        {
            RedirectStandardInput = false,
            RedirectStandardOutput = false,
            RedirectStandardError = false,
            UseShellExecute = false,
        };
        return Process.Start(start) ?? throw new LocalPostgresException("Could not start the LocalPostgres watchdog (setsid sh).");
    }

    private static bool IsRoot => Environment.IsPrivilegedProcess && !OperatingSystem.IsWindows();

    // A directory the tool has just created: as root, handed (alone, not what it may contain) to the server's user.
    private static async Task GiveToServerUserAsync(string path, CancellationToken ct)
    {
        if (!IsRoot)
        {
            return;
        }
        var result = await TryRunAsync("chown", [$"{ServerUser}:{ServerUser}", "--", path], asServer: false, null, ct).ConfigureAwait(false);
        if (result.ExitCode != 0)
        {
            throw new LocalPostgresException($"Running as root, LocalPostgres runs the server as the `{ServerUser}` user, but `chown {ServerUser} {path}` failed: {result.Output.Trim()}. Create the user (the `postgresql` package does) or run as another user.");
        }
    }

    private static void CreatePrivateDirectory(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
        }
        else
        {
            Directory.CreateDirectory(path, Private);
        }
    }

    private static FileStreamOptions PrivateFileOptions(FileMode mode, FileShare share)
    {
        var options = new FileStreamOptions { Mode = mode, Access = FileAccess.ReadWrite, Share = share };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = PrivateFile;
        }
        return options;
    }

    private static async Task CreateServerDirectoryAsync(string path, CancellationToken ct)
    {
        if (!Directory.Exists(path))
        {
            CreatePrivateDirectory(path);
            await GiveToServerUserAsync(path, ct).ConfigureAwait(false);
        }
    }

    // A file for the tool's account alone (0600), replaced atomically.
    private static async Task WritePrivateFileAsync(string path, string content, CancellationToken ct)
    {
        var temp = path + ".tmp";
        File.Delete(temp);
        await using (var stream = new FileStream(temp, PrivateFileOptions(FileMode.CreateNew, FileShare.Read)))
        {
            await stream.WriteAsync(Encoding.UTF8.GetBytes(content), ct).ConfigureAwait(false);
        }
        File.Move(temp, path, overwrite: true);
    }

    // A file the server reads (0600, owned by the server's user).
    private static async Task WriteServerFileAsync(string path, string content, CancellationToken ct)
    {
        await WritePrivateFileAsync(path, content, ct).ConfigureAwait(false);
        await GiveToServerUserAsync(path, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Refuses a directory that is not private to the server's account: owned by another account, or writable by
    /// group or others. Root may own it only if the server's user can still enter it.
    /// </summary>
    private static async Task CheckPrivateAsync(string path, CancellationToken ct)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }
        var mode = File.GetUnixFileMode(path);
        var owner = await OwnerAsync(path, ct).ConfigureAwait(false);
        var me = await UidAsync(null, ct).ConfigureAwait(false);
        var server = IsRoot ? await UidAsync(ServerUser, ct).ConfigureAwait(false) : me;
        var octal = Convert.ToString((int)mode, 8).PadLeft(4, '0');
        if ((mode & (UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) != 0)
        {
            throw new LocalPostgresRefusedException(
                $"{path} can be written by other accounts (mode {octal}): the ledger's server is not started on it. Make it private (chmod 700) or choose another directory (LEDGER_DATA_DIR).");
        }
        if (owner != me && owner != server)
        {
            throw new LocalPostgresRefusedException(
                $"{path} belongs to another account (uid {owner}): the ledger's server is not started on it. Use a directory of your own (LEDGER_DATA_DIR).");
        }
        if (IsRoot && owner == me && owner != server && (mode & UnixFileMode.OtherExecute) == 0)
        {
            throw new LocalPostgresRefusedException(
                $"{path} belongs to root with mode {octal}: the server runs as `{ServerUser}` and cannot enter it. Point LEDGER_DATA_DIR at a directory that does not exist yet (the tool creates it) or one owned by `{ServerUser}`.");
        }
    }

    private static async Task<long> OwnerAsync(string path, CancellationToken ct)
    {
        var result = await TryRunAsync("stat", ["-c", "%u", "--", path], asServer: false, null, ct).ConfigureAwait(false);
        return result.ExitCode == 0 && long.TryParse(result.Output.Trim(), CultureInfo.InvariantCulture, out var uid)
            ? uid
            : throw new LocalPostgresException($"Cannot read the owner of {path}: {result.Output.Trim()}");
    }

    private static async Task<long> UidAsync(string? user, CancellationToken ct)
    {
        var result = await TryRunAsync("id", user is null ? ["-u"] : ["-u", "--", user], asServer: false, null, ct).ConfigureAwait(false);
        return result.ExitCode == 0 && long.TryParse(result.Output.Trim(), CultureInfo.InvariantCulture, out var uid)
            ? uid
            : throw new LocalPostgresException($"Cannot find the user id of {user ?? "this account"}: {result.Output.Trim()}");
    }

    private async Task RunPgCtlAsync(string[] args, CancellationToken ct)
    {
        var result = await TryRunPgCtlAsync(args, ct).ConfigureAwait(false);
        if (result.ExitCode != 0)
        {
            throw new LocalPostgresException($"pg_ctl {string.Join(' ', args)} failed for {DataDirectory} (exit {result.ExitCode}): {result.Output.Trim()}");
        }
    }

    private Task<(int ExitCode, string Output)> TryRunPgCtlAsync(string[] args, CancellationToken ct) =>
        TryRunAsync("env", [$"PGDATA={DataDirectory}", Path.Combine(_bin, "pg_ctl"), .. args], asServer: true,
            Directory.Exists(SocketDirectory) ? SocketDirectory : _root, ct);

    private static async Task RunAsync(string file, string[] args, CancellationToken ct)
    {
        var result = await TryRunAsync(file, args, asServer: true, null, ct).ConfigureAwait(false);
        if (result.ExitCode != 0)
        {
            throw new LocalPostgresException($"{Path.GetFileName(file)} {string.Join(' ', args)} failed (exit {result.ExitCode}): {result.Output.Trim()}");
        }
    }

    private static async Task<(int ExitCode, string Output)> TryRunAsync(string file, string[] args, bool asServer, string? workingDirectory, CancellationToken ct)
    {
        var start = asServer && IsRoot ? new ProcessStartInfo("runuser", ["-u", ServerUser, "--", file, .. args]) : new ProcessStartInfo(file, args);
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.WorkingDirectory = workingDirectory ?? Path.GetTempPath();
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

    /// <summary>An exclusive lock on a file (flock through FileShare.None), taken with retries until a deadline.</summary>
    private sealed class StartLock(FileStream stream) : IAsyncDisposable
    {
        public static async Task<StartLock> TakeAsync(string path, TimeSpan timeout, CancellationToken ct)
        {
            var deadline = DateTime.UtcNow + timeout;
            while (true)
            {
                try
                {
                    return new StartLock(new FileStream(path, PrivateFileOptions(FileMode.OpenOrCreate, FileShare.None)));
                }
                catch (IOException) when (DateTime.UtcNow < deadline)
                {
                    await Task.Delay(100, ct).ConfigureAwait(false);
                }
                catch (IOException e)
                {
                    throw new LocalPostgresException($"Another ledger command has been starting the server in {Path.GetDirectoryName(path)} for {timeout.TotalSeconds:0} s ({path} is locked); try again.", e);
                }
            }
        }

        public ValueTask DisposeAsync() => stream.DisposeAsync();
    }
}
