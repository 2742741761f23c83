using Mediator;

namespace Ledger.Recording;

/// <summary>A fact published through Mediator after the transaction that recorded it committed.</summary>
/// <param name="Process">The process stream key.</param>
public abstract record LedgerNotification(string Process) : INotification;

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
