using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using System.Text.Json;
using JasperFx;
using JasperFx.Events;
using Ledger.Domain;
using Ledger.Storage;
using Marten;

namespace Ledger.Recording;

/// <summary>
/// The write path: read the process stream (through a validated state cache), decide, append at the expected version
/// with audit metadata, save, in one transaction with what makes a resend safe: the command id in every event's
/// <c>command-id</c> header and, for an id the sender chose, a <see cref="Storage.CommandReceipt"/>. The Mediator handlers
/// call it; tools may call it directly (they then publish <see cref="RecordResult.Notifications"/> themselves).
/// </summary>
public sealed partial class LedgerRecorder
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
    private readonly StreamStateCache _states;

    // Writers of one stream in this process take turns (striped by stream key): optimistic retries then only
    // resolve races with other processes, instead of every concurrent sender here re-deciding in a storm.
    private readonly SemaphoreSlim[] _stripes = [.. Enumerable.Range(0, 1024).Select(_ => new SemaphoreSlim(1, 1))];
    private static readonly TimeSpan TurnWait = TimeSpan.FromSeconds(2);

    /// <summary>Creates a recorder over a store configured with <c>AddRatificationLedger</c>.</summary>
    public LedgerRecorder(IDocumentStore store, LedgerOptions options)
    {
        _store = store ?? throw new ArgumentNullException(nameof(store));
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _states = new StreamStateCache(options.WriteCacheStreams);
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
        var item = Prepare(command, provenance);
        if (Refuse(item) is { } refused)
        {
            return refused;
        }
        var stripe = StripeOf(command.Process);
        // Turn-taking only spares optimistic retries, so a caller that has waited TurnWait goes ahead without its turn
        // (optimistic concurrency still decides): a stalled database then cannot queue callers behind each other's timeouts.
        var turn = await _stripes[stripe].WaitAsync(TurnWait, ct).ConfigureAwait(false);
        try
        {
            return (await RecordPrefixAsync([item], expectedVersion, ct).ConfigureAwait(false)).Results[0];
        }
        catch (Exception e) when (e is not LedgerUnavailableException && LedgerUnavailableException.IsDatabaseFailure(e))
        {
            // Failed before the commit (the commit's own failure is reported inside): nothing was written.
            throw new LedgerUnavailableException(command.Process, item.Name, item.CommandId, mayHaveBeenRecorded: false, e);
        }
        finally
        {
            if (turn)
            {
                _stripes[stripe].Release();
            }
        }
    }

    /// <summary>
    /// Records several accession commands in order, as many as fit one transaction: the same decider, validation,
    /// idempotency receipts and audit metadata as <see cref="RecordAsync"/>, with one read of each touched stream and one
    /// commit for the lot. Returns the results of the commands it handled, a prefix of <paramref name="commands"/> (at
    /// least one); the caller sends the rest again. The prefix ends after a refused command (nothing after it is
    /// decided, everything before it is committed), after an accession when the organization's policy makes new members
    /// ratify open processes (so that the reaction to it, published by the caller, runs before the next command), and before a command recorded by someone else or under another
    /// correlation. Publishing <see cref="RecordResult.Notifications"/> is the caller's job.
    /// </summary>
    public async Task<IReadOnlyList<RecordResult>> RecordManyAsync(IReadOnlyList<(AccessionCommand Command, Provenance? Provenance)> commands, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(commands);
        if (commands.Count == 0)
        {
            return [];
        }
        var (items, refused) = Batch(commands, 0, commands.Count);
        if (refused is not null)
        {
            return [refused];
        }
        var taken = await TakeStripesAsync(items!, ct).ConfigureAwait(false);
        try
        {
            return (await RecordPrefixAsync(items!, null, ct).ConfigureAwait(false)).Results;
        }
        catch (Exception e) when (e is not LedgerUnavailableException && LedgerUnavailableException.IsDatabaseFailure(e))
        {
            // Failed before the commit (the commit's own failure is reported inside): nothing was written.
            throw new LedgerUnavailableException(items![0].Command.Process, items[0].Name, items[0].CommandId, mayHaveBeenRecorded: false, e);
        }
        finally
        {
            ReleaseStripes(taken);
        }
    }

    /// <summary>
    /// Records commands in order, batch after batch, exactly as repeated <see cref="RecordManyAsync"/> calls would, and
    /// hands each batch's results to <paramref name="onBatch"/> once committed (false stops the import). While one
    /// batch is written the next is decided on the state it leaves, so deciding and writing overlap; that decision is
    /// used only if the batch commits exactly as decided, and is made again otherwise. After a batch that stops on a
    /// refusal, a conflict or an accession whose reaction must run first, nothing is decided before its answer is handled.
    /// </summary>
    internal async Task ImportAsync(IReadOnlyList<(AccessionCommand Command, Provenance? Provenance)> commands, int batchSize, Func<IReadOnlyList<RecordResult>, ValueTask<bool>> onBatch, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(commands);
        ArgumentNullException.ThrowIfNull(onBatch);
        batchSize = Math.Max(1, batchSize);
        // Batches start small, so that writing starts early and the next batch's decision overlaps it from the start,
        // and double up to batchSize: every batch rewrites the views of each process it touches, so fewer, larger
        // batches rewrite them fewer times.
        var size = Math.Max(1, batchSize / 16);
        var start = 0;
        var prepared = new Item?[commands.Count];
        (List<Item> Items, Decided Decided)? ahead = null;
        try
        {
            while (start < commands.Count)
            {
                List<Item> items;
                Decided? decided = null;
                if (ahead is { } known)
                {
                    (items, decided) = known;
                    ahead = null;
                }
                else
                {
                    var (batch, refused) = Batch(commands, start, size, prepared);
                    if (refused is not null)
                    {
                        await onBatch([refused]).ConfigureAwait(false);
                        return;
                    }
                    items = batch!;
                }

                size = Math.Min(batchSize, size * 2);
                Task<Decided>? next = null;
                List<Item>? nextItems = null;
                List<RecordResult> results;
                var asDecided = false;
                var taken = await TakeStripesAsync(items, ct).ConfigureAwait(false);
                try
                {
                    decided ??= await DecideAsync(items, null, null, false, ct).ConfigureAwait(false);
                    var lookAhead = decided.Written && !decided.Pauses && decided.Results.Count == items.Count && start + items.Count < commands.Count;
                    var writing = RecordPrefixAsync(items, null, ct, decided);
                    if (lookAhead)
                    {
                        // Decide the next batch on what this one leaves while this one is written. (A command that cannot
                        // be prepared is met again, and reported, when its batch comes.)
                        try
                        {
                            nextItems = Batch(commands, start + items.Count, size, prepared).Items;
                            next = nextItems is null ? null : DecideAsync(nextItems, null, decided, false, ct);
                        }
                        catch (ArgumentException)
                        {
                            nextItems = null;
                        }
                    }
                    (results, asDecided) = await writing.ConfigureAwait(false);
                }
                catch (Exception e) when (e is not LedgerUnavailableException && LedgerUnavailableException.IsDatabaseFailure(e))
                {
                    throw new LedgerUnavailableException(items[0].Command.Process, items[0].Name, items[0].CommandId, mayHaveBeenRecorded: false, e);
                }
                finally
                {
                    ReleaseStripes(taken);
                    if (next is not null && !asDecided)
                    {
                        Interlocked.Increment(ref LookAheadsDiscarded);
                        Abandon(next);
                    }
                }

                Exception? aheadFailure = null;
                if (next is not null && asDecided)
                {
                    try
                    {
                        ahead = (nextItems!, await next.ConfigureAwait(false));
                        Interlocked.Increment(ref LookAheadsUsed);
                    }
                    catch (Exception e) when (LedgerUnavailableException.IsDatabaseFailure(e))
                    {
                        // Reported once this batch's answers are handled: they are committed.
                        aheadFailure = e;
                    }
                }
                if (!await onBatch(results).ConfigureAwait(false))
                {
                    return;
                }
                if (aheadFailure is not null)
                {
                    throw new LedgerUnavailableException(nextItems![0].Command.Process, nextItems[0].Name, nextItems[0].CommandId, mayHaveBeenRecorded: false, aheadFailure);
                }
                // What is answered is not needed again: let its prepared commands go.
                Array.Clear(prepared, start, results.Count);
                start += results.Count;
            }
        }
        finally
        {
            if (ahead is { } unused)
            {
                await unused.Decided.Session.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    // A look-ahead decision no longer wanted: its session is closed once it is done, and its failure observed.
    private static void Abandon(Task<Decided> decision) =>
        _ = decision.ContinueWith(t =>
        {
            if (t.IsCompletedSuccessfully)
            {
                t.Result.Session.Dispose();
            }
            else
            {
                _ = t.Exception;
            }
        }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

    // The longest run of commands from start (at most max) that one transaction can hold: same organization, same
    // recorded-by, correlation and causation. Or, when the first needs no database to be refused, its answer.
    // An import keeps the prepared commands (their names and content hashes) in `prepared`, filled a window at a time on
    // every core, so that a batch cut short does not hash the rest again.
    private (List<Item>? Items, RecordResult? Refused) Batch(IReadOnlyList<(AccessionCommand Command, Provenance? Provenance)> commands, int start, int max, Item?[]? prepared = null)
    {
        if (prepared is not null && prepared[start] is null)
        {
            var end = (int)Math.Min(commands.Count, (long)start + max);
            Parallel.For(start, end, i => prepared[i] ??= PrepareAt(commands, i));
        }
        Item At(int i) => prepared?[i] ?? PrepareAt(commands, i);
        var first = At(start);
        if (Refuse(first) is { } refused)
        {
            return (null, refused);
        }
        var items = new List<Item> { first };
        for (var i = start + 1; i < commands.Count && items.Count < max; i++)
        {
            var next = At(i);
            if (Refuse(next) is not null || next.Organization != first.Organization || !SameStamp(next.Provenance, first.Provenance))
            {
                break;
            }
            items.Add(next);
        }
        return (items, null);
    }

    private Item PrepareAt(IReadOnlyList<(AccessionCommand Command, Provenance? Provenance)> commands, int i)
    {
        var (command, provenance) = commands[i];
        return Prepare(command ?? throw new ArgumentException($"Command {i} is null.", nameof(commands)), provenance);
    }

    private async Task<List<int>> TakeStripesAsync(List<Item> items, CancellationToken ct)
    {
        var stripes = items.Select(i => StripeOf(i.Command.Process)).Distinct().Order().ToArray();
        var taken = new List<int>(stripes.Length);
        try
        {
            foreach (var stripe in stripes)
            {
                // Bounded like RecordAsync's turn: optimistic concurrency still decides when the wait runs out.
                if (await _stripes[stripe].WaitAsync(TurnWait, ct).ConfigureAwait(false))
                {
                    taken.Add(stripe);
                }
            }
        }
        catch
        {
            ReleaseStripes(taken);
            throw;
        }
        return taken;
    }

    private void ReleaseStripes(List<int> taken)
    {
        foreach (var stripe in taken)
        {
            _stripes[stripe].Release();
        }
    }

    // Derived: the command id is the command's own (name and content hash), not one the sender chose.
    private sealed record Item(AccessionCommand Command, Provenance Provenance, string Name, string Hash, string CommandId, bool Derived, string Organization, Rejection? Invalid);

    private Item Prepare(AccessionCommand command, Provenance? provenance)
    {
        provenance ??= Provenance.None;
        var name = CommandName(command);
        var (hash, derived) = HashAndDerivedId(name, command);
        var id = provenance.CommandId ?? derived;
        ProcessId.TryParse(command.Process, out var orgCode, out _);
        var invalid = ValidateProvenance(provenance);
        if (invalid is null && id != derived && DerivedIdForm().IsMatch(id))
        {
            // Derived ids are found on their streams, without a receipt: one chosen in their form could pass for another command's.
            invalid = new Rejection(RecordCodes.InvalidProvenance,
                $"command id '{id}' has the form of an id derived from a command ('{{command_name}}:{{40 hex digits}}') but is not this command's ({derived}); leave it out or choose one of another form.");
        }
        return new Item(command, provenance, name, hash, id, id == derived, orgCode, invalid);
    }

    [GeneratedRegex(@"^[a-z][a-z0-9_]*:[0-9a-f]{40}\z", RegexOptions.CultureInvariant)]
    private static partial Regex DerivedIdForm();

    // Answers that need no database: bad provenance, a malformed process id.
    private RecordResult? Refuse(Item item)
    {
        if (item.Invalid is { } invalid)
        {
            return new RecordResult(RecordOutcome.Rejected, item.Command.Process, item.CommandId, [], invalid, 0);
        }
        if (item.Organization.Length == 0)
        {
            // The decider words this rejection; give it an empty context.
            var malformed = AccessionDecider.Decide(item.Command, AccessionState.Initial, new DecisionContext(_options.Clock.GetUtcNow(), UnknownOrganization(""), new HashSet<string>()));
            return new RecordResult(RecordOutcome.Rejected, item.Command.Process, item.CommandId, [], malformed.Rejection, 0);
        }
        return null;
    }

    private static bool SameStamp(Provenance a, Provenance b) =>
        a.RecordedBy == b.RecordedBy && a.CorrelationId == b.CorrelationId && a.CausationId == b.CausationId;

    private int StripeOf(string process) => (StringComparer.Ordinal.GetHashCode(process) & int.MaxValue) % _stripes.Length;

    // One stream as a transaction changes it: the state it was read at, the events staged for it, the state after them.
    private sealed class StreamChange(AccessionState read, Guid lastEventId, IReadOnlyDictionary<string, CommandEntries> commands)
    {
        // The cache's (or the previous batch's) command ids until this change records one: then a copy of its own.
        private Dictionary<string, CommandEntries>? _ownCommands;

        public AccessionState Read { get; } = read;

        /// <summary>The command ids the stream's events carry, with the entries each recorded.</summary>
        public IReadOnlyDictionary<string, CommandEntries> Commands => _ownCommands ?? commands;

        public void Recorded(string commandId, CommandEntries entries) =>
            (_ownCommands ??= new Dictionary<string, CommandEntries>(commands, StringComparer.Ordinal))[commandId] = entries;

        public AccessionState Current { get; set; } = read;
        public Guid LastEventId { get; set; } = lastEventId;
        public List<IEvent> Staged { get; } = [];
    }

    // A batch decided and not yet written: the session it was read in (which writes it), the answers, each stream's
    // change, the receipts known, and the organization and open processes as the batch leaves them (an import decides
    // its next batch on these while this one is written).
    private sealed class Decided(IDocumentSession session, IReadOnlyList<Item> items, List<RecordResult> results, Provenance provenance)
    {
        public IDocumentSession Session { get; } = session;
        public IReadOnlyList<Item> Items { get; } = items;
        public List<RecordResult> Results { get; } = results;
        public Provenance Provenance { get; } = provenance;
        public Dictionary<string, StreamChange> Streams { get; init; } = new(StringComparer.Ordinal);
        public Dictionary<string, CommandReceipt> Receipts { get; init; } = new(StringComparer.Ordinal);
        public List<CommandReceipt> NewReceipts { get; } = [];
        public List<(string Candidate, DateOnly On, Item Item)> Admissions { get; } = [];
        public Organization Organization { get; set; } = null!;
        public OpenCandidacies? Open { get; set; }

        // Something to write.
        public bool Written { get; set; }

        // The batch stopped where what follows must wait for it to be written and answered: a refusal, a conflict, or an
        // accession whose reaction runs before the next command.
        public bool Pauses { get; set; }

        // For the bulk write, when encoded as the batch was decided: the streams appended to and their rows.
        public List<BulkAppender.StreamAppend>? Appends { get; set; }
        public EventRows? Rows { get; set; }
    }

    /// <summary>
    /// Decides and records a prefix of <paramref name="items"/> (all of one organization and stamp) in one transaction,
    /// deciding again on fresh state after a conflict. <paramref name="decided"/>: the batch already decided (an import's
    /// look-ahead); AsDecided tells whether that decision is what was written.
    /// </summary>
    private async Task<(List<RecordResult> Results, bool AsDecided)> RecordPrefixAsync(IReadOnlyList<Item> items, long? expectedVersion, CancellationToken ct, Decided? decided = null)
    {
        var processes = items.Select(i => i.Command.Process).Distinct(StringComparer.Ordinal).ToArray();
        await EnsureStorageAsync(ct).ConfigureAwait(false);
        var lookupAll = false;
        for (var attempt = 1; ; attempt++)
        {
            var current = decided ?? await DecideAsync(items, expectedVersion, null, lookupAll, ct).ConfigureAwait(false);
            decided = null;
            await using var session = current.Session;
            if (!current.Written)
            {
                return (current.Results, attempt == 1);
            }
            try
            {
                await WriteAsync(current, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (IsConcurrency(e) || IsDuplicate(e))
            {
                foreach (var process in processes)
                {
                    _states.Evict(process);
                }
                var duplicate = IsDuplicate(e);
                if (duplicate && attempt <= _options.ConcurrencyRetries)
                {
                    // The same command id committed concurrently (or a chosen id that looks derived names another
                    // stream): the next round reads every receipt, finds this one and answers as it did.
                    lookupAll = true;
                    continue;
                }
                if (expectedVersion is not null && !duplicate)
                {
                    return ([await ConflictAsync(items[0].Command.Process, items[0].CommandId, expectedVersion.Value, ct).ConfigureAwait(false)], false);
                }
                if (attempt > _options.ConcurrencyRetries)
                {
                    var command = items[0].Command;
                    return ([new RecordResult(RecordOutcome.Conflict, command.Process, items[0].CommandId, [],
                        new Rejection(RecordCodes.Contended, $"{command.Process}: the stream changed under the command {attempt} times in a row; nothing was recorded. Send it again."), current.Streams[command.Process].Read.Version)], false);
                }
                await Task.Delay(Random.Shared.Next(1, 10 * Math.Min(attempt, 10)), ct).ConfigureAwait(false);
                continue;
            }
            foreach (var (process, change) in current.Streams)
            {
                _states.Store(process, change.Current, change.Staged.Count > 0 ? change.Staged[^1].Id : change.LastEventId, change.Commands);
            }
            return (current.Results, attempt == 1);
        }
    }

    // The organizations this recorder loaded, each with the state of its stream when loaded: a command decides on the
    // copy when the stream is still at that version and was created at the same instant (a database wiped and written
    // again starts the stream anew); otherwise the view is loaded again.
    private readonly ConcurrentDictionary<string, KnownOrganization> _organizations = new(StringComparer.Ordinal);

    private sealed record KnownOrganization(Organization Organization, long Version, DateTimeOffset Created)
    {
        public bool IsAt(JasperFx.Events.StreamState state) => state.Version == Version && state.Created == Created;
    }

    private Organization Remember(string code, JasperFx.Events.StreamState state, Organization organization)
    {
        _organizations[code] = new KnownOrganization(organization, state.Version, state.Created);
        return organization;
    }

    // The organization as its view holds it, read after its stream's state: the view, written in the transaction that
    // appends to the stream, is then at least as recent as that state. Remembered under that state, a copy can only be
    // newer than its version says, and a newer stream never matches it. Null when the organization is not registered.
    private async Task<Organization?> OrganizationAsync(IQuerySession session, string code, CancellationToken ct)
    {
        var key = OrganizationDecider.StreamKey(code);
        var batch = session.CreateBatchQuery();
        var stateQuery = batch.Events.FetchStreamState(key);
        var viewQuery = batch.Load<OrganizationView>(key);
        await batch.Execute(ct).ConfigureAwait(false);
        var state = await stateQuery.ConfigureAwait(false);
        var view = await viewQuery.ConfigureAwait(false);
        return state is null || view is null ? null : Remember(code, state, view.Organization);
    }

    private async Task EnsureStorageAsync(CancellationToken ct)
    {
        if (!_storageReady)
        {
            // Receipts are written with plain SQL (InsertReceipts), which does not create Marten's table on first use, and
            // the document tables get their compression with the ledger's storage feature.
            await LedgerStorage.EnsureAsync(_store, ct).ConfigureAwait(false);
            _storageReady = true;
        }
    }

    /// <summary>
    /// Reads what <paramref name="items"/> need and decides them in order, in memory: nothing is written. On top of
    /// <paramref name="previous"/> (a batch decided and being written), the streams, receipts, organization and open
    /// processes it leaves are taken from it, so the result holds only if it commits as decided.
    /// </summary>
    private async Task<Decided> DecideAsync(IReadOnlyList<Item> items, long? expectedVersion, Decided? previous, bool lookupAll, CancellationToken ct)
    {
        var orgCode = items[0].Organization;
        var provenance = items[0].Provenance;
        var processes = items.Select(i => i.Command.Process).Distinct(StringComparer.Ordinal).ToArray();
        var session = _store.LightweightSession();
        try
        {
            var batch = session.CreateBatchQuery();
            // Receipts read with the streams: of command ids a sender chose (they may name any stream), or of every id
            // after a unique violation (a receipt committed meanwhile). A derived id is answered from its stream below.
            // On top of a previous batch (still being written), what it leaves is taken from it rather than read.
            var receipts = new Dictionary<string, CommandReceipt>(StringComparer.Ordinal);
            foreach (var item in items)
            {
                if (previous is not null && previous.Receipts.TryGetValue(item.CommandId, out var known))
                {
                    receipts[item.CommandId] = known;
                }
            }
            var early = items.Where(i => (lookupAll || !i.Derived) && !receipts.ContainsKey(i.CommandId)).Select(i => i.CommandId).Distinct(StringComparer.Ordinal).ToArray();
            var receiptsQuery = early.Length > 0 ? batch.LoadMany<CommandReceipt>().ById(early) : null;
            // The organization: the copy this recorder last loaded, when its stream is still at that version (read
            // here, one row of mt_streams), else loaded again (see OrganizationAsync).
            var organizationStateQuery = previous is null ? batch.Events.FetchStreamState(OrganizationDecider.StreamKey(orgCode)) : null;
            // One command reads the open processes only if the decider asks about them (an early approval).
            var openQuery = items.Count == 1 || previous?.Open is not null ? null : batch.Query<ProcessEntry>().Where(OpenIn(orgCode)).ToList();
            var reads = processes.Where(p => previous is null || !previous.Streams.ContainsKey(p))
                .ToDictionary(p => p, p => _states.Enlist(batch, p), StringComparer.Ordinal);
            if (receiptsQuery is not null || organizationStateQuery is not null || openQuery is not null || reads.Count > 0)
            {
                await batch.Execute(ct).ConfigureAwait(false);
            }

            var current = previous?.Organization;
            if (previous is null)
            {
                var organizationState = await organizationStateQuery!.ConfigureAwait(false);
                if (organizationState is not null)
                {
                    current = _organizations.TryGetValue(orgCode, out var kept) && kept.IsAt(organizationState)
                        ? kept.Organization
                        : await OrganizationAsync(session, orgCode, ct).ConfigureAwait(false);
                }
            }
            if (current is not { } organization)
            {
                var command = items[0].Command;
                return new Decided(session, items, [new RecordResult(RecordOutcome.Rejected, command.Process, items[0].CommandId, [],
                    new Rejection(RuleCodes.UnknownOrganization, $"{command.Process}: organization {orgCode} is not registered in this ledger; register it (an import file's \"organization\") before recording its processes."), 0)], provenance);
            }
            foreach (var receipt in receiptsQuery is null ? [] : await receiptsQuery.ConfigureAwait(false))
            {
                receipts[receipt.Id] = receipt;
            }
            var open = previous?.Open?.Copy() ?? (openQuery is null ? null : new OpenCandidacies(await openQuery.ConfigureAwait(false)));
            var streams = new Dictionary<string, StreamChange>(StringComparer.Ordinal);
            foreach (var process in processes)
            {
                if (previous is not null && previous.Streams.TryGetValue(process, out var before))
                {
                    streams[process] = new StreamChange(before.Current, before.Staged.Count > 0 ? before.Staged[^1].Id : before.LastEventId, before.Commands);
                    continue;
                }
                var loaded = await reads[process].ResolveAsync(session, ct).ConfigureAwait(false);
                streams[process] = new StreamChange(loaded.State, loaded.LastEventId, loaded.Commands);
            }
            foreach (var (process, change) in streams)
            {
                SessionStreams.Read(session, process, change.Read.Version, change.LastEventId);
            }
            // A command id derived from a command names the command (its name and content hash) and its stream: the
            // command was recorded exactly when the stream's events carry the id, and those events are its receipt.
            foreach (var item in items)
            {
                if (item.Derived && !receipts.ContainsKey(item.CommandId)
                    && streams[item.Command.Process].Commands.TryGetValue(item.CommandId, out var recorded))
                {
                    receipts[item.CommandId] = new CommandReceipt
                    {
                        Id = item.CommandId,
                        Stream = item.Command.Process,
                        Command = item.Name,
                        ContentHash = item.Hash,
                        FirstVersion = recorded.First,
                        LastVersion = recorded.Last,
                    };
                }
            }

            var decided = new Decided(session, items, new List<RecordResult>(items.Count), provenance) { Streams = streams, Receipts = receipts };
            var results = decided.Results;
            var admissions = decided.Admissions;
            var newReceipts = decided.NewReceipts;
            Stamp(session, provenance);
            foreach (var item in items)
            {
                var process = item.Command.Process;
                var change = streams[process];
                if (receipts.TryGetValue(item.CommandId, out var receipt))
                {
                    results.Add(Resend(receipt, item, streams.TryGetValue(receipt.Stream, out var s) ? s.Current : null));
                    if (results[^1].Outcome == RecordOutcome.Rejected)
                    {
                        decided.Pauses = true;
                        break;
                    }
                    if (organization.NewMembersRatifyOpenProcesses && results[^1].Notifications.OfType<AccessionCompletedNotification>().Any())
                    {
                        // A resent accession carries its notification again (its first answer may have been lost before
                        // the reaction ran): as for a new one, the reaction runs before the next command is decided, so
                        // a rerun records what a clean run would, in the same order.
                        decided.Pauses = true;
                        break;
                    }
                    continue;
                }
                var state = change.Current;
                if (expectedVersion is { } expected && state.Version != expected)
                {
                    results.Add(VersionConflict(item, expected, state.Version));
                    decided.Pauses = true;
                    break;
                }
                var unread = open is null ? new UnreadCandidacies() : null;
                var decision = AccessionDecider.Decide(item.Command, state, new DecisionContext(_options.Clock.GetUtcNow(), organization, open?.Excluding(process) ?? unread!));
                if (unread is { Consulted: true })
                {
                    open = new OpenCandidacies(await session.Query<ProcessEntry>().Where(OpenIn(orgCode)).ToListAsync(ct).ConfigureAwait(false));
                    decision = AccessionDecider.Decide(item.Command, state, new DecisionContext(_options.Clock.GetUtcNow(), organization, open.Excluding(process)));
                }
                if (decision.Rejection is { } rejection)
                {
                    results.Add(new RecordResult(RecordOutcome.Rejected, process, item.CommandId, [], rejection, state.Version));
                    decided.Pauses = true;
                    break;
                }
                if (decision.Events.Count == 0)
                {
                    results.Add(new RecordResult(RecordOutcome.AlreadyRecorded, process, item.CommandId, [], null, state.Version));
                    continue;
                }

                var entries = new List<RecordedEvent>(decision.Events.Count);
                var after = state;
                foreach (var data in decision.Events)
                {
                    var number = after.Version + 1;
                    after = AccessionState.Evolve(after, number, data);
                    change.Staged.Add(Wrap(session, data, item.Provenance, item.CommandId));
                    entries.Add(new RecordedEvent(number, StoredEventNames.Of(data), data));
                }
                change.Current = after;
                change.Recorded(item.CommandId, new CommandEntries(entries[0].Number, entries[^1].Number));
                open?.Update(process, after);
                var receiptRecord = new CommandReceipt
                {
                    Id = item.CommandId,
                    Stream = process,
                    Command = item.Name,
                    ContentHash = item.Hash,
                    FirstVersion = entries[0].Number,
                    LastVersion = entries[^1].Number,
                    RecordedAt = _options.Clock.GetUtcNow(),
                };
                if (!item.Derived)
                {
                    // A chosen id may name any stream: its receipt is what finds it. A derived one is found on its stream.
                    newReceipts.Add(receiptRecord);
                }
                receipts[item.CommandId] = receiptRecord;
                decided.Written = true;
                results.Add(new RecordResult(RecordOutcome.Recorded, process, item.CommandId, entries, null, after.Version)
                {
                    Notifications = Notify(process, state, after, organization.Code, decision.Events),
                });
                if (decision.Events.OfType<AccessionCompleted>().FirstOrDefault() is { } accession)
                {
                    admissions.Add((after.Candidate!, accession.On, item));
                    if (organization.NewMembersRatifyOpenProcesses)
                    {
                        // The reaction (RatifierAdded on the open processes) runs on the published notification: let it
                        // run before the next command is decided.
                        decided.Pauses = true;
                        break;
                    }
                    organization = organization.Admit(after.Candidate!, accession.On);
                }
            }
            decided.Organization = organization;
            decided.Open = open;
            if (decided.Written && items.Count > 1 && _options.ImportWithCopy && _bulkChecked && _bulk is { } bulk)
            {
                // A batch the bulk write will take: its rows now, while the batch before it is written.
                decided.Appends = Appends(streams);
                decided.Rows = bulk.Encode(decided.Appends, session.TenantId, provenance.RecordedBy ?? _options.DefaultRecordedBy, session.CorrelationId, session.CausationId);
            }
            return decided;
        }
        catch
        {
            await session.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    // Tests: called before each write with the streams it appends to, the versions they were read at, and how many
    // commands the write answers.
    internal Func<IReadOnlyList<(string Stream, long ReadVersion)>, int, Task>? BeforeWrite { get; set; }

    // Import look-aheads written as decided, and thrown away because the batch before them did not commit as decided.
    internal int LookAheadsUsed;
    internal int LookAheadsDiscarded;

    /// <summary>Writes a decided batch in its session's transaction and commits; a conflict or a receipt written meanwhile throws.</summary>
    private async Task WriteAsync(Decided decided, CancellationToken ct)
    {
        var items = decided.Items;
        var session = decided.Session;
        if (BeforeWrite is { } hook)
        {
            await hook([.. decided.Streams.Where(s => s.Value.Staged.Count > 0).Select(s => (s.Key, s.Value.Read.Version))], decided.Results.Count).ConfigureAwait(false);
        }
        // Several commands (an import's batch): events and receipts with COPY when the store's layout allows it.
        var bulk = items.Count > 1 && _options.ImportWithCopy ? await BulkAsync(ct).ConfigureAwait(false) : null;
        if (bulk is null)
        {
            InsertReceipts(session, decided.NewReceipts);
        }
        if (decided.Admissions.Count > 0)
        {
            // Membership is a consequence of the accession, written in the same transaction so the roster never lags it.
            await AdmitAsync(session, items[0].Organization, decided.Admissions, ct).ConfigureAwait(false);
        }

        foreach (var (process, change) in decided.Streams.Where(s => s.Value.Staged.Count > 0))
        {
            // (With the bulk write, the events are appended below.)
            if (bulk is null && change.Read.Version == 0)
            {
                session.Events.StartStream<AccessionStream>(process, change.Staged);
            }
            else if (bulk is null)
            {
                session.Events.Append(process, change.Read.Version + change.Staged.Count, change.Staged);
            }
            if (ProcessEntry.Differs(change.Read, change.Current))
            {
                session.Store(ProcessEntry.From(process, change.Current));
            }
        }

        var committing = false;
        try
        {
            if (bulk is not null)
            {
                var appends = decided.Appends ?? Appends(decided.Streams);
                var rows = decided.Rows;
                decided.Rows = null;
                await bulk.WriteAsync(session, appends, decided.NewReceipts, decided.Provenance.RecordedBy ?? _options.DefaultRecordedBy, rows, ct).ConfigureAwait(false);
                // The bulk write began the session's transaction; this makes sure SaveChanges has work, so it commits.
                session.QueueSqlCommand("select 1");
            }
            committing = true;
            await session.SaveChangesAsync(ct).ConfigureAwait(false);
        }
        catch (Exception e) when (!IsConcurrency(e) && !IsDuplicate(e) && LedgerUnavailableException.IsDatabaseFailure(e))
        {
            // The connection failed during the commit: it may have committed with only the answer lost. (Before the
            // commit, in the bulk write, nothing was.)
            foreach (var process in decided.Streams.Keys)
            {
                _states.Evict(process);
            }
            throw new LedgerUnavailableException(items[0].Command.Process, items[0].Name, items[0].CommandId, mayHaveBeenRecorded: committing, e);
        }
    }

    // The streams a batch appends to, with their staged events, in the order the bulk write stores them.
    private static List<BulkAppender.StreamAppend> Appends(Dictionary<string, StreamChange> streams) =>
        [.. streams.Where(s => s.Value.Staged.Count > 0).Select(s => new BulkAppender.StreamAppend(s.Key, s.Value.Read.Version, s.Value.Staged))];

    // Marten's table for CommandReceipt as AddRatificationLedger registers it (default alias), without the schema; both
    // the recorder's plain insert and the import's COPY write it.
    internal static readonly string ReceiptTable = $"mt_doc_{nameof(CommandReceipt).ToLowerInvariant()}";

    private BulkAppender? _bulk;
    private volatile bool _bulkChecked;

    // Whether the store's layout lets batches be written with COPY (checked once; a failed check is tried again).
    private async Task<BulkAppender?> BulkAsync(CancellationToken ct)
    {
        if (!_bulkChecked)
        {
            _bulk = await BulkAppender.CreateAsync(_store, ct).ConfigureAwait(false);
            _bulkChecked = true;
        }
        return _bulk;
    }

    /// <summary>Whether imports into this store are written with COPY (see <see cref="LedgerOptions.ImportWithCopy"/>).</summary>
    internal async Task<bool> CopyAvailableAsync(CancellationToken ct) => _options.ImportWithCopy && await BulkAsync(ct).ConfigureAwait(false) is not null;

    private string? _receiptTable;
    private volatile bool _storageReady;
    private ISerializer? _serializer;

    // Receipts go in as one plain INSERT (unnest of ids and JSON) instead of one statement per document: the rows are
    // what Marten writes for a CommandReceipt (its serializer, its columns), and a command id used before fails the
    // transaction with a unique violation, which the recording takes as "read the receipt and answer as the first time".
    private void InsertReceipts(IDocumentSession session, List<CommandReceipt> receipts)
    {
        if (receipts.Count == 0)
        {
            return;
        }
        _receiptTable ??= $"{_store.Options.DatabaseSchemaName}.{ReceiptTable}";
        _serializer ??= _store.Options.Serializer();
        var ids = new string[receipts.Count];
        var data = new string[receipts.Count];
        for (var i = 0; i < receipts.Count; i++)
        {
            ids[i] = receipts[i].Id;
            data[i] = _serializer.ToJson(receipts[i]);
        }
        const string Columns = "(id, data, mt_version, mt_dotnet_type, mt_last_modified)";
        var type = typeof(CommandReceipt).FullName;
        if (receipts.Count == 1)
        {
            session.QueueSqlCommand($"insert into {_receiptTable} {Columns} values (?, ?::jsonb, gen_random_uuid(), '{type}', transaction_timestamp())", ids[0], data[0]);
            return;
        }
        session.QueueSqlCommand(
            $"insert into {_receiptTable} {Columns} select r.id, r.data::jsonb, gen_random_uuid(), '{type}', transaction_timestamp() from unnest(?::varchar[], ?::text[]) as r(id, data)",
            ids, data);
    }

    private static System.Linq.Expressions.Expression<Func<ProcessEntry, bool>> OpenIn(string orgCode) =>
        p => p.Organization == orgCode && (p.Phase == ProcessPhase.Applied || p.Phase == ProcessPhase.Invited);

    // A resend: the first send's answer, or a refusal when the id names another command.
    private static RecordResult Resend(CommandReceipt receipt, Item item, AccessionState? state)
    {
        var process = item.Command.Process;
        if (receipt.ContentHash != item.Hash || receipt.Stream != process || state is null)
        {
            return new RecordResult(RecordOutcome.Rejected, process, item.CommandId, [],
                new Rejection(RecordCodes.CommandIdReused,
                    $"{process}: command id '{item.CommandId}' already recorded a different command ({receipt.Command} on {receipt.Stream}, entries {receipt.FirstVersion}-{receipt.LastVersion}, at {receipt.RecordedAt:O}); a command id names one fact."), 0);
        }
        var entries = state.Entries
            .Where(e => e.Number >= receipt.FirstVersion && e.Number <= receipt.LastVersion)
            .Select(e => new RecordedEvent(e.Number, StoredEventNames.Of(e.Event), e.Event))
            .ToArray();
        // The first send's notifications again: a resend usually follows a lost answer, and the first send's caller
        // never got to publish them (the accession whose answer was lost must still add its new member to open
        // processes). Delivery is therefore at least once; the handlers are idempotent.
        AccessionState before = AccessionState.Initial, after = AccessionState.Initial;
        foreach (var e in state.Entries.Where(e => e.Number <= receipt.LastVersion))
        {
            after = AccessionState.Evolve(after, e.Number, e.Event);
            if (e.Number < receipt.FirstVersion)
            {
                before = after;
            }
        }
        return new RecordResult(RecordOutcome.Recorded, receipt.Stream, item.CommandId, entries, null, receipt.LastVersion, IsResend: true)
        {
            Notifications = Notify(receipt.Stream, before, after, item.Organization, [.. entries.Select(e => e.Event)]),
        };
    }

    private static RecordResult VersionConflict(Item item, long expected, long actual) =>
        new(RecordOutcome.Conflict, item.Command.Process, item.CommandId, [],
            new Rejection(RecordCodes.VersionConflict,
                $"{item.Command.Process}: expected version {expected.ToString(CultureInfo.InvariantCulture)}, but the stream is at version {actual.ToString(CultureInfo.InvariantCulture)}; nothing was recorded. Reload and decide again."), actual);

    /// <summary>Registers an organization, or adds roster members it lacks; a conflicting definition is refused.</summary>
    public async Task<RecordResult> RegisterOrganizationAsync(Organization organization, Provenance? provenance = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(organization);
        provenance ??= Provenance.None;
        var key = OrganizationDecider.StreamKey(organization.Code ?? "");
        var commandId = provenance.CommandId ?? HashAndDerivedId("register_organization", organization).Derived;
        if (ValidateProvenance(provenance) is { } invalid)
        {
            return new RecordResult(RecordOutcome.Rejected, key, commandId, [], invalid, 0);
        }
        await EnsureStorageAsync(ct).ConfigureAwait(false);
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
        return s_commandNames.GetOrAdd(command.GetType(), static type =>
        {
            var name = type.Name;
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
        });
    }

    private static readonly ConcurrentDictionary<Type, string> s_commandNames = new();

    /// <summary>SHA-256 (hex) of a command's canonical JSON, prefixed by its name: equal for equal commands.</summary>
    public static string ContentHash(string name, object command)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(command);
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        HashOf(name, command, hash);
        return Convert.ToHexStringLower(hash);
    }

    // The command's hash: SHA-256 of its name, a line break and its canonical JSON, written into a buffer of the
    // calling thread's (an import prepares commands on every core) rather than a new array per command.
    private static void HashOf(string name, object command, Span<byte> hash)
    {
        var buffer = t_hashBuffer ??= new ArrayBufferWriter<byte>(1024);
        var writer = t_hashWriter ??= new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = CanonicalJson.Encoder, Indented = false });
        buffer.ResetWrittenCount();
        var n = Encoding.UTF8.GetBytes(name, buffer.GetSpan(Encoding.UTF8.GetMaxByteCount(name.Length) + 1));
        buffer.GetSpan(n + 1)[n] = (byte)'\n';
        buffer.Advance(n + 1);
        writer.Reset(buffer);
        JsonSerializer.Serialize(writer, command, command.GetType(), CanonicalJson);
        writer.Flush();
        SHA256.HashData(buffer.WrittenSpan, hash);
        if (buffer.Capacity > 1 << 16)
        {
            // One huge command must not pin its buffer to the thread.
            t_hashBuffer = null;
            t_hashWriter = null;
        }
    }

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_hashBuffer;

    [ThreadStatic]
    private static Utf8JsonWriter? t_hashWriter;

    // "{name}:{first 40 hex digits of the hash}", the id derived from a command, and the full hash, in two strings.
    private static (string Hash, string Derived) HashAndDerivedId(string name, object command)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        HashOf(name, command, hash);
        var hex = Convert.ToHexStringLower(hash);
        var derived = string.Create(name.Length + 41, (name, hex), static (span, s) =>
        {
            s.name.CopyTo(span);
            span[s.name.Length] = ':';
            s.hex.AsSpan(0, 40).CopyTo(span[(s.name.Length + 1)..]);
        });
        return (hex, derived);
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
        var bad = AccessionDecider.Text(p.Source, "source", Provenance.TextLimit)
            ?? AccessionDecider.Text(p.Note, "note", Provenance.TextLimit)
            ?? AccessionDecider.Text(p.CommandId, "command id", Provenance.TextLimit)
            ?? AccessionDecider.Text(p.RecordedBy, "recorded by", Provenance.TextLimit)
            ?? AccessionDecider.Text(p.CorrelationId, "correlation id", Provenance.TextLimit)
            ?? AccessionDecider.Text(p.CausationId, "causation id", Provenance.TextLimit);
        if (bad is not null)
        {
            return new Rejection(RecordCodes.InvalidProvenance, bad.Message);
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

    private async Task AdmitAsync(IDocumentSession session, string orgCode, List<(string Candidate, DateOnly On, Item Item)> admissions, CancellationToken ct)
    {
        var org = await session.Events.FetchForWriting<OrganizationView>(OrganizationDecider.StreamKey(orgCode), ct).ConfigureAwait(false);
        var organization = org.Aggregate?.Organization;
        foreach (var (candidate, on, item) in admissions)
        {
            var admission = OrganizationDecider.Decide(new AdmitMember(orgCode, candidate, on), organization, _options.Clock.GetUtcNow());
            if (admission.Rejection is { } rejection)
            {
                throw new InvalidOperationException($"The accession of {candidate} on {on:yyyy-MM-dd} cannot admit it to {orgCode}: {rejection}");
            }
            foreach (var data in admission.Events)
            {
                organization = OrganizationDecider.Evolve(organization, data);
                org.AppendOne(Wrap(session, data, item.Provenance, item.CommandId));
            }
        }
    }

    private async Task<RecordResult> ConflictAsync(string process, string commandId, long expected, CancellationToken ct)
    {
        await using var session = _store.QuerySession();
        var actual = (await session.Events.FetchStreamStateAsync(process, ct).ConfigureAwait(false))?.Version ?? 0;
        return new RecordResult(RecordOutcome.Conflict, process, commandId, [],
            new Rejection(RecordCodes.VersionConflict,
                $"{process}: expected version {expected.ToString(CultureInfo.InvariantCulture)}, but the stream is at version {actual.ToString(CultureInfo.InvariantCulture)}; nothing was recorded. Reload and decide again."), actual);
    }

    // A receipt with the same command id committed meanwhile (Marten's exception for a document insert, PostgreSQL's
    // unique violation for the batched receipt insert).
    private static bool IsDuplicate(Exception e)
    {
        for (var x = e; x is not null; x = x.InnerException)
        {
            if (x is DocumentAlreadyExistsException or Npgsql.PostgresException { SqlState: Npgsql.PostgresErrorCodes.UniqueViolation })
            {
                return true;
            }
        }
        return false;
    }

    private static bool IsConcurrency(Exception e) =>
        e is ConcurrencyException or BulkConflictException or JasperFx.Events.ExistingStreamIdCollisionException or Marten.Exceptions.ExistingStreamIdCollisionException;

    private static Organization UnknownOrganization(string code) =>
        new(code, code, "USA", RatificationCounts.AtApproval, false, []);

    // When the member's ratification counts (the later of its counting step and its becoming a required ratifier), or null.
    private static DateOnly? CountsFrom(AccessionState state, string member) =>
        state.RequiredRatifiers.TryGetValue(member, out var since) && state.StepsOf(member).CountsFrom(state.CountsAt) is { } on
            ? (on > since ? on : since)
            : null;

    internal static IReadOnlyList<LedgerNotification> Notify(string process, AccessionState before, AccessionState after, string organization, IReadOnlyList<object> events)
    {
        // Only the events that can change what a notification reports are worth comparing states for.
        bool Any<T>() => events.Any(e => e is T or EntryRetracted);
        List<LedgerNotification>? notes = null;
        void Add(LedgerNotification n) => (notes ??= []).Add(n);
        if (before.Phase == ProcessPhase.NotOpened && after.OpenedOn is { } opened)
        {
            Add(new ProcessOpenedNotification(process, after.Organization!, after.Candidate!, opened));
        }
        if (events.All(e => e is RatificationApproved or InstrumentDeposited or RatifierAdded))
        {
            // One member's step: only that member can have started to count.
            foreach (var member in events.Select(e => e switch { RatificationApproved a => a.Member, InstrumentDeposited d => d.Member, _ => ((RatifierAdded)e).Member }).Distinct())
            {
                if (CountsFrom(before, member) is null && CountsFrom(after, member) is { } from)
                {
                    Add(new RatificationCountedNotification(process, member, from));
                }
            }
        }
        else if (Any<InvitationExtended>() || Any<RatificationApproved>() || Any<InstrumentDeposited>() || Any<RatifierAdded>())
        {
            var counted = before.Counted().Select(c => c.Member).ToHashSet(StringComparer.Ordinal);
            foreach (var c in after.Counted().Where(c => !counted.Contains(c.Member)))
            {
                Add(new RatificationCountedNotification(process, c.Member, c.On));
            }
        }
        if (Any<VetoDeclared>() || Any<VetoLifted>() || Any<RatificationApproved>())
        {
            foreach (var v in after.Vetoes.Except(before.Vetoes).Where(v => v.EndedOn is null))
            {
                Add(new VetoDeclaredNotification(process, v.Member, v.Since, v.Formal, v.Reason));
            }
            var wasActive = before.ActiveVetoes.ToArray();
            foreach (var v in after.Vetoes.Where(v => v.EndedOn is { } && wasActive.Any(w => w.Member == v.Member && w.Since == v.Since)))
            {
                Add(new VetoLiftedNotification(process, v.Member, v.EndedOn!.Value, v.EndedBy ?? ""));
            }
        }
        if (before.Accession is null && after.Accession is { } accession)
        {
            Add(new AccessionCompletedNotification(process, organization, after.Candidate!, accession.On));
        }
        return notes ?? (IReadOnlyList<LedgerNotification>)[];
    }
}
