using System.Globalization;
using System.Xml.Linq;
using RatificationLedger.Domain;
using RatificationLedger.Presentation.Timeline;
using RatificationLedger.Projections;
using static RatificationLedger.Tests.Timeline.ProcessFixture;

namespace RatificationLedger.Tests.Timeline;

public class TimelineSvgTests
{
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    private static string Render(ProcessFixture fixture, DateOnly? asOf = null, TimelineOptions? options = null)
    {
        var (status, register, audit) = fixture.Build(asOf);
        return TimelineSvg.Render(status, register, audit.Entries, options);
    }

    private static XDocument Parse(string svg) => XDocument.Parse(svg);

    private static string[] Classes(XElement e) => (e.Attribute("class")?.Value ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries);

    private static bool Has(XElement e, string cls) => Classes(e).Contains(cls);

    private static List<XElement> Rows(XDocument doc) =>
        [.. doc.Descendants(Svg + "g").Where(g => g.Attribute("data-member") is not null && Has(g, "row"))];

    private static XElement Row(XDocument doc, string member) => Rows(doc).Single(g => g.Attribute("data-member")!.Value == member);

    private static List<XElement> Spans(XElement row) => [.. row.Elements(Svg + "g").Where(g => Has(g, "span"))];

    private static double Num(XElement e, string attribute) => double.Parse(e.Attribute(attribute)!.Value, CultureInfo.InvariantCulture);

    private static (double From, double To) Extent(XElement span)
    {
        var rect = span.Elements(Svg + "rect").First();
        return (Num(rect, "x"), Num(rect, "x") + Num(rect, "width"));
    }

    private static IEnumerable<string> LegendTexts(XDocument doc) =>
        doc.Descendants(Svg + "text").Where(t => Has(t, "legend-text")).Select(t => t.Value);

    private static double LineX(XDocument doc, string milestoneKind) =>
        Num(doc.Descendants(Svg + "g").Single(g => Has(g, "milestone") && Has(g, milestoneKind)).Element(Svg + "line")!, "x1");

    [Fact]
    public void The_picture_is_a_standalone_svg_document()
    {
        var svg = Render(Sweden());

        svg.Should().StartWith("<?xml version=\"1.0\" encoding=\"utf-8\"?>");
        var doc = Parse(svg);
        doc.Root!.Name.Should().Be(Svg + "svg");
        doc.Root.Attribute("width")!.Value.Should().Be("1200");
        doc.Root.Attribute("viewBox")!.Value.Should().StartWith("0 0 1200 ");
        doc.Root.Element(Svg + "title")!.Value.Should().Be("nato/swe: accession of SWE to NATO");
        doc.Descendants(Svg + "text").Select(t => t.Value).Should().Contain(t => t.Contains("stage: member", StringComparison.Ordinal) && t.Contains("31 required ratifiers: 31 approved, 4 deposited, 0 pending", StringComparison.Ordinal));
    }

    [Fact]
    public void Every_required_ratifier_has_exactly_one_row_including_the_one_added_late()
    {
        var (status, register, audit) = Sweden().Build();

        var doc = Parse(TimelineSvg.Render(status, register, audit.Entries));

        var members = Rows(doc).Select(r => r.Attribute("data-member")!.Value).ToList();
        members.Should().HaveCount(31).And.OnlyHaveUniqueItems();
        members.Should().BeEquivalentTo(status.RequiredRatifiers.Select(r => r.Member));
        members.Should().Contain("FIN");
    }

    [Fact]
    public void Rows_run_by_approval_date_with_pending_ratifiers_last()
    {
        var doc = Parse(Render(Sweden(), asOf: D("2023-06-01")));

        var members = Rows(doc).Select(r => r.Attribute("data-member")!.Value).ToList();
        members.Take(4).Should().Equal("CAN", "DNK", "ISL", "NOR");
        members.TakeLast(3).Should().Equal("FIN", "HUN", "TUR");
        Rows(doc).TakeLast(2).Should().OnlyContain(r => Has(r, "pending"));
        var ys = Rows(doc).Select(r => Num(r.Element(Svg + "text")!, "y")).ToList();
        ys.Should().BeInAscendingOrder();
    }

