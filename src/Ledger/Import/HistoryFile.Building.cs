using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using RatificationLedger.Domain;
using RatificationLedger.Recording;

namespace RatificationLedger.Import;

// An entry read again when the import reaches it. Its bytes are the bytes checked when the file was read (the text held,
// or the file's bytes compared with the hash kept from the check), so it is not checked again: it is built straight
// from its JSON tokens into its command, with no document or path in between. What the check made sure of (the type
// is known, the required fields are there with the right kinds, codes and dates are well formed, no field twice) is
// taken as given; the builder still refuses what it cannot build (a changed entry that happened to keep the hash), as
// a changed entry, never by building something else. The command is the one ReadEntry makes of the same text.
public sealed partial record HistoryFile
{
    // The fields of an entry, as the builder tells them apart (see Field).
    private enum EntryField
    {
        Unknown, Type, On, Source, Note, Unconfirmed, Venue, Ratifiers, Treaty, CoCandidates, EntryIntoForce, Title, Parties, Summary,
        Member, Chamber, For, Against, Abstained, Passed, Authority, Depositary, Reason, Formal, MemberCount, Rule, Date, Days, Otherwise,
    }

    /// <summary>An entry's text could not be built as it was checked: it is not the text checked.</summary>
    private sealed class NotAsChecked : Exception
    {
        public NotAsChecked() : base("The entry's text is not the text checked.") { }
    }

    // What an entry's fields say, as read from its tokens (a field given as null is as if absent, as ReadEntry reads it).
    private struct EntryValues
    {
        public uint Seen;
        public string? Type;
        public DateOnly? On;
        public string? Source, Note, Venue, Treaty, Title, Summary, Member, Chamber, Authority, Depositary, Reason;
        public bool? Unconfirmed, Passed, Formal;
        public string[]? Ratifiers, CoCandidates, Parties;
        public int? For, Against, Abstained, MemberCount;
        public EntryIntoForceRule? EntryIntoForce;
    }

    // The entry at `json` (one JSON object, checked by ReadEntry when the file was read) as its HistoryEntry.
    private static HistoryEntry BuildEntry(ReadOnlySpan<byte> json, string process, int index, Organization organization)
    {
        var reader = new Utf8JsonReader(json, s_json);
        Expect(reader.Read());
        var v = Values(ref reader, strict: false);
        Expect(!reader.Read());
        // Most entries say nothing of their provenance: they share one value (the import stamps its own copy of it).
        var provenance = v.Source is null && v.Note is null && v.Unconfirmed is not true ? Provenance.None : new Provenance(v.Source, v.Note, v.Unconfirmed ?? false);
        return new HistoryEntry(process, index, v.Type ?? throw new NotAsChecked(), Command(v, process, organization), provenance);
    }

