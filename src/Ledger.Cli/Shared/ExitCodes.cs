namespace RatificationLedger.Cli;

/// <summary>The tool's exit codes (docs/cli.md, "Exit codes"): scripts branch on them, so they never change meaning.</summary>
public static class ExitCodes
{
    /// <summary>Done.</summary>
    public const int Ok = 0;

    /// <summary>A rule refused an entry, the input is invalid (file, JSON, process), or a check found a problem.</summary>
    public const int Invalid = 1;

    /// <summary>The command line itself is wrong.</summary>
    public const int Usage = 2;

    /// <summary>The database is unavailable: refused connection, failed authentication, no such database, or the server went away mid-command.</summary>
    public const int Unavailable = 3;

    /// <summary>Interrupted (Ctrl+C): what was committed stays; the same command again continues.</summary>
    public const int Interrupted = 130;
}

/// <summary>A failure the tool explains in one or two lines and ends with <see cref="ExitCode"/>; any command may throw it.</summary>
public sealed class CliFailure : Exception
{
    /// <summary>Creates the failure.</summary>
    public CliFailure(string message, int exitCode, Exception? inner = null) : base(message, inner) => ExitCode = exitCode;

    /// <summary>Creates the failure (exit code 1).</summary>
    public CliFailure() : this("failed", ExitCodes.Invalid) { }

    /// <summary>Creates the failure (exit code 1).</summary>
    public CliFailure(string message) : this(message, ExitCodes.Invalid) { }

    /// <summary>Creates the failure (exit code 1).</summary>
    public CliFailure(string message, Exception inner) : this(message, ExitCodes.Invalid, inner) { }

    /// <summary>The process exit code.</summary>
    public int ExitCode { get; }
}
