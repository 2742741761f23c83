using JasperFx;
using JasperFx.Events.Daemon;
using JasperFx.Events.Projections;
using JasperFx.MultiTenancy;
using RatificationLedger.Domain;
using RatificationLedger.IntegrationTests.Support;
using RatificationLedger.Projections;
using RatificationLedger.Recording;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using static RatificationLedger.IntegrationTests.Support.TestOrganizations;

namespace RatificationLedger.IntegrationTests.Foundation;

/// <summary>
/// The two registrations: the ledger on a store of its own beside the app's (Guid streams, its own projection), and on
/// the app's store, which is refused when the app has projections there; the daemon mode is the app's choice (HotCold
/// on two nodes: one projects, the other takes over when it stops); multi-tenant stores are refused.
/// </summary>
public sealed class RegistrationTests
{
    public sealed record Counted(int By);

    public sealed class Tally
    {
        public Guid Id { get; set; }
        public int Total { get; set; }
    }

    public sealed class TallyProjection : Marten.Events.Aggregation.SingleStreamProjection<Tally, Guid>
    {
        public static Tally Create(Counted e) => new() { Total = e.By };

        public static Tally Apply(Counted e, Tally t)
        {
            t.Total += e.By;
            return t;
        }
    }

    private static IHost Node(string connection, string ledgerSchema, string appSchema, DaemonMode? daemon)
    {
        var builder = Host.CreateApplicationBuilder();
        // The app's own store: Guid streams, its own inline projection, Marten's default serializer.
        builder.Services.AddMarten(o =>
        {
            o.Connection(connection);
            o.DatabaseSchemaName = appSchema;
            o.AutoCreateSchemaObjects = AutoCreate.All;
            o.Projections.Add(new TallyProjection(), ProjectionLifecycle.Inline);
        });
        var ledger = builder.Services.AddRatificationLedger(connection, l =>
        {
            l.Schema = ledgerSchema;
            l.DefaultRecordedBy = "registration-tests";
            l.Clock = new FixedClock(new DateTimeOffset(2024, 6, 1, 12, 0, 0, TimeSpan.Zero));
            l.AddReadModels();
        });
        if (daemon is { } mode)
        {
            ledger.AddAsyncDaemon(mode);
        }
        return builder.Build();
    }

    private static async Task RecordAsync(IHost node, AccessionCommand command)
    {
        var result = await node.Services.GetRequiredService<LedgerRecorder>().RecordAsync(command);
        result.Outcome.Should().Be(RecordOutcome.Recorded, result.ToString());
    }

    [Fact]
    public async Task The_ledger_on_its_own_store_leaves_the_apps_Guid_streams_and_projection_working()
    {
        var connection = await TestSchemas.ConnectionStringAsync();
        using var node = Node(connection, TestSchemas.Next("own_ledger"), TestSchemas.Next("own_app"), daemon: null);
        await node.StartAsync();
        try
        {
            await node.Services.GetRequiredService<LedgerRecorder>().RegisterOrganizationAsync(Nato());
            await RecordAsync(node, new SubmitApplication("nato/fin", "NATO", "FIN", D("2022-05-18")));
            await RecordAsync(node, new ExtendInvitation("nato/fin", D("2022-06-29"), "Madrid Summit"));
            await RecordAsync(node, new SignAccessionProtocol("nato/fin", D("2022-07-05")));
            await RecordAsync(node, new ApproveRatification("nato/fin", "CAN", D("2022-07-05"), "Parliament"));

            var status = await node.Services.GetRequiredService<LedgerQueries>().StatusAsync("nato/fin", asOf: D("2022-07-06"));
            status!.Stage.Should().Be(Stage.Ratifying);
            status.Ratified.Select(a => a.Member).Should().Equal("CAN");

            // The app's own store: a Guid-keyed stream and its inline projection, untouched by the ledger.
            var store = node.Services.GetRequiredService<IDocumentStore>();
            var id = Guid.NewGuid();
            await using (var session = store.LightweightSession())
            {
                session.Events.StartStream(id, new Counted(2), new Counted(40));
                await session.SaveChangesAsync();
            }
            await using var query = store.QuerySession();
            (await query.LoadAsync<Tally>(id))!.Total.Should().Be(42);
            (await query.Events.FetchStreamAsync(id)).Should().HaveCount(2);
        }
        finally
        {
            await node.StopAsync();
        }
    }

