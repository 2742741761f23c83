using System.Net.Sockets;
using FluentAssertions;
using Npgsql;
using RatificationLedger.Recording;
using Xunit;

namespace RatificationLedger.Tests.Recording;

/// <summary>
/// What a failed command tells its caller to do: a database that is down is waited for; an exhausted connection pool
/// (the database up, every connection in use) is named as such, with the setting to change, not as the database gone.
/// </summary>
public sealed class LedgerUnavailableMessageTests
{
    // Npgsql's own words when no connection came free within the pool's Timeout (Npgsql 9).
    private static NpgsqlException PoolExhausted() =>
        new("The connection pool has been exhausted, either raise 'Max Pool Size' (currently 2) or 'Timeout' (currently 15 seconds) in your connection string.",
            new TimeoutException());

    [Fact]
    public void An_exhausted_pool_is_named_with_the_setting_to_raise_not_as_the_database_being_down()
    {
        var e = new LedgerUnavailableException("nato/fin", "RecordRatification", "cmd-1", mayHaveBeenRecorded: false, PoolExhausted());

        e.Message.Should().Contain("Nothing was recorded").And.Contain("when a connection of the pool is free").And.Contain("Max Pool Size")
            .And.Contain("at least three").And.NotContain("when the database is back");
    }

    [Fact]
    public void A_database_that_cannot_be_reached_is_waited_for()
    {
        var down = new NpgsqlException("Failed to connect to 127.0.0.1:5432", new SocketException((int)SocketError.ConnectionRefused));

        var e = new LedgerUnavailableException("nato/fin", "RecordRatification", "cmd-1", mayHaveBeenRecorded: false, down);

        e.Message.Should().Contain("Send the same command again when the database is back").And.NotContain("pool");
    }
}
