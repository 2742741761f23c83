using System.Security.Cryptography;
using System.Text;

namespace RatificationLedger.Cli;

/// <summary>
/// Writes a file the way a user can trust: to a new temporary file beside it (created exclusively, so no link planted
/// under that name is followed), then renamed into place. An existing file (or link) is replaced only with
/// <c>force</c>, and then the rename replaces the link itself, never the file it points to. A failure leaves the
/// target as it was.
/// </summary>
public static class SafeFile
{
    /// <summary>Writes <paramref name="content"/> to <paramref name="path"/>; refuses (exit code 1) an existing file without <paramref name="force"/>.</summary>
    public static async Task<string> WriteAsync(string path, string content, bool force, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(content);
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full) ?? throw new CliFailure($"{path}: not a file path.", ExitCodes.Usage);
        if (!Directory.Exists(dir))
        {
            throw new CliFailure($"cannot write {full}: the directory {dir} does not exist.");
        }
        var existing = new FileInfo(full);
        if (Directory.Exists(full) && existing.LinkTarget is null)
        {
            throw new CliFailure($"cannot write {full}: it is a directory.");
        }
        if (existing.Exists || existing.LinkTarget is not null)
        {
            if (!force)
            {
                var what = existing.LinkTarget is { } target ? $"a symbolic link to {target}" : "an existing file";
                throw new CliFailure($"{full} is {what}: not replaced. Use --force to replace it (a link is replaced, not followed).");
            }
        }
        var temp = Path.Combine(dir, $".{Path.GetFileName(full)}.{Convert.ToHexString(RandomNumberGenerator.GetBytes(6)).ToLowerInvariant()}.tmp");
        try
        {
            await using (var stream = new FileStream(temp, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None }))
            {
                var bytes = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false).GetBytes(content);
                await stream.WriteAsync(bytes, ct).ConfigureAwait(false);
                stream.Flush(flushToDisk: true);
            }
            try
            {
                // Without force the move fails rather than replace a file that appeared meanwhile.
                File.Move(temp, full, overwrite: force);
            }
            catch (IOException) when (!force && (File.Exists(full) || new FileInfo(full).LinkTarget is not null))
            {
                throw new CliFailure($"{full} appeared while it was being written: not replaced. Use --force to replace it.");
            }
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            throw new CliFailure($"cannot write {full}: {e.Message}", e);
        }
        finally
        {
            File.Delete(temp);
        }
        return full;
    }
}
