using System.Text.Json;
using JasperFx.Events;
using RatificationLedger.Domain;

namespace RatificationLedger.Recording;

/// <summary>One stored entry of a process with everything the ledger knows about its recording.</summary>
/// <param name="Process">The process stream key.</param>
/// <param name="Number">The entry's number in the process (stream version).</param>
/// <param name="Sequence">The global sequence number in the event store (recorded order).</param>
/// <param name="Type">The stored event name, e.g. <c>ratification_approved</c>.</param>
/// <param name="Event">The event.</param>
/// <param name="RecordedAt">When the ledger recorded it.</param>
/// <param name="RecordedBy">Who recorded it.</param>
/// <param name="Source">Its source citation.</param>
/// <param name="Note">Its note.</param>
/// <param name="Unconfirmed">True when no source states its exact date.</param>
/// <param name="CommandId">The command that recorded it.</param>
/// <param name="CorrelationId">The correlation id of the recording.</param>
/// <param name="CausationId">The causation id of the recording.</param>
public sealed record RecordedEntry(
    string Process,
    long Number,
    long Sequence,
    string Type,
    object Event,
    DateTimeOffset RecordedAt,
    string? RecordedBy,
    string? Source,
    string? Note,
    bool Unconfirmed,
    string? CommandId,
    string? CorrelationId,
    string? CausationId)
{
    /// <summary>The event's effective date (when it happened in the world).</summary>
    /// <remarks>The most frequent events first: a fold's sort and the as-of answers ask every entry's date many times.</remarks>
    public DateOnly On => Event switch
    {
        ParliamentVoted e => e.On,
        RatificationApproved e => e.On,
        InstrumentDeposited e => e.On,
        ApplicationSubmitted e => e.On,
        InvitationExtended e => e.On,
        AccessionProtocolSigned e => e.On,
        MemorandumSigned e => e.On,
        VetoDeclared e => e.On,
        VetoLifted e => e.On,
        RatifierAdded e => e.On,
        AccessionCompleted e => e.On,
        ApplicationWithdrawn e => e.On,
        EntryRetracted e => e.On,
        MemberAdmitted e => e.On,
        _ => DateOnly.MinValue,
    };

    /// <summary>The member the entry is about, or null (application, invitation, protocol, accession...).</summary>
    public string? Member => Consequences.MemberOf(Event);

    /// <summary>Reads a stored Marten event with its metadata columns and ledger headers.</summary>
    public static RecordedEntry From(IEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        var (source, note, unconfirmed, commandId) = HeadersOf(e);
        return new RecordedEntry(
            e.StreamKey ?? e.StreamId.ToString(),
            e.Version,
            e.Sequence,
            e.EventTypeName,
            e.Data,
            // PostgreSQL keeps microseconds; an event still being appended carries the clock's 100 ns ticks.
            e.Timestamp.AddTicks(-(e.Timestamp.Ticks % 10)),
            e.UserName,
            source,
            note,
            unconfirmed,
            commandId,
            e.CorrelationId,
            e.CausationId);
    }

    // The ledger's headers of an event in one pass over its few headers (a batch of an import reads 16,000 events'),
    // read as Text and Flag read them one at a time.
    private static (string? Source, string? Note, bool Unconfirmed, string? CommandId) HeadersOf(IEvent e)
    {
        if (e.Headers is not { Count: > 0 } headers)
        {
            return default;
        }
        if (headers.Comparer != EqualityComparer<string>.Default && headers.Comparer != StringComparer.Ordinal)
        {
            // Keys matched otherwise than byte for byte: as the dictionary matches them.
            return (Text(e, LedgerRecorder.Headers.Source), Text(e, LedgerRecorder.Headers.Note),
                Flag(e.GetHeader(LedgerRecorder.Headers.Unconfirmed)), Text(e, LedgerRecorder.Headers.CommandId));
        }
        string? source = null, note = null, commandId = null;
        var unconfirmed = false;
        foreach (var (key, value) in headers)
        {
            switch (key)
            {
                case LedgerRecorder.Headers.Source: source = Text(value); break;
                case LedgerRecorder.Headers.Note: note = Text(value); break;
                case LedgerRecorder.Headers.Unconfirmed: unconfirmed = Flag(value); break;
                case LedgerRecorder.Headers.CommandId: commandId = Text(value); break;
            }
        }
        return (source, note, unconfirmed, commandId);
    }

    internal static string? HeaderText(IEvent e, string key) => Text(e, key);

    private static string? Text(IEvent e, string key) => Text(e.GetHeader(key));

    private static string? Text(object? value) => value switch
    {
        null => null,
        string s => s,
        JsonElement { ValueKind: JsonValueKind.String } j => j.GetString(),
        JsonElement { ValueKind: JsonValueKind.Null } => null,
        var other => other.ToString(),
    };

    private static bool Flag(object? value) => value switch
    {
        bool b => b,
        JsonElement { ValueKind: JsonValueKind.True } => true,
        string s => bool.TryParse(s, out var b) && b,
        _ => false,
    };
}
