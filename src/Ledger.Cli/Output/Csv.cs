using System.Globalization;
using System.Text;
using RatificationLedger.Projections;

namespace RatificationLedger.Cli;

/// <summary>
/// The --csv shapes (docs/cli.md): RFC 4180 (comma, CRLF, quotes doubled), a header row with the JSON field names, one
/// row per array element, lists joined with ';', dates and instants as in the JSON. A field that a spreadsheet would
/// run as a formula (starting with = + - @ tab or CR) is prefixed with a single quote.
/// </summary>
internal static class Csv
{
    public static string Register(RatificationRegister r) => Table(
        ["member", "ratifiedOn", "depositedOn", "unconfirmed", "steps", "recordedAt", "recordedBy", "source", "ratifiedBy", "depositedBy"],
        CliJson.Register(r).Select(row => new[]
        {
            row.Member, row.RatifiedOn, row.DepositedOn, Bool(row.Unconfirmed),
            string.Join(';', row.Steps.Select(s => $"{s.Type} {s.On}")), row.RecordedAt, row.RecordedBy, row.Source, row.RatifiedBy, row.DepositedBy,
        }));

    public static string Audit(IReadOnlyList<AuditEntry> entries) => Table(
        ["sequence", "type", "on", "member", "recordedAt", "recordedBy", "role", "chained", "source", "commandId", "retracted"],
        entries.Select(e => new[]
        {
            e.Sequence.ToString(CultureInfo.InvariantCulture), e.Type, CliJson.Date(e.On), e.Member, CliJson.Instant(e.RecordedAt),
            e.RecordedBy, e.Role, Bool(e.Chained), e.Source, e.CommandId, Bool(e.Retracted),
        }));

    public static string List(IReadOnlyList<AccessionStatus> all) => Table(
        ["process", "organization", "candidate", "stage", "appliedOn", "accededOn", "requiredRatifiers", "counted"],
        all.Select(CliJson.Process).Select(p => new[]
        {
            p.Process, p.Organization, p.Candidate, p.Stage, p.AppliedOn, p.AccededOn,
            p.RequiredRatifiers.ToString(CultureInfo.InvariantCulture), p.Counted.ToString(CultureInfo.InvariantCulture),
        }));

    private static string Bool(bool b) => b ? "true" : "false";

    private static string Table(string[] header, IEnumerable<string?[]> rows)
    {
        var text = new StringBuilder();
        Row(text, header);
        foreach (var row in rows)
        {
            Row(text, row);
        }
        return text.ToString();
    }

    private static void Row(StringBuilder text, IReadOnlyList<string?> fields)
    {
        for (var i = 0; i < fields.Count; i++)
        {
            if (i > 0)
            {
                text.Append(',');
            }
            text.Append(Field(fields[i]));
        }
        text.Append("\r\n");
    }

    public static string Field(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return "";
        }
        if (value[0] is '=' or '+' or '-' or '@' or '\t' or '\r')
        {
            value = "'" + value;
        }
        return value.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;
    }
}
