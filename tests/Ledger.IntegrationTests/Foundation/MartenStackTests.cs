using JasperFx;
using JasperFx.Events;
using JasperFx.Events.Daemon;
using JasperFx.Events.Projections;
using RatificationLedger.IntegrationTests.Support;
using Marten;
using Marten.Events.Aggregation;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace RatificationLedger.IntegrationTests.Foundation;

/// <summary>The stack itself on the real server: Marten 9 with string stream keys, inline and async (Solo) projections.</summary>
public sealed class MartenStackTests
{
    public sealed record Counted(int By);

    public sealed class Tally
    {
        public string Id { get; set; } = "";
        public int Total { get; set; }
        public int Events { get; set; }
    }

    public sealed class TallyProjection : SingleStreamProjection<Tally, string>
    {
        public static Tally Create(IEvent<Counted> e) => new() { Id = e.StreamKey!, Total = e.Data.By, Events = 1 };

        public static Tally Apply(Counted e, Tally t)
        {
            t.Total += e.By;
            t.Events++;
            return t;
        }
    }

    private static async Task<DocumentStore> StoreAsync(ProjectionLifecycle lifecycle) =>
        DocumentStore.For(await Configure(lifecycle));

    private static async Task<Action<StoreOptions>> Configure(ProjectionLifecycle lifecycle)
    {
        var connection = await TestSchemas.ConnectionStringAsync();
        var schema = TestSchemas.Next("stack");
        return o =>
        {
            o.Connection(connection);
            o.DatabaseSchemaName = schema;
            o.AutoCreateSchemaObjects = AutoCreate.All;
            o.Events.StreamIdentity = StreamIdentity.AsString;
            o.Projections.Add(new TallyProjection(), lifecycle);
        };
    }

    [Fact]
    public async Task String_keyed_streams_append_and_read_back_and_an_inline_projection_updates_in_the_same_transaction()
    {
        using var store = await StoreAsync(ProjectionLifecycle.Inline);
        await using (var session = store.LightweightSession())
        {
            session.Events.StartStream("nato/fin", new Counted(2), new Counted(3));
            session.Events.Append("nato/swe", new Counted(5));
            await session.SaveChangesAsync();
        }

        await using var query = store.QuerySession();
        var events = await query.Events.FetchStreamAsync("nato/fin");
        events.Select(e => ((Counted)e.Data).By).Should().Equal(2, 3);
        events.Select(e => e.Version).Should().Equal(1, 2);
        events.Should().OnlyContain(e => e.StreamKey == "nato/fin");
        (await query.LoadAsync<Tally>("nato/fin"))!.Total.Should().Be(5);
        (await query.LoadAsync<Tally>("nato/swe"))!.Total.Should().Be(5);

        // A failing transaction writes neither the events nor the projected document.
        await using (var session = store.LightweightSession())
        {
            session.Events.Append("nato/fin", 1, new Counted(100)); // expects version 1, stream is at 2
            var save = () => session.SaveChangesAsync();
            await save.Should().ThrowAsync<Exception>();
        }
        await using var after = store.QuerySession();
        (await after.LoadAsync<Tally>("nato/fin"))!.Total.Should().Be(5);
        (await after.Events.FetchStreamAsync("nato/fin")).Should().HaveCount(2);
    }

    [Fact]
    public async Task The_async_daemon_in_Solo_mode_catches_up_a_projection()
    {
        var configure = await Configure(ProjectionLifecycle.Async);
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddMarten(configure).AddAsyncDaemon(DaemonMode.Solo);
        using var host = builder.Build();
        await host.StartAsync();
        try
        {
            var store = host.Services.GetRequiredService<IDocumentStore>();
            await using (var session = store.LightweightSession())
            {
                for (var i = 1; i <= 20; i++)
                {
                    session.Events.Append($"process/{i % 4}", new Counted(i));
                }
                await session.SaveChangesAsync();
            }

            var deadline = DateTime.UtcNow.AddSeconds(60);
            IReadOnlyList<Tally> tallies = [];
            while (DateTime.UtcNow < deadline)
            {
                await using var query = store.QuerySession();
                tallies = await query.Query<Tally>().ToListAsync();
                if (tallies.Sum(t => t.Events) == 20)
                {
                    break;
                }
                await Task.Delay(200);
            }
            tallies.Should().HaveCount(4);
            tallies.Sum(t => t.Total).Should().Be(210);
        }
        finally
        {
            await host.StopAsync();
        }
    }
}
