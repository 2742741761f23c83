using System.Globalization;
using System.Text.Json;
using RatificationLedger.Domain;
using RatificationLedger.Recording;
using Marten;
using Npgsql;

namespace RatificationLedger.Projections;

/// <summary>
/// Reads a process's entries for a replay straight from the event table, in one query that keeps only the rows the
/// replay can use (recorded by <c>knownAt</c>; dated by <c>asOf</c>, or retractions), decoding each event by its stored
/// name with the store's serializer. This is the as-of query's hot path: Marten's own stream read fetches every row and
/// every metadata column. Marten decodes upcast events itself, so when the store registers upcasters this reader steps
/// aside (<see cref="Usable"/> is false) and the caller reads through Marten.
/// </summary>
internal sealed class EntryReader
{
    private static readonly Dictionary<string, Type> TypesByName = StoredEventNames.All.ToDictionary(kv => kv.Value, kv => kv.Key, StringComparer.Ordinal);
    private static readonly string Retracted = StoredEventNames.All[typeof(EntryRetracted)];

    private readonly IDocumentStore _store;
    private readonly ISerializer _serializer;
    private readonly string _table;

    public EntryReader(IDocumentStore store)
    {
        _store = store;
        _serializer = store.Options.Serializer();
        _table = $"{store.Options.Events.DatabaseSchemaName}.mt_events";
        Usable = store is DocumentStore { Options.Events: Marten.Events.EventGraph events } && !MayUpcast(events);
    }

    // Whether the store may upcast stored events. JasperFx's own upcaster list is not where Marten 9 registers them:
    // `Events.Upcast<TOld, TNew>(...)` adds a mapping from the old stored name, marked as an upcast's target, to Marten's
    // private map of stored names (found here by reflection). When that map cannot be read (another Marten), the store
    // is taken to upcast: the caller then reads through Marten, slower but right.
    internal static bool MayUpcast(Marten.Events.EventGraph events)
    {
        if (events.Upcasters.HasAny)
        {
            return true;
        }
        const System.Reflection.BindingFlags Flags = System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Public;
        var byName = typeof(Marten.Events.EventGraph).GetField("_byEventName", Flags)?.GetValue(events);
        var target = typeof(Marten.Events.EventMapping).GetProperty("IsUpcastTarget", Flags);
        if (byName is not System.Collections.IEnumerable mappings || target is null)
        {
            return true;
        }
        foreach (var mapping in mappings)
        {
            if (mapping is Marten.Events.EventMapping m && target.GetValue(m) is true)
            {
                return true;
            }
        }
        return false;
    }

    public bool Usable { get; }

