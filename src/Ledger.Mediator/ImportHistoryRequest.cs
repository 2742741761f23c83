using RatificationLedger.Recording;
using Mediator;

namespace RatificationLedger.Import;

/// <summary>
/// Imports a history file (see <see cref="ILedger.ImportAsync"/>).
/// </summary>
/// <param name="File">The parsed file.</param>
/// <param name="RecordedBy">Who records the entries (default: the ledger's default user).</param>
/// <param name="CorrelationId">Correlation id stamped on every entry of this run (default: a new one per run).</param>
public sealed record ImportHistoryRequest(HistoryFile File, string? RecordedBy = null, string? CorrelationId = null) : IRequest<ImportResult>
{
    /// <summary>Stops the import cleanly after the batch being written commits (see <see cref="ImportOptions.Stop"/>).</summary>
    public CancellationToken Stop { get; init; }

    /// <summary>Told, after each batch commits, how many entries are decided and written so far.</summary>
    public IProgress<ImportProgress>? Progress { get; init; }

    /// <summary>Decides every entry and writes nothing (see <see cref="ImportOptions.DryRun"/>).</summary>
    public bool DryRun { get; init; }

    /// <summary>The most entries one transaction writes (see <see cref="ImportOptions.BatchSize"/>).</summary>
    public int? BatchSize { get; init; }
}

/// <summary>Handles <see cref="ImportHistoryRequest"/> through <see cref="ILedger.ImportAsync"/>.</summary>
public sealed class ImportHistoryHandler(ILedger ledger) : IRequestHandler<ImportHistoryRequest, ImportResult>
{
    /// <inheritdoc />
    public async ValueTask<ImportResult> Handle(ImportHistoryRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        return await ledger.ImportAsync(request.File,
            new ImportOptions { RecordedBy = request.RecordedBy, CorrelationId = request.CorrelationId, Stop = request.Stop, Progress = request.Progress, DryRun = request.DryRun, BatchSize = request.BatchSize },
            cancellationToken).ConfigureAwait(false);
    }
}
