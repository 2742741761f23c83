namespace RatificationLedger.Recording;

/// <summary>
/// A fact handed to the app's <see cref="ILedgerNotificationSink"/>s (and, with RatificationLedger.Mediator, published
/// through Mediator) after the transaction that recorded it committed. For apps that react to changes; the ledger's
/// own rules never depend on them.
/// </summary>
/// <param name="Process">The process stream key.</param>
public abstract record LedgerNotification(string Process);

/// <summary>
/// Receives the notifications of every change the ledger records, after its transaction committed, in order (register
/// any number in the container). A sink that throws makes the call that recorded the change throw; the change itself is
/// recorded and a resend answers as the first time.
/// </summary>
public interface ILedgerNotificationSink
{
    /// <summary>Handles one notification.</summary>
    /// <param name="notification">What changed.</param>
    /// <param name="ct">Cancellation.</param>
    ValueTask PublishAsync(LedgerNotification notification, CancellationToken ct);
}

/// <summary>A process opened (by an application, or by an invitation where none was made).</summary>
public sealed record ProcessOpenedNotification(string Process, string Organization, string Candidate, DateOnly On) : LedgerNotification(Process);

/// <summary>A required ratifier's ratification now counts under the organization's policy.</summary>
public sealed record RatificationCountedNotification(string Process, string Member, DateOnly CountsFrom) : LedgerNotification(Process);

/// <summary>A member declared a veto or began a de facto hold.</summary>
public sealed record VetoDeclaredNotification(string Process, string Member, DateOnly On, bool Formal, string Reason) : LedgerNotification(Process);

/// <summary>A veto or hold ended, by a lifting or by the member's ratification.</summary>
public sealed record VetoLiftedNotification(string Process, string Member, DateOnly On, string EndedBy) : LedgerNotification(Process);

/// <summary>The candidate acceded and is a member of the organization from <paramref name="On"/>.</summary>
public sealed record AccessionCompletedNotification(string Process, string Organization, string Candidate, DateOnly On) : LedgerNotification(Process);
