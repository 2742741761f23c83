using RatificationLedger.Storage;
using Marten;

namespace RatificationLedger.Recording;

/// <summary>
/// What one transaction writes for a decided batch, besides the organization's turn and the process entries: each
/// stream's staged events at the version it was read at, the receipts of command ids a sender chose, and who recorded it.
/// <see cref="Rows"/>: the events already encoded for COPY while the batch before was written, or null.
/// </summary>
internal sealed record BatchWrite(IReadOnlyList<BulkAppender.StreamAppend> Streams, IReadOnlyList<CommandReceipt> Receipts, string RecordedBy, EventRows? Rows);

/// <summary>
/// The batch-writer seam: puts a <see cref="BatchWrite"/> into the session's transaction, which the recorder then commits
/// with <c>SaveChangesAsync</c>. A stream moved since its read fails the commit (a conflict), a receipt written meanwhile
/// with a unique violation. Two implementations: <see cref="MartenBatchWriter"/> (Marten's append, every command) and
/// <see cref="CopyBatchWriter"/> (binary COPY into Marten's tables, an import's batches when the layout allows).
/// Anything every transaction must also write (say, rows derived from the events) belongs behind this seam, in both.
/// </summary>
internal interface IBatchWriter
{
    Task WriteAsync(IDocumentSession session, BatchWrite batch, CancellationToken ct);
}

/// <summary>Marten's own append at the expected version, and the receipts as one plain insert of Marten's rows.</summary>
internal sealed class MartenBatchWriter(IDocumentStore store) : IBatchWriter
{
    private readonly string _receiptTable = StorageNames.ReceiptTable(store.Options).QualifiedName;
    private readonly ISerializer _serializer = store.Options.Serializer();

    public Task WriteAsync(IDocumentSession session, BatchWrite batch, CancellationToken ct)
    {
        InsertReceipts(session, batch.Receipts);
        foreach (var stream in batch.Streams)
        {
            if (stream.ReadVersion == 0)
            {
                session.Events.StartStream<AccessionStream>(stream.Stream, stream.Events);
            }
            else
            {
                session.Events.Append(stream.Stream, stream.ReadVersion + stream.Events.Count, stream.Events);
            }
        }
        return Task.CompletedTask;
    }

    // Receipts go in as one plain INSERT (unnest of ids and JSON) instead of one statement per document: the rows are
    // what Marten writes for a CommandReceipt (its serializer, its columns), and a command id used before fails the
    // transaction with a unique violation, which the recording takes as "read the receipt and answer as the first time".
    private void InsertReceipts(IDocumentSession session, IReadOnlyList<CommandReceipt> receipts)
    {
        if (receipts.Count == 0)
        {
            return;
        }
        var ids = new string[receipts.Count];
        var data = new string[receipts.Count];
        for (var i = 0; i < receipts.Count; i++)
        {
            ids[i] = receipts[i].Id;
            data[i] = _serializer.ToJson(receipts[i]);
        }
        const string Columns = $"({StorageNames.DocumentRow})";
        var type = typeof(CommandReceipt).FullName;
        if (receipts.Count == 1)
        {
            session.QueueSqlCommand($"insert into {_receiptTable} {Columns} values (?, ?::jsonb, gen_random_uuid(), '{type}', transaction_timestamp())", ids[0], data[0]);
            return;
        }
        session.QueueSqlCommand(
            $"insert into {_receiptTable} {Columns} select r.id, r.data::jsonb, gen_random_uuid(), '{type}', transaction_timestamp() from unnest(?::varchar[], ?::text[]) as r(id, data)",
            ids, data);
    }
}

/// <summary>The import's write: events, stream versions and receipts with COPY (see <see cref="BulkAppender"/>).</summary>
internal sealed class CopyBatchWriter(BulkAppender bulk) : IBatchWriter
{
    public BulkAppender Bulk => bulk;

    public async Task WriteAsync(IDocumentSession session, BatchWrite batch, CancellationToken ct)
    {
        await bulk.WriteAsync(session, batch.Streams, batch.Receipts, batch.RecordedBy, batch.Rows, ct).ConfigureAwait(false);
        // The bulk write began the session's transaction; this makes sure SaveChanges has work, so it commits.
        session.QueueSqlCommand("select 1");
    }
}
