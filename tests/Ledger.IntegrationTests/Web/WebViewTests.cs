using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using RatificationLedger.IntegrationTests.Support;
using PuppeteerSharp;
using PuppeteerSharp.Input;

namespace RatificationLedger.IntegrationTests.Web;

/// <summary>
/// `ledger serve` in a real browser (Debian's chromium through PuppeteerSharp) and over HTTP. Expected values come from
/// the sourced facts (../shared/reference/nato-finland-sweden-2022-2024.json, transcribed below) and the sample history
/// file, never from the code under test; the JSON documents are compared byte for byte with the `ledger` tool's.
/// </summary>
public sealed class WebViewTests(WebViewFixture web) : IClassFixture<WebViewFixture>
{
    // Finland's 30 required ratifiers (the reference's required_ratifiers) and, on 2022-09-30, the two that had not
    // ratified and were holding (de facto holds from 2022-09-27: Hungary until 2023-03-27, Türkiye until 2023-03-30).
    private static readonly string[] FinlandRatifiers =
    [
        "ALB", "BEL", "BGR", "CAN", "CZE", "DEU", "DNK", "ESP", "EST", "FRA", "GBR", "GRC", "HRV", "HUN", "ISL",
        "ITA", "LTU", "LUX", "LVA", "MKD", "MNE", "NLD", "NOR", "POL", "PRT", "ROU", "SVK", "SVN", "TUR", "USA",
    ];

    private static readonly string[] Holding2022 = ["HUN", "TUR"];

    private const string Shown = "document.getElementById('process').dataset.shown";

    private async Task<IPage> OpenAsync(string pathAndQuery)
    {
        var page = await web.Browser.NewPageAsync();
        await page.SetViewportAsync(new ViewPortOptions { Width = 1280, Height = 1300 });
        var response = await page.GoToAsync(web.Url(pathAndQuery).ToString(), WaitUntilNavigation.Load);
        response.Status.Should().Be(HttpStatusCode.OK);
        await page.WaitForExpressionAsync("document.getElementById('process').dataset.ready === 'true'");
        return page;
    }

    private static async Task ScreenshotAsync(IPage page, string name) =>
        await page.ScreenshotAsync(Path.Combine(WebViewFixture.Screenshots, name + ".png"), new ScreenshotOptions { FullPage = true });

    private static Task<string[]> MembersAsync(IPage page, string state) =>
        page.EvaluateExpressionAsync<string[]>($"[...document.querySelectorAll('#ratifiers li.ratifier[data-state=\"{state}\"]')].map(e => e.dataset.member)");

    private static Task<string> TextAsync(IPage page, string selector) =>
        page.EvaluateExpressionAsync<string>($"document.querySelector('{selector}').textContent");

    private static async Task<(int Counted, int Required, string Stage)> HeadlineAsync(IPage page) =>
        (int.Parse(await page.EvaluateExpressionAsync<string>("document.getElementById('counted').dataset.counted"), CultureInfo.InvariantCulture),
         int.Parse(await page.EvaluateExpressionAsync<string>("document.getElementById('counted').dataset.required"), CultureInfo.InvariantCulture),
         await page.EvaluateExpressionAsync<string>("document.getElementById('stage').dataset.stage"));

    private async Task<string> GetAsync(string pathAndQuery, HttpStatusCode expected = HttpStatusCode.OK)
    {
        using var http = new HttpClient();
        using var response = await http.GetAsync(web.Url(pathAndQuery));
        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(expected, body);
        return body;
    }

