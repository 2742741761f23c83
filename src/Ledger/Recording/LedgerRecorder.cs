using System.Diagnostics;
using RatificationLedger.Domain;
using RatificationLedger.Integrity;
using RatificationLedger.Observability;
using RatificationLedger.Storage;
using Marten;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace RatificationLedger.Recording;

/// <summary>
/// The write path: read the process stream (through a validated state cache), decide, append at the expected version
/// with audit metadata, save, in one transaction with what makes a resend safe: the command id in every event's
/// <c>command-id</c> header and, for an id the sender chose, a <see cref="Storage.CommandReceipt"/>. An accession's
/// consequences (the roster's admission and, by the organization's policy, the new member as a required ratifier of every
/// invited process) are decided and written in its transaction. The Mediator handlers call it; tools may call it directly
/// (they then publish <see cref="RecordResult.Notifications"/> themselves, if anything listens to them).
/// </summary>
public sealed partial class LedgerRecorder : ILedger
{
    /// <summary>Header keys every recorded event carries.</summary>
    internal static class Headers
    {
        /// <summary>The source citation (URL or document reference).</summary>
        public const string Source = "source";

        /// <summary>A short free-text note.</summary>
        public const string Note = "note";

        /// <summary>True when no source states the exact date.</summary>
        public const string Unconfirmed = "unconfirmed";

        /// <summary>The command id (idempotency key).</summary>
        public const string CommandId = "command-id";
    }

    private readonly IDocumentStore _store;
    private readonly LedgerOptions _options;
    private readonly StreamStateCache _states;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly IRecordedByProvider? _recordedBy;

    private readonly ILedgerNotificationSink[] _sinks;

    /// <summary>Creates a recorder over a store configured with <c>AddRatificationLedger</c>.</summary>
    /// <param name="store">The ledger's store.</param>
    /// <param name="options">The ledger's options; checked here (an invalid one throws <see cref="Microsoft.Extensions.Options.OptionsValidationException"/>).</param>
    /// <param name="sinks">Where the notifications of recorded changes go after each commit (none: nowhere).</param>
    /// <param name="loggerFactory">Where the recorder logs (category <c>RatificationLedger.Recording.LedgerRecorder</c>); none when null.</param>
    /// <param name="time">The clock the decider is given, unless <see cref="LedgerOptions.Clock"/> names one; the system's when null.</param>
    /// <param name="recordedBy">Who records a command whose provenance names no one (e.g. the signed-in user); see <see cref="LedgerOptions.DefaultRecordedBy"/>.</param>
    public LedgerRecorder(IDocumentStore store, LedgerOptions options, IEnumerable<ILedgerNotificationSink>? sinks = null,
        ILoggerFactory? loggerFactory = null, TimeProvider? time = null, IRecordedByProvider? recordedBy = null)
    {
        _store = store ?? throw new ArgumentNullException(nameof(store));
        _options = options ?? throw new ArgumentNullException(nameof(options));
        LedgerOptionsValidator.ThrowIfInvalid(options);
        _states = new StreamStateCache(options.WriteCacheStreams);
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<LedgerRecorder>();
        _time = options.Clock ?? time ?? TimeProvider.System;
        _recordedBy = recordedBy;
        _sinks = sinks?.ToArray() ?? [];
    }

    /// <summary>Records an accession command.</summary>
    /// <param name="command">The command.</param>
    /// <param name="provenance">Who records it, from which source, under which command id; all optional.</param>
    /// <param name="expectedVersion">
    /// When given, the stream must be at this version or the result is a <see cref="RecordOutcome.Conflict"/>. When absent,
    /// a concurrent writer makes the command be decided again on fresh state, up to <see cref="LedgerOptions.ConcurrencyRetries"/> times.
    /// </param>
    /// <param name="ct">Cancellation.</param>
    public async Task<RecordResult> RecordAsync(AccessionCommand command, Provenance? provenance = null, long? expectedVersion = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(command);
        var started = Stopwatch.GetTimestamp();
        using var activity = LedgerTelemetry.Start("ledger.record");
        var item = Prepare(command, provenance);
        if (Refuse(item) is { } refused)
        {
            return Observed(refused, item, activity, started);
        }
        var stripe = StripeOf(command.Process);
        // Turn-taking only spares optimistic retries, so a caller that has waited TurnWait goes ahead without its turn
        // (optimistic concurrency still decides): a stalled database then cannot queue callers behind each other's timeouts.
        var turn = await _stripes[stripe].WaitAsync(TurnWait, ct).ConfigureAwait(false);
        RecordResult result;
        try
        {
            result = Observed((await RecordPrefixAsync([item], expectedVersion, ct).ConfigureAwait(false)).Results[0], item, activity, started);
        }
        catch (Exception e) when (e is not LedgerUnavailableException && LedgerUnavailableException.IsDatabaseFailure(e))
        {
            // Failed before the commit (the commit's own failure is reported inside): nothing was written.
            throw Unavailable(new LedgerUnavailableException(command.Process, item.Name, item.CommandId, mayHaveBeenRecorded: false, e), item, activity);
        }
        catch (LedgerUnavailableException e)
        {
            throw Unavailable(e, item, activity);
        }
        finally
        {
            if (turn)
            {
                _stripes[stripe].Release();
            }
        }
        await PublishAsync([result], ct).ConfigureAwait(false);
        return result;
    }

