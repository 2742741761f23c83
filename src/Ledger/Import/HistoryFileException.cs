namespace RatificationLedger.Import;

/// <summary>A history file is missing, malformed, or breaks the format; the message names the place and the problem.</summary>
public sealed class HistoryFileException : Exception
{
    /// <summary>Creates the exception.</summary>
    public HistoryFileException(string message) : base(message) { }

    /// <summary>Creates the exception.</summary>
    public HistoryFileException() { }

    /// <summary>Creates the exception.</summary>
    public HistoryFileException(string message, Exception inner) : base(message, inner) { }
}
