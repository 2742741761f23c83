using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using JasperFx;
using JasperFx.Events;
using Ledger.Domain;
using Ledger.Storage;
using Marten;

namespace Ledger.Recording;

/// <summary>
/// The write path: load the process with FetchForWriting, decide, append with audit metadata, save, in one
/// transaction with the command's idempotency receipt. The Mediator handlers call it; tools may call it directly
/// (they then publish <see cref="RecordResult.Notifications"/> themselves).
/// </summary>
public sealed class LedgerRecorder
{
    /// <summary>Header keys every recorded event carries.</summary>
    public static class Headers
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

    // Writers of one stream in this process take turns (striped by stream key): optimistic retries then only
    // resolve races with other processes, instead of every concurrent sender here re-deciding in a storm.
    private readonly SemaphoreSlim[] _stripes = [.. Enumerable.Range(0, 64).Select(_ => new SemaphoreSlim(1, 1))];
    private static readonly TimeSpan TurnWait = TimeSpan.FromSeconds(2);

    /// <summary>Creates a recorder over a store configured with <c>AddRatificationLedger</c>.</summary>
    public LedgerRecorder(IDocumentStore store, LedgerOptions options)
    {
        _store = store ?? throw new ArgumentNullException(nameof(store));
        _options = options ?? throw new ArgumentNullException(nameof(options));
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
        var stripe = _stripes[(StringComparer.Ordinal.GetHashCode(command.Process) & int.MaxValue) % _stripes.Length];
        // Turn-taking only spares optimistic retries, so a caller that has waited TurnWait goes ahead without its turn
        // (optimistic concurrency still decides): a stalled database then cannot queue callers behind each other's timeouts.
        var turn = await stripe.WaitAsync(TurnWait, ct).ConfigureAwait(false);
        try
        {
            return await RecordOnceAsync(command, provenance, expectedVersion, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not LedgerUnavailableException && LedgerUnavailableException.IsDatabaseFailure(e))
        {
            // Failed before the commit (the commit's own failure is reported inside): nothing was written.
            var name = CommandName(command);
            throw new LedgerUnavailableException(command.Process, name, provenance?.CommandId ?? DerivedCommandId(name, command), mayHaveBeenRecorded: false, e);
        }
        finally
        {
            if (turn)
            {
                stripe.Release();
            }
        }
    }

    private async Task<RecordResult> RecordOnceAsync(AccessionCommand command, Provenance? provenance, long? expectedVersion, CancellationToken ct)
    {
        provenance ??= Provenance.None;
        var commandName = CommandName(command);
        var contentHash = ContentHash(commandName, command);
        var commandId = provenance.CommandId ?? DerivedCommandId(commandName, command);
        if (ValidateProvenance(provenance) is { } invalid)
        {
            return new RecordResult(RecordOutcome.Rejected, command.Process, commandId, [], invalid, 0);
        }
        if (!ProcessId.TryParse(command.Process, out var orgCode, out _))
        {
            // The decider words this rejection; give it an empty context.
            var malformed = AccessionDecider.Decide(command, AccessionState.Initial, new DecisionContext(_options.Clock.GetUtcNow(), UnknownOrganization(""), new HashSet<string>()));
            return new RecordResult(RecordOutcome.Rejected, command.Process, commandId, [], malformed.Rejection, 0);
        }

        for (var attempt = 1; ; attempt++)
        {
            await using var session = _store.LightweightSession();
            var batch = session.CreateBatchQuery();
            var receiptQuery = batch.Load<CommandReceipt>(commandId);
            var organizationQuery = batch.Load<OrganizationView>(OrganizationDecider.StreamKey(orgCode));
            var openQuery = batch.Query<ProcessEntry>().Where(p => p.Organization == orgCode).ToList();
            await batch.Execute(ct).ConfigureAwait(false);

            if (await receiptQuery.ConfigureAwait(false) is { } receipt)
            {
                return await AnswerResendAsync(session, receipt, commandId, contentHash, command.Process, ct).ConfigureAwait(false);
            }
            if (await organizationQuery.ConfigureAwait(false) is not { } organization)
            {
                return new RecordResult(RecordOutcome.Rejected, command.Process, commandId, [],
                    new Rejection(RuleCodes.UnknownOrganization, $"{command.Process}: organization {orgCode} is not registered in this ledger; register it (an import file's \"organization\") before recording its processes."), 0);
            }
            var open = (await openQuery.ConfigureAwait(false))
                .Where(p => p.Id != command.Process && p.Phase is ProcessPhase.Applied or ProcessPhase.Invited)
                .Select(p => p.Candidate)
                .ToHashSet(StringComparer.Ordinal);

            IEventStream<AccessionStream> stream;
            try
            {
                stream = expectedVersion is { } expected
                    ? await session.Events.FetchForWriting<AccessionStream>(command.Process, expected, ct).ConfigureAwait(false)
                    : await session.Events.FetchForWriting<AccessionStream>(command.Process, ct).ConfigureAwait(false);
            }
            catch (ConcurrencyException) when (expectedVersion is not null)
            {
                return await ConflictAsync(command.Process, commandId, expectedVersion.Value, ct).ConfigureAwait(false);
            }

            var state = stream.Aggregate?.State ?? AccessionState.Initial;
            var context = new DecisionContext(_options.Clock.GetUtcNow(), organization.Organization, open);
            var decision = AccessionDecider.Decide(command, state, context);
            if (decision.Rejection is { } rejection)
            {
                return new RecordResult(RecordOutcome.Rejected, command.Process, commandId, [], rejection, state.Version);
            }
            if (decision.Events.Count == 0)
            {
                return new RecordResult(RecordOutcome.AlreadyRecorded, command.Process, commandId, [], null, state.Version);
            }

            Stamp(session, provenance);
            var entries = new List<RecordedEvent>(decision.Events.Count);
            var after = state;
            foreach (var data in decision.Events)
            {
                var number = after.Version + 1;
                after = AccessionState.Evolve(after, number, data);
                stream.AppendOne(Wrap(session, data, provenance, commandId));
                entries.Add(new RecordedEvent(number, StoredEventNames.Of(data), data));
            }
            session.Store(ProcessEntry.From(command.Process, after));
            if (decision.Events.OfType<AccessionCompleted>().FirstOrDefault() is { } accession)
            {
                // Membership is a consequence of the accession, written in the same transaction so the roster never lags it.
                await AdmitAsync(session, orgCode, after.Candidate!, accession.On, provenance, commandId, ct).ConfigureAwait(false);
            }
            session.Insert(new CommandReceipt
            {
                Id = commandId,
                Stream = command.Process,
                Command = commandName,
                ContentHash = contentHash,
                FirstVersion = entries[0].Number,
                LastVersion = entries[^1].Number,
                RecordedAt = _options.Clock.GetUtcNow(),
            });

            try
            {
                await session.SaveChangesAsync(ct).ConfigureAwait(false);
            }
            catch (Exception e) when (IsConcurrency(e))
            {
                if (expectedVersion is not null)
                {
                    return await ConflictAsync(command.Process, commandId, expectedVersion.Value, ct).ConfigureAwait(false);
                }
                if (attempt > _options.ConcurrencyRetries)
                {
                    return new RecordResult(RecordOutcome.Conflict, command.Process, commandId, [],
                        new Rejection(RecordCodes.Contended, $"{command.Process}: the stream changed under the command {attempt} times in a row; nothing was recorded. Send it again."), state.Version);
                }
                await Task.Delay(Random.Shared.Next(1, 10 * Math.Min(attempt, 10)), ct).ConfigureAwait(false);
                continue;
            }
            catch (Exception e) when (e is DocumentAlreadyExistsException)
            {
                // The same command id committed concurrently: the next round finds its receipt and answers as it did.
                continue;
            }
            catch (Exception e) when (LedgerUnavailableException.IsDatabaseFailure(e))
            {
                // The connection failed during the commit: it may have committed with only the answer lost.
                throw new LedgerUnavailableException(command.Process, commandName, commandId, mayHaveBeenRecorded: true, e);
            }

            return new RecordResult(RecordOutcome.Recorded, command.Process, commandId, entries, null, after.Version)
            {
                Notifications = Notify(command.Process, state, after, organization.Organization.Code),
            };
        }
    }

    private static string DerivedCommandId(string commandName, AccessionCommand command) => $"{commandName}:{ContentHash(commandName, command)[..40]}";

    /// <summary>Registers an organization, or adds roster members it lacks; a conflicting definition is refused.</summary>
    public async Task<RecordResult> RegisterOrganizationAsync(Organization organization, Provenance? provenance = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(organization);
        provenance ??= Provenance.None;
        var key = OrganizationDecider.StreamKey(organization.Code ?? "");
        var commandId = provenance.CommandId ?? $"register_organization:{ContentHash("register_organization", organization)[..40]}";
        if (ValidateProvenance(provenance) is { } invalid)
        {
            return new RecordResult(RecordOutcome.Rejected, key, commandId, [], invalid, 0);
        }
        for (var attempt = 1; ; attempt++)
        {
            await using var session = _store.LightweightSession();
            var stream = await session.Events.FetchForWriting<OrganizationView>(key, ct).ConfigureAwait(false);
            var decision = OrganizationDecider.Decide(new RegisterOrganization(organization), stream.Aggregate?.Organization, _options.Clock.GetUtcNow());
            var version = stream.CurrentVersion ?? 0;
            if (decision.Rejection is { } rejection)
            {
                return new RecordResult(RecordOutcome.Rejected, key, commandId, [], rejection, version);
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

    /// <summary>The organization as recorded, or null when it is not registered.</summary>
    public async Task<Organization?> LoadOrganizationAsync(string code, CancellationToken ct = default)
    {
        await using var session = _store.QuerySession();
        var view = await session.LoadAsync<OrganizationView>(OrganizationDecider.StreamKey(code), ct).ConfigureAwait(false);
        return view?.Organization;
    }

    /// <summary>The processes of an organization (or of every organization) with their phase.</summary>
    public async Task<IReadOnlyList<ProcessEntry>> ListProcessesAsync(string? organization = null, CancellationToken ct = default)
    {
        await using var session = _store.QuerySession();
        var query = organization is null
            ? session.Query<ProcessEntry>()
            : session.Query<ProcessEntry>().Where(p => p.Organization == organization.ToUpperInvariant());
        var list = await query.ToListAsync(ct).ConfigureAwait(false);
        return [.. list.OrderBy(p => p.Id, StringComparer.Ordinal)];
    }

    /// <summary>The decider's state of a process as the ledger holds it now (every entry, retractions applied).</summary>
    public async Task<AccessionState> LoadStateAsync(string process, CancellationToken ct = default)
    {
        await using var session = _store.QuerySession();
        var stream = await session.Events.AggregateStreamAsync<AccessionStream>(process, token: ct).ConfigureAwait(false);
        return stream?.State ?? AccessionState.Initial;
    }

    /// <summary>Every entry of a stream in recorded order, with who recorded it, its source and command id.</summary>
    public async Task<IReadOnlyList<RecordedEntry>> ReadEntriesAsync(string stream, CancellationToken ct = default)
    {
        await using var session = _store.QuerySession();
        var events = await session.Events.FetchStreamAsync(stream, token: ct).ConfigureAwait(false);
        return [.. events.Select(RecordedEntry.From)];
    }

    /// <summary>The stored type name of a command, e.g. <c>approve_ratification</c>.</summary>
    public static string CommandName(object command)
    {
        ArgumentNullException.ThrowIfNull(command);
        var name = command.GetType().Name;
        var builder = new StringBuilder(name.Length + 4);
        for (var i = 0; i < name.Length; i++)
        {
            if (char.IsUpper(name[i]) && i > 0)
            {
                builder.Append('_');
            }
            builder.Append(char.ToLowerInvariant(name[i]));
        }
        return builder.ToString();
    }

    /// <summary>SHA-256 (hex) of a command's canonical JSON, prefixed by its name: equal for equal commands.</summary>
    public static string ContentHash(string name, object command)
    {
        ArgumentNullException.ThrowIfNull(command);
        var json = JsonSerializer.SerializeToUtf8Bytes(command, command.GetType(), CanonicalJson);
        var bytes = new byte[Encoding.UTF8.GetByteCount(name) + 1 + json.Length];
        var n = Encoding.UTF8.GetBytes(name, bytes);
        bytes[n] = (byte)'\n';
        json.CopyTo(bytes, n + 1);
        return Convert.ToHexStringLower(SHA256.HashData(bytes));
    }

    private static readonly JsonSerializerOptions CanonicalJson = CreateCanonicalJson();

    private static JsonSerializerOptions CreateCanonicalJson()
    {
        var json = new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };
        LedgerStoreExtensions.ConfigureJson(json);
        return json;
    }

    internal static Rejection? ValidateProvenance(Provenance p)
    {
        foreach (var (value, field) in new[] { (p.Source, "source"), (p.Note, "note"), (p.CommandId, "command id"), (p.RecordedBy, "recorded by"), (p.CorrelationId, "correlation id"), (p.CausationId, "causation id") })
        {
            if (AccessionDecider.Text(value, field, Provenance.TextLimit) is { } bad)
            {
                return new Rejection(RecordCodes.InvalidProvenance, bad.Message);
            }
        }
        return p.CommandId is { Length: 0 } ? new Rejection(RecordCodes.InvalidProvenance, "command id is empty; leave it out to derive one from the command.") : null;
    }

    private void Stamp(IDocumentSession session, Provenance provenance)
    {
        session.LastModifiedBy = provenance.RecordedBy ?? _options.DefaultRecordedBy;
        if (provenance.CorrelationId is { } correlation)
        {
            session.CorrelationId = correlation;
        }
        if (provenance.CausationId is { } causation)
        {
            session.CausationId = causation;
        }
    }

    private static IEvent Wrap(IDocumentSession session, object data, Provenance provenance, string commandId)
    {
        var e = session.Events.BuildEvent(data);
        e.SetHeader(Headers.CommandId, commandId);
        if (provenance.Source is { } source)
        {
            e.SetHeader(Headers.Source, source);
        }
        if (provenance.Note is { } note)
        {
            e.SetHeader(Headers.Note, note);
        }
        if (provenance.Unconfirmed)
        {
            e.SetHeader(Headers.Unconfirmed, true);
        }
        return e;
    }

    private async Task AdmitAsync(IDocumentSession session, string orgCode, string candidate, DateOnly on, Provenance provenance, string commandId, CancellationToken ct)
    {
        var org = await session.Events.FetchForWriting<OrganizationView>(OrganizationDecider.StreamKey(orgCode), ct).ConfigureAwait(false);
        var admission = OrganizationDecider.Decide(new AdmitMember(orgCode, candidate, on), org.Aggregate?.Organization, _options.Clock.GetUtcNow());
        if (admission.Rejection is { } rejection)
        {
            throw new InvalidOperationException($"The accession of {candidate} on {on:yyyy-MM-dd} cannot admit it to {orgCode}: {rejection}");
        }
        foreach (var data in admission.Events)
        {
            org.AppendOne(Wrap(session, data, provenance, commandId));
        }
    }

    private async Task<RecordResult> AnswerResendAsync(IQuerySession session, CommandReceipt receipt, string commandId, string contentHash, string process, CancellationToken ct)
    {
        if (receipt.ContentHash != contentHash || receipt.Stream != process)
        {
            return new RecordResult(RecordOutcome.Rejected, process, commandId, [],
                new Rejection(RecordCodes.CommandIdReused,
                    $"{process}: command id '{commandId}' already recorded a different command ({receipt.Command} on {receipt.Stream}, entries {receipt.FirstVersion}-{receipt.LastVersion}, at {receipt.RecordedAt:O}); a command id names one fact."), 0);
        }
        var events = await session.Events.FetchStreamAsync(receipt.Stream, receipt.LastVersion, token: ct).ConfigureAwait(false);
        var entries = events
            .Where(e => e.Version >= receipt.FirstVersion && e.Version <= receipt.LastVersion)
            .Select(e => new RecordedEvent(e.Version, e.EventTypeName, e.Data))
            .ToArray();
        // The first send's notifications again: a resend usually follows a lost answer, and the first send's caller
        // never got to publish them (the accession whose answer was lost must still add its new member to open
        // processes). Delivery is therefore at least once; the handlers are idempotent.
        AccessionState before = AccessionState.Initial, after = AccessionState.Initial;
        foreach (var e in events.Where(e => e.Version <= receipt.LastVersion))
        {
            after = AccessionState.Evolve(after, e.Version, e.Data);
            if (e.Version < receipt.FirstVersion)
            {
                before = after;
            }
        }
        return new RecordResult(RecordOutcome.Recorded, receipt.Stream, commandId, entries, null, receipt.LastVersion, IsResend: true)
        {
            Notifications = Notify(receipt.Stream, before, after, after.Organization ?? ""),
        };
    }

    private async Task<RecordResult> ConflictAsync(string process, string commandId, long expected, CancellationToken ct)
    {
        await using var session = _store.QuerySession();
        var actual = (await session.Events.FetchStreamStateAsync(process, ct).ConfigureAwait(false))?.Version ?? 0;
        return new RecordResult(RecordOutcome.Conflict, process, commandId, [],
            new Rejection(RecordCodes.VersionConflict,
                $"{process}: expected version {expected.ToString(CultureInfo.InvariantCulture)}, but the stream is at version {actual.ToString(CultureInfo.InvariantCulture)}; nothing was recorded. Reload and decide again."), actual);
    }

    private static bool IsConcurrency(Exception e) =>
        e is ConcurrencyException or JasperFx.Events.ExistingStreamIdCollisionException or Marten.Exceptions.ExistingStreamIdCollisionException;

    private static Organization UnknownOrganization(string code) =>
        new(code, code, "USA", RatificationCounts.AtApproval, false, []);

    internal static IReadOnlyList<LedgerNotification> Notify(string process, AccessionState before, AccessionState after, string organization)
    {
        var notes = new List<LedgerNotification>();
        if (before.Phase == ProcessPhase.NotOpened && after.OpenedOn is { } opened)
        {
            notes.Add(new ProcessOpenedNotification(process, after.Organization!, after.Candidate!, opened));
        }
        var counted = before.Counted().Select(c => c.Member).ToHashSet(StringComparer.Ordinal);
        notes.AddRange(after.Counted().Where(c => !counted.Contains(c.Member)).Select(c => new RatificationCountedNotification(process, c.Member, c.On)));
        notes.AddRange(after.Vetoes.Except(before.Vetoes).Where(v => v.EndedOn is null)
            .Select(v => new VetoDeclaredNotification(process, v.Member, v.Since, v.Formal, v.Reason)));
        var wasActive = before.ActiveVetoes.ToArray();
        notes.AddRange(after.Vetoes.Where(v => v.EndedOn is { } && wasActive.Any(w => w.Member == v.Member && w.Since == v.Since))
            .Select(v => new VetoLiftedNotification(process, v.Member, v.EndedOn!.Value, v.EndedBy ?? "")));
        if (before.Accession is null && after.Accession is { } accession)
        {
            notes.Add(new AccessionCompletedNotification(process, organization, after.Candidate!, accession.On));
        }
        return notes;
    }
}
