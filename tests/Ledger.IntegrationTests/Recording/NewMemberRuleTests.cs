using RatificationLedger.Domain;
using RatificationLedger.IntegrationTests.Support;
using RatificationLedger.Recording;
using RatificationLedger.Storage;
using Marten;
using Mediator;
using static RatificationLedger.IntegrationTests.Support.TestOrganizations;

namespace RatificationLedger.IntegrationTests.Recording;

/// <summary>
/// The cross-process rule ("a new member ratifies every other invited, open process") is part of the accession's own
/// transaction: it holds whoever records the accession and whatever happens after the commit, and an invitation racing
/// an accession in another app never misses the new member.
/// </summary>
public sealed class NewMemberRuleTests : IAsyncLifetime
{
    private readonly string _schema = TestSchemas.Next(ThrowingAfterAccession.SchemaPrefix);
    private LedgerHost _host = null!;

    public async Task InitializeAsync()
    {
        _host = LedgerHost.Start(await TestSchemas.ConnectionStringAsync(), _schema);
        (await _host.RegisterAsync(Nato())).Succeeded.Should().BeTrue();
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    // Finland ready to accede (every member approved), Sweden invited with the 30 members as required ratifiers.
    private async Task FinlandReadyAndSwedenInvitedAsync(LedgerRecorder recorder)
    {
        async Task Record(AccessionCommand command) =>
            (await recorder.RecordAsync(command)).Outcome.Should().Be(RecordOutcome.Recorded, command.ToString());
        foreach (var (process, candidate) in new[] { ("nato/fin", "FIN"), ("nato/swe", "SWE") })
        {
            await Record(new SubmitApplication(process, "NATO", candidate, D("2022-05-18")));
            await Record(new ExtendInvitation(process, D("2022-06-29"), "Madrid Summit"));
            await Record(new SignAccessionProtocol(process, D("2022-07-05")));
        }
        foreach (var member in Nato().Members.Select(m => m.State))
        {
            await Record(new ApproveRatification("nato/fin", member, D("2023-03-30"), "Parliament"));
        }
    }

    [Fact]
    public async Task An_app_that_calls_the_recorder_directly_and_publishes_nothing_gets_the_rule()
    {
        // No Mediator, no notification published: as if the process died right after the accession's commit.
        await FinlandReadyAndSwedenInvitedAsync(_host.Unobserved);

        var accession = await _host.Unobserved.RecordAsync(new CompleteAccession("nato/fin", D("2023-04-04"), 31));

        accession.Outcome.Should().Be(RecordOutcome.Recorded);
        var sweden = await _host.Reader.LoadStateAsync("nato/swe");
        sweden.RequiredRatifiers.Should().HaveCount(31).And.Contain("FIN", D("2023-04-04"));
        var added = (await _host.Reader.ReadEntriesAsync("nato/swe")).Should().ContainSingle(e => e.Event is RatifierAdded).Subject;
        added.Event.Should().Be(new RatifierAdded("FIN", D("2023-04-04"), "joined NATO on 2023-04-04 (nato/fin)"));
        added.CommandId.Should().Be("new-member-ratifies:nato/swe:FIN");
        added.CausationId.Should().Be("nato/fin");
        // Written in the accession's transaction: the rows of the accession, the admission and the rule's entry were
        // inserted by one transaction (PostgreSQL's xmin).
        await using var session = _host.Store.QuerySession();
        var writers = await session.QueryAsync<string>(
            $"select xmin::text from {_schema}.mt_events where (stream_id = 'nato/fin' and type = 'accession_completed') or (stream_id = 'nato' and type = 'member_admitted') or (stream_id = 'nato/swe' and type = 'ratifier_added')");
        writers.Should().HaveCount(3).And.OnlyContain(x => x == writers[0]);
        (await session.LoadAsync<CommandReceipt>("new-member-ratifies:nato/swe:FIN"))!.Stream.Should().Be("nato/swe");
        // The result carries what the rule notifies, for apps that react to it; nothing depends on its delivery.
        accession.Notifications.Should().ContainEquivalentOf(new AccessionCompletedNotification("nato/fin", "NATO", "FIN", D("2023-04-04")));
    }

    [Fact]
    public async Task A_notification_handler_that_throws_after_the_commit_loses_nothing_of_the_rule()
    {
        await FinlandReadyAndSwedenInvitedAsync(_host.Recorder);

        // ThrowingAfterAccession (below) throws for this host's schema when the accession's notification is published.
        var send = async () => await _host.SendAsync(new CompleteAccession("nato/fin", D("2023-04-04"), 31));

        (await send.Should().ThrowAsync<InvalidOperationException>()).WithMessage("*after the commit*");
        (await _host.Reader.LoadStateAsync("nato/fin")).Phase.Should().Be(ProcessPhase.Acceded);
        (await _host.Reader.LoadStateAsync("nato/swe")).RequiredRatifiers.Should().HaveCount(31).And.ContainKey("FIN");
        (await _host.Reader.LoadOrganizationAsync("NATO"))!.IsMemberOn("FIN", D("2023-04-04")).Should().BeTrue();
    }

    [Fact]
    public async Task A_process_that_refuses_the_new_member_refuses_the_accession_and_nothing_is_written()
    {
        await FinlandReadyAndSwedenInvitedAsync(_host.Recorder);
        // Ukraine invited after the date Finland's accession will carry, naming its ratifiers: adding Finland on the
        // accession's date would precede that invitation.
        (await _host.Recorder.RecordAsync(new SubmitApplication("nato/ukr", "NATO", "UKR", D("2022-09-30")))).Succeeded.Should().BeTrue();
        (await _host.Recorder.RecordAsync(new ExtendInvitation("nato/ukr", D("2023-07-11"), "Vilnius Summit", ["USA", "POL"]))).Succeeded.Should().BeTrue();
        var count = await _host.EventCountAsync();

        var accession = await _host.Recorder.RecordAsync(new CompleteAccession("nato/fin", D("2023-04-04"), 31));

        accession.Outcome.Should().Be(RecordOutcome.Rejected);
        accession.Rejection!.Message.Should().Contain("nato/ukr").And.Contain("FIN").And.Contain("Nothing was recorded");
        (await _host.EventCountAsync()).Should().Be(count);
        (await _host.Reader.LoadStateAsync("nato/fin")).Phase.Should().Be(ProcessPhase.Invited);
        (await _host.Reader.LoadStateAsync("nato/swe")).RequiredRatifiers.Should().HaveCount(30);
        (await _host.Reader.LoadOrganizationAsync("NATO"))!.IsMemberOn("FIN", D("2023-04-04")).Should().BeFalse();
    }

    [Fact]
    public async Task An_invitation_racing_an_accession_in_another_app_never_misses_the_new_member()
    {
        // A small alliance whose new members ratify open processes; two apps over the same database.
        var alliance = new Organization("EEA", "Test alliance", "DEU", RatificationCounts.AtApproval, NewMembersRatifyOpenProcesses: true,
            [new Membership("DEU", D("2000-01-01")), new Membership("FRA", D("2000-01-01"))], UsesAccessionProtocol: false);
        (await _host.RegisterAsync(alliance)).Succeeded.Should().BeTrue();
        await using var other = LedgerHost.Start(await TestSchemas.ConnectionStringAsync(), _schema);
        var pool = new[] { "AUT", "BEL", "CHE", "CYP", "CZE", "DNK", "ESP", "EST", "FIN", "GRC", "HRV", "HUN", "IRL", "ISL", "ITA", "LTU", "LUX", "LVA", "MLT", "NLD" };
        const int Rounds = 10;
        var acceded = new List<string>();
        for (var round = 0; round < Rounds; round++)
        {
            var (a, b) = (pool[2 * round], pool[(2 * round) + 1]);
            var (acceding, invited) = ($"eea/{a.ToLowerInvariant()}", $"eea/{b.ToLowerInvariant()}");
            var day = D("2010-01-01").AddDays(round * 10);
            (await _host.Recorder.RecordAsync(new SubmitApplication(acceding, "EEA", a, day))).Succeeded.Should().BeTrue();
            (await _host.Recorder.RecordAsync(new ExtendInvitation(acceding, day.AddDays(1), "Summit", ["DEU"]))).Succeeded.Should().BeTrue();
            (await _host.Recorder.RecordAsync(new ApproveRatification(acceding, "DEU", day.AddDays(2), "Bundestag"))).Succeeded.Should().BeTrue();
            (await _host.Recorder.RecordAsync(new SubmitApplication(invited, "EEA", b, day))).Succeeded.Should().BeTrue();

            // The accession and the invitation of the same date, each in its own app. One of them, once decided, waits
            // (briefly) for the other to commit before it writes: without the organization's turn, the invitation
            // would take the roster without the new member, or the accession would miss the invitation.
            var invitationFirst = round % 2 == 0;
            var (waiting, racing) = invitationFirst ? (other.Unobserved, _host.Unobserved) : (_host.Unobserved, other.Unobserved);
            var decidedOnce = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var otherCommitted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            waiting.BeforeWrite = async (_, _) =>
            {
                decidedOnce.TrySetResult();
                await Task.WhenAny(otherCommitted.Task, Task.Delay(300));
            };
            AccessionCommand accession = new CompleteAccession(acceding, day.AddDays(5));
            AccessionCommand invitation = new ExtendInvitation(invited, day.AddDays(5), "Summit");
            var first = Task.Run(() => waiting.RecordAsync(invitationFirst ? invitation : accession));
            await decidedOnce.Task.WaitAsync(TimeSpan.FromSeconds(30));
            var second = Task.Run(async () =>
            {
                var result = await racing.RecordAsync(invitationFirst ? accession : invitation);
                otherCommitted.TrySetResult();
                return result;
            });
            var results = await Task.WhenAll(first, second).WaitAsync(TimeSpan.FromSeconds(60));
            waiting.BeforeWrite = null;

            results.Should().OnlyContain(r => r.Outcome == RecordOutcome.Recorded, string.Join("; ", results.Select(r => r.ToString())));
            acceded.Add(a);
            var state = await _host.Reader.LoadStateAsync(invited);
            state.RequiredRatifiers.Keys.Should().Contain(a, $"round {round}: {b}'s invitation and {a}'s accession raced ({(invitationFirst ? "invitation" : "accession")} decided first)");
            // Every member admitted so far, each exactly once.
            state.RequiredRatifiers.Keys.Should().BeEquivalentTo(["DEU", "FRA", .. acceded]);
            (await _host.Reader.ReadEntriesAsync(invited)).Count(e => e.Event is RatifierAdded r && r.Member == a).Should().BeLessThanOrEqualTo(1);
        }
        // Each accession also reached every process invited in an earlier round.
        for (var round = 0; round < Rounds; round++)
        {
            var state = await _host.Reader.LoadStateAsync($"eea/{pool[(2 * round) + 1].ToLowerInvariant()}");
            state.RequiredRatifiers.Keys.Should().BeEquivalentTo(["DEU", "FRA", .. acceded]);
        }
    }
    [Fact]
    public async Task A_process_invited_again_by_retracting_its_withdrawal_gets_the_members_admitted_meanwhile()
    {
        var alliance = new Organization("EEA", "Test alliance", "DEU", RatificationCounts.AtApproval, NewMembersRatifyOpenProcesses: true,
            [new Membership("DEU", D("2000-01-01")), new Membership("FRA", D("2000-01-01"))], UsesAccessionProtocol: false);
        (await _host.RegisterAsync(alliance)).Succeeded.Should().BeTrue();
        async Task<RecordResult> Record(AccessionCommand command)
        {
            var result = await _host.Unobserved.RecordAsync(command);
            result.Outcome.Should().Be(RecordOutcome.Recorded, command.ToString());
            return result;
        }
        // Belgium invited (Germany and France its ratifiers), then withdrawn (entry 3) in error; Austria accedes while
        // Belgium is withdrawn, so the rule passes Belgium over.
        await Record(new SubmitApplication("eea/aut", "EEA", "AUT", D("2010-01-01")));
        await Record(new ExtendInvitation("eea/aut", D("2010-01-02"), "Summit", ["DEU"]));
        await Record(new ApproveRatification("eea/aut", "DEU", D("2010-01-03"), "Bundestag"));
        await Record(new SubmitApplication("eea/bel", "EEA", "BEL", D("2010-01-01")));
        await Record(new ExtendInvitation("eea/bel", D("2010-01-02"), "Summit"));
        await Record(new WithdrawApplication("eea/bel", D("2010-01-04"), "recorded in error"));
        await Record(new CompleteAccession("eea/aut", D("2010-01-05")));
        (await _host.Reader.LoadStateAsync("eea/bel")).RequiredRatifiers.Keys.Should().BeEquivalentTo(["DEU", "FRA"]);

        var retraction = new RetractEntry("eea/bel", 3, D("2010-01-06"), "the withdrawal was recorded in error");
        var result = await Record(retraction);

        // Belgium is invited again, and Austria (admitted on 2010-01-05, after Belgium's invitation) is a required ratifier
        // from its admission, added in the retraction's transaction under the rule's command id.
        var belgium = await _host.Reader.LoadStateAsync("eea/bel");
        belgium.Phase.Should().Be(ProcessPhase.Invited);
        belgium.RequiredRatifiers.Should().BeEquivalentTo(new Dictionary<string, DateOnly> { ["DEU"] = D("2010-01-02"), ["FRA"] = D("2010-01-02"), ["AUT"] = D("2010-01-05") });
        var entries = await _host.Reader.ReadEntriesAsync("eea/bel");
        var added = entries.Should().ContainSingle(e => e.Event is RatifierAdded).Subject;
        ((RatifierAdded)added.Event).Member.Should().Be("AUT");
        added.Number.Should().Be(5);
        added.CommandId.Should().Be("new-member-ratifies:eea/bel:AUT");
        await using (var session = _host.Store.QuerySession())
        {
            var writers = await session.QueryAsync<string>(
                $"select xmin::text from {_schema}.mt_events where stream_id = 'eea/bel' and version in (4, 5)");
            writers.Should().HaveCount(2).And.OnlyContain(x => x == writers[0], "the member is added in the retraction's transaction");
        }
        result.Entries.Should().ContainSingle().Which.Event.Should().BeOfType<EntryRetracted>();

        // Sent again, the retraction is answered as the first time and adds nothing twice.
        (await _host.Unobserved.RecordAsync(retraction)).Entries.Select(e => e.Number).Should().Equal(result.Entries.Select(e => e.Number));
        (await _host.Reader.ReadEntriesAsync("eea/bel")).Should().HaveCount(5);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task An_import_s_accession_decided_ahead_reaches_what_the_batch_before_invited_and_what_another_app_invited_meanwhile(bool otherAppInvites)
    {
        var alliance = new Organization("EEA", "Test alliance", "DEU", RatificationCounts.AtApproval, NewMembersRatifyOpenProcesses: true,
            [new Membership("DEU", D("2000-01-01")), new Membership("FRA", D("2000-01-01"))], UsesAccessionProtocol: false);
        (await _host.RegisterAsync(alliance)).Succeeded.Should().BeTrue();
        await using var other = LedgerHost.Start(await TestSchemas.ConnectionStringAsync(), _schema);
        async Task Record(LedgerRecorder recorder, AccessionCommand command) =>
            (await recorder.RecordAsync(command)).Outcome.Should().Be(RecordOutcome.Recorded, command.ToString());
        // Before the import: Austria invited (Germany its only required ratifier) and approved by Germany, Belgium and
        // Switzerland applied.
        await Record(_host.Recorder, new SubmitApplication("eea/aut", "EEA", "AUT", D("2010-01-01")));
        await Record(_host.Recorder, new ExtendInvitation("eea/aut", D("2010-01-02"), "Summit", ["DEU"]));
        await Record(_host.Recorder, new ApproveRatification("eea/aut", "DEU", D("2010-01-03"), "Bundestag"));
        await Record(_host.Recorder, new SubmitApplication("eea/bel", "EEA", "BEL", D("2010-01-01")));
        await Record(_host.Recorder, new SubmitApplication("eea/che", "EEA", "CHE", D("2010-01-01")));

        // The import: its first batch (one command) invites Switzerland; the second, Austria's accession, is decided
        // while the first is written, on the state the first leaves (Switzerland invited, not yet stored). The first
        // write waits a little so that the decision ahead ends before it commits.
        var writes = new List<string>();
        _host.Recorder.BeforeWrite = async (streams, _) =>
        {
            var keys = streams.Select(s => s.Stream).ToArray();
            lock (writes)
            {
                writes.Add(string.Join(",", keys));
            }
            if (keys.Contains("eea/che") && !keys.Contains("eea/aut"))
            {
                await Task.Delay(300);
            }
            else if (otherAppInvites && keys.Contains("eea/aut") && writes.Count(w => w.Contains("eea/aut", StringComparison.Ordinal)) == 1)
            {
                // Between the accession's decision and its write, another app invites Belgium (with the roster it reads:
                // Austria is not a member yet).
                await Record(other.Unobserved, new ExtendInvitation("eea/bel", D("2010-01-04"), "Summit"));
            }
        };
        var usedBefore = _host.Recorder.LookAheadsUsed;
        var results = new List<RecordResult>();
        AccessionCommand[] commands = [new ExtendInvitation("eea/che", D("2010-01-04"), "Summit"), new CompleteAccession("eea/aut", D("2010-01-05"))];
        await _host.Recorder.ImportAsync([.. commands.Select(c => (c, (Provenance?)null))], 2, batch =>
        {
            results.AddRange(batch);
            return ValueTask.FromResult(true);
        }, CancellationToken.None);
        _host.Recorder.BeforeWrite = null;

        results.Select(r => r.Outcome).Should().Equal(RecordOutcome.Recorded, RecordOutcome.Recorded);
        _host.Recorder.LookAheadsUsed.Should().Be(usedBefore + 1, "the accession was decided ahead");
        // Decided ahead, the accession is written as decided when nothing was invited meanwhile (Switzerland's invitation
        // was read from the batch before), and decided again in the organization's turn when Belgium was.
        writes.Count(w => w.Contains("eea/aut", StringComparison.Ordinal)).Should().Be(otherAppInvites ? 2 : 1, string.Join(" | ", writes));
        (await _host.Reader.LoadStateAsync("eea/che")).RequiredRatifiers.Keys.Should().BeEquivalentTo(["DEU", "FRA", "AUT"]);
        var belgium = await _host.Reader.LoadStateAsync("eea/bel");
        if (otherAppInvites)
        {
            belgium.RequiredRatifiers.Keys.Should().BeEquivalentTo(["DEU", "FRA", "AUT"], "Belgium was invited before Austria's accession committed");
        }
        else
        {
            belgium.Phase.Should().Be(ProcessPhase.Applied);
        }
        (await _host.Reader.LoadOrganizationAsync("EEA"))!.IsMemberOn("AUT", D("2010-01-05")).Should().BeTrue();
    }
}

/// <summary>
/// A notification handler that fails after the accession's commit, for the hosts of <see cref="NewMemberRuleTests"/>
/// only: the accession's rule must not depend on it (nor on any handler running).
/// </summary>
public sealed class ThrowingAfterAccession(HostSchema schema) : INotificationHandler<LedgerNotificationPublished>
{
    public const string SchemaPrefix = "rule_throwing";

    public ValueTask Handle(LedgerNotificationPublished notification, CancellationToken cancellationToken) =>
        notification.Notification is AccessionCompletedNotification accession && schema.Name.StartsWith(SchemaPrefix, StringComparison.Ordinal)
            ? throw new InvalidOperationException($"{accession.Process}: a handler failed after the commit.")
            : ValueTask.CompletedTask;
}
