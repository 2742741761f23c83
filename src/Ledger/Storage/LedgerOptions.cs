using Marten;
using Microsoft.Extensions.DependencyInjection;

namespace RatificationLedger.Storage;

/// <summary>Settings of the ledger inside a Marten store.</summary>
public sealed class LedgerOptions
{
    private readonly List<Action<StoreOptions>> _extensions = [];
    private readonly List<Action<IServiceCollection>> _services = [];
    private readonly HashSet<Type> _documents = [];

    /// <summary>
    /// The PostgreSQL schema of the ledger's own store (<c>services.AddRatificationLedger(connectionString)</c>).
    /// Default <c>ledger</c>. Not used when the ledger is registered on the app's store, whose schema it shares.
    /// </summary>
    public string Schema { get; set; } = "ledger";

    /// <summary>
    /// The clock the decider is given ("nothing dated after today") and that stamps receipts. Default null: the
    /// <see cref="TimeProvider"/> registered in the container, else the system clock. Set it only to give the ledger a
    /// clock other than the app's (tests and replays).
    /// </summary>
    public TimeProvider? Clock { get; set; }

    /// <summary>
    /// How many times (0 or more) a command sent without an expected version is decided again on fresh state after a concurrency
    /// conflict before the conflict is returned. Default 20.
    /// </summary>
    public int ConcurrencyRetries { get; set; } = 20;

    /// <summary>
    /// How many process streams the recorder keeps the decider's state of between commands (0: none). A cached state is
    /// checked against the stream's last event on every command and only the events after it are read. Default 1000.
    /// </summary>
    public int WriteCacheStreams { get; set; } = 1000;

    /// <summary>
    /// The most history entries an import decides and commits per transaction. Default 16,000. An import's first batch
    /// is a sixteenth of it and each next one twice the one before, so writing starts early; larger batches then rewrite
    /// the views of the processes they touch fewer times, and hold more in memory (two batches are in flight: one
    /// written while the next is decided).
    /// </summary>
    public int ImportBatchSize { get; set; } = 16_000;

    /// <summary>
    /// Whether an import writes each batch's events and receipts with PostgreSQL's binary COPY into Marten's tables
    /// (the same rows Marten's append writes, the inline projections applied in the same transaction) instead of through
    /// Marten's append. Used only when the store's event tables have Marten's default single-tenant layout. Default true.
    /// </summary>
    public bool ImportWithCopy { get; set; } = true;

    /// <summary>
    /// Whether the <c>data</c> column of each of the ledger's document tables compresses with lz4 instead of the
    /// server's default (<c>pglz</c> unless <c>default_toast_compression</c> says otherwise). Documents larger than about
    /// 2 KB are compressed at every write, and a register of 30 ratifiers is about 26 KB of JSON: lz4 costs the server a
    /// fraction of pglz's time for it (see docs/benchmarks.md). Set as part of the ledger's schema (<c>ALTER TABLE ...
    /// ALTER COLUMN data SET COMPRESSION lz4</c>, a catalog change: documents are compressed so from their next write
    /// on), with the tables and in exported migrations. A server without lz4 (older than PostgreSQL 14, or built
    /// without it) keeps its default; a role that does not own the tables gets a warning and keeps it too. Default true.
    /// </summary>
    public bool CompressDocumentsWithLz4 { get; set; } = true;

    /// <summary>
    /// Whether the ledger's schema includes the append-only guard: triggers refusing <c>UPDATE</c>, <c>DELETE</c> and
    /// <c>TRUNCATE</c> on the event table and the ledger's chain and digest tables (so Marten's archiving, masking,
    /// compacting and <c>Advanced.Clean</c> are refused too). A defence, not evidence: whoever can drop a trigger can
    /// change the record, and <c>ledger verify</c> shows what changed. Turn it off only for a throwaway store (tests,
    /// benchmarks that empty their tables between rounds). Default true.
    /// </summary>
    public bool AppendOnlyGuard { get; set; } = true;

    /// <summary>
    /// Whether the recorder prepares the two statements it sends with every command (the transaction's facts before it
    /// decides, and the chain link of each entry it appends) on each connection it uses (Npgsql's explicit preparation:
    /// parsed and planned once per physical connection instead of at every command; see docs/benchmarks.md). Turn it
    /// off behind a pooler that does not keep prepared statements between transactions (PgBouncer in transaction mode
    /// before 1.21). Marten's own statements are not affected (Npgsql's <c>Max Auto Prepare</c> in the connection
    /// string prepares those). Default true.
    /// </summary>
    public bool PrepareStatements { get; set; } = true;

    /// <summary>
    /// How often the app takes a digest of the ledger when something was written since the last one (null: never; the
    /// app or <c>ledger digest</c> takes them). Each is stored in the ledger's digest table and handed to the
    /// <see cref="Integrity.IDigestSink"/> the app registers (required when this is set). Default null.
    /// </summary>
    public TimeSpan? DigestEvery { get; set; }

    /// <summary>
    /// Who records a command whose provenance names no one, when no <see cref="Recording.IRecordedByProvider"/> in the
    /// container names anyone either. Default null: such a command is refused (<c>input.invalid_provenance</c>), so that
    /// a server app never files entries under its service account by accident. A command-line tool sets it to the
    /// operating-system user (<c>Environment.UserName</c>), as the <c>ledger</c> tool and the sample do; a batch job to
    /// its own name.
    /// </summary>
    public string? DefaultRecordedBy { get; set; }

    /// <summary>True when a registered read model needs the async daemon (set by read-model packages).</summary>
    internal bool NeedsAsyncDaemon { get; private set; }

    /// <summary>Adds store configuration that comes with the ledger (read-model packages use this).</summary>
    /// <param name="extension">Applied to the store options after the ledger's own settings.</param>
    /// <param name="needsAsyncDaemon">Whether the extension registers asynchronous projections.</param>
    /// <param name="services">Services the extension adds to the container (with <c>AddMarten(...).AddRatificationLedger</c>).</param>
    internal LedgerOptions Extend(Action<StoreOptions> extension, bool needsAsyncDaemon = false, Action<IServiceCollection>? services = null)
    {
        ArgumentNullException.ThrowIfNull(extension);
        _extensions.Add(extension);
        if (services is not null)
        {
            _services.Add(services);
        }
        NeedsAsyncDaemon |= needsAsyncDaemon;
        return this;
    }

    /// <summary>The ledger's document types (its own and its read models'): the tables <see cref="CompressDocumentsWithLz4"/> sets.</summary>
    internal IReadOnlyCollection<Type> Documents => _documents;

    /// <summary>Adds document types of the ledger (read-model packages call this in their extension).</summary>
    internal void AddDocuments(params Type[] types) => _documents.UnionWith(types);

    internal void ApplyServices(IServiceCollection services)
    {
        foreach (var add in _services)
        {
            add(services);
        }
    }

    internal void ApplyExtensions(StoreOptions store)
    {
        foreach (var extension in _extensions)
        {
            extension(store);
        }
    }
}
