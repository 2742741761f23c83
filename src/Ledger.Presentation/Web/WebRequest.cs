using System.Globalization;
using RatificationLedger.Domain;
using RatificationLedger.Projections;
using RatificationLedger.Recording;

namespace RatificationLedger.Presentation.Web;

/// <summary>A request the web view refuses: the status code (400, 404) and one sentence saying what is wrong.</summary>
internal sealed class WebRequestException(int status, string message) : Exception(message)
{
    public int Status { get; } = status;
}

/// <summary>
/// One process as a request names it: the process id, the as-of date and the known-at instant from the query string,
/// checked against the process's entries (the same rules as the CLI's, plus a date far outside the process is refused).
/// </summary>
internal sealed record ProcessRequest(string Process, DateOnly? AsOf, DateTimeOffset? KnownAt, IReadOnlyList<RecordedEntry> Entries)
{
    // How far from its entries an as-of date may lie: a decade either side covers any question about the process.
    private const int YearsAround = 10;

    /// <summary>Every entry known at the request's instant, in recorded order.</summary>
    public IReadOnlyList<RecordedEntry> Known => KnownAt is { } k ? [.. Entries.Where(e => e.RecordedAt <= k)] : Entries;

    public static string ProcessIdOf(string organization, string candidate)
    {
        var given = $"{organization}/{candidate}";
        var id = given.Trim().ToLowerInvariant();
        return ProcessId.TryParse(id, out _, out _)
            ? id
            : throw new WebRequestException(400, $"'{given}' is not a process id: expected organization/candidate, e.g. nato/swe.");
    }

    public static DateOnly? AsOfOf(string? text) =>
        string.IsNullOrEmpty(text) ? null
        : DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d) ? d
        : throw new WebRequestException(400, $"asOf '{text}' is not a date: expected YYYY-MM-DD, e.g. 2023-04-04.");

    public static DateTimeOffset? KnownAtOf(string? text) =>
        string.IsNullOrEmpty(text) ? null
        : DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t) ? t
        : throw new WebRequestException(400, $"knownAt '{text}' is not an instant: expected ISO 8601, e.g. 2023-06-01T12:00:00Z.");

    /// <summary>Reads the process's entries and checks the parameters against them; throws <see cref="WebRequestException"/>.</summary>
    public static async Task<ProcessRequest> ReadAsync(
        LedgerQueries queries, TimeProvider clock, string organization, string candidate, string? asOf, string? knownAt, CancellationToken ct)
    {
        var id = ProcessIdOf(organization, candidate);
        var date = AsOfOf(asOf);
        var instant = KnownAtOf(knownAt);
        var entries = await queries.EntriesAsync(id, ct).ConfigureAwait(false);
        if (entries.Count == 0 || (instant is { } k && !entries.Any(e => e.RecordedAt <= k)))
        {
            var known = (await queries.ListAsync(ct: ct).ConfigureAwait(false)).Select(s => s.Id).ToList();
            throw new WebRequestException(404, instant is { } i && entries.Count > 0
                ? $"no process '{id}' in the ledger as known at {CliJson.Instant(i)}: its first entry was recorded at {CliJson.Instant(entries.Min(e => e.RecordedAt))}."
                : $"no process '{id}' in the ledger ({(known.Count == 0 ? "the ledger is empty" : "known: " + string.Join(", ", known))}).");
        }
        if (date is { } d)
        {
            var dates = entries.Select(e => e.On).ToList();
            var today = DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime);
            var earliest = dates.Min().AddYears(-YearsAround);
            var latest = (dates.Max() > today ? dates.Max() : today).AddYears(YearsAround);
            if (d < earliest || d > latest)
            {
                throw new WebRequestException(400,
                    $"asOf {CliJson.Date(d)} is far outside {id}, whose entries run from {CliJson.Date(dates.Min())} to {CliJson.Date(dates.Max())}: expected a date between {CliJson.Date(earliest)} and {CliJson.Date(latest)}.");
            }
        }
        return new ProcessRequest(id, date, instant, entries);
    }
}
