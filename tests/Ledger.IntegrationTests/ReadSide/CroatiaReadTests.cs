using RatificationLedger.Import;
using RatificationLedger.IntegrationTests.Support;
using RatificationLedger.Projections;
using static RatificationLedger.IntegrationTests.Support.TestOrganizations;

namespace RatificationLedger.IntegrationTests.ReadSide;

/// <summary>
/// Croatia's accession to the EU (the second sample history) through the library: import, status at key dates, who
/// deposited when, the known unknowns, the entry into force. Expected values are the reference facts.
/// </summary>
public sealed class CroatiaReadTests : IAsyncLifetime
{
    private static readonly string s_croatia = Path.Combine(AppContext.BaseDirectory, "Data", "eu-croatia-2011.json");
    private readonly string _schema = TestSchemas.Next("croatia");
    private LedgerHost _host = null!;

    public async Task InitializeAsync()
    {
        _host = LedgerHost.Start(await TestSchemas.ConnectionStringAsync(), _schema);
        var nato = await _host.Sender.Send(new ImportHistoryRequest(HistoryFile.Load(SampleHistory.Path)));
        nato.Failure.Should().BeNull();
        var eu = await _host.Sender.Send(new ImportHistoryRequest(HistoryFile.Load(s_croatia)));
        eu.Failure.Should().BeNull(eu.Failure?.Message);
        eu.Recorded.Should().Be(37);
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task On_signature_day_28_parties_ratify_Croatia_among_them_and_nothing_is_deposited()
    {
        var status = (await _host.Queries.StatusAsync("eu/hrv", asOf: D("2011-12-09")))!;
        status.Organization.Should().Be("EU");
        status.Treaty.Should().Be("Treaty of Accession 2011");
        status.RequiredRatifiers.Select(r => r.Member).Should().HaveCount(28).And.Contain(["HRV", "GBR"]);
        status.Deposited.Should().BeEmpty();
        status.Pending.Should().HaveCount(28);
        status.EntryIntoForce!.Date.Should().BeNull();
    }

    [Fact]
    public async Task At_the_end_of_2012_the_deposits_made_by_then_count_and_the_rest_are_pending()
    {
        var status = (await _host.Queries.StatusAsync("eu/hrv", asOf: D("2012-12-31")))!;
        // From the reference facts: 16 of the 28 deposits are dated in 2012 (SVK ... GRC 2012-12-27).
        status.Counted.Should().HaveCount(16);
        status.Counted.Select(c => c.Member).Should().Contain(["HRV", "SVK", "HUN", "ROU", "GRC"]).And.NotContain(["DEU", "GBR", "ESP"]);
        status.Stage.Should().Be(Stage.Ratifying);
    }

    [Fact]
    public async Task On_the_fixed_date_Croatia_is_a_member_the_last_deposit_Germanys_ten_days_before()
    {
        var status = (await _host.Queries.StatusAsync("eu/hrv"))!;
        status.Stage.Should().Be(Stage.Member);
        status.AccededOn.Should().Be(D("2013-07-01"));
        var last = status.Deposited.OrderBy(d => d.On).Last();
        last.Should().Be(new MemberDate("DEU", D("2013-06-21")));
        (status.AccededOn!.Value.DayNumber - last.On.DayNumber).Should().Be(10);
        status.EntryIntoForce.Should().Be(new EntryIntoForceView("fixed-date", D("2013-07-01"),
            "all 28 instruments deposited by 2013-06-21 (the last: DEU); in force on the fixed date 2013-07-01."));
        var before = (await _host.Queries.StatusAsync("eu/hrv", asOf: D("2013-06-30")))!;
        before.Stage.Should().Be(Stage.ReadyToAccede);
        before.EntryIntoForce!.Date.Should().Be(D("2013-07-01"));
    }

    [Fact]
    public async Task The_register_shows_21_approvals_as_implied_by_their_deposits_and_Romanias_date_as_unconfirmed()
    {
        var register = (await _host.Queries.RegisterAsync("eu/hrv"))!;
        register.Rows.Should().HaveCount(28);
        register.Rows.Where(r => r.RatifiedOn is null).Should().HaveCount(21).And.OnlyContain(r => r.RatifiedBy == r.DepositedOn);
        register.Rows.Single(r => r.Member == "ROU").Should().BeEquivalentTo(new { DepositedOn = D("2012-08-02"), Unconfirmed = true, RatifiedOn = (DateOnly?)null });
        register.Rows.Single(r => r.Member == "NLD").Should().BeEquivalentTo(new { RatifiedOn = D("2013-04-16"), Unconfirmed = true });
        register.Rows.Single(r => r.Member == "GBR").Steps.Select(s => s.Type).Should().Equal("ratification", "deposit");
        register.Rows.Should().OnlyContain(r => r.DepositedBy == null, "every deposit is recorded");
    }

    [Fact]
    public async Task Finlands_register_shows_its_26_unrecorded_deposits_as_done_by_its_accession()
    {
        // The NATO sample records 4 of Finland's 30 deposits (CAN, ESP, HUN, TUR); the other 26 are implied by the accession.
        var register = (await _host.Queries.RegisterAsync("nato/fin"))!;
        var unrecorded = register.Rows.Where(r => r.DepositedOn is null).ToArray();
        unrecorded.Should().HaveCount(26);
        unrecorded.Should().OnlyContain(r => r.DepositedBy == D("2023-04-04"));
        register.Rows.Where(r => r.DepositedOn is not null).Select(r => r.Member).Should().BeEquivalentTo(["CAN", "ESP", "HUN", "TUR"]);
        register.Rows.Where(r => r.DepositedOn is not null).Should().OnlyContain(r => r.DepositedBy == null);
        var status = (await _host.Queries.StatusAsync("nato/fin"))!;
        status.DepositsImplied.Should().HaveCount(26);
        status.EntryIntoForce!.Rule.Should().Be("on-completion");
        status.EntryIntoForce.Date.Should().Be(D("2023-03-30"), "Türkiye's approval, the last, counted on 2023-03-30");
        (await _host.Queries.StatusAsync("nato/fin", asOf: D("2023-03-31")))!.DepositsImplied.Should().BeEmpty("before the accession nothing implies them");
    }

    [Fact]
    public async Task The_United_Kingdom_is_in_the_roster_until_2020_01_31()
    {
        var eu = (await _host.Reader.LoadOrganizationAsync("EU"))!;
        eu.IsMemberOn("GBR", D("2020-01-31")).Should().BeTrue();
        eu.IsMemberOn("GBR", D("2020-02-01")).Should().BeFalse();
        eu.IsMemberOn("HRV", D("2013-07-01")).Should().BeTrue();
        eu.MembersOn(D("2020-02-01")).Should().HaveCount(27);
    }
}
