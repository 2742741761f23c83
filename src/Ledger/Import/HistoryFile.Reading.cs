using System.Buffers;
using System.Text.Json;
using Microsoft.Win32.SafeHandles;
using RatificationLedger.Domain;

namespace RatificationLedger.Import;

// Reading a history file's text, checked as JSON already, for its meaning: the root and the organization, then every
// process (in parallel, each from its own slice of the text), then what spans processes (an id given twice). Every
// entry is read and checked here, so that a file with a bad entry anywhere is refused before anything is imported; what
// is kept of an entry is only where it is and its date (EntryAt), and the import reads it again when it reaches it.
public sealed partial record HistoryFile
{
    private static HistoryFile Read(ReadOnlyMemory<byte> text, EntryText source)
    {
        var (organizationAt, processesAt) = Root(text.Span);
        Organization organization;
        var organizationSlice = Required(organizationAt, "organization", JsonValueKind.Object);
        using (var document = JsonDocument.Parse(text.Slice(organizationSlice.Start, organizationSlice.Length)))
        {
            organization = ReadOrganization(new Node(document.RootElement, "$.organization"));
        }
        var slices = Items(text.Span, Required(processesAt, "processes", JsonValueKind.Array));
        var read = new ProcessRead[slices.Count];
        Parallel.For(0, slices.Count, i => read[i] = ReadProcess(text, slices[i], i, organization));

        // In file order, as a reader going through the file would meet them: a process's own faults, then whether its id
        // was seen before, then its entries' faults.
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var ids = new string[read.Length];
        var count = 0;
        for (var i = 0; i < read.Length; i++)
        {
            var process = read[i];
            if (process.Before is { } before)
            {
                throw before;
            }
            if (!seen.Add(process.Id!))
            {
                throw new HistoryFileException($"$.processes[{i}].id: process '{process.Id}' appears twice in the file.");
            }
            if (process.After is { } after)
            {
                throw after;
            }
            ids[i] = process.Id!;
            count += process.Entries.Length;
        }
        var entries = new EntryAt[count];
        var at = 0;
        foreach (var process in read)
        {
            process.Entries.CopyTo(entries, at);
            at += process.Entries.Length;
        }
        return new HistoryFile(organization, new HistoryEntryList(source, organization, ids, entries));
    }

