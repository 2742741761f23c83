using System.Globalization;
using System.Xml.Linq;
using RatificationLedger.Domain;
using RatificationLedger.Presentation.Timeline;
using RatificationLedger.Presentation.Web;
using static RatificationLedger.Tests.Timeline.ProcessFixture;

namespace RatificationLedger.Tests.Timeline;

/// <summary>The parts the timeline is drawn from, each on its own: scale, label placement, tooltips, rows, legend, stylesheet.</summary>
public class TimelinePartsTests
{
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    private static string[] Classes(XElement e) => (e.Attribute("class")?.Value ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries);

    private static double Num(XElement e, string attribute) => double.Parse(e.Attribute(attribute)!.Value, CultureInfo.InvariantCulture);

    [Fact]
    public void The_time_scale_runs_over_whole_months_and_maps_days_linearly()
    {
        var scale = new TimeScale(D("2022-05-18"), D("2023-04-04"), 70, 1000);

        scale.Start.Should().Be(D("2022-05-01"));
        scale.End.Should().Be(D("2023-05-01"));
        scale.X(D("2022-05-01")).Should().Be(70);
        scale.X(D("2023-05-01")).Should().Be(1000);
        // 2022-05-01 to 2022-11-15 is 198 of the axis's 365 days.
        scale.X(D("2022-11-15")).Should().BeApproximately(70 + 198 * 930.0 / 365, 1e-9);
        scale.X(D("2020-01-01")).Should().Be(70, "days before the axis are drawn at its start");
        scale.X(D("2030-01-01")).Should().Be(1000);
    }

    [Fact]
    public void The_time_scale_labels_every_month_when_there_is_room_and_marks_new_years()
    {
        var axis = new TimeScale(D("2022-05-18"), D("2023-04-04"), 70, 1000).Draw(100, 130, 400, 1200);

        var texts = axis.Descendants(Svg + "text").Select(t => t.Value).ToList();
        texts.Should().Contain(["2022", "2023"]);
        // 930 px over 12 months is 77 px a month: every month named, above and below the rows.
        texts.Count(t => t == "May").Should().Be(2);
        texts.Count(t => t == "Apr").Should().Be(2);
        var newYear = new TimeScale(D("2022-05-18"), D("2023-04-04"), 70, 1000).X(D("2023-01-01"));
        axis.Elements(Svg + "line").Where(l => Classes(l).Contains("grid-year")).Select(l => Num(l, "x1"))
            .Should().Contain(x => Math.Abs(x - newYear) <= 0.05, "a strong line on 1 January (coordinates have one decimal)");
    }

    [Fact]
    public void Labels_of_milestones_on_the_same_day_go_to_different_lanes_and_never_overlap_in_a_lane()
    {
        var scale = new TimeScale(D("2022-05-01"), D("2022-12-31"), 70, 1000);
        Milestone M(string on, string kind, string? detail) => new(D(on), kind, kind, detail, false, kind);
        var milestones = new List<Milestone>
        {
            M("2022-06-28", "memorandum", "Trilateral Memorandum"),
            M("2022-06-29", "invitation", "Madrid Summit"),
            M("2022-07-05", "protocol", null),
            M("2022-12-30", "asof", null),
        };

        var placed = new LabelPlacement(scale.X, 1200).PlaceLabels(milestones);

        placed.Should().HaveCount(4);
        foreach (var lane in placed.GroupBy(p => p.Lane))
        {
            var ordered = lane.OrderBy(p => p.Left).ToList();
            for (var i = 1; i < ordered.Count; i++)
            {
                ordered[i].Left.Should().BeGreaterThanOrEqualTo(ordered[i - 1].Right, "labels in lane {0} keep apart", lane.Key);
            }
        }
        // A milestone's line runs down from its label through the lanes below: no label there lies across it.
        foreach (var upper in placed)
        {
            placed.Where(lower => lower.Lane < upper.Lane)
                .Should().NotContain(lower => upper.LineX >= lower.Left - 1 && upper.LineX <= lower.Right + 1, "{0}'s line stays clear", upper.Milestone.Kind);
        }
        placed.Select(p => p.Lane).Distinct().Should().HaveCountGreaterThan(1, "three labels within a week do not fit in one lane");
        // The last one, near the right edge, fits only left of its line.
        placed.Single(p => p.Milestone.Kind == "asof").Right.Should().BeLessThanOrEqualTo(1200 - TimelineLayout.Margin);
    }

