using RatificationLedger.Domain;
using RatificationLedger.IntegrationTests.Support;
using RatificationLedger.Recording;
using System.Text.Json;
using System.Text.Json.Nodes;
using Marten;
using static RatificationLedger.IntegrationTests.Support.TestOrganizations;

namespace RatificationLedger.IntegrationTests.Recording;

/// <summary>The write path on the real server: concurrency, idempotency, refusals, metadata, the cross-process rule.</summary>
public sealed class RecordingTests : IAsyncLifetime
{
    private readonly string _schema = TestSchemas.Next("recording");
    private LedgerHost _host = null!;

    public async Task InitializeAsync()
    {
        _host = LedgerHost.Start(await TestSchemas.ConnectionStringAsync(), _schema);
        (await _host.RegisterAsync(Nato())).Outcome.Should().Be(RecordOutcome.Recorded);
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private async Task OpenAsync(string process, string candidate, string applied = "2022-05-18", string invited = "2022-06-29", string signed = "2022-07-05")
    {
        await _host.RecordAsync(new SubmitApplication(process, "NATO", candidate, D(applied)));
        await _host.RecordAsync(new ExtendInvitation(process, D(invited), "Madrid Summit"));
        await _host.RecordAsync(new SignAccessionProtocol(process, D(signed)));
    }

    [Fact]
    public async Task Thirty_one_members_ratifying_at_once_record_exactly_thirty_one_ratifications()
    {
        // Finland joined on 2023-04-04, so an invitation after that date names 31 members.
        await _host.Sender.Send(new RegisterOrganizationRequest(Nato() with { Members = [.. Nato().Members, new Membership("FIN", D("2023-04-04"))] }));
        await OpenAsync("nato/swe", "SWE", invited: "2023-06-01", signed: "2023-06-02");
        var members = (await _host.Reader.LoadStateAsync("nato/swe")).RequiredRatifiers.Keys.ToArray();
        members.Should().HaveCount(31);

        // Two app instances over the same database, so senders race across processes, not only within one.
        await using var other = LedgerHost.Start(await TestSchemas.ConnectionStringAsync(), _schema);
        var results = await Task.WhenAll(members.Select((m, i) => Task.Run(() =>
            (i % 2 == 0 ? _host : other).SendAsync(new ApproveRatification("nato/swe", m, D("2023-07-01"), "Parliament")))));

        results.Should().OnlyContain(r => r.Outcome == RecordOutcome.Recorded && !r.IsResend);
        var entries = await _host.Reader.ReadEntriesAsync("nato/swe");
        entries.Select(e => e.Event).OfType<RatificationApproved>().Select(r => r.Member).Should().BeEquivalentTo(members);
        entries.Select(e => e.Number).Should().BeEquivalentTo(Enumerable.Range(1, 34).Select(i => (long)i));
        (await _host.Reader.LoadStateAsync("nato/swe")).Pending().Should().BeEmpty();
    }

    [Fact]
    public async Task Two_writers_with_the_same_expected_version_one_wins_one_gets_a_typed_conflict()
    {
        await OpenAsync("nato/fin", "FIN");
        var version = (await _host.Reader.LoadStateAsync("nato/fin")).Version;

        var results = await Task.WhenAll(
            Task.Run(() => _host.SendAsync(new ApproveRatification("nato/fin", "CAN", D("2022-07-05"), "Parliament"), expectedVersion: version)),
            Task.Run(() => _host.SendAsync(new ApproveRatification("nato/fin", "DNK", D("2022-07-06"), "Parliament"), expectedVersion: version)));

        results.Count(r => r.Outcome == RecordOutcome.Recorded).Should().Be(1);
        var conflict = results.Single(r => r.Outcome == RecordOutcome.Conflict);
        conflict.Rejection!.Code.Should().Be(RecordCodes.VersionConflict);
        conflict.Rejection.Message.Should().Contain("nato/fin").And.Contain($"expected version {version}").And.Contain($"at version {version + 1}");
        conflict.Version.Should().Be(version + 1);
        (await _host.Reader.LoadStateAsync("nato/fin")).Version.Should().Be(version + 1);
    }

    [Fact]
    public async Task A_stale_expected_version_is_a_conflict_even_without_a_race()
    {
        await OpenAsync("nato/fin", "FIN");
        var result = await _host.SendAsync(new ApproveRatification("nato/fin", "CAN", D("2022-07-05"), "Parliament"), expectedVersion: 1);
        result.Outcome.Should().Be(RecordOutcome.Conflict);
        result.Rejection!.Code.Should().Be(RecordCodes.VersionConflict);
        (await _host.EventCountAsync()).Should().Be(await CountWithoutRatificationsAsync());
    }

    private async Task<long> CountWithoutRatificationsAsync()
    {
        await using var session = _host.Store.QuerySession();
        return await session.Events.QueryAllRawEvents().CountAsync(e => e.EventTypeName != "ratification_approved");
    }

    [Fact]
    public async Task A_resent_command_after_a_lost_acknowledgement_records_nothing_new_and_answers_as_the_first_time()
    {
        await OpenAsync("nato/fin", "FIN");
        var command = new ApproveRatification("nato/fin", "CAN", D("2022-07-05"), "Parliament");
        var provenance = new Provenance(Source: "https://www.nato-pa.int/", CommandId: "cmd-can-fin-1");

        // The first send commits, but its answer never reaches the caller.
        var first = await _host.SendAsync(command, provenance);
        var count = await _host.EventCountAsync();

        var resent = await _host.SendAsync(command, provenance);
        resent.Outcome.Should().Be(RecordOutcome.Recorded);
        resent.IsResend.Should().BeTrue();
        resent.Entries.Should().ContainSingle().Which.Event.Should().Be(new RatificationApproved("CAN", D("2022-07-05"), "Parliament"));
        resent.Notifications.Should().BeEquivalentTo(first.Notifications, "the first answer may have been lost before its notifications were published");
        (await _host.EventCountAsync()).Should().Be(count);

        // Also from a new process: a fresh store over the same database.
        await using var restarted = LedgerHost.Start(await TestSchemas.ConnectionStringAsync(), _schema);
        var again = await restarted.SendAsync(command, provenance);
        again.IsResend.Should().BeTrue();
        again.Entries.Single().Number.Should().Be(resent.Entries.Single().Number);
        (await _host.EventCountAsync()).Should().Be(count);
    }

    [Fact]
    public async Task Without_a_command_id_the_id_is_derived_from_the_content()
    {
        await OpenAsync("nato/fin", "FIN");
        var command = new ApproveRatification("nato/fin", "CAN", D("2022-07-05"), "Parliament");
        var first = await _host.SendAsync(command);
        var second = await _host.SendAsync(command with { });
        first.CommandId.Should().Be(second.CommandId).And.StartWith("approve_ratification:");
        second.IsResend.Should().BeTrue();
        var other = await _host.SendAsync(new ApproveRatification("nato/fin", "DNK", D("2022-07-05"), "Parliament"));
        other.CommandId.Should().NotBe(first.CommandId);
    }

    [Fact]
    public async Task A_different_fact_under_a_used_command_id_is_refused()
    {
        await OpenAsync("nato/fin", "FIN");
        await _host.RecordAsync(new ApproveRatification("nato/fin", "CAN", D("2022-07-05"), "Parliament"), new Provenance(CommandId: "same-id"));
        var count = await _host.EventCountAsync();

        var reused = await _host.SendAsync(new ApproveRatification("nato/fin", "DNK", D("2022-07-06"), "Parliament"), new Provenance(CommandId: "same-id"));

        reused.Outcome.Should().Be(RecordOutcome.Rejected);
        reused.Rejection!.Code.Should().Be(RecordCodes.CommandIdReused);
        reused.Rejection.Message.Should().Contain("same-id").And.Contain("approve_ratification");
        (await _host.EventCountAsync()).Should().Be(count);
    }

    [Fact]
    public async Task A_chosen_id_in_the_derived_form_is_taken_as_derived_when_it_is_the_commands_own_and_refused_otherwise()
    {
        await OpenAsync("nato/fin", "FIN");
        var canada = new ApproveRatification("nato/fin", "CAN", D("2022-07-05"), "Parliament");
        var first = await _host.SendAsync(canada);
        var count = await _host.EventCountAsync();

        // Derived ids have no receipt (their stream's events are it): one chosen to look like another command's could
        // otherwise be answered with that command's entries.
        var impostor = await _host.SendAsync(new ApproveRatification("nato/fin", "DNK", D("2022-07-06"), "Parliament"), new Provenance(CommandId: first.CommandId));
        impostor.Outcome.Should().Be(RecordOutcome.Rejected);
        impostor.Rejection!.Code.Should().Be(RecordCodes.InvalidProvenance);
        impostor.Rejection.Message.Should().Contain(first.CommandId).And.Contain("derived");
        (await _host.EventCountAsync()).Should().Be(count);

        var own = await _host.SendAsync(canada, new Provenance(CommandId: first.CommandId));
        own.Should().BeEquivalentTo(new { Outcome = RecordOutcome.Recorded, IsResend = true, first.CommandId });
        own.Entries.Should().BeEquivalentTo(first.Entries);
    }

    [Fact]
    public async Task A_refused_command_leaves_the_event_count_unchanged()
    {
        await _host.RecordAsync(new SubmitApplication("nato/fin", "NATO", "FIN", D("2022-05-18")));
        var count = await _host.EventCountAsync();

        var early = await _host.SendAsync(new ApproveRatification("nato/fin", "CAN", D("2022-07-05"), "Parliament"));
        var outsider = await _host.SendAsync(new DeclareVeto("nato/fin", "AUT", D("2022-05-20"), "no", true));
        var unknownOrg = await _host.SendAsync(new SubmitApplication("eu/ukr", "EU", "UKR", D("2022-02-28")));

        early.Rejection!.Code.Should().Be(RuleCodes.InvitationMissing);
        outsider.Rejection!.Code.Should().Be(RuleCodes.NotAMember);
        outsider.Rejection.Message.Should().Contain("AUT");
        unknownOrg.Rejection!.Code.Should().Be(RuleCodes.UnknownOrganization);
        unknownOrg.Rejection.Message.Should().Contain("EU");
        (await _host.EventCountAsync()).Should().Be(count);
    }

    [Fact]
    public async Task Who_recorded_it_its_source_command_id_correlation_and_causation_round_trip()
    {
        var provenance = new Provenance(
            Source: "https://www.nato.int/cps/en/natohq/news_195468.htm",
            Note: "Handed over at NATO HQ \"jointly\" — <b>both</b> letters; ‏RTL‏",
            Unconfirmed: true,
            CommandId: "fin-application",
            RecordedBy: "analyst@ministry.example",
            CorrelationId: "import-42",
            CausationId: "letter-2022-05-18");
        await _host.RecordAsync(new SubmitApplication("nato/fin", "NATO", "FIN", D("2022-05-18")), provenance);

        var entry = (await _host.Reader.ReadEntriesAsync("nato/fin")).Single();

        entry.Should().BeEquivalentTo(new
        {
            Process = "nato/fin",
            Number = 1L,
            Type = "application_submitted",
            provenance.Source,
            provenance.Note,
            Unconfirmed = true,
            provenance.CommandId,
            provenance.RecordedBy,
            provenance.CorrelationId,
            provenance.CausationId,
        });
        entry.On.Should().Be(D("2022-05-18"));
        entry.RecordedAt.Should().BeCloseTo(DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5));
    }

