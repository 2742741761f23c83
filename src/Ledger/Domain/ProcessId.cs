using System.Text.RegularExpressions;

namespace Ledger.Domain;

/// <summary>
/// The readable key of a process stream: <c>{org}/{candidate}</c> in lower case, e.g. <c>nato/swe</c>,
/// with a suffix for a later attempt by the same candidate, e.g. <c>nato/swe-2</c>.
/// </summary>
public static partial class ProcessId
{
    [GeneratedRegex("^(?<org>[a-z][a-z0-9]{1,15})/(?<candidate>[a-z]{3})(-(?<attempt>[2-9]|[1-9][0-9]+))?$")]
    private static partial Regex Pattern();

    /// <summary>The id of <paramref name="candidate"/>'s process with <paramref name="organization"/> (attempt 1 has no suffix).</summary>
    public static string For(string organization, string candidate, int attempt = 1) =>
        attempt == 1
            ? $"{organization.ToLowerInvariant()}/{candidate.ToLowerInvariant()}"
            : $"{organization.ToLowerInvariant()}/{candidate.ToLowerInvariant()}-{attempt}";

    /// <summary>Splits a process id into organization and candidate codes (upper case); false when malformed.</summary>
    public static bool TryParse(string? id, out string organization, out string candidate)
    {
        var match = id is null ? Match.Empty : Pattern().Match(id);
        organization = match.Success ? match.Groups["org"].Value.ToUpperInvariant() : "";
        candidate = match.Success ? match.Groups["candidate"].Value.ToUpperInvariant() : "";
        return match.Success;
    }
}