    [Fact]
    public async Task Finland_on_2022_09_30_shows_28_of_30_counted_with_Hungary_and_Turkiye_holding_as_ledger_status_says()
    {
        var page = await OpenAsync("/processes/nato/fin?asOf=2022-09-30");

        var (counted, required, stage) = await HeadlineAsync(page);
        counted.Should().Be(28);
        required.Should().Be(FinlandRatifiers.Length);
        (await TextAsync(page, "#counted strong")).Should().Be("28 of 30");
        (await MembersAsync(page, "holding")).Should().BeEquivalentTo(Holding2022);
        (await MembersAsync(page, "counted")).Should().BeEquivalentTo(FinlandRatifiers.Except(Holding2022));
        (await MembersAsync(page, "pending")).Should().BeEmpty();
        (await page.EvaluateExpressionAsync<string[]>("[...document.querySelectorAll('#summary ul.vetoes li.holding')].map(e => e.dataset.member)"))
            .Should().BeEquivalentTo(Holding2022);

        // The same answer as `ledger status --json`, which is also, byte for byte, what the status endpoint returns.
        var cli = await web.CliAsync("status", "nato/fin", "--as-of", "2022-09-30", "--json");
        (await GetAsync("/api/processes/nato/fin/status?asOf=2022-09-30")).Should().Be(cli);
        var status = JsonNode.Parse(cli)!;
        status["stage"]!.GetValue<string>().Should().Be(stage);
        status["requiredRatifiers"]!.AsArray().Select(m => m!.GetValue<string>()).Should().BeEquivalentTo(FinlandRatifiers);
        status["ratified"]!.AsArray().Select(m => m!["member"]!.GetValue<string>()).Should().BeEquivalentTo(await MembersAsync(page, "counted"));
        status["activeVetoes"]!.AsArray().Select(v => v!["member"]!.GetValue<string>()).Should().BeEquivalentTo(await MembersAsync(page, "holding"));
        // The timeline is marked at the chosen date.
        (await page.EvaluateExpressionAsync<string>("document.querySelector('#timeline svg g.milestone.marker').dataset.date")).Should().Be("2022-09-30");
        await ScreenshotAsync(page, "1-finland-2022-09-30");
        await page.CloseAsync();
    }

    [Fact]
    public async Task Moving_the_date_slider_by_keyboard_to_2023_04_04_shows_Finland_a_member_without_a_reload()
    {
        var page = await OpenAsync("/processes/nato/fin?asOf=2022-09-30");
        var views = new List<string>();
        page.Request += (_, e) =>
        {
            if (e.Request.Url.Contains("/view", StringComparison.Ordinal))
            {
                views.Add(e.Request.Url);
            }
        };
        // A reload would load the document again (replaceState's same-document navigation does not).
        var loads = 0;
        page.Load += (_, _) => loads++;
        await page.EvaluateExpressionAsync("window.__samePage = 'yes'");
        // The stops are the days on which something happened in Finland's process (the sample file, a sourced record).
        var eventDates = FinlandDates();

        await page.FocusAsync("#as-of");
        var presses = 0;
        while (!(await page.EvaluateExpressionAsync<string>(Shown)).StartsWith("2023-04-04|", StringComparison.Ordinal))
        {
            presses.Should().BeLessThan(eventDates.Count, "the slider should reach 2023-04-04 within the process's event dates");
            await page.Keyboard.PressAsync(Key.ArrowRight);
            presses++;
            await page.WaitForFunctionAsync(
                "() => { const r = document.getElementById('process'); const d = JSON.parse(r.dataset.dates)[Number(document.getElementById('as-of').value)]; return r.dataset.shown === d + '|'; }");
            var shown = (await page.EvaluateExpressionAsync<string>(Shown)).TrimEnd('|');
            eventDates.Should().Contain(shown, "each step snaps to a day on which something happened");
        }

        var (counted, required, stage) = await HeadlineAsync(page);
        stage.Should().Be("Member");
        (counted, required).Should().Be((30, 30));
        (await TextAsync(page, "#stage")).Should().Be("member");
        (await TextAsync(page, "#joined")).Should().Be("FIN joined NATO on 2023-04-04");
        (await MembersAsync(page, "counted")).Should().BeEquivalentTo(FinlandRatifiers);
        (await page.EvaluateExpressionAsync<int>("document.querySelectorAll('#changes li[data-type=\"accession_completed\"]').length")).Should().Be(1, "the step shows what it added");
        (await page.EvaluateExpressionAsync<string>("window.__samePage")).Should().Be("yes", "the page was not reloaded");
        loads.Should().Be(0);
        views.Should().HaveCount(presses, "each slider step is one JSON request");
        page.Url.Should().EndWith("/processes/nato/fin?asOf=2023-04-04", "the URL reproduces the view");
        (await page.EvaluateExpressionAsync<string>("document.querySelector('#timeline svg g.milestone.marker').dataset.date")).Should().Be("2023-04-04");
        await ScreenshotAsync(page, "2-finland-2023-04-04-by-keyboard");

        // The URL reproduces the view when loaded afresh (rendered by the server).
        var fresh = await OpenAsync("/processes/nato/fin?asOf=2023-04-04");
        (await HeadlineAsync(fresh)).Should().Be((counted, required, stage));
        await fresh.CloseAsync();
        await page.CloseAsync();
    }

