using System.Buffers;
using System.Security.Cryptography;
using Marten;
using RatificationLedger.Recording;
using RatificationLedger.Storage;

namespace RatificationLedger.Projections.Rebuilding;

/// <summary>The digest a compared table's rows are told apart by (<see cref="IRebuildTable.DigestQuery"/>): SHA-256.</summary>
internal static class RebuildDigest
{
    /// <summary>Whether SHA-256 of <paramref name="bytes"/> is <paramref name="stored"/>, the server's digest of what the table holds.</summary>
    public static bool Matches(ReadOnlySpan<byte> bytes, byte[] stored)
    {
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(bytes, digest);
        return digest.SequenceEqual(stored);
    }
}

/// <summary>
/// One process stream as a rebuild hands it to the read models: its entries in recorded order and, computed once on
/// first use and shared by every table, the stored views folded from them with the write side's
/// <see cref="RatificationLedger.Domain.AccessionState.Evolve(RatificationLedger.Domain.AccessionState, long, object)"/>.
/// </summary>
internal sealed class RebuiltStream(string process, IReadOnlyList<RecordedEntry> entries, bool withHistory = false)
{
    private (AccessionStatus Status, RatificationRegister Register)? _views;
    private List<AsOfRow>? _history;

    /// <summary>The process (stream key).</summary>
    public string Process { get; } = process;

    /// <summary>
    /// Every entry of the stream, in recorded order, with what the stored views read: number, sequence, type, event,
    /// recorded at and by, source and unconfirmed flag. The scan does not read the note, the command, correlation and
    /// causation ids (the audit trail's, which is not stored): a read model that needs them reads them itself.
    /// </summary>
    public IReadOnlyList<RecordedEntry> Entries { get; } = entries;

    /// <summary>The stream's version (its last entry's number).</summary>
    public long Version => Entries.Count > 0 ? Entries[^1].Number : 0;

    /// <summary>Status and register as the inline projection stores them.</summary>
    public (AccessionStatus Status, RatificationRegister Register) Views
    {
        get
        {
            if (_views is null)
            {
                Fold();
            }
            return _views!.Value;
        }
    }

    /// <summary>The as-of index's rows of the process (<see cref="ProcessViews.AsOfHistory(string, IReadOnlyList{RecordedEntry})"/>).</summary>
    public List<AsOfRow> AsOfHistory
    {
        get
        {
            if (_history is null)
            {
                Fold();
            }
            return _history!;
        }
    }

    // A rebuild that writes the as-of index gets the views from the index's last fold (one fold of the stream instead
    // of two); one without it folds for the views alone.
    private void Fold()
    {
        if (_views is not null)
        {
            _history = ProcessViews.AsOfHistory(Process, Entries);
        }
        else if (withHistory)
        {
            var (history, status, register) = ProcessViews.AsOfHistoryWithViews(Process, Entries);
            (_history, _views) = (history, (status, register));
        }
        else
        {
            _views = ProcessViews.BuildStored(Process, Entries);
        }
    }
}

/// <summary>
/// A read model a rebuild writes as rows of one table, stream by stream: "given one stream's entries, the rows of table
/// T". The rebuild reads the log once in key order, hands each whole stream to <see cref="WriteRows"/> on any core,
/// sends the rows with binary <c>COPY</c> into a staging table shaped like <see cref="Table"/>, and at the end replaces
/// the table's rows with the staged ones in one transaction (a stream written meanwhile is folded again there, its
/// rows found by <see cref="ProcessColumn"/>). Columns of the table not in <see cref="Columns"/> take their defaults.
/// </summary>
internal interface IRebuildTable
{
    /// <summary>The table, schema-qualified.</summary>
    string Table { get; }

    /// <summary>The columns <see cref="WriteRows"/> fills, in the order it writes them.</summary>
    IReadOnlyList<string> Columns { get; }

    /// <summary>The column holding the process (stream key) a row was made from.</summary>
    string ProcessColumn { get; }

    /// <summary>
    /// For a table the rebuild replaces only where it changed, the query of every process's digest over its rows as the
    /// table holds them: <c>(process, digest)</c>, the digest as <see cref="WriteRows"/> computes it over the rows it
    /// makes. The rebuild runs it in the scan's snapshot, writes the rows of a process only when their digest differs,
    /// and the swap replaces the rows of those processes alone, leaving the others' rows (and their index entries) as
    /// they are. Null: every row is replaced (the member records, one per member, not per process).
    /// </summary>
    string? DigestQuery { get; }

