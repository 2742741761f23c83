using RatificationLedger.Domain;
using RatificationLedger.Storage;
using Marten;

namespace RatificationLedger.Recording;

// The in-memory batch decision.
public sealed partial class LedgerRecorder
{
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
            // One organization's invitations (which take their ratifiers from its roster) and accessions (which change
            // the roster and add the new member to its invited processes) take turns: a batch holding one locks the
            // organization's stream row before it reads anything, and keeps the lock until it commits. A batch decided
            // on top of another checks, when it is written, that the organization is still as that one left it.
            var locked = previous is null && items.Any(i => TakesOrganizationTurn(i.Command))
                ? await session.Events.FetchForExclusiveWriting<OrganizationView>(OrganizationDecider.StreamKey(orgCode), ct).ConfigureAwait(false)
                : null;
            var batch = session.CreateBatchQuery();
            // Written through Marten, the write's transaction begins with the read, which also reads its timestamp: the
            // entries' recorded-at (the server's clock), known before the write so that the inline projections see what
            // the event table will hold. (The COPY write reads it itself when it begins.) Not for a batch decided on top
            // of one still being written: its transaction would begin before that one's, and its entries, appended after
            // that one's, would be recorded before them; its write reads the time when it begins (ServerClock.StampAsync).
            // The organization: the copy this recorder last loaded, when its stream is still at that version (read
            // here, one row of mt_streams, with the clock when there is one), else loaded again (see OrganizationAsync).
            // A single process whose state this recorder holds is checked in that statement too (its version and its
            // event at the cached version), rather than read: the usual command reads nothing else.
            var checksOrganization = previous is null && locked is null;
            Task<IReadOnlyList<string>>? clock = null;
            Task<JasperFx.Events.StreamState>? organizationStateQuery = null;
            string? checkedStream = null;
            var cachedVersion = 0L;
            var readsClock = previous is null && !(items.Count > 1 && _options.ImportWithCopy && _bulkChecked && _bulk is not null);
            if (readsClock)
            {
                await session.BeginTransactionAsync(ct).ConfigureAwait(false);
                if (processes.Length == 1 && _states.TryPeek(processes[0], out cachedVersion))
                {
                    checkedStream = processes[0];
                }
            }
            else if (checksOrganization)
            {
                organizationStateQuery = batch.Events.FetchStreamState(OrganizationDecider.StreamKey(orgCode));
            }
            var readsFacts = readsClock && (checksOrganization || checkedStream is not null);
            var schema = _store.Options.Events.DatabaseSchemaName;
            var organizationKey = checksOrganization ? OrganizationDecider.StreamKey(orgCode) : "";
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
            // One command reads the open processes only if the decider asks about them (an early approval).
            var readsOpen = !(items.Count == 1 || previous?.Open is not null);
            var toRead = processes.Where(p => (previous is null || !previous.Streams.ContainsKey(p)) && p != checkedStream).ToArray();
            string? factsRow = null;
            if (readsFacts && early.Length == 0 && !readsOpen && toRead.Length == 0 && _options.PrepareStatements)
            {
                // The usual command reads nothing else: the facts alone, prepared on the connection (parsed and planned
                // once per connection rather than at every command).
                factsRow = await Integrity.ServerClock.ReadPreparedAsync(session, schema, organizationKey, checkedStream ?? "", cachedVersion, ct).ConfigureAwait(false);
            }
            else if (readsClock)
            {
                clock = readsFacts
                    ? batch.Query<string>(Integrity.ServerClock.FactsSql(schema), organizationKey, checkedStream ?? "", cachedVersion)
                    : batch.Query<string>(Integrity.ServerClock.Sql);
            }
            var receiptsQuery = early.Length > 0 ? batch.LoadMany<CommandReceipt>().ById(early) : null;
            var openQuery = readsOpen ? batch.Query<ProcessEntry>().Where(OpenIn(orgCode)).ToList() : null;
            var reads = toRead.ToDictionary(p => p, p => _states.Enlist(batch, p), StringComparer.Ordinal);
            if (clock is not null || receiptsQuery is not null || organizationStateQuery is not null || openQuery is not null || reads.Count > 0)
            {
                await batch.Execute(ct).ConfigureAwait(false);
            }
            Integrity.ServerClock.StreamVersion? organizationState = null;
            Integrity.ServerClock.StreamCheck? streamCheck = null;
            if (clock is not null && !readsFacts)
            {
                Integrity.ServerClock.Read(session, (await clock.ConfigureAwait(false)).Single());
            }
            else if (readsFacts)
            {
                var row = factsRow ?? (await clock!.ConfigureAwait(false)).Single();
                (organizationState, streamCheck) = Integrity.ServerClock.Read(session, row, checksOrganization, checkedStream, cachedVersion);
            }
            else if (organizationStateQuery is not null && await organizationStateQuery.ConfigureAwait(false) is JasperFx.Events.StreamState state)
            {
                organizationState = new(state.Version, state.Created);
            }

