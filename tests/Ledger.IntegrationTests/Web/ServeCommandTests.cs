using System.Net;
using System.Net.Sockets;
using RatificationLedger.Cli;
using RatificationLedger.IntegrationTests.Support;
using Npgsql;

namespace RatificationLedger.IntegrationTests.Web;

/// <summary>`ledger serve` as a verb of the tool: listens on loopback, answers, stops on cancellation with exit 0.</summary>
public sealed class ServeCommandTests
{
    private static async Task<string> FreshDatabaseAsync()
    {
        var admin = await TestSchemas.ConnectionStringAsync();
        var name = "serve_" + Guid.NewGuid().ToString("N")[..12];
        await using var connection = new NpgsqlConnection(admin);
        await connection.OpenAsync();
        await using var create = new NpgsqlCommand($"create database {name}", connection);
        await create.ExecuteNonQueryAsync();
        return new NpgsqlConnectionStringBuilder(admin) { Database = name }.ConnectionString;
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    [Fact]
    public async Task Serve_answers_on_loopback_until_cancelled_and_exits_0()
    {
        var db = await FreshDatabaseAsync();
        using (var import = new StringWriter())
        using (var importError = new StringWriter())
        {
            (await LedgerCli.RunAsync(["import", SampleHistory.Path, "--connection", db], import, importError)).Should().Be(0, importError.ToString());
        }
        var port = FreePort();
        using var output = new StringWriter();
        using var error = new StringWriter();
        using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var serving = LedgerCli.RunAsync(["serve", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--connection", db], output, error, stop.Token);

        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        string? list = null;
        for (var i = 0; i < 300 && list is null && !serving.IsCompleted; i++)
        {
            try
            {
                list = await http.GetStringAsync("/api/processes");
            }
            catch (HttpRequestException)
            {
                await Task.Delay(100);
            }
        }
        list.Should().NotBeNull(error.ToString());
        list.Should().Contain("\"process\": \"nato/fin\"").And.Contain("\"process\": \"nato/swe\"");
        (await http.GetStringAsync("/processes/nato/swe?asOf=2023-04-05")).Should().Contain("data-required=\"31\"", "Sweden needed 31 ratifiers once Finland joined");

        await stop.CancelAsync();
        (await serving).Should().Be(0, error.ToString());
        output.ToString().Should().Contain($"http://127.0.0.1:{port}");
    }

    [Theory]
    [InlineData("0")]
    [InlineData("70000")]
    public async Task A_port_that_is_not_one_is_a_usage_error(string port)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();

        var exit = await LedgerCli.RunAsync(["serve", "--port", port, "--connection", "Host=127.0.0.1;Port=1"], output, error);

        exit.Should().Be(2);
        error.ToString().Should().Contain($"--port {port} is not a port");
    }
}

/// <summary>The web view when its database cannot be reached: a 503 with one line of JSON, not a stack trace.</summary>
public sealed class UnreachableDatabaseWebTests
{
    [Fact]
    public async Task A_database_that_cannot_be_reached_gets_503_with_a_one_line_error()
    {
        // Port 1 on loopback: nothing listens there, the connection is refused at once.
        using var store = Marten.DocumentStore.For(o =>
        {
            o.Connection("Host=127.0.0.1;Port=1;Username=nobody;Password=none;Timeout=3");
            o.DisableNpgsqlLogging = true;
            o.Events.StreamIdentity = JasperFx.Events.StreamIdentity.AsString;
        });
        await using var app = RatificationLedger.Presentation.Web.LedgerWeb.Build(new RatificationLedger.Projections.LedgerQueries(store), ["http://127.0.0.1:0"]);
        await app.StartAsync();
        var address = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>(app.Services)
            .Features.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()!.Addresses.Single();
        using var http = new HttpClient { BaseAddress = new Uri(address) };

        foreach (var path in new[] { "/api/processes", "/processes/nato/fin?asOf=2022-09-30" })
        {
            using var response = await http.GetAsync(path);
            var body = await response.Content.ReadAsStringAsync();
            ((int)response.StatusCode).Should().Be(503, body);
            body.TrimEnd('\n').Should().NotContain("\n");
            System.Text.Json.Nodes.JsonNode.Parse(body)!["error"]!.GetValue<string>().Should().StartWith("the database is unavailable:");
        }
        await app.StopAsync();
    }
}
