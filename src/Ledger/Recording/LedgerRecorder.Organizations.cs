using System.Collections.Concurrent;
using RatificationLedger.Domain;
using RatificationLedger.Storage;
using Marten;

namespace RatificationLedger.Recording;

// The organization cache.
public sealed partial class LedgerRecorder
{
    // The organizations this recorder loaded, each with the state of its stream when loaded: a command decides on the
    // copy when the stream is still at that version and was created at the same instant (a database wiped and written
    // again starts the stream anew); otherwise the view is loaded again.
    private readonly ConcurrentDictionary<string, KnownOrganization> _organizations = new(StringComparer.Ordinal);

    private sealed record KnownOrganization(Organization Organization, long Version, DateTimeOffset Created)
    {
        public bool IsAt(long version, DateTimeOffset created) => version == Version && created == Created;
    }

    private Organization Remember(string code, JasperFx.Events.StreamState state, Organization organization)
    {
        _organizations[code] = new KnownOrganization(organization, state.Version, state.Created);
        return organization;
    }

    // The organization as its view holds it, read after its stream's state: the view, written in the transaction that
    // appends to the stream, is then at least as recent as that state. Remembered under that state, a copy can only be
    // newer than its version says, and a newer stream never matches it. Null when the organization is not registered.
    private async Task<Organization?> OrganizationAsync(IQuerySession session, string code, CancellationToken ct)
    {
        var key = OrganizationDecider.StreamKey(code);
        var batch = session.CreateBatchQuery();
        var stateQuery = batch.Events.FetchStreamState(key);
        var viewQuery = batch.Load<OrganizationView>(key);
        await batch.Execute(ct).ConfigureAwait(false);
        var state = await stateQuery.ConfigureAwait(false);
        var view = await viewQuery.ConfigureAwait(false);
        return state is null || view is null ? null : Remember(code, state, view.Organization);
    }
}
