using System.Diagnostics;
using System.Globalization;
using System.Text;
using Npgsql;

namespace RatificationLedger.Testing;

// Starting and stopping the server: pg_ctl start and stop, the settings and pg_hba.conf written on every start, the
// wait for connections, and the watchdog that removes a throwaway server whose owner died.
public sealed partial class LocalPostgres
{
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
}