    /// <summary>
    /// Adds the rows of <paramref name="stream"/> (none, one or many); called concurrently for different streams. For a
    /// table with a <see cref="DigestQuery"/>: unless <paramref name="stored"/> (the process's digest as the table held
    /// it, null when it held no row or is not known) is the digest of exactly these rows; false when nothing was added.
    /// </summary>
    bool WriteRows(RebuiltStream stream, CopyRows rows, byte[]? stored = null);
}

/// <summary>
/// A Marten document per process stream (status, register), written as Marten stores it: id, JSON, version, .NET type.
/// When compared (the status and register), a stream's document is written only when it differs from the stored one:
/// the server gives SHA-256 of each stored document's text (<c>data::text</c>, in the scan's snapshot), the rebuild
/// computes it over the text of the document it made (<see cref="JsonbText"/>). At a million entries the documents are
/// about 300 MB of JSON that the server would parse into <c>jsonb</c> again, compress and index, to store what it
/// already holds when the documents are current; their text is printed and hashed instead, beside the scan.
/// </summary>
internal sealed class DocumentTable<T> : IRebuildTable where T : class
{
    private readonly ISerializer _serializer;
    private readonly Func<RebuiltStream, T>? _document;
    private readonly Func<T, JsonbDocumentText, bool>? _direct;
    private readonly CheckedShortcut _directChecks = new(JsonbDocumentText.CheckedDocuments);
    private readonly string _type = typeof(T).FullName!;

    // The document's JSON, its text as jsonb prints it, and its text written directly, per worker thread (a register is
    // tens of kilobytes).
    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_json;

    [ThreadStatic]
    private static JsonbText? t_text;

    [ThreadStatic]
    private static JsonbDocumentText? t_direct;

    /// <summary>
    /// The table of <typeparamref name="T"/>; <paramref name="document"/> makes a stream's document (null for a document
    /// that is not one per stream). <paramref name="direct"/>, for a compared table, writes a document's jsonb text
    /// without the serializer (<see cref="JsonbDocumentText"/>): used once it gave the serializer's text for the first
    /// <see cref="JsonbDocumentText.CheckedDocuments"/> documents, never again in this rebuild once it did not.
    /// </summary>
    public DocumentTable(IDocumentStore store, Func<RebuiltStream, T>? document, bool compared = false, Func<T, JsonbDocumentText, bool>? direct = null)
    {
        _serializer = store.Options.Serializer();
        _document = document;
        _direct = compared ? direct : null;
        Table = store.Options.FindOrResolveDocumentType(typeof(T)).TableName.QualifiedName;
        // By id, the scan's order (the primary key's walk; the loader turns sorts off).
        DigestQuery = compared ? $"select id, sha256(convert_to(data::text, 'UTF8')) from {Table} order by id" : null;
    }

    public string Table { get; }

    public IReadOnlyList<string> Columns { get; } = ["id", "data", StorageNames.Version, StorageNames.DotNetType];

    public string ProcessColumn => "id";

    public string? DigestQuery { get; }

    /// <summary>Whether the documents' text is written directly (so far in this rebuild): false once it differed from the serializer's.</summary>
    internal bool WritesDirectText => _direct is not null && _directChecks.Usable;

    public bool WriteRows(RebuiltStream stream, CopyRows rows, byte[]? stored = null)
    {
        var document = (_document ?? throw new InvalidOperationException($"{typeof(T).Name} is not a document per stream."))(stream);
        if (stored is null)
        {
            Write(rows, stream.Process, document);
            return true;
        }
        if (!TryText(document, out var text))
        {
            // Not JSON jsonb's text can be made of: written as the serializer wrote it.
            Write(rows, stream.Process, text);
            return true;
        }
        if (RebuildDigest.Matches(text, stored))
        {
            return false;
        }
        Write(rows, stream.Process, text);
        return true;
    }

