using Marten;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace RatificationLedger.Integrity;

/// <summary>
/// Takes a digest every <see cref="Storage.LedgerOptions.DigestEvery"/> when something was written since the last one,
/// and hands it to the app's <see cref="IDigestSink"/>. A failed digest is logged and tried again at the next tick.
/// </summary>
internal sealed class PeriodicDigests(IDocumentStore store, IDigestSink sink, TimeSpan every, TimeProvider clock, ILogger<PeriodicDigests>? logger) : BackgroundService
{
    private readonly ILogger _logger = (ILogger?)logger ?? NullLogger.Instance;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(every, clock);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            try
            {
                if (await LedgerIntegrity.TakeDigestIfWrittenAsync(store, sink, stoppingToken).ConfigureAwait(false) is { } digest)
                {
                    _logger.LogInformation("Ledger digest {Number} taken: {Processes} processes, {Entries} entries", digest.Number, digest.Heads.Count, digest.Entries);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                _logger.LogError(e, "A ledger digest could not be taken or kept; trying again in {Every}", every);
            }
        }
    }
}

/// <summary>Keeps each digest as <c>digest-{number}.json</c> in a directory (which should not be on the database's machine).</summary>
public sealed class DirectoryDigestSink(string directory) : IDigestSink
{
    /// <inheritdoc/>
    public async Task KeepAsync(LedgerDigest digest, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(digest);
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, $"digest-{digest.Number.ToString(System.Globalization.CultureInfo.InvariantCulture)}.json");
        // Written aside and moved into place: a reader never sees half a digest.
        var temporary = path + ".tmp";
        await File.WriteAllTextAsync(temporary, digest.ToJson(), ct).ConfigureAwait(false);
        File.Move(temporary, path, overwrite: false);
    }
}
