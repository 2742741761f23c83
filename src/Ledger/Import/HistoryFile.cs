using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using RatificationLedger.Domain;
using RatificationLedger.Recording;

namespace RatificationLedger.Import;

/// <summary>One entry of a history file: where it stands in the file, the command it asks for, and its provenance.</summary>
/// <param name="Process">The process id.</param>
/// <param name="Index">The entry's index in the process's <c>events</c> array (0-based, as in <c>events[3]</c>).</param>
/// <param name="Type">The entry's <c>type</c> as written in the file.</param>
public sealed record HistoryEntry(string Process, int Index, string Type, AccessionCommand Command, Provenance Provenance)
{
    /// <summary>Where the entry is: e.g. <c>nato/fin events[7] (ratification, 2022-07-20)</c>.</summary>
    public string Location => $"{Process} events[{Index}] ({Type}, {Command.On.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)})";
}

/// <summary>A ledger history file (see docs/import-format.md): an organization and its processes' dated entries.</summary>
public sealed partial record HistoryFile(Organization Organization, IReadOnlyList<HistoryEntry> Entries)
{
    /// <summary>The entries in the order the import applies them: by date across processes, stable.</summary>
    public IReadOnlyList<HistoryEntry> InImportOrder() => Entries.OrderBy(e => e.Command.On).ToArray();

