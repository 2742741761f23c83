using System.Text;
using System.Text.Json;
using RatificationLedger.Domain;
using RatificationLedger.Recording;

namespace RatificationLedger.Import;

// The first check of a process, the quick way: its tokens read once (no document, no paths, no commands), every rule
// ReadProcess and ReadEntry apply checked as a yes or no. Only a yes is taken: anything the quick check does not accept
// (a rule broken, but also a null given for an optional field, or a field given twice) sends the process to ReadProcess,
// which accepts it or says what is wrong exactly as before. So the quick check may refuse more than ReadProcess, never
// less: what it accepts, ReadProcess accepts, with the same dates and the same places in the text.
public sealed partial record HistoryFile
{
    // Per entry type: the fields it allows (ReadEntry's s_fields) and the ones it requires besides type and on.
    // (In a class of its own: static fields of the parts of a partial type are initialized in no set order, and these
    // are made of s_fields.)
    private static class Masks
    {
        public static readonly Dictionary<string, (uint Allowed, uint Required)> ByType = s_fields.ToDictionary(
        t => t.Key,
        t => (t.Value.Aggregate(0u, (mask, name) => mask | Bit(Field(Encoding.UTF8.GetBytes(name)))), t.Key switch
        {
            "memorandum" => Bit(EntryField.Title) | Bit(EntryField.Parties),
            "vote" => Bit(EntryField.Member) | Bit(EntryField.Chamber) | Bit(EntryField.Passed),
            "veto" => Bit(EntryField.Member) | Bit(EntryField.Formal),
            "ratification" or "deposit" or "veto-lifted" or "ratifier-added" => Bit(EntryField.Member),
            _ => 0u,
        }),
        StringComparer.Ordinal);
    }

    private static uint Bit(EntryField field) => 1u << (int)field;

    // The process at `slice`, if the quick check accepts it whole; null to let ReadProcess read it.
    private static ProcessRead? TryReadProcess(ReadOnlySpan<byte> text, Slice slice, int ordinal, Organization organization)
    {
        if (slice.Kind != JsonValueKind.Object)
        {
            return null;
        }
        var process = text.Slice(slice.Start, slice.Length);
        var reader = new Utf8JsonReader(process, s_json);
        try
        {
            Expect(reader.Read() && reader.TokenType == JsonTokenType.StartObject);
            string? id = null, candidate = null;
            var entries = new List<EntryAt>();
            var seen = 0;
            while (Next(ref reader) == JsonTokenType.PropertyName)
            {
                var field = reader.ValueTextEquals("id"u8) ? 0 : reader.ValueTextEquals("candidate"u8) ? 1 : reader.ValueTextEquals("events"u8) ? 2 : -1;
                Expect(field >= 0 && (seen & (1 << field)) == 0);
                seen |= 1 << field;
                Expect(reader.Read());
                switch (field)
                {
                    case 0:
                        Expect(reader.TokenType == JsonTokenType.String);
                        id = reader.GetString();
                        break;
                    case 1:
                        candidate = Text(ref reader);
                        break;
                    default:
                        Expect(reader.TokenType == JsonTokenType.StartArray);
                        while (Next(ref reader) != JsonTokenType.EndArray)
                        {
                            var start = (int)reader.TokenStartIndex;
                            Expect(reader.TokenType == JsonTokenType.StartObject);
                            var on = CheckedEntry(ref reader, organization);
                            var length = (int)reader.BytesConsumed - start;
                            entries.Add(new EntryAt(on.DayNumber, slice.Start + start, length, ordinal, entries.Count, CheckOf(process.Slice(start, length))));
                        }
                        break;
                }
            }
            // As ReadProcess: the id a process id of the file's organization, the candidate a country code and the id's.
            Expect(seen == 7 && ProcessId.TryParse(id, out var org, out var code) && org == organization.Code
                && CountryCode.IsValid(candidate) && candidate == code);
            return new ProcessRead(id, null, null, [.. entries]);
        }
        catch (NotAsChecked)
        {
            return null;
        }
    }

    // An entry (the reader at its StartObject, left at its EndObject) that ReadEntry accepts, and its date; NotAsChecked
    // for anything else.
    private static DateOnly CheckedEntry(ref Utf8JsonReader reader, Organization organization)
    {
        var v = Values(ref reader, strict: true);
        Expect(v.Type is not null && v.On is not null && Masks.ByType.TryGetValue(v.Type, out var mask)
            && (v.Seen & ~mask.Allowed) == 0 && (v.Seen & mask.Required) == mask.Required);
        var on = v.On!.Value;
        Expect((v.Member is null || CountryCode.IsValid(v.Member))
            && (v.Depositary is null || CountryCode.IsValid(v.Depositary))
            && Codes(v.Ratifiers) && Codes(v.CoCandidates)
            && AccessionDecider.Text(v.Source, "source", Provenance.TextLimit) is null
            && AccessionDecider.Text(v.Note, "note", Provenance.TextLimit) is null
            && (v.EntryIntoForce is null || v.EntryIntoForce.Check(on) is null));
        return on;
    }

    private static bool Codes(string[]? codes)
    {
        foreach (var code in codes ?? [])
        {
            if (!CountryCode.IsValid(code))
            {
                return false;
            }
        }
        return true;
    }
}
