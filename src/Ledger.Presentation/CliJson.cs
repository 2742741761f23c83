using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using RatificationLedger.Projections;

namespace RatificationLedger.Presentation;

// The --json shapes of the CLI contract (docs/cli.md). Other programs read them: names, types and null-ness are fixed.
// Every document is an object whose first field is "schema" (CliJson.SchemaVersion): a change that removes or retypes
// a field, or changes its meaning, raises it; added fields do not.

internal sealed record JsonMemberOn(string Member, string On);

internal sealed record JsonVeto(string Member, string Since, string Reason);

internal sealed record JsonEntryIntoForce(string Rule, string? Date, string Reason);

internal sealed record JsonStatus(
    int Schema,
    string Process,
    string Organization,
    string Candidate,
    string Stage,
    string? AsOf,
    string? KnownAt,
    IReadOnlyList<string> RequiredRatifiers,
    IReadOnlyList<JsonMemberOn> Ratified,
    IReadOnlyList<JsonMemberOn> Deposited,
    IReadOnlyList<JsonMemberOn> Counted,
    IReadOnlyList<string> Pending,
    IReadOnlyList<JsonVeto> ActiveVetoes,
    string? AccededOn,
    JsonEntryIntoForce? EntryIntoForce);

internal sealed record JsonStep(string Type, string On, string Detail);

internal sealed record JsonRegisterRow(
    string Member,
    string? RatifiedOn,
    string? DepositedOn,
    bool Unconfirmed,
    IReadOnlyList<JsonStep> Steps,
    string? RecordedAt,
    string? RecordedBy,
    string? Source,
    string? RatifiedBy,
    string? DepositedBy);

internal sealed record JsonAuditEntry(
    long Sequence,
    string Type,
    string On,
    string? Member,
    string RecordedAt,
    string? RecordedBy,
    string? Role,
    bool Chained,
    string? Source,
    string? CommandId,
    bool Retracted);

internal sealed record JsonProcess(string Process, string Organization, string Candidate, string Stage, string? AppliedOn, string? AccededOn, int RequiredRatifiers, int Counted);

internal sealed record JsonRegister(int Schema, string Process, string? AsOf, string? KnownAt, IReadOnlyList<JsonRegisterRow> Ratifiers);

internal sealed record JsonAudit(int Schema, string Process, string? AsOf, string? KnownAt, IReadOnlyList<JsonAuditEntry> Entries);

internal sealed record JsonList(int Schema, string? Organization, string? AsOf, string? KnownAt, IReadOnlyList<JsonProcess> Processes);

internal sealed record JsonImportFailure(string Process, string Entry, string Rule, string Message);

internal sealed record JsonImport(int Schema, string File, int Entries, int Recorded, int AlreadyThere, int NotImported, JsonImportFailure? Failure, bool DryRun);

internal sealed record JsonTimeline(int Schema, string Process, string File, int Ratifiers);

internal sealed record JsonDbStop(int Schema, string DataDirectory, bool Stopped);

internal static class CliJson
{
    /// <summary>The version of the JSON contract, the first field of every document.</summary>
    public const int SchemaVersion = 1;

    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        // Hostile text stays readable and verbatim; the output is not embedded in HTML.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static string Write<T>(T value) => JsonSerializer.Serialize(value, Options);

    public static string Date(DateOnly d) => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    public static string? Date(DateOnly? d) => d is { } v ? Date(v) : null;

    public static string Instant(DateTimeOffset t) => t.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);

    public static string? Instant(DateTimeOffset? t) => t is { } v ? Instant(v) : null;

    public static JsonStatus Status(AccessionStatus s) => new(
        SchemaVersion,
        s.Id,
        s.Organization,
        s.Candidate,
        s.Stage.ToString(),
        Date(s.AsOf),
        Instant(s.KnownAt),
        [.. s.RequiredRatifiers.Select(r => r.Member)],
        [.. s.Ratified.Select(r => new JsonMemberOn(r.Member, Date(r.On)))],
        [.. s.Deposited.Select(r => new JsonMemberOn(r.Member, Date(r.On)))],
        [.. s.Counted.Select(r => new JsonMemberOn(r.Member, Date(r.On)))],
        [.. s.Pending],
        [.. s.ActiveVetoes.Select(v => new JsonVeto(v.Member, Date(v.Since), v.Reason))],
        Date(s.AccededOn),
        s.EntryIntoForce is { } e ? new JsonEntryIntoForce(e.Rule, Date(e.Date), e.Reason) : null);

    public static IReadOnlyList<JsonRegisterRow> Register(RatificationRegister r) =>
        [.. r.Rows.Select(row => new JsonRegisterRow(
            row.Member,
            Date(row.RatifiedOn),
            Date(row.DepositedOn),
            row.Unconfirmed,
            [.. row.Steps.Select(step => new JsonStep(step.Type, Date(step.On), step.Detail))],
            Instant(row.RecordedAt),
            row.RecordedBy,
            row.Source,
            Date(row.RatifiedBy),
            Date(row.DepositedBy)))];

    public static IReadOnlyList<JsonAuditEntry> Audit(AuditTrail a) =>
        [.. a.Entries.Select(Entry)];

    public static JsonProcess Process(AccessionStatus s) =>
        new(s.Id, s.Organization, s.Candidate, s.Stage.ToString(), Date(s.AppliedOn ?? s.InvitedOn ?? s.ProtocolSignedOn), Date(s.AccededOn), s.RequiredRatifiers.Count, s.Counted.Count);

    public static JsonRegister RegisterDocument(string process, RatificationRegister r, DateOnly? asOf, DateTimeOffset? knownAt) =>
        new(SchemaVersion, process, Date(asOf), Instant(knownAt), Register(r));

    public static JsonAudit AuditDocument(string process, IReadOnlyList<AuditEntry> entries, DateOnly? asOf, DateTimeOffset? knownAt) =>
        new(SchemaVersion, process, Date(asOf), Instant(knownAt), [.. entries.Select(Entry)]);

    public static JsonList ListDocument(string? organization, IReadOnlyList<AccessionStatus> all, DateOnly? asOf, DateTimeOffset? knownAt) =>
        new(SchemaVersion, organization, Date(asOf), Instant(knownAt), [.. all.Select(Process)]);

    private static JsonAuditEntry Entry(AuditEntry e) =>
        new(e.Sequence, e.Type, Date(e.On), e.Member, Instant(e.RecordedAt), e.RecordedBy, e.Role, e.Chained, e.Source, e.CommandId, e.Retracted);
}
