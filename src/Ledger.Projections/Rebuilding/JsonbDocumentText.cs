using System.Globalization;
using System.Text;

namespace RatificationLedger.Projections.Rebuilding;

/// <summary>
/// The text PostgreSQL prints for a stored status or register document (<c>data::text</c>), written straight from the
/// document: what <see cref="JsonbText"/> makes of the store's JSON, without the store's serializer in between. A
/// rebuild compares the SHA-256 of this text with the server's digest of every stored document, and at a million
/// entries that is 150 MB of registers: System.Text.Json's serializer and the pass that turns its JSON into
/// <c>jsonb</c>'s text were a quarter of the rebuild's folding threads in a sampled profile.
/// </summary>
/// <remarks>
/// The shapes below are the documents' as the ledger configures the store (camelCase names, enums by name, dates as
/// <c>yyyy-MM-dd</c>, keys in <c>jsonb</c>'s order: shorter first, then by bytes). Nothing here is trusted: a rebuild
/// uses this text only for a table whose first documents gave exactly the text of the store's own JSON
/// (<see cref="DocumentTable{T}"/>), so a store configured otherwise (or a property added to a document and not here)
/// takes the serializer's path; and a wrong text can only make a current document look different (a write too many),
/// never a stale one current, because the text is itself JSON of the document. <c>JsonbTextTests</c> compare it with
/// the server's text of the store's JSON for documents with every property set and strings that need escapes.
/// </remarks>
internal sealed class JsonbDocumentText
{
    /// <summary>
    /// How many documents of a table must have given exactly the text of the serializer's JSON before this text is used
    /// alone: by a rebuild's compared tables (<see cref="DocumentTable{T}"/>) and by the import's documents
    /// (<see cref="BulkDocuments"/>) alike.
    /// </summary>
    internal const int CheckedDocuments = 16;

    private byte[] _buffer = new byte[64 * 1024];
    private int _length;
    private bool _failed;

    /// <summary>The text made by the last <see cref="TryWrite(AccessionStatus)"/> or <see cref="TryWrite(RatificationRegister)"/>.</summary>
    public ReadOnlySpan<byte> Written => _buffer.AsSpan(0, _length);

    /// <summary>Makes the text of <paramref name="status"/>; false for a string it cannot write as <c>jsonb</c> does (a lone surrogate).</summary>
    public bool TryWrite(AccessionStatus status) => Document(status, StatusFields);

    /// <summary>Makes the text of <paramref name="register"/>; false as for a status.</summary>
    public bool TryWrite(RatificationRegister register) => Document(register, RegisterFields);

    private bool Document<T>(T document, (byte[] Key, Field<T> Write)[] fields)
    {
        ArgumentNullException.ThrowIfNull(document);
        _length = 0;
        _failed = false;
        Object(document, fields);
        return !_failed;
    }

    // One property: writes its value and returns true, or returns false for a property left out (null or default, as
    // its JsonIgnore condition says), whose key is then taken back.
    private delegate bool Field<in T>(T value, JsonbDocumentText text);

    // The fields of a type in jsonb's order of their keys, each key with its quotes, colon and space.
    private static (byte[] Key, Field<T> Write)[] Fields<T>(params (string Name, Field<T> Write)[] fields) =>
        [.. fields.OrderBy(f => f.Name, Comparer<string>.Create(StoredDocumentJson.JsonbKeyOrder)).Select(f => (Encoding.UTF8.GetBytes($"\"{f.Name}\": "), f.Write))];

    private void Object<T>(T value, (byte[] Key, Field<T> Write)[] fields)
    {
        Byte((byte)'{');
        var first = true;
        foreach (var (key, write) in fields)
        {
            var mark = _length;
            if (!first)
            {
                Raw(", "u8);
            }
            Raw(key);
            if (write(value, this))
            {
                first = false;
            }
            else
            {
                _length = mark;
            }
        }
        Byte((byte)'}');
    }

    private bool List<T>(IReadOnlyList<T>? items, Action<T, JsonbDocumentText> write)
    {
        if (items is null)
        {
            Raw("null"u8);
            return true;
        }
        Byte((byte)'[');
        for (var i = 0; i < items.Count; i++)
        {
            if (i > 0)
            {
                Raw(", "u8);
            }
            write(items[i], this);
        }
        Byte((byte)']');
        return true;
    }

    private bool Nested<T>(T? value, (byte[] Key, Field<T> Write)[] fields) where T : class
    {
        if (value is null)
        {
            Raw("null"u8);
            return true;
        }
        Object(value, fields);
        return true;
    }

    private static readonly (byte[], Field<MemberDate>)[] MemberDateFields = Fields<MemberDate>(
        ("member", (d, t) => t.String(d.Member)),
        ("on", (d, t) => t.Date(d.On)),
        ("unconfirmed", (d, t) => t.True(d.Unconfirmed)));