    // An entry's fields, from its StartObject to its EndObject (where the reader is left). Strict (the first check of a
    // file): a field given twice or as null is refused (NotAsChecked), so that ReadEntry says what it makes of it.
    private static EntryValues Values(ref Utf8JsonReader reader, bool strict)
    {
        Expect(reader.TokenType == JsonTokenType.StartObject);
        var v = default(EntryValues);
        while (Next(ref reader) == JsonTokenType.PropertyName)
        {
            var field = Field(ref reader);
            var bit = 1u << (int)field;
            Expect(!strict || (v.Seen & bit) == 0);
            v.Seen |= bit;
            Expect(reader.Read());
            if (reader.TokenType == JsonTokenType.Null)
            {
                Expect(!strict);
                v.Seen &= ~bit;
                continue;
            }
            switch (field)
            {
                case EntryField.Type: v.Type = KnownType(ref reader); break;
                case EntryField.On: v.On = Date(ref reader); break;
                case EntryField.Source: v.Source = Text(ref reader); break;
                case EntryField.Note: v.Note = Text(ref reader); break;
                case EntryField.Unconfirmed: v.Unconfirmed = Bool(ref reader); break;
                case EntryField.Venue: v.Venue = Text(ref reader); break;
                case EntryField.Ratifiers: v.Ratifiers = Texts(ref reader); break;
                case EntryField.Treaty: v.Treaty = Text(ref reader); break;
                case EntryField.CoCandidates: v.CoCandidates = Texts(ref reader); break;
                case EntryField.EntryIntoForce: v.EntryIntoForce = Rule(ref reader, strict); break;
                case EntryField.Title: v.Title = Text(ref reader); break;
                case EntryField.Parties: v.Parties = Texts(ref reader); break;
                case EntryField.Summary: v.Summary = Text(ref reader); break;
                case EntryField.Member: v.Member = Text(ref reader); break;
                case EntryField.Chamber: v.Chamber = Text(ref reader); break;
                case EntryField.For: v.For = Int(ref reader); break;
                case EntryField.Against: v.Against = Int(ref reader); break;
                case EntryField.Abstained: v.Abstained = Int(ref reader); break;
                case EntryField.Passed: v.Passed = Bool(ref reader); break;
                case EntryField.Authority: v.Authority = Text(ref reader); break;
                case EntryField.Depositary: v.Depositary = Text(ref reader); break;
                case EntryField.Reason: v.Reason = Text(ref reader); break;
                case EntryField.Formal: v.Formal = Bool(ref reader); break;
                case EntryField.MemberCount: v.MemberCount = Int(ref reader); break;
                default: throw new NotAsChecked();
            }
        }
        Expect(reader.TokenType == JsonTokenType.EndObject);
        return v;
    }

    // The command the fields ask for, as ReadEntry makes it.
    private static AccessionCommand Command(in EntryValues v, string process, Organization organization)
    {
        var on = v.On ?? throw new NotAsChecked();
        return v.Type switch
        {
            "application" => Application(process, on),
            "invitation" => new ExtendInvitation(process, on, v.Venue ?? "", v.Ratifiers),
            "protocol-signed" => new SignAccessionProtocol(process, on, v.Treaty, v.CoCandidates, v.Ratifiers, v.EntryIntoForce),
            "memorandum" => new SignMemorandum(process, on, Given(v.Title), Given(v.Parties), v.Summary),
            "vote" => new RecordParliamentVote(process, Given(v.Member), on, Given(v.Chamber), v.For, v.Against, v.Abstained, Given(v.Passed)),
            "ratification" => new ApproveRatification(process, Given(v.Member), on, v.Authority),
            "deposit" => new DepositInstrument(process, Given(v.Member), on, v.Depositary ?? organization.Depositary),
            "veto" => new DeclareVeto(process, Given(v.Member), on, v.Reason ?? "", Given(v.Formal)),
            "veto-lifted" => new LiftVeto(process, Given(v.Member), on, v.Reason ?? ""),
            "ratifier-added" => new AddRatifier(process, Given(v.Member), on, v.Reason ?? ""),
            "accession" => new CompleteAccession(process, on, v.MemberCount),
            "withdrawal" => new WithdrawApplication(process, on, v.Reason ?? ""),
            _ => throw new NotAsChecked(),
        };
    }

    private static SubmitApplication Application(string process, DateOnly on)
    {
        ProcessId.TryParse(process, out var org, out var candidate);
        return new SubmitApplication(process, org, candidate, on);
    }

    private static T Given<T>(T? value) where T : class => value ?? throw new NotAsChecked();

    private static bool Given(bool? value) => value ?? throw new NotAsChecked();

    private static void Expect(bool holds)
    {
        if (!holds)
        {
            throw new NotAsChecked();
        }
    }

    private static JsonTokenType Next(ref Utf8JsonReader reader)
    {
        Expect(reader.Read());
        return reader.TokenType;
    }

