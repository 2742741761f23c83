using JasperFx.Events;
using Ledger.Domain;
using Ledger.Recording;
using Marten;
using Marten.Events.Projections;

namespace Ledger.Projections;

/// <summary>
/// Inline projection of each process stream into <see cref="AccessionStatus"/>, <see cref="RatificationRegister"/> and
/// <see cref="AuditTrail"/>, in the transaction that appends the events. A retraction can change the effect of any
/// earlier entry, so the views are rebuilt from the whole stream (stored entries plus the ones being appended) with the
/// same fold the write side uses, rather than patched event by event.
/// </summary>
public sealed class ProcessViewsProjection : IProjection
{
    /// <summary>The projection's name (for rebuilds).</summary>
    public const string Name = "ProcessViews";

    /// <inheritdoc />
    public async Task ApplyAsync(IDocumentOperations operations, IReadOnlyList<IEvent> events, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(operations);
        ArgumentNullException.ThrowIfNull(events);
        foreach (var (process, entries) in await ProcessStreams.LoadAsync(operations, events, cancellation).ConfigureAwait(false))
        {
            var (status, register, audit) = ProcessViews.Build(process, entries);
            operations.Store(status);
            operations.Store(register);
            operations.Store(audit);
        }
    }
}

/// <summary>
/// Async multi-stream projection of every process's register and vetoes into one <see cref="MemberRecord"/> per member.
/// </summary>
public sealed class MemberRecordProjection : IProjection
{
    /// <summary>The projection's name (for rebuilds and the daemon).</summary>
    public const string Name = "MemberRecords";

    /// <inheritdoc />
    public async Task ApplyAsync(IDocumentOperations operations, IReadOnlyList<IEvent> events, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(operations);
        var records = new Dictionary<string, MemberRecord>(StringComparer.Ordinal);
        async Task<MemberRecord> RecordOf(string member)
        {
            if (!records.TryGetValue(member, out var record))
            {
                record = await operations.LoadAsync<MemberRecord>(member, cancellation).ConfigureAwait(false) ?? new MemberRecord { Id = member };
                records[member] = record;
            }
            return record;
        }

        foreach (var (process, entries) in await ProcessStreams.LoadAsync(operations, events, cancellation).ConfigureAwait(false))
        {
            var (status, register, _) = ProcessViews.Build(process, entries);
            var members = register.Rows.Select(r => r.Member).Concat(status.Vetoes.Select(v => v.Member)).Distinct(StringComparer.Ordinal);
            var stale = await operations.Query<MemberRecord>().Where(m => m.Ratifications.Any(r => r.Process == process) || m.Vetoes.Any(v => v.Process == process))
                .Select(m => m.Id).ToListAsync(cancellation).ConfigureAwait(false);
            foreach (var member in members.Union(stale, StringComparer.Ordinal))
            {
                var record = await RecordOf(member).ConfigureAwait(false);
                record.Ratifications.RemoveAll(r => r.Process == process);
                record.Vetoes.RemoveAll(v => v.Process == process);
                if (register.Rows.FirstOrDefault(r => r.Member == member) is { } row)
                {
                    record.Ratifications.Add(new MemberRatification(process, status.Candidate, row.RatifiedOn, row.DepositedOn, row.DaysFromSignature, row.Unconfirmed));
                }
                record.Vetoes.AddRange(status.Vetoes.Where(v => v.Member == member)
                    .Select(v => new MemberVeto(process, status.Candidate, v.Since, v.EndedOn, v.Formal, v.Reason)));
                record.Ratifications.Sort((a, b) => string.CompareOrdinal(a.Process, b.Process));
                record.Vetoes.Sort((a, b) => (a.Since, a.Process).CompareTo((b.Since, b.Process)));
                var days = record.Ratifications.Where(r => r.DaysFromSignature is not null).Select(r => (double)r.DaysFromSignature!.Value).ToList();
                record.MeanDaysFromSignature = days.Count > 0 ? Math.Round(days.Average(), 1) : null;
            }
        }
        foreach (var record in records.Values)
        {
            operations.Store(record);
        }
    }
}

internal static class ProcessStreams
{
    /// <summary>Every entry of each process stream the events touch: the stored ones and those being appended.</summary>
    public static async Task<List<(string Process, IReadOnlyList<RecordedEntry> Entries)>> LoadAsync(IQuerySession session, IReadOnlyList<IEvent> events, CancellationToken ct)
    {
        var result = new List<(string, IReadOnlyList<RecordedEntry>)>();
        foreach (var group in events.Where(e => ProcessId.TryParse(e.StreamKey, out _, out _)).GroupBy(e => e.StreamKey!, StringComparer.Ordinal))
        {
            var stored = await session.Events.FetchStreamAsync(group.Key, token: ct).ConfigureAwait(false);
            var all = stored.Concat(group)
                .GroupBy(e => e.Version)
                .Select(g => g.First())
                .OrderBy(e => e.Version)
                .Select(RecordedEntry.From)
                .ToList();
            result.Add((group.Key, all));
        }
        return result;
    }
}