    [Fact]
    public async Task Member_records_without_a_daemon_say_that_no_daemon_ran_instead_of_answering_null()
    {
        var connection = await TestSchemas.ConnectionStringAsync();
        using var node = Node(connection, TestSchemas.Next("nodaemon_ledger"), TestSchemas.Next("nodaemon_app"), daemon: null);
        await node.StartAsync();
        try
        {
            await node.Services.GetRequiredService<LedgerRecorder>().RegisterOrganizationAsync(Nato());
            await RecordAsync(node, new SubmitApplication("nato/fin", "NATO", "FIN", D("2022-05-18")));
            var queries = node.Services.GetRequiredService<LedgerQueries>();

            var read = () => queries.MemberRecordAsync("DNK");
            (await read.Should().ThrowAsync<InvalidOperationException>()).Which.Message.Should().Contain("no daemon has ever run").And.Contain("AddAsyncDaemon");
            var wait = () => queries.WaitForAsyncProjectionsAsync(TimeSpan.FromSeconds(2));
            (await wait.Should().ThrowAsync<TimeoutException>()).Which.Message.Should().Contain("no daemon has ever run");
        }
        finally
        {
            await node.StopAsync();
        }
    }

    [Fact]
    public async Task HotCold_on_two_nodes_projects_member_records_and_the_second_node_takes_over_when_the_first_stops()
    {
        var connection = await TestSchemas.ConnectionStringAsync();
        var ledgerSchema = TestSchemas.Next("hotcold_ledger");
        var appSchema = TestSchemas.Next("hotcold_app");
        using var first = Node(connection, ledgerSchema, appSchema, DaemonMode.HotCold);
        using var second = Node(connection, ledgerSchema, appSchema, DaemonMode.HotCold);

        await first.StartAsync();
        await first.Services.GetRequiredService<LedgerRecorder>().RegisterOrganizationAsync(Nato());
        await RecordAsync(first, new SubmitApplication("nato/fin", "NATO", "FIN", D("2022-05-18")));
        await RecordAsync(first, new ExtendInvitation("nato/fin", D("2022-06-29"), "Madrid Summit"));
        await RecordAsync(first, new SignAccessionProtocol("nato/fin", D("2022-07-05")));
        await RecordAsync(first, new ApproveRatification("nato/fin", "DNK", D("2022-07-05"), "Folketing"));
        var firstQueries = first.Services.GetRequiredService<LedgerQueries>();
        await firstQueries.WaitForAsyncProjectionsAsync(TimeSpan.FromSeconds(60));
        (await firstQueries.MemberRecordAsync("DNK"))!.Ratifications.Should().ContainSingle(r => r.Process == "nato/fin");

        // The second node joins while the first leads, then the first stops: the second must take the lead.
        await second.StartAsync();
        await first.StopAsync();
        try
        {
            await RecordAsync(second, new ApproveRatification("nato/fin", "NOR", D("2022-07-05"), "Storting"));
            var secondQueries = second.Services.GetRequiredService<LedgerQueries>();
            await secondQueries.WaitForAsyncProjectionsAsync(TimeSpan.FromSeconds(90));
            (await secondQueries.MemberRecordAsync("NOR"))!.Ratifications.Should().ContainSingle(r => r.Process == "nato/fin");
            (await secondQueries.MemberRecordAsync("DNK"))!.Ratifications.Should().ContainSingle(r => r.Process == "nato/fin");
        }
        finally
        {
            await second.StopAsync();
        }
    }

    [Fact]
    public async Task On_the_apps_store_the_ledger_refuses_a_store_with_the_apps_own_projections_and_names_the_alternative()
    {
        var connection = await TestSchemas.ConnectionStringAsync();
        var services = new ServiceCollection();
        services.AddMarten(o =>
            {
                o.Connection(connection);
                o.DatabaseSchemaName = TestSchemas.Next("hosted");
                o.Projections.Add(new TallyProjection(), ProjectionLifecycle.Inline);
            })
            .AddRatificationLedger();
        await using var provider = services.BuildServiceProvider();

        var resolve = () => provider.GetRequiredService<IDocumentStore>();
        resolve.Should().Throw<InvalidOperationException>()
            .Which.Message.Should().Contain("TallyProjection").And.Contain("services.AddRatificationLedger(connectionString)");
    }

    [Fact]
    public async Task A_multi_tenant_store_is_refused_at_registration()
    {
        var connection = await TestSchemas.ConnectionStringAsync();
        var services = new ServiceCollection();
        services.AddRatificationLedger(connection, store: o => o.Events.TenancyStyle = TenancyStyle.Conjoined);
        await using var provider = services.BuildServiceProvider();

        var resolve = () => provider.GetRequiredService<LedgerRecorder>();
        resolve.Should().Throw<InvalidOperationException>().Which.Message.Should().Contain("multi-tenant");
    }

    [Fact]
    public void Registering_the_ledger_twice_is_refused()
    {
        var services = new ServiceCollection();
        services.AddRatificationLedger("Host=localhost");
        var again = () => services.AddRatificationLedger("Host=localhost");
        again.Should().Throw<InvalidOperationException>().Which.Message.Should().Contain("registered twice");
    }
}