    /// <summary>
    /// Records several accession commands in order, as many as fit one transaction: the same decider, validation,
    /// idempotency receipts and audit metadata as <see cref="RecordAsync"/>, with one read of each touched stream and one
    /// commit for the lot. Returns the results of the commands it handled, a prefix of <paramref name="commands"/> (at
    /// least one); the caller sends the rest again. The prefix ends after a refused command (nothing after it is
    /// decided, everything before it is committed) and before a command recorded by someone else or under another
    /// correlation. The results' <see cref="RecordResult.Notifications"/> are handed to the app's
    /// <see cref="ILedgerNotificationSink"/>s after the commit; what the ledger's rules make of an accession (the admission, the new member added to invited processes) is written with it.
    /// </summary>
    public async Task<IReadOnlyList<RecordResult>> RecordManyAsync(IReadOnlyList<(AccessionCommand Command, Provenance? Provenance)> commands, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(commands);
        if (commands.Count == 0)
        {
            return [];
        }
        var started = Stopwatch.GetTimestamp();
        using var activity = LedgerTelemetry.Start("ledger.record_batch");
        var (items, refused) = Batch(commands, 0, commands.Count);
        if (refused is not null)
        {
            var first = PrepareAt(commands, 0);
            ObserveBatch([refused], [first], activity, started, import: false);
            return [refused];
        }
        var taken = await TakeStripesAsync(items!, ct).ConfigureAwait(false);
        IReadOnlyList<RecordResult> results;
        try
        {
            results = (await RecordPrefixAsync(items!, null, ct).ConfigureAwait(false)).Results;
            ObserveBatch(results, items!, activity, started, import: false);
        }
        catch (Exception e) when (e is not LedgerUnavailableException && LedgerUnavailableException.IsDatabaseFailure(e))
        {
            // Failed before the commit (the commit's own failure is reported inside): nothing was written.
            throw Unavailable(new LedgerUnavailableException(items![0].Command.Process, items[0].Name, items[0].CommandId, mayHaveBeenRecorded: false, e), items[0], activity);
        }
        catch (LedgerUnavailableException e)
        {
            throw Unavailable(e, items![0], activity);
        }
        finally
        {
            ReleaseStripes(taken);
        }
        await PublishAsync(results, ct).ConfigureAwait(false);
        return results;
    }

    /// <summary>Verifies the record against its hash chain and digests (see <see cref="LedgerIntegrity.VerifyAsync"/>).</summary>
    /// <param name="digests">Digests kept outside the database to check the ledger against; none when null.</param>
    /// <param name="progress">Receives the number of entries checked so far; optional.</param>
    /// <param name="ct">Cancellation.</param>
    public Task<VerificationReport> VerifyAsync(IReadOnlyList<LedgerDigest>? digests = null, IProgress<long>? progress = null, CancellationToken ct = default) =>
        LedgerIntegrity.VerifyAsync(_store, digests, progress, ct);

    /// <summary>Registers an organization, or adds roster members it lacks; a conflicting definition is refused.</summary>
    public async Task<RecordResult> RegisterOrganizationAsync(Organization organization, Provenance? provenance = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(organization);
        var key = OrganizationDecider.StreamKey(organization.Code ?? "");
        var commandId = provenance?.CommandId ?? HashAndDerivedId("register_organization", organization).Derived;
        var (resolved, unnamed) = WithRecordedBy(provenance);
        provenance = resolved;
        if ((unnamed ?? ValidateProvenance(provenance)) is { } invalid)
        {
            var refused = new RecordResult(RecordOutcome.Rejected, key, commandId, [], invalid, 0);
            Log(refused, "register_organization");
            return refused;
        }
        await EnsureStorageAsync(ct).ConfigureAwait(false);
        for (var attempt = 1; ; attempt++)
        {
            await using var session = _store.LightweightSession();
            var stream = await session.Events.FetchForWriting<OrganizationView>(key, ct).ConfigureAwait(false);
            var decision = OrganizationDecider.Decide(new RegisterOrganization(organization), stream.Aggregate?.Organization, _time.GetUtcNow());
            var version = stream.CurrentVersion ?? 0;
            if (decision.Rejection is { } rejection)
            {
                var refused = new RecordResult(RecordOutcome.Rejected, key, commandId, [], rejection, version);
                Log(refused, "register_organization");
                return refused;
            }
            if (decision.Events.Count == 0)
            {
                return new RecordResult(RecordOutcome.AlreadyRecorded, key, commandId, [], null, version);
            }
            Stamp(session, provenance);
            var entries = decision.Events.Select((e, i) => new RecordedEvent(version + i + 1, StoredEventNames.Of(e), e)).ToArray();
            foreach (var data in decision.Events)
            {
                stream.AppendOne(Wrap(session, data, provenance, commandId));
            }
            try
            {
                await session.SaveChangesAsync(ct).ConfigureAwait(false);
            }
            catch (Exception e) when (IsConcurrency(e) && attempt <= _options.ConcurrencyRetries)
            {
                continue;
            }
            return new RecordResult(RecordOutcome.Recorded, key, commandId, entries, null, version + entries.Length);
        }
    }
}
