using Microsoft.Extensions.Logging;

namespace RatificationLedger.Observability;

/// <summary>
/// The ledger's log messages (source-generated, structured): every one names the process and the command where there
/// is one, with the outcome and the rule code as separate fields for filtering.
/// </summary>
internal static partial class LedgerLog
{
    [LoggerMessage(1001, LogLevel.Debug, "{Process}: {Command} {Outcome}, {Entries} entries (command id {CommandId})")]
    public static partial void CommandRecorded(this ILogger logger, string process, string command, string outcome, int entries, string commandId);

    [LoggerMessage(1002, LogLevel.Information, "{Process}: {Command} {Outcome}: {RuleCode}: {Reason} (command id {CommandId})")]
    public static partial void CommandRefused(this ILogger logger, string process, string command, string outcome, string? ruleCode, string? reason, string commandId);

    [LoggerMessage(1003, LogLevel.Warning, "{Process}: {Command} {Outcome}: {RuleCode}: {Reason} (command id {CommandId})")]
    public static partial void CommandConflict(this ILogger logger, string process, string command, string outcome, string? ruleCode, string? reason, string commandId);

    [LoggerMessage(1004, LogLevel.Debug, "{Process}: {Command} decided again after a concurrent write (attempt {Attempt}, {Reason})")]
    public static partial void CommandRetried(this ILogger logger, string process, string command, int attempt, string reason);

    [LoggerMessage(1005, LogLevel.Error, "{Process}: {Command} could not be recorded, the database failed (command id {CommandId}, may have been recorded: {MayHaveBeenRecorded})")]
    public static partial void LedgerUnavailable(this ILogger logger, Exception exception, string process, string command, string commandId, bool mayHaveBeenRecorded);

    [LoggerMessage(1011, LogLevel.Information, "Import batch: {Commands} commands from {Process} ({Command}), {Entries} entries written, last outcome {Outcome} {RuleCode}, in {Milliseconds:F0} ms")]
    public static partial void ImportBatch(this ILogger logger, int commands, string process, string command, long entries, string outcome, string? ruleCode, double milliseconds);

    [LoggerMessage(1021, LogLevel.Information, "Rebuild of {Projection} started")]
    public static partial void RebuildStarted(this ILogger logger, string projection);

    [LoggerMessage(1022, LogLevel.Information, "Rebuild of {Projection} finished: {Streams} process streams in {Milliseconds:F0} ms")]
    public static partial void RebuildFinished(this ILogger logger, string projection, int streams, double milliseconds);

    [LoggerMessage(1023, LogLevel.Debug, "Rebuild: {Streams} process streams folded, {Rows} rows staged; replacing the read models")]
    public static partial void RebuildStaged(this ILogger logger, int streams, long rows);

    [LoggerMessage(1024, LogLevel.Debug, "Rebuild: {Streams} process streams written during the rebuild folded again")]
    public static partial void RebuildCaughtUp(this ILogger logger, int streams);

    [LoggerMessage(1025, LogLevel.Debug, "Rebuild: {Table} compared process by process; the rows of {Replaced} of {Streams} processes replaced")]
    public static partial void RebuildCompared(this ILogger logger, string table, int streams, int replaced);

    [LoggerMessage(1026, LogLevel.Debug, "Rebuild: {Table} replaced whole for {Streams} processes, not compared (read through Marten, or the first processes compared all differed)")]
    public static partial void RebuildReplacedWhole(this ILogger logger, string table, int streams);

    [LoggerMessage(1031, LogLevel.Debug, "The ledger's storage is in place in schema {Schema}")]
    public static partial void StorageReady(this ILogger logger, string schema);

    [LoggerMessage(1032, LogLevel.Warning, "{Table}.data keeps its compression ({Compression}) although the server has lz4: only the table's owner can set it (ALTER TABLE {Table} ALTER COLUMN data SET COMPRESSION lz4), see docs/operations.md")]
    public static partial void Lz4NotSet(this ILogger logger, string table, string compression);

    [LoggerMessage(1041, LogLevel.Debug, "Member records: {Events} events applied to {Members} member records by the async daemon")]
    public static partial void MemberRecordsApplied(this ILogger logger, int events, int members);
}