    private static readonly (byte[], Field<VetoView>)[] VetoFields = Fields<VetoView>(
        ("member", (v, t) => t.String(v.Member)),
        ("since", (v, t) => t.Date(v.Since)),
        ("reason", (v, t) => t.String(v.Reason)),
        ("formal", (v, t) => t.True(v.Formal)),
        ("unconfirmed", (v, t) => t.True(v.Unconfirmed)),
        ("endedOn", (v, t) => t.Date(v.EndedOn)),
        ("endedBy", (v, t) => t.OptionalString(v.EndedBy)));

    private static readonly (byte[], Field<MemorandumView>)[] MemorandumFields = Fields<MemorandumView>(
        ("on", (m, t) => t.Date(m.On)),
        ("title", (m, t) => t.String(m.Title)),
        ("parties", (m, t) => t.List(m.Parties, static (p, t) => t.String(p))),
        ("summary", (m, t) => t.OptionalString(m.Summary)),
        ("unconfirmed", (m, t) => t.True(m.Unconfirmed)));

    private static readonly (byte[], Field<EntryIntoForceView>)[] EntryIntoForceFields = Fields<EntryIntoForceView>(
        ("rule", (e, t) => t.String(e.Rule)),
        ("date", (e, t) => t.Date(e.Date)),
        ("reason", (e, t) => t.String(e.Reason)));

    private static readonly (byte[], Field<AccessionStatus>)[] StatusFields = Fields<AccessionStatus>(
        ("id", (s, t) => t.String(s.Id)),
        ("organization", (s, t) => t.String(s.Organization)),
        ("candidate", (s, t) => t.String(s.Candidate)),
        ("stage", (s, t) => t.Name(s.Stage)),
        ("asOf", (s, t) => t.Date(s.AsOf)),
        ("knownAt", (s, t) => t.Instant(s.KnownAt)),
        ("appliedOn", (s, t) => t.Date(s.AppliedOn)),
        ("invitedOn", (s, t) => t.Date(s.InvitedOn)),
        ("invitationVenue", (s, t) => t.OptionalString(s.InvitationVenue)),
        ("protocolSignedOn", (s, t) => t.Date(s.ProtocolSignedOn)),
        ("accededOn", (s, t) => t.Date(s.AccededOn)),
        ("withdrawnOn", (s, t) => t.Date(s.WithdrawnOn)),
        ("requiredRatifiers", (s, t) => t.MemberDates(s.RequiredRatifiers)),
        ("ratified", (s, t) => t.MemberDates(s.Ratified)),
        ("deposited", (s, t) => t.MemberDates(s.Deposited)),
        ("counted", (s, t) => t.MemberDates(s.Counted)),
        ("pending", (s, t) => t.List(s.Pending, static (p, t) => t.String(p))),
        ("approvalsImplied", (s, t) => t.MemberDates(s.ApprovalsImplied)),
        ("depositsImplied", (s, t) => t.MemberDates(s.DepositsImplied)),
        ("treaty", (s, t) => t.OptionalString(s.Treaty)),
        ("coCandidates", (s, t) => t.List(s.CoCandidates, static (c, t) => t.String(c))),
        ("entryIntoForce", (s, t) => s.EntryIntoForce is not null && t.Nested(s.EntryIntoForce, EntryIntoForceFields)),
        ("activeVetoes", (s, t) => t.List(s.ActiveVetoes, static (v, t) => t.Nested(v, VetoFields))),
        ("vetoes", (s, t) => t.List(s.Vetoes, static (v, t) => t.Nested(v, VetoFields))),
        ("memoranda", (s, t) => t.List(s.Memoranda, static (m, t) => t.Nested(m, MemorandumFields))),
        ("entries", (s, t) => t.Number(s.Entries)),
        ("version", (s, t) => t.Number(s.Version)));

    private static readonly (byte[], Field<RegisterStep>)[] StepFields = Fields<RegisterStep>(
        ("type", (s, t) => t.String(s.Type)),
        ("on", (s, t) => t.Date(s.On)),
        ("detail", (s, t) => t.String(s.Detail)),
        ("unconfirmed", (s, t) => t.True(s.Unconfirmed)),
        ("source", (s, t) => t.OptionalString(s.Source)));

    private static readonly (byte[], Field<RegisterRow>)[] RowFields = Fields<RegisterRow>(
        ("member", (r, t) => t.String(r.Member)),
        ("ratifiedOn", (r, t) => t.Date(r.RatifiedOn)),
        ("depositedOn", (r, t) => t.Date(r.DepositedOn)),
        ("ratifiedBy", (r, t) => t.Date(r.RatifiedBy)),
        ("depositedBy", (r, t) => t.Date(r.DepositedBy)),
        ("countsFrom", (r, t) => t.Date(r.CountsFrom)),
        ("requiredSince", (r, t) => t.Date(r.RequiredSince)),
        ("unconfirmed", (r, t) => t.True(r.Unconfirmed)),
        ("daysFromSignature", (r, t) => r.DaysFromSignature is { } days && t.Number(days)),
        ("steps", (r, t) => t.List(r.Steps, static (s, t) => t.Nested(s, StepFields))),
        ("recordedAt", (r, t) => t.Instant(r.RecordedAt)),
        ("recordedBy", (r, t) => t.OptionalString(r.RecordedBy)),
        ("source", (r, t) => t.OptionalString(r.Source)));

