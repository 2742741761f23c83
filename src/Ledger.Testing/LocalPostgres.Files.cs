using System.Globalization;
using System.Text;

namespace RatificationLedger.Testing;

// Private files and directories: modes 0700/0600, handed to the server's user when running as root, and the check that
// refuses a directory another account owns or can write.
public sealed partial class LocalPostgres
{
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

    // A persistent server's directory on first use, made whole before it appears: created and handed to the server's
    // user under a name of its own, then renamed into place. Created in place, a second first use starting at the same
    // moment could find it still root's with mode 0700 (before the chown) and refuse it as closed to the server.
    private static async Task CreateServerRootAsync(string root, CancellationToken ct)
    {
        var staging = Path.Combine(Path.GetDirectoryName(root) ?? ".", $".{Path.GetFileName(root)}.{Guid.NewGuid():N}");
        CreatePrivateDirectory(staging);
        try
        {
            await GiveToServerUserAsync(staging, ct).ConfigureAwait(false);
            try
            {
                Directory.Move(staging, root);
            }
            catch (IOException) when (Directory.Exists(root))
            {
                // Another first use put its own in place: that one is used.
            }
        }
        finally
        {
            if (Directory.Exists(staging))
            {
                Directory.Delete(staging);
            }
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
}