    // {"rule": ..., "date": ..., "days": ..., "otherwise": ...}, as ReadEntryIntoForce reads it.
    private static EntryIntoForceRule Rule(ref Utf8JsonReader reader, bool strict)
    {
        Expect(reader.TokenType == JsonTokenType.StartObject);
        EntryIntoForceKind? kind = null;
        DateOnly? date = null;
        int? days = null;
        EntryIntoForceOtherwise? otherwise = null;
        var seen = 0u;
        while (Next(ref reader) == JsonTokenType.PropertyName)
        {
            var field = Field(ref reader);
            Expect(!strict || (seen & (1u << (int)field)) == 0);
            seen |= 1u << (int)field;
            Expect(reader.Read());
            if (reader.TokenType == JsonTokenType.Null)
            {
                Expect(!strict);
                continue;
            }
            switch (field)
            {
                case EntryField.Rule:
                    kind = Text(ref reader) switch
                    {
                        "on-completion" => EntryIntoForceKind.OnCompletion,
                        "fixed-date" => EntryIntoForceKind.FixedDate,
                        "days-after-completion" => EntryIntoForceKind.DaysAfterCompletion,
                        _ => throw new NotAsChecked(),
                    };
                    break;
                case EntryField.Date: date = Date(ref reader); break;
                case EntryField.Days: days = Int(ref reader); break;
                case EntryField.Otherwise:
                    otherwise = Text(ref reader) == "first-day-of-next-month" ? EntryIntoForceOtherwise.FirstDayOfNextMonth : throw new NotAsChecked();
                    break;
                default: throw new NotAsChecked();
            }
        }
        Expect(reader.TokenType == JsonTokenType.EndObject);
        return new EntryIntoForceRule(kind ?? throw new NotAsChecked(), date, days, otherwise);
    }

    // A field's name, compared as the file's bytes (unescaped first if the file escapes it).
    private static EntryField Field(ref Utf8JsonReader reader)
    {
        if (!reader.ValueIsEscaped)
        {
            return Field(reader.ValueSpan);
        }
        var name = reader.GetString()!;
        return Field(Encoding.UTF8.GetBytes(name));
    }

    private static EntryField Field(ReadOnlySpan<byte> name) => name.Length switch
    {
        2 when name.SequenceEqual("on"u8) => EntryField.On,
        3 when name.SequenceEqual("for"u8) => EntryField.For,
        4 when name.SequenceEqual("type"u8) => EntryField.Type,
        4 when name.SequenceEqual("note"u8) => EntryField.Note,
        4 when name.SequenceEqual("rule"u8) => EntryField.Rule,
        4 when name.SequenceEqual("date"u8) => EntryField.Date,
        4 when name.SequenceEqual("days"u8) => EntryField.Days,
        5 when name.SequenceEqual("venue"u8) => EntryField.Venue,
        5 when name.SequenceEqual("title"u8) => EntryField.Title,
        6 when name.SequenceEqual("source"u8) => EntryField.Source,
        6 when name.SequenceEqual("treaty"u8) => EntryField.Treaty,
        6 when name.SequenceEqual("member"u8) => EntryField.Member,
        6 when name.SequenceEqual("passed"u8) => EntryField.Passed,
        6 when name.SequenceEqual("reason"u8) => EntryField.Reason,
        6 when name.SequenceEqual("formal"u8) => EntryField.Formal,
        7 when name.SequenceEqual("parties"u8) => EntryField.Parties,
        7 when name.SequenceEqual("summary"u8) => EntryField.Summary,
        7 when name.SequenceEqual("chamber"u8) => EntryField.Chamber,
        7 when name.SequenceEqual("against"u8) => EntryField.Against,
        9 when name.SequenceEqual("ratifiers"u8) => EntryField.Ratifiers,
        9 when name.SequenceEqual("abstained"u8) => EntryField.Abstained,
        9 when name.SequenceEqual("authority"u8) => EntryField.Authority,
        9 when name.SequenceEqual("otherwise"u8) => EntryField.Otherwise,
        10 when name.SequenceEqual("depositary"u8) => EntryField.Depositary,
        11 when name.SequenceEqual("unconfirmed"u8) => EntryField.Unconfirmed,
        11 when name.SequenceEqual("memberCount"u8) => EntryField.MemberCount,
        12 when name.SequenceEqual("coCandidates"u8) => EntryField.CoCandidates,
        14 when name.SequenceEqual("entryIntoForce"u8) => EntryField.EntryIntoForce,
        _ => EntryField.Unknown,
    };

