using System.Net.Sockets;
using RatificationLedger.Import;
using RatificationLedger.Recording;
using RatificationLedger.Testing;
using Npgsql;

namespace RatificationLedger.Cli;

/// <summary>
/// Turns whatever a command threw into the one or two lines the user reads and the exit code a script branches on.
/// Nothing reaches the runtime's unhandled-exception handler: no stack trace unless <c>--verbose</c>.
/// </summary>
internal static class Failures
{
    public static (int ExitCode, string Message, string? Hint) Explain(Exception e, string? database, bool interrupted)
    {
        if (interrupted && IsCancellation(e))
        {
            return (ExitCodes.Interrupted, "interrupted.", "What was committed stays; run the same command again to continue.");
        }
        return e switch
        {
            CliFailure f => (f.ExitCode, f.Message, null),
            HistoryFileException h => (ExitCodes.Invalid, h.Message, null),
            LocalPostgresRefusedException r => (ExitCodes.Invalid, r.Message, null),
            ImportInterruptedException i => (ExitCodes.Unavailable, i.Message, null),
            LedgerUnavailableException u => (ExitCodes.Unavailable, u.Message, null),
            LocalPostgresException l => (ExitCodes.Unavailable, $"the local PostgreSQL server is unavailable: {FirstLine(l.Message)}",
                l.Message.Contains('\n', StringComparison.Ordinal) ? "Run the command again with --verbose for the rest (the server's output and log)." : null),
            _ when IsDatabaseUnavailable(e) => (ExitCodes.Unavailable,
                $"the database is unavailable{(database is null ? "" : $" ({database})")}: {LedgerUnavailableException.Cause(e)}.",
                HintFor(e)),
            _ when IsCancellation(e) => (ExitCodes.Interrupted, "interrupted.", "What was committed stays; run the same command again to continue."),
            _ => (ExitCodes.Invalid, $"unexpected error: {LedgerUnavailableException.Cause(e)} ({e.GetType().Name}).",
                "Run the command again with --verbose and report the output."),
        };
    }

    /// <summary>True when the chain says the database cannot be reached or used: the connection, the login, the database's existence, or the server going away.</summary>
    public static bool IsDatabaseUnavailable(Exception e)
    {
        foreach (var x in Chain(e))
        {
            switch (x)
            {
                case PostgresException p when IsUnavailableState(p.SqlState):
                    return true;
                case PostgresException:
                    break;
                case NpgsqlException:
                case SocketException:
                case TimeoutException:
                    return true;
            }
        }
        return false;
    }

    private static bool IsUnavailableState(string state) =>
        state.StartsWith("08", StringComparison.Ordinal) // connection exception
        || state.StartsWith("28", StringComparison.Ordinal) // invalid authorization (bad password, no such role)
        || state.StartsWith("53", StringComparison.Ordinal) // insufficient resources (too many connections, disk full)
        || state.StartsWith("57P", StringComparison.Ordinal) // shutdown, crash, cannot connect now
        || state == PostgresErrorCodes.InvalidCatalogName; // no such database

    private static string HintFor(Exception e)
    {
        var state = Chain(e).OfType<PostgresException>().FirstOrDefault()?.SqlState;
        return state switch
        {
            PostgresErrorCodes.InvalidPassword or PostgresErrorCodes.InvalidAuthorizationSpecification =>
                "Check the user name and password of --connection or LEDGER_CONNECTION.",
            PostgresErrorCodes.InvalidCatalogName => "Create the database first (createdb NAME), or name an existing one in --connection or LEDGER_CONNECTION.",
            _ => "Check that the server runs and that --connection or LEDGER_CONNECTION names it (host, port); without either, the tool uses its own local server.",
        };
    }

    private static string FirstLine(string text) => text.Split('\n', 2)[0].TrimEnd();

    private static bool IsCancellation(Exception e) => Chain(e).Any(x => x is OperationCanceledException);

    private static IEnumerable<Exception> Chain(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException)
        {
            yield return x;
            if (x is AggregateException { InnerExceptions.Count: > 1 } many)
            {
                foreach (var inner in many.InnerExceptions.SelectMany(Chain))
                {
                    yield return inner;
                }
            }
        }
    }
}