    // The root object's two fields, checked as Node.Only checks them: where their values are, if given.
    private static (Slice? Organization, Slice? Processes) Root(ReadOnlySpan<byte> text)
    {
        var reader = new Utf8JsonReader(text, s_json);
        reader.Read();
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new HistoryFileException($"$: expected an object, found {Node.Kind(KindOf(reader.TokenType))}.");
        }
        string[] known = ["organization", "processes"];
        var found = new Slice?[2];
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var field = reader.ValueTextEquals(known[0]) ? 0 : reader.ValueTextEquals(known[1]) ? 1 : -1;
            if (field < 0)
            {
                throw new HistoryFileException($"$.{reader.GetString()}: is not a known field here; known fields: {string.Join(", ", known)}.");
            }
            if (found[field] is not null)
            {
                throw new HistoryFileException($"$.{reader.GetString()}: is given twice; give each field once.");
            }
            reader.Read();
            var start = (int)reader.TokenStartIndex;
            var kind = KindOf(reader.TokenType);
            reader.Skip();
            found[field] = new Slice(start, (int)reader.BytesConsumed - start, kind);
        }
        return (found[0], found[1]);
    }

    // A field of the root, checked as Node.Required checks it (the organization's before the processes' are looked at).
    private static Slice Required(Slice? value, string field, JsonValueKind kind) => value switch
    {
        null or { Kind: JsonValueKind.Null } => throw new HistoryFileException($"$.{field}: is required."),
        { } v when v.Kind != kind => throw new HistoryFileException($"$.{field}: expected {Node.Kind(kind)}, found {Node.Kind(v.Kind)}."),
        { } v => v,
    };

    // Where each item of an array is (the array at `array` in `text`), as offsets into `text`.
    private static List<Slice> Items(ReadOnlySpan<byte> text, Slice array)
    {
        var reader = new Utf8JsonReader(text.Slice(array.Start, array.Length), s_json);
        reader.Read();
        var items = new List<Slice>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            var start = (int)reader.TokenStartIndex;
            var kind = KindOf(reader.TokenType);
            reader.Skip();
            items.Add(new Slice(array.Start + start, (int)reader.BytesConsumed - start, kind));
        }
        return items;
    }

    // Where the items of an object's array field are, as offsets into `text` (empty when the object has no such field).
    private static List<Slice> Items(ReadOnlySpan<byte> text, Slice @object, string field)
    {
        var reader = new Utf8JsonReader(text.Slice(@object.Start, @object.Length), s_json);
        reader.Read();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var wanted = reader.ValueTextEquals(field);
            reader.Read();
            var start = (int)reader.TokenStartIndex;
            reader.Skip();
            if (wanted)
            {
                return Items(text, new Slice(@object.Start + start, (int)reader.BytesConsumed - start, JsonValueKind.Array));
            }
        }
        return [];
    }

    // One process checked as a whole, with its entries: its faults before and after the duplicate-id check (which needs
    // the processes before it), and where its entries are with their dates.
    private static ProcessRead ReadProcess(ReadOnlyMemory<byte> text, Slice slice, int ordinal, Organization organization)
    {
        // Most processes of most files are right: checked the quick way (HistoryFile.Checking.cs), and read here only if
        // the quick check does not accept them, to say what is wrong.
        if (TryReadProcess(text.Span, slice, ordinal, organization) is { } quick)
        {
            return quick;
        }
        using var document = JsonDocument.Parse(text.Slice(slice.Start, slice.Length));
        var process = new Node(document.RootElement, "$.processes", ordinal);
        string id;
        try
        {
            process.Only("id", "candidate", "events");
            id = process.String("id");
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
        }
        catch (HistoryFileException e)
        {
            return new ProcessRead(null, e, null, []);
        }
        try
        {
            var events = process.Array("events");
            var where = Items(text.Span, slice, "events");
            var entries = new EntryAt[events.Count];
            // Name the entry by process id and index: "nato/fin events[7].member: ...".
            var prefix = $"{id} events";
            for (var index = 0; index < events.Count; index++)
            {
                var entry = ReadEntry(new Node(events[index].Element, prefix, index), id, index, organization);
                entries[index] = new EntryAt(entry.Command.On.DayNumber, where[index].Start, where[index].Length, ordinal, index,
                    CheckOf(text.Span.Slice(where[index].Start, where[index].Length)));
            }
            return new ProcessRead(id, null, null, entries);
        }
        catch (HistoryFileException e)
        {
            return new ProcessRead(id, null, e, []);
        }
    }

    private static JsonValueKind KindOf(JsonTokenType token) => token switch
    {
        JsonTokenType.StartObject => JsonValueKind.Object,
        JsonTokenType.StartArray => JsonValueKind.Array,
        JsonTokenType.String => JsonValueKind.String,
        JsonTokenType.Number => JsonValueKind.Number,
        JsonTokenType.True or JsonTokenType.False => JsonValueKind.True,
        _ => JsonValueKind.Null,
    };

    // A JSON value's place in the file's text.
    private readonly record struct Slice(int Start, int Length, JsonValueKind Kind);

    private sealed record ProcessRead(string? Id, HistoryFileException? Before, HistoryFileException? After, EntryAt[] Entries);

    // One entry of the file: its date (DateOnly.DayNumber), its place in the text, its process (by ordinal) and index.
    // Check: a hash of the entry's bytes as checked (this process's seed), compared when the entry is read again.
    private readonly record struct EntryAt(int Day, int Start, int Length, int Process, int Index, int Check);

    private static int CheckOf(ReadOnlySpan<byte> bytes)
    {
        var hash = new HashCode();
        hash.AddBytes(bytes);
        return hash.ToHashCode();
    }

    /// <summary>
    /// A file's entries, each read from its place in the file's text when it is asked for (in parallel if asked so:
    /// nothing here changes after construction).
    /// </summary>
    private sealed class HistoryEntryList(EntryText text, Organization organization, string[] processes, EntryAt[] entries) : IReadOnlyList<HistoryEntry>, IReadsAhead<HistoryEntry>
    {
        // Each process's path prefix for messages ("nato/fin events"), made once per process rather than per entry read.
        private readonly string[] _prefixes = Array.ConvertAll(processes, p => $"{p} events");

        public int Count => entries.Length;

        public HistoryEntry this[int index]
        {
            get
            {
                var at = entries[index];
                return SameDay(at, text.Read(at, _prefixes[at.Process], processes[at.Process], organization));
            }
        }

        // The order was taken from the dates read the first time: an entry read again with another date is not the entry
        // that was checked and ordered.
        private HistoryEntry SameDay(EntryAt at, HistoryEntry entry) =>
            entry.Command.On.DayNumber == at.Day ? entry : throw text.Changed(_prefixes[at.Process], at, "its date is not the one read before");

        /// <summary>
        /// Entries <paramref name="start"/> to <paramref name="end"/> (exclusive) read together, for a caller about to ask
        /// for all of them (an import preparing a batch): from a file, entries near each other in it are read with one
        /// positioned read instead of one each (an import's order is by date across processes, a file's by process).
        /// Null when there is nothing to gain (the text is held, or a single entry).
        /// </summary>
        public ReadAhead<HistoryEntry>? ReadAhead(int start, int end)
        {
            if (text is not EntryText.InFile file || end - start < 2)
            {
                return null;
            }
            var window = new ReadAheadWindow(this, file, start, end);
            return new(window, window);
        }

        /// <summary>Entry <paramref name="index"/> built from bytes already read, as <see cref="this[int]"/> builds it.</summary>
        public HistoryEntry Read(int index, ReadOnlySpan<byte> bytes, EntryText.InFile file)
        {
            var at = entries[index];
            return SameDay(at, file.Read(bytes, at, _prefixes[at.Process], processes[at.Process], organization));
        }

        /// <summary>Where entry <paramref name="index"/> is in the file's text.</summary>
        public (int Start, int Length) Place(int index) => (entries[index].Start, entries[index].Length);

        // By date across processes; same-day entries in file order (a file's entries are in text order).
        public HistoryEntryList InImportOrder()
        {
            var ordered = (EntryAt[])entries.Clone();
            Array.Sort(ordered, static (a, b) => a.Day != b.Day ? a.Day.CompareTo(b.Day) : a.Start.CompareTo(b.Start));
            return new HistoryEntryList(text, organization, processes, ordered);
        }

        public IEnumerator<HistoryEntry> GetEnumerator()
        {
            for (var i = 0; i < entries.Length; i++)
            {
                yield return this[i];
            }
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }

    /// <summary>
    /// Where an entry's text is read again from: the text held (a parsed stream), or the file it was loaded from (the text
    /// of a million entries, 155 MiB, is then not held for the whole import: each entry is read with one positioned read).
    /// Either way the bytes are those checked when the file was read, so the entry is built from them (BuildEntry), not
    /// checked again.
    /// </summary>
    private abstract class EntryText
    {
        public abstract HistoryEntry Read(EntryAt at, string prefix, string process, Organization organization);

        public virtual HistoryFileException Changed(string prefix, EntryAt at, string what) =>
            new($"{prefix}[{at.Index}]: the entry is not the one read before ({what}).");

        // The entry built from its bytes; bytes that cannot be built as they were checked are a changed entry.
        protected HistoryEntry Build(ReadOnlySpan<byte> json, EntryAt at, string prefix, string process, Organization organization)
        {
            try
            {
                return BuildEntry(json, process, at.Index, organization);
            }
            catch (JsonException e)
            {
                throw NotJson(prefix, at, e);
            }
            catch (Exception e) when (e is NotAsChecked or InvalidOperationException or FormatException)
            {
                throw Changed(prefix, at, "its text is not the text checked when the file was loaded");
            }
        }

        protected virtual HistoryFileException NotJson(string prefix, EntryAt at, JsonException e) =>
            Changed(prefix, at, "its text is no longer JSON");

        public sealed class InMemory(ReadOnlyMemory<byte> text) : EntryText
        {
            public override HistoryEntry Read(EntryAt at, string prefix, string process, Organization organization) =>
                Build(text.Span.Slice(at.Start, at.Length), at, prefix, process, organization);
        }

        // The handle is the one the file was checked through, kept open (and closed when the history file is collected).
        public sealed class InFile(SafeFileHandle file, long offset, string name) : EntryText
        {
            public override HistoryEntry Read(EntryAt at, string prefix, string process, Organization organization)
            {
                var buffer = ArrayPool<byte>.Shared.Rent(at.Length);
                try
                {
                    ReadText(at.Start, buffer.AsSpan(0, at.Length));
                    return Read(buffer.AsSpan(0, at.Length), at, prefix, process, organization);
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }
            }

            /// <summary>The entry at <paramref name="at"/> from its bytes as just read from the file.</summary>
            public HistoryEntry Read(ReadOnlySpan<byte> bytes, EntryAt at, string prefix, string process, Organization organization)
            {
                // Any change of the entry's bytes since they were checked, not only one that breaks the JSON or the date.
                if (CheckOf(bytes) != at.Check)
                {
                    throw Changed(prefix, at, "its text is not the text checked when the file was loaded");
                }
                return Build(bytes, at, prefix, process, organization);
            }

            /// <summary>Fills <paramref name="into"/> with the text from <paramref name="start"/> (a place in the text, not the file).</summary>
            public void ReadText(long start, Span<byte> into)
            {
                var done = 0;
                while (done < into.Length)
                {
                    var n = RandomAccess.Read(file, into[done..], offset + start + done);
                    if (n == 0)
                    {
                        throw new HistoryFileException($"{name} changed while it was imported: it is shorter than when it was read.");
                    }
                    done += n;
                }
            }

            public override HistoryFileException Changed(string prefix, EntryAt at, string what) =>
                new($"{name} changed while it was imported: {prefix}[{at.Index}] is not the entry read before ({what}).");

            protected override HistoryFileException NotJson(string prefix, EntryAt at, JsonException e) =>
                new($"{name} changed while it was imported: an entry's text is no longer JSON ({e.Message}).", e);
        }
    }
}
