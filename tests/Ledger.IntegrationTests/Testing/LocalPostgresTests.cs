using System.Diagnostics;
using RatificationLedger.Testing;
using Npgsql;

namespace RatificationLedger.IntegrationTests.Testing;

public sealed class LocalPostgresTests
{
    private static async Task<int> AnswerAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("select 41 + 1", connection);
        return (int)(await command.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task Two_servers_run_side_by_side_and_leave_nothing_behind()
    {
        var first = await LocalPostgres.StartAsync();
        var second = await LocalPostgres.StartAsync();
        var dirs = new[] { first.DataDirectory, second.DataDirectory };
        try
        {
            first.Port.Should().NotBe(second.Port);
            (await AnswerAsync(first.ConnectionString)).Should().Be(42);
            (await AnswerAsync(second.ConnectionString)).Should().Be(42);
        }
        finally
        {
            await first.DisposeAsync();
            await second.DisposeAsync();
        }
        dirs.Should().OnlyContain(d => !Directory.Exists(Path.GetDirectoryName(d)));
        var refused = async () => await AnswerAsync(first.ConnectionString);
        await refused.Should().ThrowAsync<NpgsqlException>();
    }

    [Fact]
    public async Task When_the_owning_process_is_killed_the_watchdog_stops_the_server_and_removes_its_directory()
    {
        using var owner = Process.Start("sleep", "600");
        var server = await LocalPostgres.StartAsync(new LocalPostgresOptions { OwnerProcessId = owner.Id });
        var root = Path.GetDirectoryName(server.DataDirectory)!;
        (await AnswerAsync(server.ConnectionString)).Should().Be(42);

        owner.Kill(); // SIGKILL: the owner never disposes anything.
        await owner.WaitForExitAsync();

        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (Directory.Exists(root) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
        }
        Directory.Exists(root).Should().BeFalse("the watchdog removes the directory of a server whose owner died");
        var refused = async () => await AnswerAsync(server.ConnectionString);
        await refused.Should().ThrowAsync<NpgsqlException>();
        await server.DisposeAsync();
    }

    [Fact]
    public async Task Missing_binaries_give_one_error_naming_the_package_to_install()
    {
        var empty = Directory.CreateTempSubdirectory("no-pg-").FullName;
        try
        {
            var start = () => LocalPostgres.StartAsync(new LocalPostgresOptions { BinaryDirectories = [empty] });
            var error = await start.Should().ThrowAsync<LocalPostgresException>();
            error.Which.Message.Should().Contain("`postgresql` package").And.Contain("initdb").And.Contain(empty).And.Contain("LEDGER_CONNECTION");
        }
        finally
        {
            Directory.Delete(empty);
        }
    }

    [Fact]
    public async Task A_killed_server_starts_again_with_its_committed_data()
    {
        await using var server = await LocalPostgres.StartAsync(new LocalPostgresOptions { Durable = true });
        await using (var connection = new NpgsqlConnection(server.ConnectionString))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand("create table t(x int); insert into t values (7);", connection);
            await create.ExecuteNonQueryAsync();
        }
        await server.KillAsync();
        var refused = async () => await AnswerAsync(server.ConnectionString);
        await refused.Should().ThrowAsync<NpgsqlException>();

        await server.StartAgainAsync();
        await using var reopened = new NpgsqlConnection(server.ConnectionString);
        await reopened.OpenAsync();
        await using var read = new NpgsqlCommand("select x from t", reopened);
        ((int)(await read.ExecuteScalarAsync())!).Should().Be(7);
    }

    [Fact]
    public async Task A_persistent_server_keeps_its_data_across_opens_until_stopped()
    {
        var dir = Path.Combine(Path.GetTempPath(), "ledger-persistent-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            var first = await LocalPostgres.OpenPersistentAsync(dir);
            await using (var connection = new NpgsqlConnection(first.ConnectionString))
            {
                await connection.OpenAsync();
                await using var create = new NpgsqlCommand("create table kept(x int); insert into kept values (3);", connection);
                await create.ExecuteNonQueryAsync();
            }
            (await LocalPostgres.StopPersistentAsync(dir)).Should().BeTrue();
            (await LocalPostgres.StopPersistentAsync(dir)).Should().BeFalse();

            var second = await LocalPostgres.OpenPersistentAsync(dir);
            second.Port.Should().Be(first.Port);
            await using var reopened = new NpgsqlConnection(second.ConnectionString);
            await reopened.OpenAsync();
            await using var read = new NpgsqlCommand("select x from kept", reopened);
            ((int)(await read.ExecuteScalarAsync())!).Should().Be(3);
        }
        finally
        {
            await LocalPostgres.StopPersistentAsync(dir);
            Directory.Delete(dir, recursive: true);
        }
    }
}
