using System.Diagnostics;
using System.Runtime.ExceptionServices;
using RatificationLedger.Domain;
using RatificationLedger.Import;
using RatificationLedger.Observability;

namespace RatificationLedger.Recording;

// The import pipeline: growing batches, prepared commands kept across batches, the next batch decided while one is written.
public sealed partial class LedgerRecorder
{
    /// <summary>
    /// Records commands in order, batch after batch, exactly as repeated <see cref="RecordManyAsync"/> calls would, and
    /// hands each batch's results to <paramref name="onBatch"/> once committed (false stops the import). While one
    /// batch is written the next is decided on the state it leaves, so deciding and writing overlap; that decision is
    /// used only if the batch commits exactly as decided, and is made again otherwise. An accession decided ahead reads the
    /// invited processes as stored and as the batch being written leaves them; its write checks them again in the
    /// organization's turn.
    /// After a batch that stops on a refusal or a conflict, nothing is decided before its answer is handled.
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
        // The COPY write's arrays sized for the largest batch from the first (once the bulk appender is known: the first
        // batch's own write makes it known).
        var largest = Math.Min(batchSize, commands.Count);
        void ExpectBatches()
        {
            if (_bulkChecked && _bulk is { } bulk)
            {
                bulk.ExpectBatches(largest);
            }
        }
        (List<Item> Items, Decided Decided)? ahead = null;
        try
        {
            while (start < commands.Count)
            {
                ExpectBatches();
                var started = Stopwatch.GetTimestamp();
                using var activity = LedgerTelemetry.Start("ledger.import_batch");
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
                        ObserveBatch([refused], [prepared[start] ?? PrepareAt(commands, start)], activity, started, import: true);
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
                    ExpectBatches();
                    var lookAhead = decided.Written && !decided.Pauses && decided.Results.Count == items.Count && start + items.Count < commands.Count;
                    var writing = RecordPrefixAsync(items, null, ct, decided);
                    if (lookAhead)
                    {
                        // Decide the next batch on what this one leaves while this one is written. (A command that cannot
                        // be prepared, or an entry of a file changed since it was checked, is met again, and reported,
                        // when its batch comes, once this one is written.)
                        try
                        {
                            nextItems = Batch(commands, start + items.Count, size, prepared).Items;
                            next = nextItems is null ? null : DecideAsync(nextItems, null, decided, false, ct);
                        }
                        catch (Exception e) when (e is ArgumentException or HistoryFileException)
                        {
                            nextItems = null;
                        }
                    }
                    (results, asDecided) = await writing.ConfigureAwait(false);
                    ObserveBatch(results, items, activity, started, import: true);
                }
                catch (Exception e) when (e is not LedgerUnavailableException && LedgerUnavailableException.IsDatabaseFailure(e))
                {
                    throw Unavailable(new LedgerUnavailableException(items[0].Command.Process, items[0].Name, items[0].CommandId, mayHaveBeenRecorded: false, e), items[0], activity);
                }
                catch (LedgerUnavailableException e)
                {
                    throw Unavailable(e, items[0], activity);
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
                unused.Decided.Rows?.Release();
                await unused.Decided.Session.DisposeAsync().ConfigureAwait(false);
            }
            _bulk?.ReleaseBuffers();
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
            // A history file's entries of the window read together first (a few reads instead of one per entry).
            var ahead = (commands as IReadsAhead<(AccessionCommand Command, Provenance? Provenance)>)?.ReadAhead(start, end);
            var source = ahead?.Items ?? commands;
            try
            {
                Parallel.For(start, end, i => prepared[i] ??= PrepareAt(source, i));
            }
            catch (AggregateException e)
            {
                // What one command could not be prepared for (a null command, an entry of a history file changed since it
                // was checked), as it would be thrown preparing it alone.
                ExceptionDispatchInfo.Capture(e.Flatten().InnerExceptions[0]).Throw();
            }
            finally
            {
                ahead?.Release.Dispose();
            }
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
}
