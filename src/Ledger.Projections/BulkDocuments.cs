using System.Buffers;
using Marten;
using Npgsql;
using NpgsqlTypes;
using RatificationLedger.Recording;
using RatificationLedger.Storage;

namespace RatificationLedger.Projections;

/// <summary>
/// The process views as the COPY write stores them: each table's documents in one upsert of Marten's row (id, JSON,
/// version, .NET type, last modified), sent on the transaction's connection as soon as the rows are in, instead of one
/// upsert per document serialized at the commit. The JSON is serialized with the store's serializer while the rows are
/// stored, as UTF-8 into the import's reused arrays (<see cref="Utf8Documents"/>), and goes over as one <c>bytea</c> per table with
/// each document's place in it: no string per document (a register is tens of kilobytes of JSON, twice that as a .NET
/// string, and lived through the write into the collector's older generations).
/// </summary>
internal sealed class BulkDocuments(IDocumentStore store)
{
    public ISerializer Serializer { get; } = store.Options.Serializer();

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

    /// <summary>Upserts the documents of <paramref name="ids"/> (status and register of each, in the same order) in one round trip, then gives their arrays back.</summary>
    public async Task StoreAsync(NpgsqlConnection connection, string[] ids, Utf8Documents status, Utf8Documents register, ImportBuffers buffers, CancellationToken ct)
    {
        var statusBytes = status.Join(buffers);
        var registerBytes = register.Join(buffers);
        try
        {
            await using var batch = new NpgsqlBatch(connection);
            batch.BatchCommands.Add(Command(_status, ids, statusBytes));
            batch.BatchCommands.Add(Command(_register, ids, registerBytes));
            await batch.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
        finally
        {
            statusBytes.Release();
            registerBytes.Release();
        }
    }

    private static NpgsqlBatchCommand Command(string sql, string[] ids, Utf8Documents.Joined documents)
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
/// One table's documents of a batch as UTF-8 JSON, document <c>i</c> serialized on any thread into that thread's
/// <see cref="Part"/>, then joined in order into one array (<see cref="Join"/>); the arrays come from an
/// <see cref="ImportBuffers"/> shelf and go back to it.
/// </summary>
internal sealed class Utf8Documents(int count)
{
    private readonly Part?[] _partOf = new Part?[count];
    private readonly int[] _start = new int[count];
    private readonly int[] _length = new int[count];

    /// <summary>Serializes <paramref name="document"/> as document <paramref name="index"/>, into <paramref name="part"/> (the calling thread's).</summary>
    public void Add(int index, Part part, ISerializer serializer, object document)
    {
        var start = part.Length;
        serializer.WriteTo(part, document);
        _partOf[index] = part;
        _start[index] = start;
        _length[index] = part.Length - start;
    }

    /// <summary>Every document's bytes in order in one array of <paramref name="buffers"/>', with each one's 1-based place and length (as SQL's <c>substring</c> counts).</summary>
    public Joined Join(ImportBuffers buffers)
    {
        var total = 0L;
        foreach (var length in _length)
        {
            total += length;
        }
        if (total > Array.MaxLength)
        {
            throw new InvalidOperationException($"{total} bytes of documents in one batch: more than one array holds.");
        }
        // With room to spare, so that the next batch's documents, seldom the same size, fit in the same array.
        var bytes = buffers.Take((int)Math.Min(Array.MaxLength, Math.Max(1 << 16, total + (total / 4))));
        var at = new int[_length.Length];
        var written = 0;
        for (var i = 0; i < _length.Length; i++)
        {
            var part = _partOf[i] ?? throw new InvalidOperationException($"Document {i} of {_length.Length} was not serialized.");
            part.Written.Slice(_start[i], _length[i]).CopyTo(bytes.AsSpan(written));
            at[i] = written + 1;
            written += _length[i];
        }
        return new Joined(bytes, written, at, (int[])_length.Clone(), buffers);
    }

    /// <summary>The joined documents: <see cref="Bytes"/> to send, then <see cref="Release"/>.</summary>
    public sealed class Joined(byte[] array, int length, int[] at, int[] lengths, ImportBuffers buffers)
    {
        public ReadOnlyMemory<byte> Bytes => array.AsMemory(0, length);

        public int[] At => at;

        public int[] Lengths => lengths;

        public void Release() => buffers.Give(array);
    }

    /// <summary>A growing buffer one thread serializes documents into, from <paramref name="buffers"/>; <see cref="Dispose"/> gives it back.</summary>
    public sealed class Part(ImportBuffers buffers) : IBufferWriter<byte>, IDisposable
    {
        private byte[] _buffer = buffers.Take(1 << 20);

        public int Length { get; private set; }

        public ReadOnlySpan<byte> Written => _buffer.AsSpan(0, Length);

        public void Advance(int count) => Length += count;

        public Memory<byte> GetMemory(int sizeHint = 0)
        {
            Room(sizeHint);
            return _buffer.AsMemory(Length);
        }

        public Span<byte> GetSpan(int sizeHint = 0)
        {
            Room(sizeHint);
            return _buffer.AsSpan(Length);
        }

        // At least sizeHint bytes (one if none is given) free after Length.
        private void Room(int sizeHint)
        {
            var need = Math.Max(sizeHint, 1);
            if (_buffer.Length - Length < need)
            {
                var larger = buffers.Take((int)Math.Min(Array.MaxLength, Math.Max((long)_buffer.Length * 2, (long)Length + need)));
                _buffer.AsSpan(0, Length).CopyTo(larger);
                buffers.Give(_buffer);
                _buffer = larger;
            }
        }

        public void Dispose()
        {
            var buffer = Interlocked.Exchange(ref _buffer, []);
            buffers.Give(buffer);
        }
    }
}
