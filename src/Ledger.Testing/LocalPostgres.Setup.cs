using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Npgsql;

namespace RatificationLedger.Testing;

// Creating a server: finding the binaries, initdb with a random password, and securing a directory made before servers
// had one.
public sealed partial class LocalPostgres
{
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
}
