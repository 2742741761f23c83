using System.Globalization;
using JasperFx;
using RatificationLedger.Domain;
using RatificationLedger.Storage;

namespace RatificationLedger.Recording;

// Answers that are not a fresh recording: resends, conflicts, and the failures that mean one.
public sealed partial class LedgerRecorder
{
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
        e is ConcurrencyException or BulkConflictException or OrganizationMovedException or InvitedMovedException
            or JasperFx.Events.ExistingStreamIdCollisionException or Marten.Exceptions.ExistingStreamIdCollisionException
        || IsDeadlock(e);

    // PostgreSQL broke a lock cycle by rolling this transaction back: nothing was written, deciding again is safe.
    private static bool IsDeadlock(Exception e)
    {
        for (var x = e; x is not null; x = x.InnerException)
        {
            if (x is Npgsql.PostgresException { SqlState: Npgsql.PostgresErrorCodes.DeadlockDetected })
            {
                return true;
            }
        }
        return false;
    }

    private static Organization UnknownOrganization(string code) =>
        new(code, code, "USA", RatificationCounts.AtApproval, false, []);

    // The organization's stream moved between the decision and the write of an invitation or accession.
    private sealed class OrganizationMovedException(string stream, long expected, long actual)
        : Exception($"{stream}: the organization was read at version {expected}, but is at version {actual}; the batch is decided again.");

    private sealed class InvitedMovedException(string organization, string process)
        : Exception($"{organization}: {process} was invited after the batch's accession was decided ahead; the batch is decided again in the organization's turn.");
}
