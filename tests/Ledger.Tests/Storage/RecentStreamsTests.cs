using RatificationLedger.Storage;

namespace RatificationLedger.Tests.Storage;

public sealed class RecentStreamsTests
{
    [Fact]
    public void Many_threads_keeping_and_taking_streams_at_capacity_keep_at_most_the_capacity_and_fail_nowhere()
    {
        // Making room while other threads keep, read and forget streams: the room is made from one snapshot of the map
        // (an ordering of the live map met streams removed while it was copied, and failed).
        const int capacity = 50;
        var streams = new RecentStreams<string>(capacity);
        Parallel.For(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 8 }, worker =>
        {
            var random = new Random(worker);
            for (var i = 0; i < 500_000; i++)
            {
                var stream = $"p/{random.Next(400)}";
                switch (random.Next(3))
                {
                    case 0:
                        streams.Remove(stream);
                        break;
                    case 1:
                        streams.TryGet(stream, out _);
                        break;
                    default:
                        streams.Set(stream, stream);
                        break;
                }
            }
        });

        var kept = Enumerable.Range(0, 400).Count(i => streams.TryGet($"p/{i}", out _));
        kept.Should().BeInRange(1, capacity + 8, "each thread makes room before it keeps one more");
    }

    [Fact]
    public void The_least_recently_used_tenth_makes_room_and_a_stream_forgotten_is_no_longer_kept()
    {
        var streams = new RecentStreams<string>(10);
        for (var i = 0; i < 10; i++)
        {
            streams.Set($"p/{i}", $"v{i}");
        }
        streams.TryGet("p/0", out _).Should().BeTrue();

        streams.Set("p/10", "v10");

        streams.TryGet("p/1", out _).Should().BeFalse("p/1 was used least recently (p/0 was just read)");
        streams.TryGet("p/0", out var first).Should().BeTrue();
        first.Should().Be("v0");
        streams.TryGet("p/10", out var kept).Should().BeTrue();
        kept.Should().Be("v10");
        streams.Remove("p/10");
        streams.TryGet("p/10", out _).Should().BeFalse();
        new RecentStreams<string>(0).Enabled.Should().BeFalse();
    }
}
