using RatificationLedger.Domain;
using RatificationLedger.Recording;

namespace RatificationLedger.Projections;

/// <summary>
/// The ledger's read side as an app asks it (implemented by <see cref="LedgerQueries"/>, registered by
/// <c>ledger.AddReadModels()</c>); an interface so that apps can mock it. Every question about a process can be asked
/// as of a date in the world and as known at an instant of recording.
/// </summary>
public interface ILedgerQueries
{
    /// <summary>Where a process stands (now, as of <paramref name="asOf"/>, as known at <paramref name="knownAt"/>); null when it has no entries.</summary>
    /// <param name="process">The process id, e.g. <c>nato/fin</c>.</param>
    /// <param name="asOf">A date in the world; null: today.</param>
    /// <param name="knownAt">An instant of recording; null: now.</param>
    /// <param name="ct">Cancellation.</param>
    Task<AccessionStatus?> StatusAsync(string process, DateOnly? asOf = null, DateTimeOffset? knownAt = null, CancellationToken ct = default);

    /// <summary>Who ratified when: one row per required ratifier (same time axes as <see cref="StatusAsync"/>); null when the process has no entries.</summary>
    /// <param name="process">The process id.</param>
    /// <param name="asOf">A date in the world; null: today.</param>
    /// <param name="knownAt">An instant of recording; null: now.</param>
    /// <param name="ct">Cancellation.</param>
    Task<RatificationRegister?> RegisterAsync(string process, DateOnly? asOf = null, DateTimeOffset? knownAt = null, CancellationToken ct = default);

    /// <summary>
    /// Every entry of a process recorded by <paramref name="knownAt"/>, retracted ones marked as known then, each with
    /// who recorded it (the app's claim) and the database role that wrote it (the chain's); null when the process has no
    /// entries known then.
    /// </summary>
    /// <param name="process">The process id.</param>
    /// <param name="knownAt">An instant of recording; null: now.</param>
    /// <param name="ct">Cancellation.</param>
    Task<AuditTrail?> AuditAsync(string process, DateTimeOffset? knownAt = null, CancellationToken ct = default);

    /// <summary>One member's ratifications and vetoes across processes (projected by the async daemon).</summary>
    /// <param name="member">The member's ISO 3166-1 alpha-3 code.</param>
    /// <param name="ct">Cancellation.</param>
    Task<MemberRecord?> MemberRecordAsync(string member, CancellationToken ct = default);

    /// <summary>The members of an organization on a date; null when the organization is unknown.</summary>
    /// <param name="organization">The organization's code.</param>
    /// <param name="on">The date.</param>
    /// <param name="ct">Cancellation.</param>
    Task<IReadOnlyList<Membership>?> RosterAsync(string organization, DateOnly on, CancellationToken ct = default);

    /// <summary>The organization as recorded (policy and roster), or null.</summary>
    /// <param name="organization">The organization's code.</param>
    /// <param name="ct">Cancellation.</param>
    Task<Organization?> OrganizationAsync(string organization, CancellationToken ct = default);

    /// <summary>The present status of every process (of one organization), by process id.</summary>
    /// <param name="organization">The organization's code, or null for all.</param>
    /// <param name="ct">Cancellation.</param>
    Task<IReadOnlyList<AccessionStatus>> ListAsync(string? organization = null, CancellationToken ct = default);

    /// <summary>Every entry of a process with its recording metadata, in recorded order.</summary>
    /// <param name="process">The process id.</param>
    /// <param name="ct">Cancellation.</param>
    Task<IReadOnlyList<RecordedEntry>> EntriesAsync(string process, CancellationToken ct = default);
}
