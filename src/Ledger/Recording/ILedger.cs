using RatificationLedger.Domain;
using RatificationLedger.Import;
using RatificationLedger.Integrity;

namespace RatificationLedger.Recording;

/// <summary>
/// The ledger as an app uses it: record one command, a run of commands, an organization, a history file; verify the record.
/// Registered by <c>AddRatificationLedger</c> (implemented by <see cref="LedgerRecorder"/>); an interface so that apps
/// can mock it. No Mediator needed: the Mediator requests are a thin adapter over it.
/// </summary>
public interface ILedger
{
    /// <summary>Decides and records one accession command (see <see cref="LedgerRecorder.RecordAsync"/>).</summary>
    /// <param name="command">The command.</param>
    /// <param name="provenance">Who records it, from which source, under which command id; all optional.</param>
    /// <param name="expectedVersion">When given, the process must be at this version or the result is a conflict.</param>
    /// <param name="ct">Cancellation.</param>
    Task<RecordResult> RecordAsync(AccessionCommand command, Provenance? provenance = null, long? expectedVersion = null, CancellationToken ct = default);

    /// <summary>Records a run of commands in one transaction, stopping after a refused one (see <see cref="LedgerRecorder.RecordManyAsync"/>).</summary>
    /// <param name="commands">The commands, each with its provenance.</param>
    /// <param name="ct">Cancellation.</param>
    Task<IReadOnlyList<RecordResult>> RecordManyAsync(IReadOnlyList<(AccessionCommand Command, Provenance? Provenance)> commands, CancellationToken ct = default);

    /// <summary>Registers an organization (its policy and roster); registering the same definition again records nothing.</summary>
    /// <param name="organization">The organization.</param>
    /// <param name="provenance">Who records it, from which source.</param>
    /// <param name="ct">Cancellation.</param>
    Task<RecordResult> RegisterOrganizationAsync(Organization organization, Provenance? provenance = null, CancellationToken ct = default);

    /// <summary>Imports a history file through the normal command path, in batches (see <see cref="LedgerRecorder.ImportAsync(HistoryFile, ImportOptions?, CancellationToken)"/>).</summary>
    /// <param name="file">The parsed history file.</param>
    /// <param name="options">Who records, the correlation id, a clean stop, progress; all optional.</param>
    /// <param name="ct">Cancellation.</param>
    Task<ImportResult> ImportAsync(HistoryFile file, ImportOptions? options = null, CancellationToken ct = default);

    /// <summary>
    /// Verifies the record: every entry against its hash chain, and the ledger against each digest given (kept outside
    /// the database) and those it stored; the same report as <see cref="LedgerIntegrity.VerifyAsync"/>.
    /// </summary>
    /// <param name="digests">Digests kept outside the database to check the ledger against; none when null.</param>
    /// <param name="progress">Receives the number of entries checked so far; optional.</param>
    /// <param name="ct">Cancellation.</param>
    Task<VerificationReport> VerifyAsync(IReadOnlyList<LedgerDigest>? digests = null, IProgress<long>? progress = null, CancellationToken ct = default);
}