    public async Task<List<RecordedEntry>> ReadAsync(string process, DateOnly? asOf, DateTimeOffset? knownAt, CancellationToken ct)
    {
        await EnsureEventTablesAsync(ct).ConfigureAwait(false);
        await using var session = _store.QuerySession();
        await using var command = new NpgsqlCommand(
            $"select version, seq_id, type, data, timestamp, user_name, headers, correlation_id, causation_id from {_table} where stream_id = $1"
            + (knownAt is null ? "" : " and timestamp <= $2")
            + (asOf is null ? "" : " and (type = $3 or data ->> 'on' <= $4)")
            + " order by version");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = process });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = knownAt ?? default });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Retracted });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = asOf?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) ?? "" });
        var entries = new List<RecordedEntry>();
        await using var reader = await session.ExecuteReaderAsync(command, ct).ConfigureAwait(false);
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            entries.Add(Decode(reader, process, 0));
        }
        return entries;
    }

    /// <summary>Every entry of each of <paramref name="processes"/>, in one query (a rebuild's read), in recorded order.</summary>
    public async Task<List<(string Process, List<RecordedEntry> Entries)>> ReadAllAsync(string[] processes, CancellationToken ct)
    {
        await using var session = _store.QuerySession();
        await using var command = new NpgsqlCommand(
            $"select stream_id, version, seq_id, type, data, timestamp, user_name, headers, correlation_id, causation_id from {_table} where stream_id = any($1) order by stream_id, version");
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = processes });
        var result = new List<(string, List<RecordedEntry>)>(processes.Length);
        await using var reader = await session.ExecuteReaderAsync(command, ct).ConfigureAwait(false);
        string? current = null;
        List<RecordedEntry>? entries = null;
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            var process = reader.GetString(0);
            if (process != current)
            {
                current = process;
                entries = [];
                result.Add((process, entries));
            }
            entries!.Add(Decode(reader, process, 1));
        }
        return result;
    }

    // One row: version, seq_id, type, data, timestamp, user_name, headers, correlation_id, causation_id from `first` on.
    private RecordedEntry Decode(System.Data.Common.DbDataReader reader, string process, int first)
    {
        var type = reader.GetString(first + 2);
        var clr = TypeOf(process, reader.GetInt64(first), type);
        var data = _serializer.FromJson(clr, reader, first + 3);
        var headers = reader.IsDBNull(first + 6) ? default : Headers.Parse(reader.GetString(first + 6));
        return new RecordedEntry(process, reader.GetInt64(first), reader.GetInt64(first + 1), type, data,
            reader.GetFieldValue<DateTimeOffset>(first + 4), NullableText(reader, first + 5), headers.Source, headers.Note, headers.Unconfirmed,
            headers.CommandId, NullableText(reader, first + 7), NullableText(reader, first + 8));
    }

    /// <summary>
    /// One entry from its row's values as read without decoding (a rebuild reads rows on one thread and decodes them on
    /// every core): <paramref name="data"/> is the <c>jsonb</c> value's JSON text (UTF-8, <paramref name="length"/> bytes
    /// from <paramref name="offset"/>: a rebuild keeps many rows' values in one array), <paramref name="source"/> and
    /// <paramref name="unconfirmed"/> the headers' values as text (<c>headers -&gt;&gt; 'source'</c>), the only
    /// headers the stored views read; the entry has no note, command, correlation or causation id (the audit trail,
    /// which shows them, is built from the stream when asked, never rebuilt).
    /// </summary>
    public RecordedEntry Decode(string process, long number, long sequence, string type, byte[] data, int offset, int length, DateTimeOffset recordedAt,
        string? recordedBy, string? source, string? unconfirmed)
    {
        var clr = TypeOf(process, number, type);
        var @event = Read(clr, data, offset, length);
        return new RecordedEntry(process, number, sequence, type, @event, recordedAt, recordedBy, source, null,
            Headers.IsTrue(unconfirmed), null, null, null);
    }

    // How many events the direct reader (LedgerJson.TryReadFrequent) must have read exactly as the store's serializer
    // does before its answer is taken alone.
    internal const int CheckedEvents = 16;

    private readonly CheckedShortcut _direct = new(CheckedEvents);

    /// <summary>Whether the frequent events are read directly (so far): false once one read differently from the store's serializer.</summary>
    internal bool ReadsDirectly => _direct.Usable;

    // An event from its JSON: a chamber vote, an approval or a deposit read straight off the bytes once that gave the
    // serializer's events for the first ones (a store whose serializer reads otherwise is read through it), every
    // other event, and any the direct reader leaves, through the store's serializer.
    private object Read(Type type, byte[] data, int offset, int length)
    {
        if (_direct.Usable && LedgerJson.TryReadFrequent(type, data.AsSpan(offset, length)) is { } direct)
        {
            if (_direct.Trusted)
            {
                return direct;
            }
            var serialized = Deserialize(type, data, offset, length);
            _direct.Checked(direct.Equals(serialized));
            return serialized;
        }
        return Deserialize(type, data, offset, length);
    }

    private object Deserialize(Type type, byte[] data, int offset, int length)
    {
        using var json = new MemoryStream(data, offset, length, writable: false);
        return _serializer.FromJson(type, json);
    }

    private static Type TypeOf(string process, long number, string type) =>
        TypesByName.TryGetValue(type, out var clr)
            ? clr
            : throw new InvalidOperationException($"{process}: entry {number} has the unknown stored type '{type}'.");

    /// <summary>The headers the views use (source, note, command id, unconfirmed).</summary>
    internal readonly record struct Headers(string? Source, string? Note, string? CommandId, bool Unconfirmed)
    {
        /// <summary>The unconfirmed header as the readers take it from its text: true, in any case (JSON true or the string).</summary>
        public static bool IsTrue(string? text) => text is not null && bool.TryParse(text, out var b) && b;

        public static Headers Parse(string json)
        {
            using var headers = JsonDocument.Parse(json);
            return Of(headers);
        }

        private static Headers Of(JsonDocument headers)
        {
            string? source = null, note = null, commandId = null;
            var unconfirmed = false;
            // An entry appended through Marten with no headers (by an app writing to the stream directly) stores JSON null.
            if (headers.RootElement.ValueKind != JsonValueKind.Object)
            {
                return default;
            }
            foreach (var header in headers.RootElement.EnumerateObject())
            {
                switch (header.Name)
                {
                    case LedgerRecorder.Headers.Source:
                        source = Text(header.Value);
                        break;
                    case LedgerRecorder.Headers.Note:
                        note = Text(header.Value);
                        break;
                    case LedgerRecorder.Headers.CommandId:
                        commandId = Text(header.Value);
                        break;
                    case LedgerRecorder.Headers.Unconfirmed:
                        unconfirmed = header.Value.ValueKind == JsonValueKind.True
                            || (header.Value.ValueKind == JsonValueKind.String && bool.TryParse(header.Value.GetString(), out var b) && b);
                        break;
                }
            }
            return new Headers(source, note, commandId, unconfirmed);
        }
    }

    // Plain SQL does not create Marten's event tables as its own reads do: a ledger that has recorded nothing yet has
    // none, and is asked anyway (a status, an audit trail of a process never recorded).
    private async Task EnsureEventTablesAsync(CancellationToken ct)
    {
        if (!_eventTablesExist)
        {
            await RatificationLedger.Storage.LedgerStorage.EnsureAsync(_store, ct).ConfigureAwait(false);
            _eventTablesExist = true;
        }
    }

    private volatile bool _eventTablesExist;

    public async Task<bool> ExistsAsync(string process, DateTimeOffset? knownAt, CancellationToken ct)
    {
        await EnsureEventTablesAsync(ct).ConfigureAwait(false);
        await using var session = _store.QuerySession();
        await using var command = new NpgsqlCommand(
            $"select exists (select 1 from {_table} where stream_id = $1" + (knownAt is null ? ")" : " and timestamp <= $2)"));
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = process });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = knownAt ?? default });
        await using var reader = await session.ExecuteReaderAsync(command, ct).ConfigureAwait(false);
        return await reader.ReadAsync(ct).ConfigureAwait(false) && reader.GetBoolean(0);
    }

    private static string? NullableText(System.Data.Common.DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    private static string? Text(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString(),
        JsonValueKind.Null => null,
        _ => value.ToString(),
    };
}