    [Fact]
    public void Tooltips_carry_the_notes_and_sources_of_the_entries_and_leave_retracted_ones_out()
    {
        var f = new ProcessFixture("nato/swe");
        f.Add(new ApplicationSubmitted("NATO", "SWE", D("2022-05-18"), RatificationCounts.AtApproval));
        f.Add(new InvitationExtended(D("2022-06-29"), "Madrid", ["ESP", "TUR"]));
        f.Add(new RatificationApproved("ESP", D("2022-09-20"), "Senate"), note: "Sources differ", unconfirmed: true, source: "https://example.org/senado");
        f.Add(new RatificationApproved("TUR", D("2022-09-21"), "Parliament"), note: "recorded by mistake", source: "https://example.org/wrong");
        f.Add(new EntryRetracted(4, D("2022-09-22"), "No such vote"));
        var (_, register, audit) = f.Build();
        var tips = new TimelineTooltips(audit.Entries);

        var spain = tips.MarkTooltip<RatificationApproved>("ESP", D("2022-09-20"), "approved", register.Rows.Single(r => r.Member == "ESP").Steps.Single(), unconfirmed: true);
        spain.Should().Be("ESP approved 2022-09-20 (Senate) \u2014 date unconfirmed: no source states this exact day\nnote: Sources differ\nsource: https://example.org/senado");
        tips.Notes<RatificationApproved>("TUR", D("2022-09-21")).Should().BeEmpty("the entry was retracted");
        tips.Unconfirmed<RatificationApproved>("ESP", D("2022-09-20")).Should().BeTrue();
    }

    [Fact]
    public void A_row_puts_the_approval_and_the_deposit_at_their_days_and_a_holder_says_holding()
    {
        var (status, register, audit) = Sweden().Build(D("2022-12-31"));
        var scale = new TimeScale(D("2022-05-18"), D("2022-12-31"), 70, 1000);
        var rows = new TimelineRows(status, scale, new TimelineTooltips(audit.Entries), 1200, 18, D("2022-12-31"));

        var canada = rows.Row(register.Rows.Single(r => r.Member == "CAN"), 200);
        Num(canada.Descendants(Svg + "circle").Single(c => Classes(c).Contains("approval")), "cx").Should().BeApproximately(scale.X(D("2022-07-05")), 0.05);
        canada.Descendants(Svg + "path").Should().Contain(p => Classes(p).Contains("deposit"));
        var hungary = rows.Row(register.Rows.Single(r => r.Member == "HUN"), 218);
        hungary.Descendants(Svg + "text").Select(t => t.Value).Should().Contain("holding");
        hungary.Descendants(Svg + "g").Single(g => Classes(g).Contains("span")).Attribute("data-from")!.Value.Should().Be("2022-09-27");
    }

    [Fact]
    public void The_legend_shows_only_the_marks_the_picture_has()
    {
        var (status, register, audit) = Sweden().Build(D("2022-06-01"));
        var legend = new TimelineLegend(status, audit.Entries, 1200, D("2022-06-01"));
        var y = 0d;

        var before = legend.Legend([.. register.Rows], ref y).Descendants(Svg + "text").Select(t => t.Value).ToList();

        before.Should().Contain("formal veto", "Türkiye's veto of 18 May 2022 is drawn").And.NotContain("de facto hold (ratification withheld)");
        var (later, laterRegister, laterAudit) = Sweden().Build(D("2022-12-31"));
        y = 0;
        new TimelineLegend(later, laterAudit.Entries, 1200, D("2022-12-31")).Legend([.. laterRegister.Rows], ref y)
            .Descendants(Svg + "text").Select(t => t.Value).Should().Contain(["formal veto", "de facto hold (ratification withheld)", "chamber vote"]);
    }

    [Fact]
    public void The_picture_and_the_page_colour_a_state_alike()
    {
        TimelineStylesheet.Css.Should().Contain($".approval {{ fill: {Palette.Approval};").And.Contain($".deposit {{ fill: {Palette.Deposit};")
            .And.Contain($"rect.hold {{ fill: {Palette.Hold};").And.Contain($"rect.veto {{ fill: {Palette.Veto};");
        PageStyle.Css.Should().Contain($"li.ratifier.counted {{ background: {Palette.Deposit};").And.Contain($"li.ratifier.approved {{ background: {Palette.Approval};")
            .And.Contain($"li.ratifier.holding {{ background: {Palette.Hold};").And.Contain($"li.ratifier.vetoing {{ background: {Palette.Veto};");
        TimelineStylesheet.Defs().Descendants(Svg + "pattern").Single().Attribute("id")!.Value.Should().Be("ledger-timeline-hatch");
    }
}
