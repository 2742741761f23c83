using Marten;
using Weasel.Core;

namespace RatificationLedger.Storage;

/// <summary>
/// The names of what the ledger writes or reads with plain SQL beside Marten (the import's COPY, the receipts' one-row
/// insert): taken from Marten's mappings where Marten exposes them, written here once where it does not (its event
/// store tables and metadata columns are fixed in its schema code). A store whose tables differ from these is written
/// through Marten alone (see the COPY writer's layout check).
/// </summary>
internal static class StorageNames
{
    /// <summary>Marten's event table.</summary>
    public const string Events = "mt_events";

    /// <summary>Marten's stream table.</summary>
    public const string Streams = "mt_streams";

    /// <summary>The sequence Marten numbers events from.</summary>
    public const string EventSequence = "mt_events_sequence";

    /// <summary>Marten's column holding a row's .NET type name.</summary>
    public const string DotNetType = "mt_dotnet_type";

    /// <summary>Marten's document version column.</summary>
    public const string Version = "mt_version";

    /// <summary>Marten's last-modified column.</summary>
    public const string LastModified = "mt_last_modified";

    /// <summary>The columns of <see cref="Events"/> as Marten creates them for the ledger's options, in table order.</summary>
    public static readonly string[] EventColumns =
        ["seq_id", "id", "stream_id", "version", "data", "bdata", "type", "timestamp", "tenant_id", DotNetType, "correlation_id", "causation_id", "headers", "user_name", "is_archived"];

    /// <summary>The columns of <see cref="Events"/> a COPY writes (every column but the unused binary data), in row order.</summary>
    public static readonly string[] EventRowColumns = [.. EventColumns.Where(c => c != "bdata")];

    /// <summary>The columns of <see cref="Streams"/> as Marten creates them for the ledger's options, in table order.</summary>
    public static readonly string[] StreamColumns =
        ["id", "type", "version", "timestamp", "created", "tenant_id", "compacted_version", "is_archived"];

    /// <summary>
    /// The columns a plain insert of a Marten document row fills (id, JSON, a new version, the .NET type, the
    /// transaction's time), in the order the ledger's inserts give them.
    /// </summary>
    public const string DocumentRow = $"id, data, {Version}, {DotNetType}, {LastModified}";

    /// <summary>The columns of the receipts' document table, in table order.</summary>
    public static readonly string[] ReceiptColumns = ["id", "data", LastModified, Version, DotNetType];

    /// <summary>The receipts' table (schema and name) as Marten maps <see cref="CommandReceipt"/> in this store.</summary>
    public static DbObjectName ReceiptTable(IReadOnlyStoreOptions options) =>
        options.FindOrResolveDocumentType(typeof(CommandReceipt)).TableName;
}
