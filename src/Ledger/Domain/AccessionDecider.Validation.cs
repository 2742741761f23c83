namespace RatificationLedger.Domain;

// Field-level checks of every command, before any rule: codes, required fields, counts and free text.
public static partial class AccessionDecider
{
    // Field-level checks: codes and free text. Hostile but valid text (quotes, markup, SQL, right-to-left marks) passes.
    private static Rejection? Validate(AccessionCommand command) => command switch
    {
        SubmitApplication c => Code(c.Candidate, "candidate") ?? Required(c.Organization, "organization"),
        ExtendInvitation c => Short(c.Venue, "venue") ?? Codes(c.RequiredRatifiers, "required ratifier")
            ?? (c.Candidate is null ? null : Code(c.Candidate, "candidate")),
        SignMemorandum c => Required(c.Title, "title") ?? Short(c.Title, "title") ?? Long(c.Summary, "summary")
            ?? (c.Parties is null || c.Parties.Count == 0
                ? new Rejection(RuleCodes.MissingField, "a memorandum needs at least one party.")
                : c.Parties.Select(p => CountryCode.IsValid(p) || (p is { Length: >= 2 and <= 16 } && p.All(char.IsAsciiLetterUpper)) ? null
                    : new Rejection(RuleCodes.InvalidCode, $"memorandum party '{p}' is neither an ISO 3166-1 alpha-3 code nor an organization code.")).FirstOrDefault(r => r is not null)),
        RecordParliamentVote c => Code(c.Member, "member") ?? Required(c.Chamber, "chamber") ?? Short(c.Chamber, "chamber")
            ?? Count(c.For, "for") ?? Count(c.Against, "against") ?? Count(c.Abstained, "abstained"),
        SignAccessionProtocol c => Short(c.Treaty, "treaty") ?? Codes(c.CoCandidates, "co-candidate") ?? Codes(c.RequiredRatifiers, "required ratifier"),
        ApproveRatification c => Code(c.Member, "member") ?? Short(c.Authority, "authority")
            ?? (c.Authority is { } a && string.IsNullOrWhiteSpace(a) ? new Rejection(RuleCodes.MissingField, "authority is blank; leave it out where it is unknown.") : null),
        DepositInstrument c => Code(c.Member, "member") ?? (c.Depositary is null ? null : Code(c.Depositary, "depositary")),
        DeclareVeto c => Code(c.Member, "member") ?? Long(c.Reason, "reason"),
        LiftVeto c => Code(c.Member, "member") ?? Long(c.Reason, "reason"),
        AddRatifier c => Code(c.Member, "member") ?? Long(c.Reason, "reason"),
        WithdrawApplication c => Long(c.Reason, "reason"),
        RetractEntry c => Required(c.Reason, "reason") ?? Long(c.Reason, "reason")
            ?? (c.Entry < 1 ? new Rejection(RuleCodes.InvalidNumber, $"entry number {c.Entry} must be 1 or more.") : null),
        _ => null,
    };

    private static Rejection? Code(string? code, string field) =>
        CountryCode.IsValid(code)
            ? null
            : new Rejection(RuleCodes.InvalidCode, $"{field} '{code}' is not an ISO 3166-1 alpha-3 country code (three upper-case letters, e.g. SWE).");

    private static Rejection? Codes(IReadOnlyList<string>? codes, string field) =>
        codes?.Select(c => Code(c, field)).FirstOrDefault(r => r is not null);

    private static Rejection? Count(int? value, string field) =>
        value is < 0 ? new Rejection(RuleCodes.InvalidNumber, $"vote count '{field}' is {value}; it cannot be negative.") : null;

    private static Rejection? Required(string? text, string field) =>
        string.IsNullOrWhiteSpace(text) ? new Rejection(RuleCodes.MissingField, $"{field} is required.") : null;

    private static Rejection? Short(string? text, string field) => Text(text, field, ShortTextLimit);

    private static Rejection? Long(string? text, string field) => Text(text, field, LongTextLimit);

    /// <summary>Checks free text: at most <paramref name="limit"/> characters, no control characters but tab and line breaks.</summary>
    public static Rejection? Text(string? text, string field, int limit)
    {
        if (text is null)
        {
            return null;
        }
        if (text.Length > limit)
        {
            return new Rejection(RuleCodes.TextTooLong, $"{field} is {text.Length} characters long; at most {limit} are accepted.");
        }
        for (var i = 0; i < text.Length; i++)
        {
            var ch = text[i];
            if (char.IsControl(ch) && ch is not ('\t' or '\n' or '\r'))
            {
                return new Rejection(RuleCodes.InvalidText,
                    $"{field} contains the control character U+{(int)ch:X4} at position {i}; control characters other than tab and line breaks are not accepted.");
            }
            if (char.IsSurrogate(ch) && !(char.IsHighSurrogate(ch) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]) && i++ >= 0))
            {
                return new Rejection(RuleCodes.InvalidText, $"{field} contains an unpaired surrogate at position {i}; the text is not valid Unicode.");
            }
        }
        return null;
    }
}