    private static readonly (byte[], Field<RatificationRegister>)[] RegisterFields = Fields<RatificationRegister>(
        ("id", (r, t) => t.String(r.Id)),
        ("protocolSignedOn", (r, t) => t.Date(r.ProtocolSignedOn)),
        ("rows", (r, t) => t.List(r.Rows, static (row, t) => t.Nested(row, RowFields))));

    private bool MemberDates(List<MemberDate>? dates) => List(dates, static (d, t) => t.Nested(d, MemberDateFields));

    // A bool left out when false (JsonIgnoreCondition.WhenWritingDefault).
    private bool True(bool value)
    {
        if (value)
        {
            Raw("true"u8);
        }
        return value;
    }

    private bool Number(long value)
    {
        var span = Take(20);
        value.TryFormat(span, out var written, provider: CultureInfo.InvariantCulture);
        _length += written;
        return true;
    }

    // An enum by its name (the store's JsonStringEnumConverter, no naming policy).
    private bool Name(Stage stage) => String(stage.ToString());

    // A date left out when null (JsonIgnoreCondition.WhenWritingNull).
    private bool Date(DateOnly? date) => date is { } d && Date(d);

    // yyyy-MM-dd (LedgerJson's date converter), digit by digit: a register has hundreds of dates, and a custom format
    // string is parsed on every call.
    private bool Date(DateOnly date)
    {
        var span = Take(12);
        var (year, month, day) = date;
        span[0] = (byte)'"';
        span[1] = (byte)('0' + year / 1000);
        span[2] = (byte)('0' + year / 100 % 10);
        span[3] = (byte)('0' + year / 10 % 10);
        span[4] = (byte)('0' + year % 10);
        span[5] = (byte)'-';
        span[6] = (byte)('0' + month / 10);
        span[7] = (byte)('0' + month % 10);
        span[8] = (byte)'-';
        span[9] = (byte)('0' + day / 10);
        span[10] = (byte)('0' + day % 10);
        span[11] = (byte)'"';
        _length += 12;
        return true;
    }

    // An instant as System.Text.Json writes a DateTimeOffset: ISO 8601 with the offset, the fraction of a second
    // without its trailing zeros (none when it is zero).
    private bool Instant(DateTimeOffset? instant)
    {
        if (instant is not { } value)
        {
            return false;
        }
        Span<byte> formatted = stackalloc byte[40];
        value.TryFormat(formatted, out var written, "O", CultureInfo.InvariantCulture);
        // yyyy-MM-ddTHH:mm:ss.fffffff+hh:mm: the fraction is the seven digits after the 19th character.
        var fraction = formatted.Slice(20, 7);
        var digits = fraction.TrimEnd((byte)'0').Length;
        var span = Take(written + 2);
        span[0] = (byte)'"';
        formatted[..(digits == 0 ? 19 : 20 + digits)].CopyTo(span[1..]);
        var at = 1 + (digits == 0 ? 19 : 20 + digits);
        formatted[27..written].CopyTo(span[at..]);
        at += written - 27;
        span[at++] = (byte)'"';
        _length += at;
        return true;
    }

    // A string left out when null (JsonIgnoreCondition.WhenWritingNull).
    private bool OptionalString(string? value) => value is not null && String(value);

    // A string as jsonb prints it (escape_json in PostgreSQL's json.c): quote, backslash and \b \f \n \r \t escaped,
    // other control characters as \u00xx, everything else as its UTF-8. Null as null.
    private bool String(string? value)
    {
        if (value is null)
        {
            Raw("null"u8);
            return true;
        }
        // At most six bytes per UTF-16 unit (\u00xx), and the quotes.
        var span = Take(6 * value.Length + 2);
        var n = 0;
        span[n++] = (byte)'"';
        var chars = value.AsSpan();
        var i = 0;
        while (i < chars.Length)
        {
            var c = chars[i];
            if (c < 0x80)
            {
                i++;
                if (c >= 0x20 && c != '"' && c != '\\')
                {
                    span[n++] = (byte)c;
                }
                else
                {
                    n += JsonbText.Character(c, span[n..]);
                }
                continue;
            }
            if (Rune.DecodeFromUtf16(chars[i..], out var rune, out var used) != System.Buffers.OperationStatus.Done)
            {
                // A lone surrogate: the store's serializer writes it escaped, jsonb refuses it; not this text's to decide.
                _failed = true;
                return true;
            }
            n += JsonbText.Character(rune.Value, span[n..]);
            i += used;
        }
        span[n++] = (byte)'"';
        _length += n;
        return true;
    }

    private void Byte(byte b)
    {
        Take(1);
        _buffer[_length++] = b;
    }

    private void Raw(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(Take(bytes.Length));
        _length += bytes.Length;
    }

    // Room for at least `size` bytes at the end, where the caller writes (and then moves _length on).
    private Span<byte> Take(int size)
    {
        if (_buffer.Length - _length < size)
        {
            Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + size));
        }
        return _buffer.AsSpan(_length);
    }
}
