using Marten;
using Npgsql;

namespace RatificationLedger.Integrity;

/// <summary>
/// The database role that wrote each entry of a process, as the entry's chain link keeps it (<c>ledger_chain.role</c>):
/// what the audit trail shows beside the recorded-by the app claims.
/// </summary>
internal static class WritingRoles
{
    /// <summary>
    /// Per entry number: the role, or null for an entry chained on upgrade (written before the chain existed). An entry
    /// with no link is absent. Read after the entries it is asked for: their links were committed with them.
    /// </summary>
    public static async Task<IReadOnlyDictionary<long, string?>> ReadAsync(IDocumentStore store, string process, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(store);
        await IntegritySchema.EnsureAsync(store, ct).ConfigureAwait(false);
        var roles = new Dictionary<long, string?>();
        await using var session = store.QuerySession();
        await using var command = new NpgsqlCommand($"select version, role from {LedgerIntegrity.Schema(store)}.{IntegritySchema.ChainTable} where stream_id = $1");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = process });
        await using var reader = await session.ExecuteReaderAsync(command, ct).ConfigureAwait(false);
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            roles[reader.GetInt64(0)] = reader.IsDBNull(1) ? null : reader.GetString(1);
        }
        return roles;
    }
}
