using RatificationLedger.Domain;
using RatificationLedger.Recording;
using Marten;

namespace RatificationLedger.Storage;

/// <summary>
/// Reads the record as the write side keeps it (a process's folded decider state, a stream's entries, an organization),
/// with no read model involved: for the ledger's own tools and tests. Apps ask <c>ILedgerQueries</c> (package
/// RatificationLedger.Projections); the recorder only writes.
/// </summary>
internal sealed class LedgerReader(IDocumentStore store)
{
    private readonly IDocumentStore _store = store ?? throw new ArgumentNullException(nameof(store));

    /// <summary>The decider's state of a process as the ledger holds it now (every entry, retractions applied).</summary>
    public async Task<AccessionState> LoadStateAsync(string process, CancellationToken ct = default)
    {
        await using var session = _store.QuerySession();
        var stream = await session.Events.AggregateStreamAsync<AccessionStream>(process, token: ct).ConfigureAwait(false);
        return stream?.State ?? AccessionState.Initial;
    }

    /// <summary>Every entry of a stream in recorded order, with who recorded it, its source and command id.</summary>
    public async Task<IReadOnlyList<RecordedEntry>> ReadEntriesAsync(string stream, CancellationToken ct = default)
    {
        await using var session = _store.QuerySession();
        var events = await session.Events.FetchStreamAsync(stream, token: ct).ConfigureAwait(false);
        return [.. events.Select(RecordedEntry.From)];
    }

    /// <summary>The organization as recorded, or null when it is not registered.</summary>
    public async Task<Organization?> LoadOrganizationAsync(string code, CancellationToken ct = default)
    {
        await using var session = _store.QuerySession();
        var view = await session.LoadAsync<OrganizationView>(OrganizationDecider.StreamKey(code), ct).ConfigureAwait(false);
        return view?.Organization;
    }

    /// <summary>The processes of an organization (or of every organization) with their phase, by process id.</summary>
    public async Task<IReadOnlyList<ProcessEntry>> ListProcessesAsync(string? organization = null, CancellationToken ct = default)
    {
        await using var session = _store.QuerySession();
        var query = organization is null
            ? session.Query<ProcessEntry>()
            : session.Query<ProcessEntry>().Where(p => p.Organization == organization.ToUpperInvariant());
        var list = await query.ToListAsync(ct).ConfigureAwait(false);
        return [.. list.OrderBy(p => p.Id, StringComparer.Ordinal)];
    }
}
