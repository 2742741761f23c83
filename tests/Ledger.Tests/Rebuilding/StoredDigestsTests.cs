using FluentAssertions;
using RatificationLedger.Projections.Rebuilding;
using Xunit;

namespace RatificationLedger.Tests.Rebuilding;

/// <summary>
/// When a rebuild gives up comparing a table process by process: only when the first processes compared all differed
/// (as after an upgrade that changes every document), never once one matched (its rows were not staged, so the table
/// must not be replaced whole).
/// </summary>
public sealed class StoredDigestsTests
{
    private static ReadModelRebuild.StoredDigests Loaded(params string[] processes)
    {
        var stored = new ReadModelRebuild.StoredDigests("select");
        stored.Add([.. processes.Select(p => (p, new byte[] { 1 }))]);
        stored.End(complete: true);
        return stored;
    }

    [Fact]
    public void The_first_processes_all_differing_give_the_comparison_up()
    {
        var stored = Loaded("nato/fin", "nato/swe", "eu/hrv");
        stored.Differed(limit: 2);
        stored.Abandoned.Should().BeFalse("one of two");
        stored.Digests.Should().NotBeNull();

        stored.Differed(limit: 2);

        stored.Abandoned.Should().BeTrue();
        stored.Digests.Should().BeNull("the swap replaces the table whole");
        stored.For("eu/hrv", CancellationToken.None).Should().BeNull("the workers write every row without comparing");
        stored.Matched().Should().BeFalse("a process found equal after that must be written all the same");
    }

    [Fact]
    public void One_match_keeps_the_comparison_however_many_differ_after_it()
    {
        var stored = Loaded("nato/fin", "nato/swe", "eu/hrv");
        stored.Differed(limit: 2);
        stored.Matched().Should().BeTrue();
        for (var i = 0; i < 10; i++)
        {
            stored.Differed(limit: 2);
        }
        stored.Abandoned.Should().BeFalse();
        stored.Digests.Should().ContainKeys("nato/fin", "nato/swe", "eu/hrv");
        stored.For("nato/swe", CancellationToken.None).Should().Equal(1);
    }

    [Fact]
    public void A_comparison_given_up_while_the_digests_load_stays_given_up_when_they_end()
    {
        var stored = new ReadModelRebuild.StoredDigests("select");
        stored.Add([("eu/hrv", [1])]);
        stored.Differed(limit: 1);
        stored.End(complete: true);
        stored.Digests.Should().BeNull();
        stored.For("nato/fin", CancellationToken.None).Should().BeNull("no waiting for digests no one compares");
    }
}
