namespace RatificationLedger.Testing;

/// <summary>Raised when a local PostgreSQL server cannot be found, started or stopped.</summary>
public class LocalPostgresException : Exception
{
    /// <summary>Creates the exception.</summary>
    public LocalPostgresException(string message) : base(message) { }

    /// <summary>Creates the exception.</summary>
    public LocalPostgresException() { }

    /// <summary>Creates the exception.</summary>
    public LocalPostgresException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>
/// Raised when a local server's directory is not private to its account (another account owns it or can write it):
/// the server is not started on it.
/// </summary>
public sealed class LocalPostgresRefusedException : LocalPostgresException
{
    /// <summary>Creates the exception.</summary>
    public LocalPostgresRefusedException(string message) : base(message) { }

    /// <summary>Creates the exception.</summary>
    public LocalPostgresRefusedException() { }

    /// <summary>Creates the exception.</summary>
    public LocalPostgresRefusedException(string message, Exception inner) : base(message, inner) { }
}
