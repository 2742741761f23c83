using RatificationLedger.Domain;
using RatificationLedger.IntegrationTests.Support;
using RatificationLedger.Projections;
using RatificationLedger.Recording;
using static RatificationLedger.IntegrationTests.Support.TestOrganizations;

namespace RatificationLedger.IntegrationTests.ReadSide;

/// <summary>The read models on small, made-up histories (the real ones are in RealHistoryReadTests).</summary>
public sealed class ReadModelTests : IAsyncLifetime
{
    private readonly string _schema = TestSchemas.Next("readmodels");
    private LedgerHost _host = null!;

    public async Task InitializeAsync()
    {
        _host = LedgerHost.Start(await TestSchemas.ConnectionStringAsync(), _schema);
        await _host.RegisterAsync(Nato());
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task The_inline_documents_follow_every_command_with_recording_metadata()
    {
        await _host.RecordAsync(new SubmitApplication("nato/fin", "NATO", "FIN", D("2022-05-18")), new Provenance(Source: "letter", RecordedBy: "clerk"));
        await _host.RecordAsync(new ExtendInvitation("nato/fin", D("2022-06-29"), "Madrid Summit"));
        await _host.RecordAsync(new SignAccessionProtocol("nato/fin", D("2022-07-05")));
        await _host.RecordAsync(new RecordParliamentVote("nato/fin", "POL", D("2022-07-07"), "Sejm", 445, 0, 0, true));
        await _host.RecordAsync(new ApproveRatification("nato/fin", "CAN", D("2022-07-05"), "Parliament"), new Provenance(Source: "https://www.nato-pa.int/", Unconfirmed: true, RecordedBy: "analyst"));
        await _host.RecordAsync(new DepositInstrument("nato/fin", "CAN", D("2022-07-05")));
        await _host.RecordAsync(new DeclareVeto("nato/fin", "TUR", D("2022-07-06"), "holds ratification", false));

        var status = (await _host.Queries.StatusAsync("nato/fin"))!;
        status.Stage.Should().Be(Stage.Blocked);
        status.RequiredRatifiers.Should().HaveCount(30);
        status.Ratified.Should().Equal(new MemberDate("CAN", D("2022-07-05"), true));
        status.Deposited.Should().Equal(new MemberDate("CAN", D("2022-07-05")));
        status.Pending.Should().HaveCount(29).And.NotContain("CAN");
        status.ActiveVetoes.Should().ContainSingle(v => v.Member == "TUR" && !v.Formal);

        var register = (await _host.Queries.RegisterAsync("nato/fin"))!;
        var canada = register.Rows.Single(r => r.Member == "CAN");
        canada.Should().BeEquivalentTo(new { RatifiedOn = D("2022-07-05"), DepositedOn = D("2022-07-05"), Unconfirmed = true, DaysFromSignature = 0, RecordedBy = "analyst", Source = "https://www.nato-pa.int/" });
        canada.RecordedAt.Should().BeCloseTo(DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5));
        register.Rows.Single(r => r.Member == "POL").Steps.Should().ContainSingle().Which.Detail.Should().Be("Sejm 445-0-0, passed");

        var audit = (await _host.Queries.AuditAsync("nato/fin"))!;
        audit.Entries.Select(e => e.Type).Should().Equal("application_submitted", "invitation_extended", "accession_protocol_signed",
            "parliament_voted", "ratification_approved", "instrument_deposited", "veto_declared");
        audit.Entries.Should().OnlyContain(e => e.RecordedAt > DateTimeOffset.UtcNow.AddMinutes(-5) && e.CommandId != null);
        audit.Entries[0].Should().BeEquivalentTo(new { RecordedBy = "clerk", Source = "letter", Member = (string?)null, On = D("2022-05-18") });
        audit.Entries.Select(e => e.Sequence).Should().Equal(1, 2, 3, 4, 5, 6, 7);
    }

    [Fact]
    public async Task The_audit_trail_is_read_from_the_stream_and_is_null_for_what_is_not_a_recorded_process()
    {
        await using (var empty = LedgerHost.Start(await TestSchemas.ConnectionStringAsync(), TestSchemas.Next("emptyledger")))
        {
            // A ledger that has recorded nothing has no event tables yet: the answers are "no such process", not errors.
            (await empty.Queries.AuditAsync("nato/fin")).Should().BeNull();
            (await empty.Queries.StatusAsync("nato/fin", asOf: D("2023-01-01"))).Should().BeNull();
            await empty.Queries.RebuildAllAsync();
            (await empty.Queries.ListAsync()).Should().BeEmpty();
        }
        await _host.RecordAsync(new SubmitApplication("nato/fin", "NATO", "FIN", D("2022-05-18")), new Provenance(Source: "letter", RecordedBy: "clerk"));

        (await _host.Queries.AuditAsync("nato/swe")).Should().BeNull();
        (await _host.Queries.AuditAsync(OrganizationDecider.StreamKey("NATO"))).Should().BeNull("an organization's stream is not a process");
        var audit = (await _host.Queries.AuditAsync("nato/fin"))!;
        audit.Entries.Should().ContainSingle().Which.Should().BeEquivalentTo(new { Sequence = 1L, Type = "application_submitted", RecordedBy = "clerk", Source = "letter", Retracted = false });
        await _host.Queries.RebuildAllAsync();
        await using var session = _host.Store.QuerySession();
        (await session.LoadAsync<AuditTrail>("nato/fin")).Should().BeNull("the trail is the stream, not a second copy of it");
        (await _host.Queries.AuditAsync("nato/fin")).Should().BeEquivalentTo(audit);
    }

