using JasperFx.Events;
using Marten;
using Npgsql;

namespace RatificationLedger.Integrity;

/// <summary>
/// Puts a <see cref="ChainParticipant"/> into every session that appends events, so Marten's append path chains what it
/// writes in its own transaction, whoever calls it (the recorder, a retraction, an app's own append).
/// </summary>
internal sealed class ChainListener : DocumentSessionListenerBase
{
    public override Task BeforeSaveChangesAsync(IDocumentSession session, CancellationToken token)
    {
        var streams = session.PendingChanges.Streams().ToArray();
        if (streams.Length > 0)
        {
            if (session is not ITransactionParticipantRegistrar registrar)
            {
                throw new InvalidOperationException($"The Marten session ({session.GetType().Name}) takes no transaction participants, so the ledger cannot chain what it appends.");
            }
            registrar.AddTransactionParticipant(new ChainParticipant(session.DocumentStore.Options.Events.DatabaseSchemaName, streams));
        }
        return Task.CompletedTask;
    }
}

/// <summary>
/// Chains what a Marten session appended, in its transaction: Marten runs it after the session's statements and before
/// the commit, so the rows read back are the ones just written.
/// </summary>
internal sealed class ChainParticipant(string schema, IReadOnlyList<StreamAction> streams) : ITransactionParticipant
{
    public Task BeforeCommitAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken token) =>
        ChainWriter.WriteAsync(connection, transaction, schema, [.. streams.Select(Written)], token);

    public Task AfterCommitAsync(CancellationToken token) => Task.CompletedTask;

    // The version the stream had before this append (a new stream: 0). Once the append ran, Marten knows the stream's
    // new version; when it does not, every unchained entry of the stream counts as written now.
    private static ChainWriter.Written Written(StreamAction action) =>
        new(action.Key ?? action.Id.ToString(), action.ActionType == StreamActionType.Start ? 0 : Math.Max(0, action.Version - action.Events.Count));
}