    /// <summary>Reads and validates a history file. Throws <see cref="HistoryFileException"/> naming what is wrong and where.</summary>
    public static HistoryFile Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new HistoryFileException($"History file '{path}' does not exist.");
        }
        FileStream stream;
        try
        {
            stream = File.OpenRead(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new HistoryFileException($"History file '{path}' cannot be read: {e.Message}", e);
        }
        using (stream)
        {
            return Parse(stream, path);
        }
    }

    /// <summary>Parses a history file from JSON (UTF-8, with or without a byte order mark).</summary>
    public static HistoryFile Parse(Stream json, string name = "history file")
    {
        ArgumentNullException.ThrowIfNull(json);
        var text = ReadAll(json);
        if (text.Span.StartsWith(Utf8Bom))
        {
            text = text[Utf8Bom.Length..];
        }
        // System.Text.Json checks the structure but not the bytes inside strings; bad UTF-8 would surface later as an
        // InvalidOperationException from the middle of an entry.
        try
        {
            _ = s_strictUtf8.GetCharCount(text.Span);
        }
        catch (DecoderFallbackException e)
        {
            throw new HistoryFileException($"{name} is not valid UTF-8 text (invalid byte near offset {e.Index}).", e);
        }
        JsonDocument document;
        try
        {
            // Duplicate keys are accepted here and refused by Node.Only, which can name where they are.
            document = JsonDocument.Parse(text, new JsonDocumentOptions
            {
                AllowTrailingCommas = false,
                CommentHandling = JsonCommentHandling.Disallow,
                MaxDepth = 16,
            });
        }
        catch (JsonException e)
        {
            // System.Text.Json counts lines and bytes from 0; people and editors count from 1.
            var where = e.LineNumber is { } line ? $" at line {line + 1}, byte {e.BytePositionInLine + 1}" : "";
            var message = JsonPosition().Replace(e.Message, "");
            throw new HistoryFileException($"{name} is not valid JSON{where}: {message}", e);
        }
        using (document)
        {
            var root = new Node(document.RootElement, "$");
            root.Only("organization", "processes");
            var organization = ReadOrganization(root.Object("organization"));
            var entries = new List<HistoryEntry>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var process in root.Array("processes"))
            {
                process.Only("id", "candidate", "events");
                var id = process.String("id");
                if (!ProcessId.TryParse(id, out var org, out var candidate))
                {
                    throw process.Error("id", $"'{id}' is not a process id: expected '{{organization}}/{{candidate}}' in lower case, e.g. 'nato/swe'.");
                }
                if (org != organization.Code)
                {
                    throw process.Error("id", $"process '{id}' belongs to organization {org}, but the file's organization is {organization.Code}.");
                }
                if (process.Code("candidate") != candidate)
                {
                    throw process.Error("candidate", $"'{process.String("candidate")}' does not match the process id '{id}' (candidate {candidate}).");
                }
                if (!seen.Add(id))
                {
                    throw process.Error("id", $"process '{id}' appears twice in the file.");
                }
                var index = 0;
                var events = $"{id} events";
                foreach (var entry in process.Array("events"))
                {
                    // Name the entry by process id and index: "nato/fin events[7].member: ...".
                    entries.Add(ReadEntry(new Node(entry.Element, events, index), id, index++, organization));
                }
            }
            return new HistoryFile(organization, entries);
        }
    }

    // The whole stream's bytes: read straight into one array when its length is known (a file), else buffered.
    private static Memory<byte> ReadAll(Stream json)
    {
        if (json.CanSeek && json.Length - json.Position is var length and < int.MaxValue)
        {
            var bytes = new byte[length];
            var read = 0;
            while (read < bytes.Length && json.Read(bytes, read, bytes.Length - read) is var n and > 0)
            {
                read += n;
            }
            return bytes.AsMemory(0, read);
        }
        using var buffer = new MemoryStream();
        json.CopyTo(buffer);
        return buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
    }

    private static Organization ReadOrganization(Node o)
    {
        o.Only("code", "name", "depositary", "ratificationCounts", "newMembersRatifyOpenProcesses", "usesAccessionProtocol", "candidateRatifies", "entryIntoForce", "members");
        var counts = o.String("ratificationCounts") switch
        {
            "approval" => RatificationCounts.AtApproval,
            "deposit" => RatificationCounts.AtDeposit,
            var other => throw o.Error("ratificationCounts", $"'{other}' is not a counting rule: use \"approval\" or \"deposit\"."),
        };
        var members = o.Array("members").Select(m =>
        {
            m.Only("state", "since", "until");
            var membership = new Membership(m.Code("state"), m.Date("since"), m.OptionalDate("until"));
            return membership.Until < membership.Since
                ? throw m.Error("until", $"{membership.State} leaves on {membership.Until:yyyy-MM-dd}, before it joined on {membership.Since:yyyy-MM-dd}; 'until' is the last day of membership.")
                : membership;
        }).ToArray();
        return new Organization(o.String("code"), o.String("name"), o.Code("depositary"), counts,
            o.Bool("newMembersRatifyOpenProcesses"), members, o.OptionalBool("usesAccessionProtocol") ?? true,
            o.OptionalBool("candidateRatifies") ?? false, ReadEntryIntoForce(o, null));
    }

    // {"rule": "fixed-date", "date": "2013-07-01", "otherwise": "first-day-of-next-month"} and the like; null when absent.
    private static EntryIntoForceRule? ReadEntryIntoForce(Node parent, DateOnly? signedOn)
    {
        if (parent.OptionalObject("entryIntoForce") is not { } e)
        {
            return null;
        }
        e.Only("rule", "date", "days", "otherwise");
        var kind = e.String("rule") switch
        {
            "on-completion" => EntryIntoForceKind.OnCompletion,
            "fixed-date" => EntryIntoForceKind.FixedDate,
            "days-after-completion" => EntryIntoForceKind.DaysAfterCompletion,
            var other => throw e.Error("rule", $"'{other}' is not an entry-into-force rule: use \"on-completion\", \"fixed-date\" or \"days-after-completion\"."),
        };
        EntryIntoForceOtherwise? otherwise = e.OptionalString("otherwise") switch
        {
            null => null,
            "first-day-of-next-month" => EntryIntoForceOtherwise.FirstDayOfNextMonth,
            var other => throw e.Error("otherwise", $"'{other}' is not known: use \"first-day-of-next-month\" or leave it out (then a missed date means not in force)."),
        };
        var rule = new EntryIntoForceRule(kind, e.OptionalDate("date"), e.OptionalInt("days"), otherwise);
        return rule.Check(signedOn) is { } bad ? throw new HistoryFileException($"{e.Path}: {bad.Message}") : rule;
    }

    private static ReadOnlySpan<byte> Utf8Bom => [0xEF, 0xBB, 0xBF];

    private static readonly UTF8Encoding s_strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    [GeneratedRegex(@"\s*LineNumber: \d+ \| BytePositionInLine: \d+\.?\s*$")]
    private static partial Regex JsonPosition();

    private static readonly string[] s_common = ["type", "on", "source", "note", "unconfirmed"];

    private static readonly string[] s_types =
        ["application", "invitation", "protocol-signed", "memorandum", "vote", "ratification", "deposit", "veto", "veto-lifted", "ratifier-added", "accession", "withdrawal"];

    // The fields each entry type allows: the common ones, then its own.
    private static readonly Dictionary<string, string[]> s_fields = new Dictionary<string, string[]>(StringComparer.Ordinal)
    {
        ["application"] = [],
        ["invitation"] = ["venue", "ratifiers"],
        ["protocol-signed"] = ["treaty", "coCandidates", "ratifiers", "entryIntoForce"],
        ["memorandum"] = ["title", "parties", "summary"],
        ["vote"] = ["member", "chamber", "for", "against", "abstained", "passed"],
        ["ratification"] = ["member", "authority"],
        ["deposit"] = ["member", "depositary"],
        ["veto"] = ["member", "reason", "formal"],
        ["veto-lifted"] = ["member", "reason"],
        ["ratifier-added"] = ["member", "reason"],
        ["accession"] = ["memberCount"],
        ["withdrawal"] = ["reason"],
    }.ToDictionary(t => t.Key, t => (string[])[.. s_common, .. t.Value], StringComparer.Ordinal);

    private static HistoryEntry ReadEntry(Node e, string process, int index, Organization organization)
    {
        var written = e.String("type");
        // The known name itself is kept, not the string read for every entry.
        var type = Array.Find(s_types, t => string.Equals(t, written, StringComparison.Ordinal));
        if (type is null)
        {
            // Checked before anything else, so that a misspelt type is reported as such and not as a missing field.
            throw e.Error("type", $"'{written}' is not an entry type; expected one of: {string.Join(", ", s_types)}.");
        }
        var on = e.Date("on");
        AccessionCommand command;
        switch (type)
        {
            case "application":
                e.Only(s_fields["application"]);
                ProcessId.TryParse(process, out var org, out var candidate);
                command = new SubmitApplication(process, org, candidate, on);
                break;
            case "invitation":
                e.Only(s_fields["invitation"]);
                command = new ExtendInvitation(process, on, e.OptionalString("venue") ?? "", e.OptionalCodes("ratifiers"));
                break;
            case "protocol-signed":
                e.Only(s_fields["protocol-signed"]);
                command = new SignAccessionProtocol(process, on, e.OptionalString("treaty"), e.OptionalCodes("coCandidates"), e.OptionalCodes("ratifiers"),
                    ReadEntryIntoForce(e, on));
                break;
            case "memorandum":
                e.Only(s_fields["memorandum"]);
                command = new SignMemorandum(process, on, e.String("title"), e.OptionalStrings("parties") ?? throw e.Error("parties", "is required."), e.OptionalString("summary"));
                break;
            case "vote":
                e.Only(s_fields["vote"]);
                command = new RecordParliamentVote(process, e.Code("member"), on, e.String("chamber"),
                    e.OptionalInt("for"), e.OptionalInt("against"), e.OptionalInt("abstained"), e.Bool("passed"));
                break;
            case "ratification":
                e.Only(s_fields["ratification"]);
                command = new ApproveRatification(process, e.Code("member"), on, e.OptionalString("authority"));
                break;
            case "deposit":
                e.Only(s_fields["deposit"]);
                command = new DepositInstrument(process, e.Code("member"), on, e.OptionalCode("depositary") ?? organization.Depositary);
                break;
            case "veto":
                e.Only(s_fields["veto"]);
                command = new DeclareVeto(process, e.Code("member"), on, e.OptionalString("reason") ?? "", e.Bool("formal"));
                break;
            case "veto-lifted":
                e.Only(s_fields["veto-lifted"]);
                command = new LiftVeto(process, e.Code("member"), on, e.OptionalString("reason") ?? "");
                break;
            case "ratifier-added":
                e.Only(s_fields["ratifier-added"]);
                command = new AddRatifier(process, e.Code("member"), on, e.OptionalString("reason") ?? "");
                break;
            case "accession":
                e.Only(s_fields["accession"]);
                command = new CompleteAccession(process, on, e.OptionalInt("memberCount"));
                break;
            case "withdrawal":
                e.Only(s_fields["withdrawal"]);
                command = new WithdrawApplication(process, on, e.OptionalString("reason") ?? "");
                break;
            default:
                throw new InvalidOperationException($"Entry type '{type}' is listed as known but has no reader.");
        }
        var provenance = new Provenance(e.OptionalString("source"), e.OptionalString("note"), e.OptionalBool("unconfirmed") ?? false);
        if (AccessionDecider.Text(provenance.Source, "source", Provenance.TextLimit) is { } badSource)
        {
            throw e.Error("source", badSource.Message);
        }
        if (AccessionDecider.Text(provenance.Note, "note", Provenance.TextLimit) is { } badNote)
        {
            throw e.Error("note", badNote.Message);
        }
        return new HistoryEntry(process, index, type, command, provenance);
    }

    // A JSON element with its path, for messages like "$.processes[1].events[7].member: ...": a prefix and, for an array
    // item, its index, joined only when a message needs the path.
    private readonly record struct Node(JsonElement Element, string Prefix, int Index = -1)
    {
        public string Path => Index < 0 ? Prefix : $"{Prefix}[{Index}]";

        public HistoryFileException Error(string field, string message) => new($"{Path}.{field}: {message}");

        private JsonElement Required(string field, JsonValueKind kind)
        {
            if (Element.ValueKind != JsonValueKind.Object)
            {
                throw new HistoryFileException($"{Path}: expected an object, found {Kind(Element.ValueKind)}.");
            }
            if (!Element.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null)
            {
                throw Error(field, "is required.");
            }
            return value.ValueKind == kind || (kind == JsonValueKind.True && value.ValueKind == JsonValueKind.False)
                ? value
                : throw Error(field, $"expected {Kind(kind)}, found {Kind(value.ValueKind)}.");
        }

        private JsonElement? Optional(string field, JsonValueKind kind) =>
            Element.TryGetProperty(field, out var value) && value.ValueKind != JsonValueKind.Null ? Required(field, kind) : null;

        public void Only(params string[] allowed)
        {
            if (Element.ValueKind != JsonValueKind.Object)
            {
                throw new HistoryFileException($"{Path}: expected an object, found {Kind(Element.ValueKind)}.");
            }
            // Compared as the file's bytes, without making a string of every field name; which allowed names were seen is
            // a bit each (no object of the format has more than 64 fields).
            var seen = 0UL;
            foreach (var property in Element.EnumerateObject())
            {
                var known = -1;
                for (var i = 0; i < allowed.Length; i++)
                {
                    if (property.NameEquals(allowed[i]))
                    {
                        known = i;
                        break;
                    }
                }
                if (known < 0)
                {
                    throw Error(property.Name, $"is not a known field here; known fields: {string.Join(", ", allowed)}.");
                }
                if ((seen & (1UL << known)) != 0)
                {
                    // Otherwise one of two values (say two "on" dates) would win silently.
                    throw Error(property.Name, "is given twice; give each field once.");
                }
                seen |= 1UL << known;
            }
        }

        public Node Object(string field) => new(Required(field, JsonValueKind.Object), $"{Path}.{field}");

        public Node? OptionalObject(string field) => Optional(field, JsonValueKind.Object) is { } o ? new Node(o, $"{Path}.{field}") : null;

        public DateOnly? OptionalDate(string field) => Optional(field, JsonValueKind.String) is null ? null : Date(field);

        public IReadOnlyList<Node> Array(string field)
        {
            var array = Required(field, JsonValueKind.Array);
            var path = $"{Path}.{field}";
            var items = new Node[array.GetArrayLength()];
            var i = 0;
            foreach (var item in array.EnumerateArray())
            {
                items[i] = new Node(item, path, i);
                i++;
            }
            return items;
        }

        public string String(string field) => Required(field, JsonValueKind.String).GetString()!;

        public string? OptionalString(string field) => Optional(field, JsonValueKind.String)?.GetString();

        public IReadOnlyList<string>? OptionalStrings(string field)
        {
            if (Optional(field, JsonValueKind.Array) is not { } array)
            {
                return null;
            }
            var path = Path;
            return array.EnumerateArray().Select((item, i) => item.ValueKind == JsonValueKind.String
                ? item.GetString()!
                : throw new HistoryFileException($"{path}.{field}[{i}]: expected a string, found {Kind(item.ValueKind)}.")).ToArray();
        }

        public string Code(string field) => CheckedCode(field, String(field));

        public string? OptionalCode(string field) => OptionalString(field) is { } code ? CheckedCode(field, code) : null;

        public IReadOnlyList<string>? OptionalCodes(string field)
        {
            var codes = OptionalStrings(field);
            var path = Path;
            return codes?.Select((code, i) => CountryCode.IsValid(code)
                ? code
                : throw new HistoryFileException($"{path}.{field}[{i}]: '{code}' is not an ISO 3166-1 alpha-3 country code (three upper-case letters, e.g. SWE).")).ToArray();
        }

        private string CheckedCode(string field, string code) =>
            CountryCode.IsValid(code) ? code : throw Error(field, $"'{code}' is not an ISO 3166-1 alpha-3 country code (three upper-case letters, e.g. SWE).");

        public bool Bool(string field) => Required(field, JsonValueKind.True).GetBoolean();

        public bool? OptionalBool(string field) => Optional(field, JsonValueKind.True)?.GetBoolean();

        public int? OptionalInt(string field) =>
            Optional(field, JsonValueKind.Number) is { } n
                ? n.TryGetInt32(out var i) ? i : throw Error(field, $"{n.GetRawText()} is not a whole number in range.")
                : null;

        public DateOnly Date(string field)
        {
            var text = String(field);
            return DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date)
                ? date
                : throw Error(field, $"'{text}' is not a date; expected YYYY-MM-DD (e.g. 2022-07-05).");
        }

        private static string Kind(JsonValueKind kind) => kind switch
        {
            JsonValueKind.Object => "an object",
            JsonValueKind.Array => "an array",
            JsonValueKind.String => "a string",
            JsonValueKind.Number => "a number",
            JsonValueKind.True or JsonValueKind.False => "true or false",
            _ => "null",
        };
    }
}

/// <summary>A history file is missing, malformed, or breaks the format; the message names the place and the problem.</summary>
public sealed class HistoryFileException : Exception
{
    /// <summary>Creates the exception.</summary>
    public HistoryFileException(string message) : base(message) { }

    /// <summary>Creates the exception.</summary>
    public HistoryFileException() { }

    /// <summary>Creates the exception.</summary>
    public HistoryFileException(string message, Exception inner) : base(message, inner) { }
}