    [Fact]
    public async Task Known_at_before_the_2023_entries_were_recorded_Finland_is_still_waiting_on_2023_04_04()
    {
        var page = await OpenAsync("/processes/nato/fin?asOf=2023-04-04");
        (await HeadlineAsync(page)).Stage.Should().Be("Member");

        await page.FocusAsync("#known-at");
        for (var i = 0; ; i++)
        {
            var known = (await page.EvaluateExpressionAsync<string>(Shown)).Split('|')[1];
            if (known.Length > 0 && DateTimeOffset.Parse(known, CultureInfo.InvariantCulture) < web.Between)
            {
                break;
            }
            i.Should().BeLessThan(200, "the known-at slider should reach the first import");
            await page.Keyboard.PressAsync(Key.ArrowLeft);
            await page.WaitForFunctionAsync(
                "() => { const r = document.getElementById('process'); const i = Number(document.getElementById('known-at').value); const all = JSON.parse(r.dataset.instants); return r.dataset.shown === '2023-04-04|' + (i >= all.length - 1 ? '' : all[i]); }");
        }

        // Known then: the entries dated up to 2022-12-31. Hungary and Türkiye ratified in March 2023, after that.
        var (counted, required, stage) = await HeadlineAsync(page);
        stage.Should().NotBe("Member");
        (counted, required).Should().Be((28, 30));
        (await MembersAsync(page, "holding")).Should().BeEquivalentTo(Holding2022);
        page.Url.Should().Contain("asOf=2023-04-04").And.Contain("knownAt=");
        var knownAt = (await page.EvaluateExpressionAsync<string>(Shown)).Split('|')[1];
        var cli = JsonNode.Parse(await web.CliAsync("status", "nato/fin", "--as-of", "2023-04-04", "--known-at", knownAt, "--json"))!;
        cli["stage"]!.GetValue<string>().Should().Be(stage);
        cli["accededOn"].Should().BeNull();
        await ScreenshotAsync(page, "3-finland-2023-04-04-known-before-2023");

        // The URL reproduces it.
        var fresh = await OpenAsync(new Uri(page.Url).PathAndQuery);
        (await HeadlineAsync(fresh)).Should().Be((counted, required, stage));
        await fresh.CloseAsync();
        await page.CloseAsync();
    }

    [Fact]
    public async Task Hostile_text_stays_text_on_the_page_and_after_a_step()
    {
        var page = await OpenAsync("/processes/" + WebViewFixture.HostileProcess);
        (await TextAsync(page, "#summary ul.vetoes li.vetoing .reason")).Should().Be(WebViewFixture.HostileText);
        (await page.EvaluateExpressionAsync<string>("document.querySelector('#timeline svg g.span').dataset.reason")).Should().Be(WebViewFixture.HostileText);
        await page.Keyboard.PressAsync(Key.Tab);
        await page.FocusAsync("#as-of");
        await page.Keyboard.PressAsync(Key.ArrowLeft);
        await page.WaitForExpressionAsync($"{Shown} === '2022-05-20|'");
        await page.Keyboard.PressAsync(Key.ArrowRight);
        await page.WaitForExpressionAsync($"{Shown} === '2022-05-21|'");
        (await TextAsync(page, "#summary ul.vetoes li.vetoing .reason")).Should().Be(WebViewFixture.HostileText);

        (await page.EvaluateExpressionAsync<bool>("window.__pwned === undefined")).Should().BeTrue("no script from the ledger ran");
        (await page.EvaluateExpressionAsync<int>("document.scripts.length")).Should().Be(1, "the page's own script only");
        (await page.EvaluateExpressionAsync<int>("document.querySelectorAll('img, b, main script').length")).Should().Be(0);
        await ScreenshotAsync(page, "4-hostile-text");
        await page.CloseAsync();
    }