    [Fact]
    public void Holds_and_vetoes_are_spans_in_date_order_ending_where_they_ended()
    {
        var doc = Parse(Render(Sweden()));

        var tur = Spans(Row(doc, "TUR"));
        var veto = tur.Single(s => Has(s, "veto"));
        var hold = tur.Single(s => Has(s, "hold"));
        veto.Attribute("data-from")!.Value.Should().Be("2022-05-18");
        veto.Attribute("data-to")!.Value.Should().Be("2022-06-28");
        veto.Attribute("data-formal")!.Value.Should().Be("true");
        hold.Attribute("data-from")!.Value.Should().Be("2022-09-27");
        hold.Attribute("data-to")!.Value.Should().Be("2024-01-23");
        hold.Attribute("data-formal")!.Value.Should().Be("false");

        var (vetoFrom, vetoTo) = Extent(veto);
        var (holdFrom, holdTo) = Extent(hold);
        vetoFrom.Should().BeLessThan(vetoTo);
        vetoTo.Should().BeLessThan(holdFrom);
        holdFrom.Should().BeLessThan(holdTo);
        holdFrom.Should().BeGreaterThan(LineX(doc, "protocol"));
        var approval = Row(doc, "TUR").Elements(Svg + "circle").Single(c => Has(c, "approval"));
        Num(approval, "cx").Should().BeApproximately(holdTo, 0.11, "Türkiye's hold ended with its approval");

        var (hunFrom, hunTo) = Extent(Spans(Row(doc, "HUN")).Single());
        hunFrom.Should().BeApproximately(holdFrom, 0.11);
        hunTo.Should().BeGreaterThan(holdTo);
        hunTo.Should().BeLessThan(LineX(doc, "accession"));

        veto.Elements(Svg + "rect").Should().Contain(r => Has(r, "hatch"), "a formal veto is hatched, not only coloured");
        hold.Elements(Svg + "rect").Should().NotContain(r => Has(r, "hatch"));
    }

    [Fact]
    public void Holds_still_active_run_to_the_as_of_date()
    {
        var doc = Parse(Render(Sweden(), asOf: D("2023-06-01")));

        var hold = Spans(Row(doc, "TUR")).Single(s => Has(s, "hold"));
        Has(hold, "ongoing").Should().BeTrue();
        hold.Attribute("data-to")!.Value.Should().Be("2023-06-01");
        Extent(hold).To.Should().BeApproximately(LineX(doc, "asof"), 0.11);
        hold.Elements(Svg + "path").Should().ContainSingle("an arrow says the hold goes on");
        Spans(Row(doc, "HUN")).Single().Attribute("data-to")!.Value.Should().Be("2023-06-01");
        Row(doc, "TUR").Elements(Svg + "circle").Should().BeEmpty();
        doc.Descendants(Svg + "text").Should().Contain(t => t.Value == "holding");
    }

    [Fact]
    public void After_a_withdrawal_nothing_runs_on()
    {
        var fixture = new ProcessFixture("nato/mkd")
            .Add(new ApplicationSubmitted("NATO", "MKD", D("2008-01-10"), RatificationCounts.AtApproval))
            .Add(new InvitationExtended(D("2008-02-01"), "Brussels", ["CAN", "GRC"]))
            .Add(new AccessionProtocolSigned(D("2008-03-01")))
            .Add(new VetoDeclared("GRC", D("2008-04-03"), "Name dispute", Formal: true))
            .Add(new RatificationApproved("CAN", D("2008-05-01"), "Parliament"))
            .Add(new ApplicationWithdrawn(D("2008-09-30"), "Talks suspended"));

        var doc = Parse(Render(fixture, options: new TimelineOptions { To = D("2008-12-31") }));

        var withdrawal = LineX(doc, "withdrawal");
        var veto = Spans(Row(doc, "GRC")).Single();
        veto.Attribute("data-to")!.Value.Should().Be("2008-09-30");
        Has(veto, "ongoing").Should().BeFalse();
        Extent(veto).To.Should().BeApproximately(withdrawal, 0.11);
        doc.Descendants().Where(e => Has(e, "ongoing")).Should().BeEmpty();
        var wait = Row(doc, "GRC").Elements(Svg + "rect").Single(r => Has(r, "wait"));
        (Num(wait, "x") + Num(wait, "width")).Should().BeApproximately(Extent(veto).From, 0.11);
        Row(doc, "GRC").Descendants(Svg + "text").Select(t => t.Value).Should().Contain("not approved");
    }

