namespace RatificationLedger.Recording;

/// <summary>
/// Names who records a command whose <see cref="Provenance.RecordedBy"/> is not given: in a server app, typically the
/// signed-in user. Registered by the app as a singleton (the recorder is one); read it per command, e.g. from
/// <c>IHttpContextAccessor.HttpContext?.User.Identity?.Name</c>. Null defers to
/// <see cref="Storage.LedgerOptions.DefaultRecordedBy"/>, and when that is null too the command is refused.
/// </summary>
public interface IRecordedByProvider
{
    /// <summary>Who records the command being recorded now, or null when this provider cannot tell.</summary>
    string? RecordedBy { get; }
}