    [Fact]
    public async Task Notifications_follow_the_commit()
    {
        await OpenAsync("nato/fin", "FIN");
        await _host.RecordAsync(new DeclareVeto("nato/fin", "TUR", D("2022-07-06"), "holds ratification", false));
        await _host.RecordAsync(new ApproveRatification("nato/fin", "TUR", D("2023-03-30"), "Grand National Assembly"));

        _host.Notifications.Should().ContainEquivalentOf(new ProcessOpenedNotification("nato/fin", "NATO", "FIN", D("2022-05-18")));
        _host.Notifications.Should().ContainEquivalentOf(new VetoDeclaredNotification("nato/fin", "TUR", D("2022-07-06"), false, "holds ratification"));
        _host.Notifications.OfType<VetoLiftedNotification>().Should().ContainSingle(n => n.Member == "TUR" && n.On == D("2023-03-30"));
        _host.Notifications.Should().ContainEquivalentOf(new RatificationCountedNotification("nato/fin", "TUR", D("2023-03-30")));
    }

    [Fact]
    public async Task Finland_acceding_adds_it_to_Swedens_ratifiers_exactly_once_and_it_counts_from_its_early_approval()
    {
        await OpenAsync("nato/fin", "FIN");
        await OpenAsync("nato/swe", "SWE");
        // Finland's parliament approves Sweden's protocol while Finland is itself a candidate.
        await _host.RecordAsync(new ApproveRatification("nato/swe", "FIN", D("2023-03-01"), "Eduskunta"));
        foreach (var member in Nato().Members.Select(m => m.State))
        {
            await _host.RecordAsync(new ApproveRatification("nato/fin", member, D("2023-03-30"), "Parliament"));
        }
        (await _host.Reader.LoadStateAsync("nato/swe")).RequiredRatifiers.Should().HaveCount(30);

        var accession = await _host.SendAsync(new CompleteAccession("nato/fin", D("2023-04-04"), 31));
        accession.Outcome.Should().Be(RecordOutcome.Recorded);

        var sweden = await _host.Reader.LoadStateAsync("nato/swe");
        sweden.RequiredRatifiers.Should().HaveCount(31).And.ContainKey("FIN");
        sweden.RequiredRatifiers["FIN"].Should().Be(D("2023-04-04"));
        sweden.Counted().Should().Contain(("FIN", D("2023-04-04")));
        (await _host.Reader.LoadOrganizationAsync("NATO"))!.IsMemberOn("FIN", D("2023-04-04")).Should().BeTrue();
        _host.Notifications.Should().ContainEquivalentOf(new RatificationCountedNotification("nato/swe", "FIN", D("2023-04-04")));

        // The notification delivered a second time adds nothing.
        var count = await _host.EventCountAsync();
        await _host.Publisher.Publish(new LedgerNotificationPublished(accession.Notifications.OfType<AccessionCompletedNotification>().Single()));
        (await _host.EventCountAsync()).Should().Be(count);
        (await _host.Reader.ReadEntriesAsync("nato/swe")).Count(e => e.Event is RatifierAdded).Should().Be(1);
    }

    [Fact]
    public async Task Events_are_stored_in_the_json_the_golden_files_pin()
    {
        // The golden files (tests/Ledger.Tests/Golden) pin LedgerJson's form; this pins that the store writes that form.
        await _host.RecordAsync(new SubmitApplication("nato/swe", "NATO", "SWE", D("2022-05-18")));
        await _host.RecordAsync(new DeclareVeto("nato/swe", "TUR", D("2022-05-18"), "quotes \" and <markup>", Formal: true));
        await using var session = _host.Store.QuerySession();
        var stored = await session.QueryAsync<string>(
            $"select data::text from {_schema}.mt_events where stream_id = ? order by version", "nato/swe");
        var expected = (await _host.Reader.ReadEntriesAsync("nato/swe"))
            .Select(e => JsonSerializer.Serialize(e.Event, e.Event.GetType(), LedgerJson.Options)).ToArray();

        stored.Should().HaveCount(2);
        stored.Zip(expected).Should().OnlyContain(p => JsonNode.DeepEquals(JsonNode.Parse(p.First, null, default), JsonNode.Parse(p.Second, null, default)));
        stored[0].Should().Contain("\"AtApproval\"");
    }
}
