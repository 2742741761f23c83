namespace RatificationLedger.Projections.Rebuilding;

/// <summary>
/// Member records accumulated by a rebuild: each worker adds the streams it folds to its own builder, and the builders
/// are merged at the end (a member record gathers every process, so it is not a row per stream).
/// </summary>
internal sealed class MemberRecordsBuilder
{
    private readonly Dictionary<string, MemberRecord> _records = new(StringComparer.Ordinal);
    private readonly Func<string, MemberRecord> _recordOf;

    public MemberRecordsBuilder() => _recordOf = RecordOf;

    public IReadOnlyCollection<MemberRecord> Records => _records.Values;

    /// <summary>Adds <paramref name="stream"/>'s ratifications and vetoes to the records of the members concerned.</summary>
    public void Add(RebuiltStream stream)
    {
        var (status, register) = stream.Views;
        MemberRecords.AddAll(_recordOf, stream.Process, status, register);
    }

    private MemberRecord RecordOf(string member)
    {
        if (!_records.TryGetValue(member, out var record))
        {
            _records[member] = record = new MemberRecord { Id = member };
        }
        return record;
    }

    /// <summary>Takes what <paramref name="other"/> gathered (other processes than this builder's).</summary>
    public void Merge(MemberRecordsBuilder other)
    {
        foreach (var (member, theirs) in other._records)
        {
            if (!_records.TryGetValue(member, out var ours))
            {
                _records[member] = theirs;
                continue;
            }
            ours.Ratifications.AddRange(theirs.Ratifications);
            ours.Vetoes.AddRange(theirs.Vetoes);
        }
    }

    /// <summary>Drops what <paramref name="process"/> contributed (before it is added again as it now stands).</summary>
    public void Remove(string process)
    {
        foreach (var record in _records.Values)
        {
            record.Ratifications.RemoveAll(r => r.Process == process);
            record.Vetoes.RemoveAll(v => v.Process == process);
        }
    }

    /// <summary>Orders every record and computes its means.</summary>
    public void Finish()
    {
        foreach (var record in _records.Values)
        {
            MemberRecords.Finish(record);
        }
    }
}
