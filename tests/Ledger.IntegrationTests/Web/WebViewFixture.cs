using System.Text.Json;
using System.Text.Json.Nodes;
using RatificationLedger.Cli;
using RatificationLedger.IntegrationTests.Support;
using RatificationLedger.Presentation.Web;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using PuppeteerSharp;

namespace RatificationLedger.IntegrationTests.Web;

/// <summary>
/// One ledger, one web view and one browser for a test class: the sample history imported with the `ledger` tool in two
/// steps (the entries dated up to 2022-12-31 first, then the whole file, with <see cref="Between"/> an instant between
/// the two), plus a process whose texts are hostile; `ledger serve`'s app on a free loopback port; Debian's chromium.
/// </summary>
public sealed class WebViewFixture : IAsyncLifetime
{
    /// <summary>The candidate of the process with hostile texts.</summary>
    public const string HostileProcess = "nato/cyp";

    /// <summary>Every text of the hostile process: markup, a script that would leave a mark, entities, quotes, bidi controls.</summary>
    public const string HostileText = "<script>window.__pwned = 1</script><img src=x onerror=\"window.__pwned = 2\"> &amp; &lt;b&gt; \"double\" 'single' \u202Eesrever\u202C [bold]not markup[/]";

    private WebApplication? _app;

    public string Connection { get; private set; } = "";

    public DateTimeOffset Between { get; private set; }

    public Uri BaseAddress { get; private set; } = null!;

    public IBrowser Browser { get; private set; } = null!;

    public LedgerHost Host { get; private set; } = null!;

    /// <summary>Where the screenshots go: under the test output, for people to look at.</summary>
    public static string Screenshots { get; } = Path.Combine(AppContext.BaseDirectory, "screenshots");

    public async Task InitializeAsync()
    {
        Connection = await FreshDatabaseAsync();
        await CliAsync("import", TempFile("until-2022.json", SampleHistory.JsonUntil("2022-12-31")));
        await Task.Delay(50);
        Between = DateTimeOffset.UtcNow;
        await Task.Delay(50);
        await CliAsync("import", SampleHistory.Path);
        await CliAsync("import", TempFile("hostile.json", HostileFile()));

        Host = LedgerHost.Start(Connection, "public");
        _app = LedgerWeb.Build(Host.Queries, ["http://127.0.0.1:0"]);
        await _app.StartAsync();
        BaseAddress = new Uri(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single());

        Browser = await Puppeteer.LaunchAsync(new LaunchOptions
        {
            ExecutablePath = Chromium(),
            Headless = true,
            // As root in a container: no sandbox; no GPU; /dev/shm may be small.
            Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        });
        Directory.CreateDirectory(Screenshots);
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.CloseAsync();
            Browser.Dispose();
        }
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
        if (Host is not null)
        {
            await Host.DisposeAsync();
        }
    }

    /// <summary>Runs the `ledger` tool against the fixture's database; returns its output.</summary>
    public async Task<string> CliAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await LedgerCli.RunAsync([.. args, "--connection", Connection], output, error);
        exit.Should().Be(0, error.ToString());
        return output.ToString();
    }

    public Uri Url(string pathAndQuery) => new(BaseAddress, pathAndQuery);

    private static string Chromium()
    {
        string[] candidates = [Environment.GetEnvironmentVariable("LEDGER_CHROMIUM") ?? "", "/usr/bin/chromium", "/usr/bin/chromium-browser"];
        return candidates.FirstOrDefault(c => c.Length > 0 && File.Exists(c))
            ?? throw new InvalidOperationException(
                "The browser tests need Debian's chromium: `apt-get install -y chromium` (.ci/run installs it), or LEDGER_CHROMIUM=/path/to/chrome.");
    }

    private static async Task<string> FreshDatabaseAsync()
    {
        var admin = await TestSchemas.ConnectionStringAsync();
        var name = "web_" + Guid.NewGuid().ToString("N")[..12];
        await using var connection = new NpgsqlConnection(admin);
        await connection.OpenAsync();
        await using var create = new NpgsqlCommand($"create database {name}", connection);
        await create.ExecuteNonQueryAsync();
        return new NpgsqlConnectionStringBuilder(admin) { Database = name }.ConnectionString;
    }

    private static string TempFile(string name, string content)
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("ledger-web-").FullName, name);
        File.WriteAllText(path, content);
        return path;
    }

    // The sample's organization (the import must agree with what is recorded) and one process whose every text is hostile;
    // Türkiye's veto before the invitation stays active, so its reason is on the page.
    private static string HostileFile()
    {
        var sample = JsonNode.Parse(File.ReadAllText(SampleHistory.Path))!;
        var file = new JsonObject
        {
            ["organization"] = sample["organization"]!.DeepClone(),
            ["processes"] = new JsonArray(new JsonObject
            {
                ["id"] = HostileProcess,
                ["candidate"] = "CYP",
                ["events"] = new JsonArray(
                    new JsonObject { ["type"] = "application", ["on"] = "2022-05-18", ["source"] = HostileText, ["note"] = HostileText },
                    new JsonObject { ["type"] = "memorandum", ["on"] = "2022-05-20", ["title"] = HostileText, ["parties"] = new JsonArray("TUR", "CYP") },
                    new JsonObject { ["type"] = "veto", ["member"] = "TUR", ["on"] = "2022-05-21", ["reason"] = HostileText, ["formal"] = true, ["source"] = HostileText }),
            }),
        };
        return file.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }
}
