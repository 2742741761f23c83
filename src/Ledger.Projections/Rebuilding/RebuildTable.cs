using Marten;
using RatificationLedger.Recording;
using RatificationLedger.Storage;

namespace RatificationLedger.Projections.Rebuilding;

/// <summary>
/// One process stream as a rebuild hands it to the read models: its entries in recorded order and, computed once on
/// first use and shared by every table, the stored views folded from them with the write side's
/// <see cref="RatificationLedger.Domain.AccessionState.Evolve(RatificationLedger.Domain.AccessionState, long, object)"/>.
/// </summary>
internal sealed class RebuiltStream(string process, IReadOnlyList<RecordedEntry> entries)
{
    private (AccessionStatus Status, RatificationRegister Register)? _views;

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
    public (AccessionStatus Status, RatificationRegister Register) Views => _views ??= ProcessViews.BuildStored(Process, Entries);
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

    /// <summary>Adds the rows of <paramref name="stream"/> (none, one or many); called concurrently for different streams.</summary>
    void WriteRows(RebuiltStream stream, CopyRows rows);
}

/// <summary>A Marten document per process stream (status, register), written as Marten stores it: id, JSON, version, .NET type.</summary>
internal sealed class DocumentTable<T> : IRebuildTable where T : class
{
    private readonly ISerializer _serializer;
    private readonly Func<RebuiltStream, T>? _document;
    private readonly string _type = typeof(T).FullName!;

    /// <summary>The table of <typeparamref name="T"/>; <paramref name="document"/> makes a stream's document (null for a document that is not one per stream).</summary>
    public DocumentTable(IDocumentStore store, Func<RebuiltStream, T>? document)
    {
        _serializer = store.Options.Serializer();
        _document = document;
        Table = store.Options.FindOrResolveDocumentType(typeof(T)).TableName.QualifiedName;
    }

    public string Table { get; }

    public IReadOnlyList<string> Columns { get; } = ["id", "data", StorageNames.Version, StorageNames.DotNetType];

    public string ProcessColumn => "id";

    public void WriteRows(RebuiltStream stream, CopyRows rows) =>
        Write(rows, stream.Process, (_document ?? throw new InvalidOperationException($"{typeof(T).Name} is not a document per stream."))(stream));

    /// <summary>One document's row.</summary>
    public void Write(CopyRows rows, string id, T document)
    {
        rows.StartRow(4);
        rows.Text(id);
        rows.Jsonb(json => _serializer.WriteTo(json, document));
        rows.Uuid(Guid.NewGuid());
        rows.Text(_type);
    }

}

/// <summary>
/// The as-of index (<see cref="AsOfIndex"/>) as a rebuild writes it: per stream, the rows its live maintenance writes
/// transaction after transaction (<see cref="ProcessViews.AsOfHistory"/>), with the entries' recorded-at instants.
/// </summary>
internal sealed class AsOfIndexTable(IDocumentStore store) : IRebuildTable
{
    public string Table { get; } = AsOfIndex.QualifiedName(store);

    public IReadOnlyList<string> Columns { get; } = ["process", "valid_from", "known_from", "known_to", "status"];

    public string ProcessColumn => "process";

    public void WriteRows(RebuiltStream stream, CopyRows rows)
    {
        foreach (var row in ProcessViews.AsOfHistory(stream.Process, stream.Entries))
        {
            rows.StartRow(5);
            rows.Text(stream.Process);
            rows.Date(row.ValidFrom);
            rows.Timestamp(row.KnownFrom);
            rows.Timestamp(row.KnownTo);
            rows.Bytea(row.Status);
        }
    }
}
