using JasperFx.Events;
using Marten;

namespace RatificationLedger.Recording;

/// <summary>
/// An inline projection the COPY write applies in three steps instead of one call: what it reads (on the session's
/// connection, before the rows go in), then its pure work on another thread while the server stores the rows, then its
/// documents stored in the session. Applied through Marten (<c>ApplyAsync</c>) it takes the same three steps in a row.
/// </summary>
internal interface IStagedProjection
{
    /// <summary>Reads what the projection needs of <paramref name="events"/>' streams as stored; writes nothing.</summary>
    Task<IStagedViews> ReadAsync(IDocumentOperations operations, IReadOnlyList<IEvent> events, CancellationToken ct);
}

/// <summary>A staged projection's work after its reads.</summary>
internal interface IStagedViews
{
    /// <summary>Builds the documents: pure, touches neither the session nor its connection (runs beside the COPY).</summary>
    void Build(CancellationToken ct);

    /// <summary>Stores what <see cref="Build"/> made in the session (after the rows are in).</summary>
    void Store(IDocumentOperations operations);
}
