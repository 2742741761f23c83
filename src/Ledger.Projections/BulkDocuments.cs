using System.Buffers;
using Marten;
using Npgsql;
using NpgsqlTypes;
using RatificationLedger.Projections.Rebuilding;
using RatificationLedger.Recording;
using RatificationLedger.Storage;

namespace RatificationLedger.Projections;

/// <summary>
/// The process views as the COPY write stores them: each table's documents in one upsert of Marten's row (id, JSON,
/// version, .NET type, last modified), sent on the transaction's connection as soon as the rows are in, instead of one
/// upsert per document serialized at the commit. The JSON is serialized with the store's serializer while the rows are
/// stored, as UTF-8 into arrays the import reuses (<see cref="Utf8Documents"/>), and goes over as one <c>bytea</c> per table with
/// each document's place in it: no string per document (a register is tens of kilobytes of JSON, twice that as a .NET
/// string, and lived through the write into the collector's older generations).
/// </summary>
/// <remarks>
/// A document's JSON is the text <c>jsonb</c> prints for it, written straight from the document
/// (<see cref="JsonbDocumentText"/>, as a rebuild compares them), once the first
/// <see cref="JsonbDocumentText.CheckedDocuments"/> of the table were exactly the text of the serializer's JSON; until
/// then, and for good once one was not (a store configured otherwise), the serializer's JSON. Either parses into the same <c>jsonb</c>. The serializer was a
/// tenth of the import's worker threads in a sampled profile, and the direct text takes a third of its time.
/// </remarks>
internal sealed class BulkDocuments(IDocumentStore store)
{
    public ISerializer Serializer { get; } = store.Options.Serializer();

    private readonly CheckedShortcut _statusText = new(JsonbDocumentText.CheckedDocuments);
    private readonly CheckedShortcut _registerText = new(JsonbDocumentText.CheckedDocuments);

    // The direct text of a document, and the text of its serializer's JSON while checking, per thread.
    [ThreadStatic]
    private static JsonbDocumentText? t_direct;

    [ThreadStatic]
    private static JsonbText? t_text;

    /// <summary>Whether the tables' documents are written as their direct text (so far): false once one differed from the serializer's.</summary>
    internal (bool Status, bool Register) WritesDirectText => (_statusText.Trusted, _registerText.Trusted);

    /// <summary>Adds <paramref name="status"/> as the next of <paramref name="documents"/>.</summary>
    public void Add(Utf8Documents documents, AccessionStatus status) => Add(documents, status, _statusText, static (d, text) => text.TryWrite(d));

    /// <summary>Adds <paramref name="register"/> as the next of <paramref name="documents"/>.</summary>
    public void Add(Utf8Documents documents, RatificationRegister register) => Add(documents, register, _registerText, static (d, text) => text.TryWrite(d));

    private void Add<T>(Utf8Documents documents, T document, CheckedShortcut shortcut, Func<T, JsonbDocumentText, bool> write)
        where T : notnull
    {
        if (shortcut.Usable)
        {
            var direct = t_direct ??= new JsonbDocumentText();
            if (write(document, direct))
            {
                if (shortcut.Trusted)
                {
                    documents.Add(direct.Written);
                    return;
                }
                // The serializer's JSON is the document until the direct text is trusted.
                var json = documents.Add(Serializer, document);
                var text = t_text ??= new JsonbText();
                shortcut.Checked(text.TryWrite(json) && text.Written.SequenceEqual(direct.Written));
                return;
            }
        }
        documents.Add(Serializer, document);
    }

    private readonly string _status = Upsert(store, typeof(AccessionStatus));
    private readonly string _register = Upsert(store, typeof(RatificationRegister));

    // The row as the receipts' plain insert writes it (MartenBatchWriter), a version drawn by the server for each; the
    // document's JSON cut from the batch's bytes ($1, 1-based places) and parsed by the server as it parses text.
    private static string Upsert(IDocumentStore store, Type type)
    {
        var table = store.Options.FindOrResolveDocumentType(type).TableName.QualifiedName;
        return $"insert into {table} ({StorageNames.DocumentRow}) "
            + $"select d.id, convert_from(substring($1::bytea from d.at for d.length), 'UTF8')::jsonb, gen_random_uuid(), '{type.FullName}', transaction_timestamp() "
            + "from unnest($2::varchar[], $3::int[], $4::int[]) as d(id, at, length) "
            + $"on conflict (id) do update set data = excluded.data, {StorageNames.Version} = excluded.{StorageNames.Version}, "
            + $"{StorageNames.DotNetType} = excluded.{StorageNames.DotNetType}, {StorageNames.LastModified} = excluded.{StorageNames.LastModified}";
    }

    // What the last batch's documents took, per table: the next batch's array is sized from it.
    private long _statusBytes;
    private long _registerBytes;

    /// <summary>An empty array for <paramref name="count"/> status documents, sized from the last batch's.</summary>
    public Utf8Documents StatusDocuments(int count, ImportBuffers buffers) => new(count, buffers, Interlocked.Read(ref _statusBytes));

