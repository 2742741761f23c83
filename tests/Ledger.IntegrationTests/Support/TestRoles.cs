using Npgsql;

namespace RatificationLedger.IntegrationTests.Support;

/// <summary>The app role of docs/operations.md ("Roles"): no superuser, no owner, the grants an app needs.</summary>
public static class TestRoles
{
    /// <summary>
    /// Creates login role <paramref name="role"/> with the app's grants on <paramref name="schema"/> (optionally without
    /// <c>UPDATE</c>, <c>DELETE</c> and <c>TRUNCATE</c> on the evidence tables, as the documented setup revokes them) and
    /// returns a connection string that logs in as it (no pooling, so dropping the role is not held up).
    /// </summary>
    public static async Task<string> CreateAppRoleAsync(string connection, string schema, string role, bool revokeEvidenceEdits = false)
    {
        await using (var c = new NpgsqlConnection(connection))
        {
            await c.OpenAsync();
            var revoke = revokeEvidenceEdits
                ? $"revoke update, delete, truncate on {schema}.mt_events, {schema}.ledger_chain, {schema}.ledger_digest from {role};"
                : "";
            await using var grant = new NpgsqlCommand($"""
                create role {role} login password '{role}-password';
                grant usage on schema {schema} to {role};
                grant select, insert, update, delete on all tables in schema {schema} to {role};
                {revoke}
                grant usage, select, update on all sequences in schema {schema} to {role};
                grant execute on all functions in schema {schema} to {role};
                """, c);
            await grant.ExecuteNonQueryAsync();
        }
        return new NpgsqlConnectionStringBuilder(connection) { Username = role, Password = $"{role}-password", Pooling = false }.ConnectionString;
    }
}
