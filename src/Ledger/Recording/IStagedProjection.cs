using JasperFx.Events;
using Marten;
using Npgsql;

namespace RatificationLedger.Recording;

/// <summary>
/// An inline projection the COPY write applies in three steps instead of one call: what it reads (on the session's
/// connection, before the rows go in), then its pure work on another thread while the server stores the rows, then its
/// documents stored in the session. Applied through Marten (<c>ApplyAsync</c>) it takes the same three steps in a row.
/// </summary>
internal interface IStagedProjection
{
    /// <summary>
    /// Reads what the projection needs of <paramref name="events"/>' streams as stored; writes nothing. Large arrays
    /// the build needs come from <paramref name="buffers"/> (the import's, kept between its batches) and go back to it.
    /// </summary>
    Task<IStagedViews> ReadAsync(IDocumentOperations operations, IReadOnlyList<IEvent> events, ImportBuffers buffers, CancellationToken ct);
}

/// <summary>A staged projection's work after its reads.</summary>
internal interface IStagedViews
{
    /// <summary>Builds the documents: pure, touches neither the session nor its connection (runs beside the COPY).</summary>
    void Build(CancellationToken ct);

    /// <summary>
    /// Stores what <see cref="Build"/> made, after the rows are in: what it can send at once on the transaction's
    /// <paramref name="connection"/>, the rest in the session (written at its commit). Lets go what the build holds.
    /// </summary>
    Task StoreAsync(IDocumentOperations operations, NpgsqlConnection connection, CancellationToken ct);

    /// <summary>Lets go what <see cref="Build"/> holds when the write fails (again after <see cref="StoreAsync"/>: harmless).</summary>
    void Release();
}