            var current = previous?.Organization;
            var organizationVersion = previous is null ? 0 : previous.OrganizationVersion + previous.OrganizationEvents.Count;
            if (locked is not null)
            {
                current = locked.Aggregate?.Organization;
                organizationVersion = locked.CurrentVersion ?? 0;
            }
            else if (previous is null)
            {
                if (organizationState is { } organizationAt)
                {
                    organizationVersion = organizationAt.Version;
                    var hit = _organizations.TryGetValue(orgCode, out var kept) && kept.IsAt(organizationAt.Version, organizationAt.Created);
                    Observability.LedgerTelemetry.CacheLookup("organization", hit);
                    current = hit
                        ? kept!.Organization
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
                var loaded = process == checkedStream
                    ? _states.Confirm(process, streamCheck?.Version, streamCheck?.EventId) ?? await _states.LoadAsync(session, process, ct).ConfigureAwait(false)
                    : await reads[process].ResolveAsync(session, ct).ConfigureAwait(false);
                streams[process] = new StreamChange(loaded.State, loaded.LastEventId, loaded.Commands);
            }
            if (previous is { CarriesAll: true })
            {
                // A dry run: the streams earlier batches decided are as they left them, not as stored.
                foreach (var (process, before) in previous.Streams)
                {
                    if (!streams.ContainsKey(process))
                    {
                        streams[process] = new StreamChange(before.Current, before.Staged.Count > 0 ? before.Staged[^1].Id : before.LastEventId, before.Commands);
                    }
                }
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

            var decided = new Decided(session, items, new List<RecordResult>(items.Count), provenance)
            {
                Streams = streams,
                Receipts = receipts,
                OrganizationStream = locked,
                OrganizationVersion = organizationVersion,
                GuardsOrganization = items.Any(i => TakesOrganizationTurn(i.Command)),
            };
            var results = decided.Results;
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
                    if (organization.NewMembersRatifyOpenProcesses && results[^1].Notifications.OfType<AccessionCompletedNotification>().FirstOrDefault() is { } resent
                        && resent.Process == process)
                    {
                        // A resent accession applies the rule again: it adds nothing when the first send's transaction
                        // did (the command ids are taken), and completes what a ledger that ran the rule after the
                        // commit (before this version) may have left undone.
                        var again = await PlanNewMemberRatificationsAsync(decided, previous, process, resent.Candidate, resent.On, organization, ct).ConfigureAwait(false);
                        if (again.Refusal is null && again.Planned.Count > 0)
                        {
                            var notes = StageNewMemberRatifications(decided, process, again.Planned);
                            results[^1] = results[^1] with { Notifications = [.. results[^1].Notifications, .. notes] };
                        }
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
                var decision = AccessionDecider.Decide(item.Command, state, new DecisionContext(_time.GetUtcNow(), organization, open?.Excluding(process) ?? unread!));
                if (unread is { Consulted: true })
                {
                    open = new OpenCandidacies(await session.Query<ProcessEntry>().Where(OpenIn(orgCode)).ToListAsync(ct).ConfigureAwait(false));
                    decision = AccessionDecider.Decide(item.Command, state, new DecisionContext(_time.GetUtcNow(), organization, open.Excluding(process)));
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

                // The cross-process rule, decided before anything of this command is staged so that a refusal leaves
                // nothing half-written.
                var accession = decision.Events.OfType<AccessionCompleted>().FirstOrDefault();
                List<PlannedRatification>? ratifications = null;
                if (accession is not null && organization.NewMembersRatifyOpenProcesses)
                {
                    var plan = await PlanNewMemberRatificationsAsync(decided, previous, process, state.Candidate!, accession.On, organization.Admit(state.Candidate!, accession.On), ct).ConfigureAwait(false);
                    if (plan.Refusal is { } refusal)
                    {
                        results.Add(new RecordResult(RecordOutcome.Rejected, process, item.CommandId, [], refusal, state.Version));
                        decided.Pauses = true;
                        break;
                    }
                    ratifications = plan.Planned;
                }

                // A retraction that makes the process invited again (its withdrawal retracted): the members admitted
                // since its invitation become required ratifiers in the same transaction, as the rule would have made
                // them at their accessions; decided before anything is staged, and in the organization's turn.
                List<PlannedRatification>? reopened = null;
                if (item.Command is RetractEntry && organization.NewMembersRatifyOpenProcesses)
                {
                    var plan = await PlanReopenedRatificationsAsync(decided, item, change, state, decision.Events, organization, ct).ConfigureAwait(false);
                    if (plan.Refusal is { } refusal)
                    {
                        results.Add(new RecordResult(RecordOutcome.Rejected, process, item.CommandId, [], refusal, state.Version));
                        decided.Pauses = true;
                        break;
                    }
                    reopened = plan.Planned;
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
                    RecordedAt = _time.GetUtcNow(),
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
                if (reopened is { Count: > 0 })
                {
                    var notes = StageNewMemberRatifications(decided, process, reopened);
                    results[^1] = results[^1] with { Notifications = [.. results[^1].Notifications, .. notes] };
                    // Written in the organization's turn, still at the roster read (an accession committed meanwhile
                    // makes the batch be decided again, with its new member).
                    decided.GuardsOrganization = true;
                }
                if (accession is not null)
                {
                    // Membership is a consequence of the accession, written in the same transaction so the roster never lags it.
                    organization = Admit(decided, organization, after.Candidate!, accession.On, item);
                    if (ratifications is not null)
                    {
                        var notes = StageNewMemberRatifications(decided, process, ratifications);
                        results[^1] = results[^1] with { Notifications = [.. results[^1].Notifications, .. notes] };
                    }
                }
            }
            decided.Organization = organization;
            decided.Open = open;
            if (decided.Written && items.Count > 1 && _options.ImportWithCopy && _bulkChecked && _bulk is { } bulk)
            {
                // A batch the bulk write will take: its rows now, while the batch before it is written.
                decided.Appends = Appends(streams);
                decided.Rows = bulk.Encode(decided.Appends, session.TenantId, RecordedByOf(provenance), session.CorrelationId, session.CausationId);
            }
            return decided;
        }
        catch
        {
            await session.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static System.Linq.Expressions.Expression<Func<ProcessEntry, bool>> OpenIn(string orgCode) =>
        p => p.Organization == orgCode && (p.Phase == ProcessPhase.Applied || p.Phase == ProcessPhase.Invited);
}
