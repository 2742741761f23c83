namespace RatificationLedger.Domain;

/// <summary>
/// The readable key of a process stream: <c>{org}/{candidate}</c> in lower case, e.g. <c>nato/swe</c>,
/// with a suffix for a later attempt by the same candidate, e.g. <c>nato/swe-2</c>.
/// </summary>
public static class ProcessId
{
    /// <summary>The id of <paramref name="candidate"/>'s process with <paramref name="organization"/> (attempt 1 has no suffix).</summary>
    public static string For(string organization, string candidate, int attempt = 1) =>
        attempt == 1
            ? $"{organization.ToLowerInvariant()}/{candidate.ToLowerInvariant()}"
            : $"{organization.ToLowerInvariant()}/{candidate.ToLowerInvariant()}-{attempt}";

    /// <summary>Splits a process id into organization and candidate codes (upper case); false when malformed.</summary>
    /// <remarks>
    /// The form is <c>{org}/{candidate}</c> or <c>{org}/{candidate}-{attempt}</c>: org a lower-case letter and 1 to 15
    /// lower-case letters or digits, candidate 3 lower-case letters, attempt a number from 2 without leading zeros.
    /// Nothing else, not even a trailing line break. (Checked by hand rather than with a regular expression: every
    /// command and every projected event asks, and the expression's match and groups cost more than the rest of the
    /// decision.)
    /// </remarks>
    public static bool TryParse(string? id, out string organization, out string candidate)
    {
        organization = "";
        candidate = "";
        if (id is null)
        {
            return false;
        }
        var slash = id.IndexOf('/');
        if (slash < 2 || slash > 16 || !IsLower(id[0]))
        {
            return false;
        }
        for (var i = 1; i < slash; i++)
        {
            if (!IsLower(id[i]) && !char.IsAsciiDigit(id[i]))
            {
                return false;
            }
        }
        var c = slash + 1;
        if (id.Length < c + 3 || !IsLower(id[c]) || !IsLower(id[c + 1]) || !IsLower(id[c + 2]))
        {
            return false;
        }
        var rest = id.AsSpan(c + 3);
        if (rest.Length > 0)
        {
            // "-2" to "-9", or "-10" and up: digits without a leading zero, and not "-1".
            var attempt = rest[1..];
            if (rest[0] != '-' || attempt.Length == 0 || attempt[0] == '0' || attempt is ['1']
                || attempt.ContainsAnyExceptInRange('0', '9'))
            {
                return false;
            }
        }
        // Upper-cased straight into the new strings; the organization's code is the one this thread made last, as a
        // rule (a ledger has a handful of organizations and every command asks).
        var org = t_organization;
        if (org is null || !id.AsSpan(0, slash).Equals(org, StringComparison.OrdinalIgnoreCase))
        {
            t_organization = org = string.Create(slash, id, static (span, s) => s.AsSpan(0, span.Length).ToUpperInvariant(span));
        }
        organization = org;
        candidate = string.Create(3, (id, c), static (span, s) => s.id.AsSpan(s.c, 3).ToUpperInvariant(span));
        return true;
    }

    [ThreadStatic]
    private static string? t_organization;

    private static bool IsLower(char c) => c is >= 'a' and <= 'z';
}