    // The entry type as the known name itself (s_types' string), as ReadEntry keeps it.
    private static string KnownType(ref Utf8JsonReader reader)
    {
        Expect(reader.TokenType == JsonTokenType.String);
        if (!reader.ValueIsEscaped)
        {
            foreach (var type in s_types)
            {
                if (Ascii.Equals(reader.ValueSpan, type))
                {
                    return type;
                }
            }
            throw new NotAsChecked();
        }
        return Array.IndexOf(s_types, reader.GetString()) is var known and >= 0 ? s_types[known] : throw new NotAsChecked();
    }

    // YYYY-MM-DD, checked as a date when the file was read (DateOnly.TryParseExact with "yyyy-MM-dd").
    private static DateOnly Date(ref Utf8JsonReader reader)
    {
        Expect(reader.TokenType == JsonTokenType.String);
        var text = reader.ValueSpan;
        if (reader.ValueIsEscaped || text.Length != 10 || text[4] != '-' || text[7] != '-'
            || !Digits(text[..4], out var year) || !Digits(text.Slice(5, 2), out var month) || !Digits(text.Slice(8, 2), out var day)
            || year < 1 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month))
        {
            // Not the plain form: as the check read it.
            var written = reader.GetString();
            return DateOnly.TryParseExact(written, "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var date)
                ? date
                : throw new NotAsChecked();
        }
        return new DateOnly(year, month, day);
    }

    private static bool Digits(ReadOnlySpan<byte> text, out int value)
    {
        value = 0;
        foreach (var b in text)
        {
            if ((uint)(b - '0') > 9)
            {
                return false;
            }
            value = value * 10 + (b - '0');
        }
        return true;
    }

    private static bool Bool(ref Utf8JsonReader reader) => reader.TokenType switch
    {
        JsonTokenType.True => true,
        JsonTokenType.False => false,
        _ => throw new NotAsChecked(),
    };

    private static int Int(ref Utf8JsonReader reader) =>
        reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var value) ? value : throw new NotAsChecked();

    private static string[] Texts(ref Utf8JsonReader reader)
    {
        Expect(reader.TokenType == JsonTokenType.StartArray);
        var items = new List<string>();
        while (Next(ref reader) != JsonTokenType.EndArray)
        {
            items.Add(Text(ref reader));
        }
        return [.. items];
    }

    // A string value. Short plain ASCII ones (codes, chambers, authorities, reasons: the same few, over and over) come
    // from a small cache of the thread's last strings, so that a million entries do not make a million copies of "BEL".
    private static string Text(ref Utf8JsonReader reader)
    {
        Expect(reader.TokenType == JsonTokenType.String);
        var bytes = reader.ValueSpan;
        if (reader.ValueIsEscaped || bytes.Length > 48 || !Ascii.IsValid(bytes))
        {
            return reader.GetString()!;
        }
        var cache = t_strings ??= new string?[256];
        var slot = (int)((uint)HashOf(bytes) % (uint)cache.Length);
        if (cache[slot] is { } known && Ascii.Equals(bytes, known))
        {
            return known;
        }
        return cache[slot] = Encoding.ASCII.GetString(bytes);
    }

    [ThreadStatic]
    private static string?[]? t_strings;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int HashOf(ReadOnlySpan<byte> bytes)
    {
        var hash = new HashCode();
        hash.AddBytes(bytes);
        return hash.ToHashCode();
    }
}