    [Fact]
    public void Unconfirmed_dates_are_drawn_hollow_with_a_question_mark_and_explained_in_the_legend()
    {
        var doc = Parse(Render(Sweden()));

        var esp = Row(doc, "ESP");
        esp.Elements(Svg + "circle").Single(c => Has(c, "approval")).Should().Match<XElement>(c => Has(c, "unconfirmed"));
        esp.Elements(Svg + "path").Single(p => Has(p, "deposit")).Should().Match<XElement>(p => Has(p, "unconfirmed"));
        esp.Elements(Svg + "text").Where(t => Has(t, "q")).Should().HaveCount(2).And.OnlyContain(t => t.Value == "?");
        esp.Descendants(Svg + "tspan").Should().Contain(t => Has(t, "q"), "the approval date in the right column carries the mark too");
        Row(doc, "CAN").Descendants().Where(e => Has(e, "unconfirmed") || Has(e, "q")).Should().BeEmpty();
        doc.Descendants(Svg + "g").Single(g => Has(g, "memorandum") && g.Attribute("data-date")?.Value == "2024-02-23")
            .Should().Match<XElement>(g => Has(g, "unconfirmed"));
        LegendTexts(doc).Should().Contain(t => t.StartsWith("date unconfirmed", StringComparison.Ordinal));
    }

    [Fact]
    public void Without_unconfirmed_dates_nothing_is_marked_unconfirmed()
    {
        var fixture = new ProcessFixture("nato/mne")
            .Add(new InvitationExtended(D("2015-12-02"), "Brussels", ["USA", "CAN", "ISL"], "NATO", "MNE", RatificationCounts.AtApproval))
            .Add(new AccessionProtocolSigned(D("2016-05-19")))
            .Add(new RatificationApproved("ISL", D("2016-06-06"), "Althing"))
            .Add(new RatificationApproved("CAN", D("2016-06-13"), "Order in Council"));

        var doc = Parse(Render(fixture));

        doc.Descendants().Where(e => Has(e, "unconfirmed") || Has(e, "q")).Should().BeEmpty();
        LegendTexts(doc).Should().NotContain(t => t.StartsWith("date unconfirmed", StringComparison.Ordinal));
        Rows(doc).Select(r => r.Attribute("data-member")!.Value).Should().Equal("ISL", "CAN", "USA");
        Row(doc, "USA").Elements(Svg + "path").Should().Contain(p => Has(p, "ongoing"), "USA has not approved by the latest entry");
    }

    [Fact]
    public void Hostile_text_is_escaped_and_kept_exactly()
    {
        const string hostile = "He said \"no\" & 'never' <script>alert(1)</script> ]]> \u200Fمرحبا\u200E end";
        const string title = "\"Q\" & <b>A</b> \u200Fمذكرة\u200E ]]>";
        var fixture = new ProcessFixture("nato/swe")
            .Add(new ApplicationSubmitted("NATO", "SWE", D("2022-05-18"), RatificationCounts.AtApproval), note: hostile, source: hostile)
            .Add(new InvitationExtended(D("2022-06-29"), hostile, ["TUR", "CAN"]))
            .Add(new AccessionProtocolSigned(D("2022-07-05")))
            .Add(new MemorandumSigned(D("2022-07-06"), title, ["TUR"], hostile))
            .Add(new VetoDeclared("TUR", D("2022-09-27"), hostile, Formal: false), note: hostile)
            .Add(new RatificationApproved("CAN", D("2022-10-05"), hostile), note: hostile);

        var svg = Render(fixture);

        svg.Should().NotContain("<script>");
        var doc = Parse(svg);
        doc.Descendants(Svg + "script").Should().BeEmpty();
        var hold = Spans(Row(doc, "TUR")).Single();
        hold.Attribute("data-reason")!.Value.Should().Be(hostile);
        hold.Element(Svg + "title")!.Value.Should().Contain("Reason: " + hostile).And.Contain("note: " + hostile);
        doc.Descendants(Svg + "tspan").Where(t => Has(t, "user")).Select(t => t.Value).Should().Contain(title);
        doc.Descendants(Svg + "g").Single(g => Has(g, "memorandum")).Element(Svg + "title")!.Value.Should().StartWith(title).And.Contain(hostile);
        doc.Descendants(Svg + "g").Single(g => Has(g, "milestone") && Has(g, "application")).Element(Svg + "title")!.Value
            .Should().Be($"Application submitted 2022-05-18\nnote: {hostile}\nsource: {hostile}");
        Row(doc, "CAN").Elements(Svg + "circle").Single().Element(Svg + "title")!.Value.Should().Contain($"({hostile})").And.Contain("note: " + hostile);
    }

