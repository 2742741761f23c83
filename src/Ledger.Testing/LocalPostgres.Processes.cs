using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace RatificationLedger.Testing;

// Running the tools (pg_ctl, initdb, stat, id, as the server's user when root), a free port, the log's tail, and the
// lock that lets one start at a time.
public sealed partial class LocalPostgres
{
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
