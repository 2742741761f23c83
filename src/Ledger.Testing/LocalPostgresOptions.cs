namespace RatificationLedger.Testing;

/// <summary>Settings of a <see cref="LocalPostgres"/> server.</summary>
public sealed record LocalPostgresOptions
{
    /// <summary>
    /// Directories searched for <c>initdb</c> and <c>pg_ctl</c>. Null: <c>LEDGER_PG_BIN</c>, then PATH, then
    /// <c>pg_config --bindir</c>, then <c>/usr/lib/postgresql/*/bin</c> (highest version first).
    /// </summary>
    public IReadOnlyList<string>? BinaryDirectories { get; init; }

    /// <summary>
    /// Keep PostgreSQL's durability settings (fsync, synchronous commit). Off for throwaway servers, where speed
    /// matters and the data dies with the server anyway.
    /// </summary>
    public bool Durable { get; init; }

    /// <summary>Maximum connections the server accepts. Default 200.</summary>
    public int MaxConnections { get; init; } = 200;

    /// <summary>How long to wait for the server to accept connections. Default 60 s.</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>The process whose death makes the watchdog remove a throwaway server (default: this process).</summary>
    internal int? OwnerProcessId { get; init; }
}