    [Fact]
    public async Task A_retraction_changes_the_present_answer_but_not_an_earlier_known_at_answer()
    {
        await _host.RecordAsync(new SubmitApplication("nato/swe", "NATO", "SWE", D("2022-05-18")));
        await _host.RecordAsync(new ExtendInvitation("nato/swe", D("2022-06-29"), "Madrid Summit"));
        await _host.RecordAsync(new SignAccessionProtocol("nato/swe", D("2022-07-05")));
        var wrong = await _host.RecordAsync(new ApproveRatification("nato/swe", "HUN", D("2022-07-20"), "mistyped: was Hungary's committee"));
        await Task.Delay(20);
        var before = DateTimeOffset.UtcNow;
        await Task.Delay(20);
        await _host.RecordAsync(new RetractEntry("nato/swe", wrong.Entries.Single().Number, D("2022-07-21"), "Hungary had not ratified"));

        (await _host.Queries.StatusAsync("nato/swe"))!.Ratified.Should().BeEmpty();
        (await _host.Queries.StatusAsync("nato/swe", knownAt: before))!.Ratified.Should().ContainSingle(r => r.Member == "HUN");
        (await _host.Queries.StatusAsync("nato/swe", asOf: D("2022-12-31")))!.Ratified.Should().BeEmpty();

        var audit = (await _host.Queries.AuditAsync("nato/swe"))!;
        audit.Entries.Should().HaveCount(5);
        audit.Entries.Single(e => e.Sequence == wrong.Entries.Single().Number).Should().BeEquivalentTo(new { Retracted = true, RetractedBy = 5L });
    }

    [Fact]
    public async Task Member_records_and_rosters_answer_across_processes()
    {
        foreach (var (p, c) in new[] { ("nato/fin", "FIN"), ("nato/swe", "SWE") })
        {
            await _host.RecordAsync(new SubmitApplication(p, "NATO", c, D("2022-05-18")));
            await _host.RecordAsync(new ExtendInvitation(p, D("2022-06-29"), "Madrid Summit"));
            await _host.RecordAsync(new SignAccessionProtocol(p, D("2022-07-05")));
            await _host.RecordAsync(new ApproveRatification(p, "DNK", D("2022-06-29").AddDays(20), "Folketing"));
            await _host.RecordAsync(new DeclareVeto(p, "HUN", D("2022-07-06"), "holds", false));
        }
        await _host.Queries.WaitForAsyncProjectionsAsync(TimeSpan.FromSeconds(30));

        var denmark = (await _host.Queries.MemberRecordAsync("DNK"))!;
        denmark.Ratifications.Select(r => (r.Process, r.ApprovedOn, r.DaysFromSignature)).Should().Equal(
            ("nato/fin", D("2022-07-19"), 14), ("nato/swe", D("2022-07-19"), 14));
        denmark.MeanDaysFromSignature.Should().Be(14);
        (await _host.Queries.MemberRecordAsync("HUN"))!.Vetoes.Should().HaveCount(2).And.OnlyContain(v => !v.Formal && v.EndedOn == null);

        (await _host.Queries.RosterAsync("NATO", D("2022-01-01")))!.Should().HaveCount(30);
        (await _host.Queries.RosterAsync("NATO", D("2004-01-01")))!.Should().HaveCount(19);
        (await _host.Queries.RosterAsync("EU", D("2022-01-01"))).Should().BeNull();
    }

    [Fact]
    public async Task A_rebuild_gives_the_documents_the_inline_projection_wrote_and_does_not_block_writes()
    {
        await _host.RecordAsync(new SubmitApplication("nato/fin", "NATO", "FIN", D("2022-05-18")));
        await _host.RecordAsync(new ExtendInvitation("nato/fin", D("2022-06-29"), "Madrid Summit"));
        await _host.RecordAsync(new SignAccessionProtocol("nato/fin", D("2022-07-05")));
        foreach (var m in Founders)
        {
            await _host.RecordAsync(new ApproveRatification("nato/fin", m, D("2022-08-01"), "Parliament"));
        }
        var status = await _host.Queries.StatusAsync("nato/fin");
        var register = await _host.Queries.RegisterAsync("nato/fin");
        var audit = await _host.Queries.AuditAsync("nato/fin");

        var rebuild = _host.Queries.RebuildAsync(ProcessViewsProjection.Name);
        var write = _host.SendAsync(new SubmitApplication("nato/swe", "NATO", "SWE", D("2022-05-18")));
        (await write).Outcome.Should().Be(RecordOutcome.Recorded);
        await rebuild;

        (await _host.Queries.StatusAsync("nato/fin")).Should().BeEquivalentTo(status);
        (await _host.Queries.RegisterAsync("nato/fin")).Should().BeEquivalentTo(register);
        (await _host.Queries.AuditAsync("nato/fin")).Should().BeEquivalentTo(audit);
        (await _host.Queries.StatusAsync("nato/swe"))!.Stage.Should().Be(Stage.Applied);
    }
}