    // The document's text as jsonb prints it (true), or the serializer's JSON when that cannot be made (false).
    private bool TryText(T document, out ReadOnlySpan<byte> text)
    {
        if (_direct is { } direct && _directChecks.Usable)
        {
            var written = t_direct ??= new JsonbDocumentText();
            if (direct(document, written))
            {
                if (_directChecks.Trusted)
                {
                    text = written.Written;
                    return true;
                }
                // Checked against the serializer's text, which is the answer until the direct text is trusted. Another
                // shape than the one the direct text knows (the store configured otherwise, a property it does not
                // write) refuses it: the serializer's text from here on.
                var made = SerializedText(document, out text);
                _directChecks.Checked(made && text.SequenceEqual(written.Written));
                return made;
            }
        }
        return SerializedText(document, out text);
    }

    // The serializer's JSON of the document made into jsonb's text (true), or that JSON as it is (false).
    private bool SerializedText(T document, out ReadOnlySpan<byte> text)
    {
        var json = t_json ??= new ArrayBufferWriter<byte>(64 * 1024);
        json.ResetWrittenCount();
        _serializer.WriteTo(json, document);
        var jsonb = t_text ??= new JsonbText();
        if (!jsonb.TryWrite(json.WrittenSpan))
        {
            text = json.WrittenSpan;
            return false;
        }
        text = jsonb.Written;
        return true;
    }

    /// <summary>One document's row.</summary>
    public void Write(CopyRows rows, string id, T document)
    {
        rows.StartRow(4);
        rows.Text(id);
        rows.Jsonb(json => _serializer.WriteTo(json, document));
        rows.Uuid(Guid.NewGuid());
        rows.Text(_type);
    }

    // One document's row, its JSON given.
    private void Write(CopyRows rows, string id, ReadOnlySpan<byte> json)
    {
        rows.StartRow(4);
        rows.Text(id);
        rows.Jsonb(json);
        rows.Uuid(Guid.NewGuid());
        rows.Text(_type);
    }
}

/// <summary>
/// The as-of index (<see cref="AsOfIndex"/>) as a rebuild writes it: per stream, the rows its live maintenance writes
/// transaction after transaction (<see cref="ProcessViews.AsOfHistory"/>), with the entries' recorded-at instants.
/// Replaced only for the processes whose rows changed. A rebuild usually finds the index as the live maintenance left
/// it (659,496 rows at a million entries): staging every row and finding the few that differ with a join on the server
/// took 1.6 s of COPY and 2.7 s of the swap, on its serial end, at that size.
/// </summary>
internal sealed class AsOfIndexTable(IDocumentStore store) : IRebuildTable
{
    public string Table { get; } = AsOfIndex.QualifiedName(store);

    public IReadOnlyList<string> Columns { get; } = ["process", "valid_from", "known_from", "known_to", "status"];

    public string ProcessColumn => "process";

    // By process, the scan's order. A process's digest: SHA-256 over its rows in key order (valid_from, known_from),
    // each row's columns but the process as binary COPY writes them (length, then the value: the date's days and the instants' microseconds since
    // 2000-01-01, a missing end as the length -1), which the server's send functions give byte for byte.
    public string? DigestQuery => $"select process, sha256(string_agg(int4send(4) || date_send(valid_from) || int4send(8) || timestamptz_send(known_from) "
        + "|| coalesce(int4send(8) || timestamptz_send(known_to), int4send(-1)) || int4send(octet_length(status)) || status, ''::bytea order by valid_from, known_from)) "
        + $"from {Table} group by process order by process";

    [ThreadStatic]
    private static CopyRows? t_scratch;

    public bool WriteRows(RebuiltStream stream, CopyRows rows, byte[]? stored = null)
    {
        var history = stream.AsOfHistory;
        history.Sort(static (a, b) => a.ValidFrom != b.ValidFrom ? a.ValidFrom.CompareTo(b.ValidFrom) : a.KnownFrom.CompareTo(b.KnownFrom));
        if (stored is not null)
        {
            var scratch = t_scratch ??= new CopyRows(64 * 1024);
            scratch.Clear();
            foreach (var row in history)
            {
                WriteColumns(scratch, row);
            }
            if (RebuildDigest.Matches(scratch.Written.Span, stored))
            {
                return false;
            }
        }
        foreach (var row in history)
        {
            rows.StartRow(5);
            rows.Text(stream.Process);
            WriteColumns(rows, row);
        }
        return true;
    }

    private static void WriteColumns(CopyRows rows, AsOfRow row)
    {
        rows.Date(row.ValidFrom);
        rows.Timestamp(row.KnownFrom);
        rows.Timestamp(row.KnownTo);
        rows.Bytea(row.Status);
    }
}
