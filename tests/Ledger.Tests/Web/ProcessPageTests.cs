using System.Text.RegularExpressions;
using RatificationLedger.Domain;
using RatificationLedger.Presentation.Web;
using RatificationLedger.Tests.Timeline;
using static RatificationLedger.Tests.Timeline.ProcessFixture;

namespace RatificationLedger.Tests.Web;

/// <summary>The process page rendered from hand-made entries (no server, no browser): states, escaping, the sliders' stops.</summary>
public partial class ProcessPageTests
{
    private static ProcessPage Page(ProcessFixture f, DateOnly? asOf = null, DateTimeOffset? knownAt = null) =>
        new(new ProcessRequest(f.Process, asOf, knownAt, f.Entries));

    [GeneratedRegex("<li class=\"ratifier (?<state>[a-z]+)\" data-member=\"(?<member>[A-Z]{3})\"")]
    private static partial Regex RatifierCell();

    private static Dictionary<string, string> States(string html) =>
        RatifierCell().Matches(html).ToDictionary(m => m.Groups["member"].Value, m => m.Groups["state"].Value);

    [Fact]
    public void At_the_end_of_2022_Sweden_had_28_of_30_with_Hungary_and_Turkiye_holding()
    {
        var html = Page(Sweden(), D("2022-12-31")).Document();

        var states = States(html);
        states.Should().HaveCount(30).And.NotContainKey("FIN", "Finland became a required ratifier on joining, in 2023");
        states.Where(s => s.Value == "holding").Select(s => s.Key).Should().BeEquivalentTo(["HUN", "TUR"]);
        states.Count(s => s.Value == "counted").Should().Be(28);
        html.Should().Contain("data-counted=\"28\" data-required=\"30\"");
    }

    [Fact]
    public void In_2024_Sweden_needed_31_and_Finland_counts_from_joining()
    {
        var states = States(Page(Sweden(), D("2024-03-07")).Document());

        states.Should().HaveCount(31);
        states.Values.Should().AllBe("counted");
    }

    [Fact]
    public void The_sliders_stop_on_the_days_something_happened_and_on_the_recording_instants()
    {
        var f = Sweden();
        var html = Page(f, D("2022-09-30")).Document();

        var days = f.Entries.Select(e => e.On).Distinct().Count();
        html.Should().Contain($"id=\"as-of\" min=\"0\" max=\"{days - 1}\"");
        html.Should().Contain($"id=\"known-at\" min=\"0\" max=\"{f.Entries.Count - 1}\"", "each fixture entry is recorded a minute after the previous");
        html.Should().Contain("data-shown=\"2022-09-30|\"");
        // The as-of handle sits on the last day with an entry on or before the date: 2022-09-27, when the holds began.
        var stops = f.Entries.Select(e => e.On).Distinct().Order().ToList();
        html.Should().Contain($"step=\"1\" value=\"{stops.IndexOf(D("2022-09-27"))}\" aria-valuetext=\"2022-09-30\"");
    }

    [Fact]
    public void What_changed_lists_the_entries_since_the_previous_stop()
    {
        var changes = Page(Sweden(), D("2022-09-27")).Changes();

        // The stop before 2022-09-27 is Spain's Senate approval of 2022-09-20.
        changes.Should().Contain("Entries dated after 2022-09-20 up to 2022-09-27");
        Regex.Matches(changes, "<li ").Should().HaveCount(3);
        changes.Should().Contain("TUR began holding: Ratification withheld").And.Contain("HUN began holding: Vote postponed repeatedly")
            .And.Contain("SVK approved (National Council)");
    }

    [Fact]
    public void Hostile_text_is_escaped_wherever_the_page_shows_it()
    {
        const string hostile = "<script>alert('x')</script><img src=x onerror=alert(1)> & \"quoted\"";
        var f = new ProcessFixture("nato/cyp");
        f.Add(new ApplicationSubmitted("NATO", "CYP", D("2022-05-18"), RatificationCounts.AtApproval), note: hostile, source: hostile);
        f.Add(new VetoDeclared("TUR", D("2022-05-19"), hostile, Formal: true), source: hostile);
        f.Add(new InvitationExtended(D("2022-06-29"), hostile, ["TUR", "GRC"]));
        f.Add(new RatificationApproved("GRC", D("2022-07-01"), hostile), source: "javascript:alert(1)");

        var page = Page(f);
        var html = page.Document();

        html.Should().NotContain("<script>alert").And.NotContain("<img src=x").And.NotContain("href=\"javascript:");
        html.Should().Contain("&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt; &amp; &quot;quoted&quot;");
        var view = page.View();
        view.Summary.Should().NotContain("<script>alert");
        view.Changes.Should().NotContain("<script>alert").And.Contain("GRC approved (&lt;script&gt;");
        view.Timeline.Should().NotContain("<script>alert").And.Contain("&lt;script&gt;");
        view.Status.ActiveVetoes.Single().Reason.Should().Be(hostile, "the JSON document carries the text as it is");
    }
}