    [Fact]
    public async Task The_list_links_every_process()
    {
        var page = await web.Browser.NewPageAsync();
        await page.GoToAsync(web.Url("/").ToString());
        (await page.EvaluateExpressionAsync<string[]>("[...document.querySelectorAll('tr[data-process] a')].map(a => a.getAttribute('href'))"))
            .Should().Equal("/processes/nato/cyp", "/processes/nato/fin", "/processes/nato/swe");
        await page.CloseAsync();
    }

    [Fact]
    public async Task The_json_endpoints_return_exactly_the_cli_documents()
    {
        (await GetAsync("/api/processes")).Should().Be(await web.CliAsync("list", "--json"));
        (await GetAsync("/api/processes/nato/swe/status")).Should().Be(await web.CliAsync("status", "nato/swe", "--json"));
        (await GetAsync("/api/processes/NATO/SWE/status?asOf=2023-04-04")).Should().Be(await web.CliAsync("status", "nato/swe", "--as-of", "2023-04-04", "--json"));
        var knownAt = web.Between.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);
        (await GetAsync($"/api/processes/nato/swe/status?asOf=2024-03-07&knownAt={Uri.EscapeDataString(knownAt)}"))
            .Should().Be(await web.CliAsync("status", "nato/swe", "--as-of", "2024-03-07", "--known-at", knownAt, "--json"));
        (await GetAsync("/api/processes/nato/fin/register")).Should().Be(await web.CliAsync("register", "nato/fin", "--json"));
        (await GetAsync("/api/processes/nato/fin/audit")).Should().Be(await web.CliAsync("audit", "nato/fin", "--json"));
        (await GetAsync("/api/processes/nato/fin/timeline.svg?asOf=2023-01-01")).Should().StartWith("<?xml").And.Contain("as of 2023-01-01");
    }

    [Theory]
    [InlineData("/api/processes/nato/fin/status?asOf=2022-02-30", HttpStatusCode.BadRequest, "asOf '2022-02-30' is not a date")]
    [InlineData("/api/processes/nato/fin/status?knownAt=yesterday", HttpStatusCode.BadRequest, "knownAt 'yesterday' is not an instant")]
    [InlineData("/api/processes/nato/fin/register?asOf=1066-10-14", HttpStatusCode.BadRequest, "far outside nato/fin")]
    [InlineData("/processes/nato/fin?asOf=9999-12-31", HttpStatusCode.BadRequest, "far outside nato/fin")]
    [InlineData("/api/processes/nato/xyz/status", HttpStatusCode.NotFound, "no process 'nato/xyz'")]
    [InlineData("/processes/nato/xyz", HttpStatusCode.NotFound, "no process 'nato/xyz'")]
    [InlineData("/api/processes/nato/fin/audit?knownAt=2001-01-01T00:00:00Z", HttpStatusCode.NotFound, "as known at 2001-01-01")]
    [InlineData("/api/processes/na_to/fin/status", HttpStatusCode.BadRequest, "is not a process id")]
    [InlineData("/nowhere", HttpStatusCode.NotFound, "no such page")]
    public async Task Bad_parameters_get_a_one_line_json_error(string pathAndQuery, HttpStatusCode status, string message)
    {
        var body = await GetAsync(pathAndQuery, status);
        body.TrimEnd('\n').Should().NotContain("\n", "one line");
        JsonNode.Parse(body)!["error"]!.GetValue<string>().Should().Contain(message).And.NotContain(" at Ledger.");
    }

    [Fact]
    public async Task No_route_writes()
    {
        var before = await Host().EventCountAsync();
        using var http = new HttpClient();
        foreach (var path in new[] { "/api/processes/nato/fin/status", "/processes/nato/fin", "/api/processes" })
        {
            using var response = await http.PostAsync(web.Url(path), new StringContent("{}"));
            ((int)response.StatusCode).Should().BeOneOf(404, 405);
        }
        (await Host().EventCountAsync()).Should().Be(before);
        LedgerHost Host() => web.Host;
    }

    private static HashSet<string> FinlandDates()
    {
        var root = JsonNode.Parse(File.ReadAllText(SampleHistory.Path))!;
        return [.. root["processes"]!.AsArray().Single(p => p!["id"]!.GetValue<string>() == "nato/fin")!["events"]!.AsArray().Select(e => e!["on"]!.GetValue<string>())];
    }
}
