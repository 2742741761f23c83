using Npgsql;

namespace RatificationLedger.Recording;

/// <summary>
/// The database could not be reached or the connection broke while a command was being recorded. The message names
/// the process, the command and its command id, and says whether the command may have been recorded: when the failure
/// hit the commit, the transaction may have committed with only its answer lost. Either way, sending the same command
/// with the same command id again is safe: if it was recorded, the ledger answers as it did the first time
/// (<see cref="RecordResult.IsResend"/>) and records nothing twice.
/// </summary>
public sealed class LedgerUnavailableException : Exception
{
    /// <summary>Creates the exception for a command on <paramref name="process"/>.</summary>
    public LedgerUnavailableException(string process, string command, string commandId, bool mayHaveBeenRecorded, Exception inner)
        : base(Describe(process, command, commandId, mayHaveBeenRecorded, inner), inner)
    {
        Process = process;
        CommandId = commandId;
        MayHaveBeenRecorded = mayHaveBeenRecorded;
    }

    /// <summary>Creates the exception.</summary>
    public LedgerUnavailableException() { }

    /// <summary>Creates the exception.</summary>
    public LedgerUnavailableException(string message) : base(message) { }

    /// <summary>Creates the exception.</summary>
    public LedgerUnavailableException(string message, Exception inner) : base(message, inner) { }

    /// <summary>The stream the command addressed.</summary>
    public string Process { get; } = "";

    /// <summary>The command id to send the command again under (given, or derived from the command's content).</summary>
    public string CommandId { get; } = "";

    /// <summary>True when the failure hit the commit, so the command may have been recorded; false when nothing was.</summary>
    public bool MayHaveBeenRecorded { get; }

    /// <summary>
    /// True when <paramref name="e"/> is the database being unreachable or the connection failing (Npgsql's transient
    /// failures: I/O, timeouts, connection and shutdown errors), not a bug or a rule.
    /// </summary>
    internal static bool IsDatabaseFailure(Exception e) => Chain(e).OfType<NpgsqlException>().Any(n => n.IsTransient);

    /// <summary>
    /// True when <paramref name="e"/> is the app's connection pool exhausted (Npgsql waited <c>Timeout</c> for a free
    /// connection): the database is up, the pool is too small for what runs at once (a ledger needs three at least:
    /// docs/operations.md). Npgsql gives it no type of its own; its message is the one sign.
    /// </summary>
    internal static bool IsPoolExhausted(Exception e) =>
        Chain(e).OfType<NpgsqlException>().Any(n => n.Message.StartsWith("The connection pool has been exhausted", StringComparison.Ordinal));

    /// <summary>When to try again: once the database is back, or, for an exhausted pool, once a connection is free.</summary>
    internal static string WhenBack(Exception e) => IsPoolExhausted(e)
        ? "when a connection of the pool is free: the database is up, but every connection of the pool was in use (the ledger needs at least three at once for an import or a rebuild; raise Max Pool Size in the connection string, or run fewer things at once)"
        : "when the database is back";

    /// <summary>The messages of an exception and its inner exceptions, outer to inner, each once, whitespace collapsed.</summary>
    internal static string Cause(Exception e)
    {
        var parts = new List<string>();
        foreach (var x in Chain(e))
        {
            var text = string.Join(' ', x.Message.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)).TrimEnd('.');
            if (text.Length > 0)
            {
                // Wrappers (Marten's command failure) repeat the message they wrap: keep the inner one.
                parts.RemoveAll(p => p.Contains(text, StringComparison.Ordinal));
                parts.Add(text);
            }
        }
        return parts.Count == 0 ? e.GetType().Name : string.Join(": ", parts);
    }

    private static IEnumerable<Exception> Chain(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException)
        {
            yield return x;
        }
    }

    private static string Describe(string process, string command, string commandId, bool mayHaveBeenRecorded, Exception inner) =>
        $"{process}: the database failed while recording {command} (command id '{commandId}'): {Cause(inner)}. "
        + (mayHaveBeenRecorded
            ? "The failure hit the commit, so it may have been recorded. Send the same command with the same command id again: if it was recorded, the ledger answers as the first time and records nothing twice."
            : $"Nothing was recorded. Send the same command again {WhenBack(inner)}.");
}
