using System.Globalization;
using System.Text.Json;
using RatificationLedger.Domain;
using RatificationLedger.Recording;

namespace RatificationLedger.Import;

public sealed partial record HistoryFile
{
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

        public static string Kind(JsonValueKind kind) => kind switch
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
