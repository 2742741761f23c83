using System.Buffers;
using Marten;
using RatificationLedger.Domain;

namespace RatificationLedger.Recording;

/// <summary>
/// An event's JSON as the COPY write stores it: the store's serializer's, with chamber votes, approvals and deposits
/// (nine entries in ten) written directly (<see cref="LedgerJson.TryWriteFrequent"/>) once the first
/// <see cref="Checks"/> of each type were the serializer's bytes exactly, and never again for a type once one was not
/// (a store whose serializer is configured otherwise). An import writes a million events; the serializer made a
/// <c>Utf8JsonWriter</c> for each and walked its metadata, a tenth of the import's worker threads in a sampled
/// profile. Shared by the threads that encode batches.
/// </summary>
internal sealed class EventJson(ISerializer serializer)
{
    /// <summary>How many events of a type must be written alike by both before the direct JSON stands alone.</summary>
    public const int Checks = 16;

    private readonly CheckedShortcut[] _direct = [new(Checks), new(Checks), new(Checks)];

    // The two answers of an event being checked, per thread.
    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_direct;

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_serialized;

    /// <summary>The store's serializer (headers and every other event).</summary>
    public ISerializer Serializer => serializer;

    /// <summary>Whether events of <paramref name="data"/>'s type are written directly (so far): false once one differed from the serializer's.</summary>
    internal bool WritesDirectly(object data) => LedgerJson.FrequentKind(data) is >= 0 and var kind && _direct[kind].Trusted;

    /// <summary>Writes <paramref name="data"/>'s JSON into <paramref name="output"/>.</summary>
    public void Write(IBufferWriter<byte> output, object data)
    {
        var kind = LedgerJson.FrequentKind(data);
        if (kind >= 0 && _direct[kind] is { Usable: true } shortcut)
        {
            if (shortcut.Trusted)
            {
                if (LedgerJson.TryWriteFrequent(data, output))
                {
                    return;
                }
            }
            else
            {
                var direct = t_direct ??= new ArrayBufferWriter<byte>(256);
                direct.ResetWrittenCount();
                if (LedgerJson.TryWriteFrequent(data, direct))
                {
                    // The serializer's bytes are the answer until the direct ones are trusted.
                    var serialized = t_serialized ??= new ArrayBufferWriter<byte>(256);
                    serialized.ResetWrittenCount();
                    serializer.WriteTo(serialized, data);
                    shortcut.Checked(serialized.WrittenSpan.SequenceEqual(direct.WrittenSpan));
                    output.Write(serialized.WrittenSpan);
                    return;
                }
            }
        }
        serializer.WriteTo(output, data);
    }
}