    [Fact]
    public void Characters_xml_cannot_carry_become_replacement_characters()
    {
        var fixture = new ProcessFixture("nato/swe")
            .Add(new ApplicationSubmitted("NATO", "SWE", D("2022-05-18"), RatificationCounts.AtApproval))
            .Add(new VetoDeclared("TUR", D("2022-05-18"), "bell\u0007 and \uD800 lone surrogate, \U0001F600 kept", Formal: true));

        var doc = Parse(Render(fixture));

        doc.Descendants(Svg + "g").Single(g => g.Attribute("data-reason") is not null).Attribute("data-reason")!.Value
            .Should().Be("bell\uFFFD and \uFFFD lone surrogate, \U0001F600 kept");
    }

    [Fact]
    public void A_member_that_vetoes_without_being_a_ratifier_gets_its_own_row_outside_the_ratifiers()
    {
        var fixture = new ProcessFixture("nato/fin")
            .Add(new ApplicationSubmitted("NATO", "FIN", D("2022-05-18"), RatificationCounts.AtApproval))
            .Add(new VetoDeclared("TUR", D("2022-05-18"), "Blocked the start of talks", Formal: true));

        var doc = Parse(Render(fixture, options: new TimelineOptions { To = D("2022-06-15") }));

        Rows(doc).Should().BeEmpty();
        var vetoer = doc.Descendants(Svg + "g").Single(g => g.Attribute("data-vetoer") is not null);
        vetoer.Attribute("data-vetoer")!.Value.Should().Be("TUR");
        var veto = vetoer.Elements(Svg + "g").Single(g => Has(g, "veto"));
        veto.Attribute("data-to")!.Value.Should().Be("2022-06-15");
        Has(veto, "ongoing").Should().BeTrue();
    }

    [Fact]
    public void A_ratifier_added_late_is_marked_where_it_joined_and_an_early_approval_waits_until_it_counts()
    {
        var doc = Parse(Render(Sweden()));

        var fin = Row(doc, "FIN");
        var joined = fin.Elements(Svg + "line").Single(l => Has(l, "added"));
        var deposit = fin.Elements(Svg + "path").Single(p => Has(p, "deposit"));
        var approval = fin.Elements(Svg + "circle").Single(c => Has(c, "approval"));
        var early = fin.Elements(Svg + "line").Single(l => Has(l, "early"));
        Num(early, "x1").Should().BeApproximately(Num(approval, "cx"), 0.11);
        Num(early, "x2").Should().BeApproximately(Num(joined, "x1"), 0.11);
        Num(approval, "cx").Should().BeLessThan(Num(joined, "x1"));
        deposit.Attribute("d")!.Value.Should().StartWith($"M{joined.Attribute("x1")!.Value},");
        fin.Elements(Svg + "rect").Where(r => Has(r, "wait")).Should().BeEmpty("Finland approved before it had to");
        Row(doc, "CAN").Elements(Svg + "line").Should().NotContain(l => Has(l, "added"));
    }

    [Fact]
    public void The_wait_runs_from_the_protocol_signature_to_approval()
    {
        var doc = Parse(Render(Sweden()));

        var wait = Row(doc, "GRC").Elements(Svg + "rect").Single(r => Has(r, "wait"));
        var approval = Row(doc, "GRC").Elements(Svg + "circle").Single();
        Num(wait, "x").Should().BeApproximately(LineX(doc, "protocol"), 0.11);
        (Num(wait, "x") + Num(wait, "width")).Should().BeApproximately(Num(approval, "cx"), 0.11);

        var turWaits = Row(doc, "TUR").Elements(Svg + "rect").Where(r => Has(r, "wait")).ToList();
        var hold = Extent(Spans(Row(doc, "TUR")).Single(s => Has(s, "hold")));
        turWaits.Should().ContainSingle("the hold covers the rest of Türkiye's wait");
        (Num(turWaits[0], "x") + Num(turWaits[0], "width")).Should().BeApproximately(hold.From, 0.11);
    }

