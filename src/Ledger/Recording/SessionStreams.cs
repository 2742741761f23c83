using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Marten;

namespace RatificationLedger.Recording;

/// <summary>
/// What the recorder read of each stream it appends to in a session: the stream's version and last event id when read.
/// Every append it makes is checked against that version (Marten's expected version, or the import's versioned update
/// of the stream row), so if the session's transaction commits, the stream had not moved: an inline projection applied
/// in the same session can take its own cached copy of the stream as the stored part when the copy ends at that
/// version with that event, instead of reading the stream again.
/// </summary>
internal static class SessionStreams
{
    private static readonly ConditionalWeakTable<IQuerySession, ConcurrentDictionary<string, (long Version, Guid LastEventId)>> s_read = new();

    /// <summary>Notes that <paramref name="stream"/> was read in <paramref name="session"/> at this version and last event.</summary>
    public static void Read(IQuerySession session, string stream, long version, Guid lastEventId) =>
        s_read.GetValue(session, static _ => new ConcurrentDictionary<string, (long, Guid)>(StringComparer.Ordinal))[stream] = (version, lastEventId);

    /// <summary>The version and last event id <paramref name="stream"/> was read at in <paramref name="session"/>, if the recorder read it there.</summary>
    public static bool TryGet(IQuerySession session, string stream, out long version, out Guid lastEventId)
    {
        if (s_read.TryGetValue(session, out var streams) && streams.TryGetValue(stream, out var read))
        {
            (version, lastEventId) = read;
            return true;
        }
        (version, lastEventId) = (0, Guid.Empty);
        return false;
    }
}
