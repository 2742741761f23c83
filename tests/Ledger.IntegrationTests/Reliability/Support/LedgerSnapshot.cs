using System.Globalization;
using System.Text.Json;
using RatificationLedger.Domain;
using RatificationLedger.Recording;
using RatificationLedger.Storage;
using Marten;

namespace RatificationLedger.IntegrationTests.Reliability.Support;

/// <summary>What a process looks like in the ledger, in comparable text: the decider's state and every entry.</summary>
public sealed record ProcessSnapshot(
    string Process,
    ProcessPhase Phase,
    IReadOnlyList<string> RequiredRatifiers,
    IReadOnlyList<string> Counted,
    IReadOnlyList<string> Pending,
    IReadOnlyList<string> Vetoes,
    IReadOnlyList<string> Entries);

/// <summary>
/// Everything a ledger holds, read back as the write side keeps it (LedgerReader's LoadStateAsync and ReadEntriesAsync): one
/// <see cref="ProcessSnapshot"/> per stream (processes and organizations), for "identical to a clean import" checks.
/// </summary>
public static class LedgerSnapshot
{
    private static readonly JsonSerializerOptions Json = CreateJson();

    private static JsonSerializerOptions CreateJson()
    {
        var json = new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };
        LedgerStoreExtensions.ConfigureJson(json);
        return json;
    }

    /// <summary>An event as canonical JSON (records holding lists compare by content this way).</summary>
    public static string Canonical(object e) => JsonSerializer.Serialize(e, e.GetType(), Json);

    /// <summary>
    /// Marten's bookkeeping stream: when a unit of work fails after drawing event sequence numbers (a concurrency
    /// conflict, a dropped connection), Marten fills the gap with tombstone events there so the async daemon does not
    /// wait for sequence numbers that will never appear. Not a ledger stream; not a ledger entry.
    /// </summary>
    public const string TombstoneStream = "mt_tombstone";

    /// <summary>Every ledger stream key in the store (organizations and processes), from <c>mt_streams</c>.</summary>
    public static async Task<IReadOnlyList<string>> StreamsAsync(IDocumentStore store)
    {
        await using var session = store.QuerySession();
        var ids = await session.AdvancedSql.QueryAsync<string>($"select id from {store.Options.Events.DatabaseSchemaName}.mt_streams order by id", CancellationToken.None);
        return [.. ids.Where(id => id != TombstoneStream)];
    }

    public static async Task<IReadOnlyDictionary<string, ProcessSnapshot>> TakeAsync(IDocumentStore store)
    {
        var reader = new LedgerReader(store);
        var result = new SortedDictionary<string, ProcessSnapshot>(StringComparer.Ordinal);
        foreach (var stream in await StreamsAsync(store))
        {
            var entries = await reader.ReadEntriesAsync(stream);
            var formatted = entries.Select(e => $"#{e.Number} {e.Type} {Canonical(e.Event)}").ToArray();
            formatted.Should().OnlyHaveUniqueItems($"no entry of {stream} may be recorded twice");
            if (!ProcessId.TryParse(stream, out _, out _))
            {
                result[stream] = new ProcessSnapshot(stream, ProcessPhase.NotOpened, [], [], [], [], formatted);
                continue;
            }
            var state = await reader.LoadStateAsync(stream);
            result[stream] = Of(stream, state, formatted);
        }
        return result;
    }

    public static ProcessSnapshot Of(string process, AccessionState state, IReadOnlyList<string> entries) => new(
        process,
        state.Phase,
        [.. state.RequiredRatifiers.Select(r => $"{r.Key}@{D(r.Value)}")],
        [.. state.Counted().OrderBy(c => c.Member, StringComparer.Ordinal).Select(c => $"{c.Member}@{D(c.On)}")],
        [.. state.Pending()],
        [.. state.Vetoes.Select(v => $"{v.Member} {(v.Formal ? "veto" : "hold")} {D(v.Since)}-{(v.EndedOn is { } e ? D(e) : "active")}")],
        entries);

    /// <summary>Ledger entries in the store (tombstones left out).</summary>
    public static async Task<long> EventCountAsync(IDocumentStore store)
    {
        await using var session = store.QuerySession();
        return await session.Events.QueryAllRawEvents().CountAsync(e => e.StreamKey != TombstoneStream);
    }

    private static string D(DateOnly d) => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}