    [Theory]
    [InlineData(1200)]
    [InlineData(800)]
    [InlineData(640)]
    public void Milestones_are_labelled_lines_whose_labels_do_not_collide(int width)
    {
        var doc = Parse(Render(Sweden(), options: new TimelineOptions { Width = width }));

        var milestones = doc.Descendants(Svg + "g").Where(g => Has(g, "milestone")).ToList();
        milestones.Select(m => m.Attribute("data-date")!.Value).Should().BeEquivalentTo(
            ["2022-05-18", "2022-06-28", "2022-06-29", "2022-07-05", "2023-07-10", "2024-02-23", "2024-03-07"]);
        milestones.Select(m => m.Element(Svg + "text")!.Value).Should().Contain(["2022-06-29 Invited · Madrid Summit", "2024-03-07 Acceded", "2022-06-28 Trilateral Memorandum, Madrid"]);
        milestones.Select(m => m.Element(Svg + "text")!).Should().OnlyContain(t => Num(t, "x") >= 0 && Num(t, "x") <= width);

        // Labels in the same lane (same baseline) keep apart; a milestone line never runs through another label.
        var labels = milestones.Select(m =>
        {
            var text = m.Element(Svg + "text")!;
            var x = Num(text, "x");
            var width = text.Value.Length * 10.5 * 0.6;
            var end = text.Attribute("text-anchor")?.Value == "end";
            return (Y: Num(text, "y"), Left: end ? x - width : x, Right: end ? x : x + width, Line: m.Element(Svg + "line")!);
        }).ToList();
        foreach (var a in labels)
        {
            foreach (var b in labels.Where(b => b != a))
            {
                if (a.Y == b.Y)
                {
                    (a.Right <= b.Left || b.Right <= a.Left).Should().BeTrue($"labels at {a.Left} and {b.Left} share a lane");
                }
                var lineX = Num(b.Line, "x1");
                var lineTop = Num(b.Line, "y1");
                var crosses = lineTop < a.Y && lineX > a.Left && lineX < a.Right;
                crosses.Should().BeFalse($"the line at {lineX} crosses the label at {a.Left}-{a.Right}");
            }
        }
    }

    [Fact]
    public void Output_is_deterministic_and_independent_of_the_current_culture()
    {
        var first = Render(Sweden());
        var culture = (CultureInfo)CultureInfo.InvariantCulture.Clone();
        culture.NumberFormat.NumberDecimalSeparator = ",";
        culture.NumberFormat.NegativeSign = "\u2212";
        culture.DateTimeFormat.DateSeparator = ".";
        var previous = CultureInfo.CurrentCulture;
        string second;
        try
        {
            CultureInfo.CurrentCulture = culture;
            CultureInfo.CurrentUICulture = culture;
            second = Render(Sweden());
        }
        finally
        {
            CultureInfo.CurrentCulture = previous;
            CultureInfo.CurrentUICulture = previous;
        }

        second.Should().Be(first);
        first.Should().Contain(".5\"").And.NotContain("\u2212");
    }

    [Fact]
    public void Width_and_row_height_follow_the_options()
    {
        var doc = Parse(Render(Sweden(), options: new TimelineOptions { Width = 900, RowHeight = 24 }));

        doc.Root!.Attribute("width")!.Value.Should().Be("900");
        var ys = Rows(doc).Select(r => Num(r.Element(Svg + "text")!, "y")).ToList();
        (ys[1] - ys[0]).Should().Be(24);
        doc.Descendants().Where(e => e.Attribute("x") is not null && e.Name != Svg + "rect")
            .Select(e => Num(e, "x")).Should().OnlyContain(x => x >= 0 && x <= 900);
    }

    [Fact]
    public void A_process_with_nothing_recorded_still_renders()
    {
        var doc = Parse(TimelineSvg.Render(new AccessionStatus { Id = "nato/ukr", Organization = "NATO", Candidate = "UKR" }, new RatificationRegister { Id = "nato/ukr" }, []));

        doc.Descendants(Svg + "text").Should().Contain(t => t.Value == "Nothing is recorded for this process.");
        Rows(doc).Should().BeEmpty();
    }

    [Fact]
    public void Unusable_options_are_rejected()
    {
        var (status, register, audit) = Sweden().Build();

        var narrow = () => TimelineSvg.Render(status, register, audit.Entries, new TimelineOptions { Width = 300 });
        var backwards = () => TimelineSvg.Render(status, register, audit.Entries, new TimelineOptions { From = D("2024-01-01"), To = D("2023-01-01") });

        narrow.Should().Throw<ArgumentOutOfRangeException>().WithMessage("*at least 640*");
        backwards.Should().Throw<ArgumentOutOfRangeException>().WithMessage("*2023-01-01*2024-01-01*");
    }

    [Fact]
    public void Swedens_process_is_written_next_to_the_tests_for_a_look()
    {
        var svg = Render(Sweden());
        var path = Path.Combine(AppContext.BaseDirectory, "timeline-nato-swe.svg");
        File.WriteAllText(path, svg);
        var asOf = Render(Sweden(), asOf: D("2023-06-01"));
        File.WriteAllText(Path.Combine(AppContext.BaseDirectory, "timeline-nato-swe-2023-06-01.svg"), asOf);

        Parse(File.ReadAllText(path)).Root!.Name.Should().Be(Svg + "svg");
    }
}