    /// <summary>An empty array for <paramref name="count"/> registers, sized from the last batch's.</summary>
    public Utf8Documents RegisterDocuments(int count, ImportBuffers buffers) => new(count, buffers, Interlocked.Read(ref _registerBytes));

    /// <summary>Upserts the documents of <paramref name="ids"/> (status and register of each, in the same order) in one round trip.</summary>
    public async Task StoreAsync(NpgsqlConnection connection, string[] ids, Utf8Documents status, Utf8Documents register, CancellationToken ct)
    {
        Interlocked.Exchange(ref _statusBytes, status.Written);
        Interlocked.Exchange(ref _registerBytes, register.Written);
        await using var batch = new NpgsqlBatch(connection);
        batch.BatchCommands.Add(Command(_status, ids, status));
        batch.BatchCommands.Add(Command(_register, ids, register));
        await batch.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    private static NpgsqlBatchCommand Command(string sql, string[] ids, Utf8Documents documents)
    {
        var command = new NpgsqlBatchCommand(sql);
        command.Parameters.Add(new NpgsqlParameter<ReadOnlyMemory<byte>> { NpgsqlDbType = NpgsqlDbType.Bytea, TypedValue = documents.Bytes });
        command.Parameters.Add(new NpgsqlParameter<string[]> { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Varchar, TypedValue = ids });
        command.Parameters.Add(new NpgsqlParameter<int[]> { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Integer, TypedValue = documents.At });
        command.Parameters.Add(new NpgsqlParameter<int[]> { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Integer, TypedValue = documents.Lengths });
        return command;
    }
}

/// <summary>
/// One table's documents of a batch as UTF-8 JSON, serialized in order into one growing array from an
/// <see cref="ImportBuffers"/> shelf (given back by <see cref="Dispose"/>), each with its 1-based place and length in it
/// (as SQL's <c>substring</c> counts). One array per table and batch, sized from the last batch's: per-thread arrays
/// joined afterwards held several arrays of tens of megabytes on the shelf, and the import's peak working set grew by
/// as much.
/// </summary>
internal sealed class Utf8Documents : IBufferWriter<byte>, IDisposable
{
    private readonly ImportBuffers _buffers;
    private readonly int[] _at;
    private readonly int[] _length;
    private byte[] _buffer;
    private int _written;
    private int _count;

    /// <summary>Room for <paramref name="count"/> documents, about <paramref name="expectedBytes"/> in all (0: not known).</summary>
    public Utf8Documents(int count, ImportBuffers buffers, long expectedBytes = 0)
    {
        _buffers = buffers;
        _at = new int[count];
        _length = new int[count];
        _buffer = buffers.Take((int)Math.Clamp(expectedBytes + (expectedBytes / 8), 1 << 16, Array.MaxLength));
    }

    /// <summary>Serializes <paramref name="document"/> as the next document (they are added in their order); returns its JSON.</summary>
    public ReadOnlySpan<byte> Add(ISerializer serializer, object document)
    {
        Next();
        var start = _written;
        serializer.WriteTo(this, document);
        return Added(start);
    }

    /// <summary>Adds <paramref name="json"/> as the next document.</summary>
    public void Add(ReadOnlySpan<byte> json)
    {
        Next();
        var start = _written;
        json.CopyTo(GetSpan(json.Length));
        Advance(json.Length);
        Added(start);
    }

    private void Next()
    {
        if (_count == _at.Length)
        {
            throw new InvalidOperationException($"More than the {_at.Length} documents expected.");
        }
    }

    private ReadOnlySpan<byte> Added(int start)
    {
        _at[_count] = start + 1;
        _length[_count] = _written - start;
        _count++;
        return _buffer.AsSpan(start, _written - start);
    }

    /// <summary>The documents' bytes, one after the other.</summary>
    public ReadOnlyMemory<byte> Bytes => Complete()._buffer.AsMemory(0, _written);

    /// <summary>Each document's 1-based place in <see cref="Bytes"/>.</summary>
    public int[] At => Complete()._at;

    /// <summary>Each document's length in bytes.</summary>
    public int[] Lengths => Complete()._length;

    /// <summary>How many bytes the documents took.</summary>
    public int Written => _written;

    private Utf8Documents Complete() => _count == _at.Length
        ? this
        : throw new InvalidOperationException($"Document {_count} of {_at.Length} was not serialized.");

    public void Advance(int count) => _written += count;

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Room(sizeHint);
        return _buffer.AsMemory(_written);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Room(sizeHint);
        return _buffer.AsSpan(_written);
    }

    // At least sizeHint bytes (one if none is given) free after what is written.
    private void Room(int sizeHint)
    {
        var need = Math.Max(sizeHint, 1);
        if (_buffer.Length - _written < need)
        {
            _buffer = _buffers.Grow(_buffer, _written, (int)Math.Min(Array.MaxLength, (long)_written + need));
        }
    }

    /// <summary>Gives the array back to the shelf.</summary>
    public void Dispose()
    {
        var buffer = Interlocked.Exchange(ref _buffer, []);
        _buffers.Give(buffer);
    }
}
