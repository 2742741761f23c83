using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using RatificationLedger.Domain;
using RatificationLedger.Import;
using RatificationLedger.IntegrationTests.Support;
using RatificationLedger.Projections;
using RatificationLedger.Recording;
using RatificationLedger.Storage;
using Marten;
using static RatificationLedger.IntegrationTests.Support.TestOrganizations;

namespace RatificationLedger.IntegrationTests.Recording;

/// <summary>
/// Imports in batches (several entries per transaction) keep the semantics of one command at a time: every entry
/// validated in order, receipts, metadata, the stop at a refused entry, reactions between entries; the recorder's and the
/// projection's caches never hide another writer's entries.
/// </summary>
public sealed class BatchRecordingTests : IAsyncLifetime
{
    private readonly string _schema = TestSchemas.Next("batches");
    private LedgerHost _host = null!;

    public async Task InitializeAsync() =>
        // Small batches, so a 70-entry history spans many transactions and batch boundaries fall everywhere.
        _host = LedgerHost.Start(await TestSchemas.ConnectionStringAsync(), _schema, configure: l => l.ImportBatchSize = 7);

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task An_import_records_every_entry_once_with_its_metadata_and_a_second_import_records_nothing()
    {
        var file = HistoryFile.Parse(Json(FinlandAndSweden()));

        var first = await _host.Sender.Send(new ImportHistoryRequest(file, RecordedBy: "importer", CorrelationId: "import-1"));

        first.Should().BeEquivalentTo(new { Recorded = file.Entries.Count, AlreadyThere = 0, Total = file.Entries.Count, Failure = (ImportFailure?)null });
        var count = await _host.EventCountAsync();
        var entries = await _host.Reader.ReadEntriesAsync("nato/swe");
        // Every entry but the one the reaction to Finland's accession added (recorded by the ledger, caused by nato/fin).
        entries.Where(e => e.Event is not RatifierAdded).Should().OnlyContain(e => e.RecordedBy == "importer" && e.CorrelationId == "import-1" && e.CommandId != null);
        entries.Single(e => e.Event is ApplicationSubmitted).Source.Should().Be("https://example.org/swe/application");
        entries.Select(e => e.Number).Should().Equal(Enumerable.Range(1, entries.Count).Select(i => (long)i));
        await using (var session = _host.Store.QuerySession())
        {
            // The file's entries have derived command ids: their streams' events carry them, and that is their receipt.
            // Receipts are written for chosen ids only: here the reaction's, which names its process and the new member.
            entries[0].CommandId.Should().StartWith("submit_application:");
            (await session.Query<CommandReceipt>().Select(r => r.Id).ToListAsync()).Should().Equal("new-member-ratifies:nato/swe:FIN");
        }
        // A fresh recorder (nothing cached) answers a resend of a file entry from the stream: the first answer, nothing new.
        await using (var fresh = LedgerHost.Start(await TestSchemas.ConnectionStringAsync(), _schema))
        {
            var application = file.Entries.First(e => e.Process == "nato/swe");
            var resend = await fresh.Recorder.RecordAsync(application.Command, application.Provenance);
            resend.Should().BeEquivalentTo(new { Outcome = RecordOutcome.Recorded, IsResend = true, CommandId = entries[0].CommandId });
            resend.Entries.Select(e => e.Number).Should().Equal(1L);
        }
        (await _host.Queries.StatusAsync("nato/fin"))!.Stage.Should().Be(Stage.Member);
        (await _host.Queries.StatusAsync("nato/swe"))!.Stage.Should().Be(Stage.Member);
        (await _host.Queries.AuditAsync("nato/swe"))!.Entries.Should().HaveCount(entries.Count);

        var second = await _host.Sender.Send(new ImportHistoryRequest(file, RecordedBy: "importer"));

        second.Should().BeEquivalentTo(new { Recorded = 0, AlreadyThere = file.Entries.Count, Failure = (ImportFailure?)null });
        (await _host.EventCountAsync()).Should().Be(count);
    }

    [Fact]
    public async Task The_reaction_to_an_accession_runs_before_the_next_entry_and_an_early_approval_counts()
    {
        // Finland's deposit for Sweden (2023-04-04) needs Finland to be a required ratifier, which only the reaction to
        // Finland's accession that same day makes it; the file does not say so itself.
        var result = await _host.Sender.Send(new ImportHistoryRequest(HistoryFile.Parse(Json(FinlandAndSweden()))));

        result.Failure.Should().BeNull();
        var sweden = await _host.Reader.LoadStateAsync("nato/swe");
        sweden.RequiredRatifiers.Should().ContainKey("FIN").WhoseValue.Should().Be(D("2023-04-04"));
        sweden.StepsOf("FIN").Approval!.On.Should().Be(D("2023-03-01"));
        sweden.StepsOf("FIN").Deposit!.On.Should().Be(D("2023-04-04"));
        sweden.Accession!.On.Should().Be(D("2024-03-07"));
        (await _host.Reader.ReadEntriesAsync("nato/swe")).Where(e => e.Event is RatifierAdded).Should().ContainSingle()
            .Which.CausationId.Should().Be("nato/fin");
        _host.Notifications.OfType<AccessionCompletedNotification>().Select(n => n.Process).Should().Equal("nato/fin", "nato/swe");
    }

    [Fact]
    public async Task A_batch_that_loses_a_race_is_decided_again_and_the_batch_decided_on_top_of_it_is_thrown_away()
    {
        var file = HistoryFile.Parse(Json(FinlandAndSweden()));
        // The schema exists before the other app starts (two apps creating it at once is not what this is about).
        (await _host.RegisterAsync(file.Organization)).Succeeded.Should().BeTrue();
        await _host.Store.Storage.ApplyAllConfiguredChangesToDatabaseAsync();
        await using var other = LedgerHost.Start(await TestSchemas.ConnectionStringAsync(), _schema);
        var writes = 0;
        string? raced = null;
        _host.Recorder.BeforeWrite = async (streams, _) =>
        {
            // At the fourth write (the next batch is being decided on top of it by now), another app appends to one of
            // its streams between the batch's read and its write.
            if (Interlocked.Increment(ref writes) != 4 || streams.FirstOrDefault(s => s.ReadVersion > 0).Stream is not { } stream)
            {
                return;
            }
            raced = stream;
            await using var session = other.Store.LightweightSession();
            session.Events.Append(stream, new ParliamentVoted("DNK", D("2022-07-01"), "Race Chamber", 1, 0, 0, true));
            await session.SaveChangesAsync();
        };
        var usedBefore = _host.Recorder.LookAheadsUsed;

        var result = await _host.Sender.Send(new ImportHistoryRequest(file));
        _host.Recorder.BeforeWrite = null;

        result.Failure.Should().BeNull();
        result.Recorded.Should().Be(file.Entries.Count);
        raced.Should().NotBeNull();
        _host.Recorder.LookAheadsDiscarded.Should().Be(1);
        _host.Recorder.LookAheadsUsed.Should().BeGreaterThan(usedBefore + 1);
        foreach (var process in new[] { "nato/fin", "nato/swe" })
        {
            var entries = await _host.Reader.ReadEntriesAsync(process);
            entries.Select(e => e.Number).Should().Equal(Enumerable.Range(1, entries.Count).Select(i => (long)i));
            entries.Count(e => e.Event is ParliamentVoted { Chamber: "Race Chamber" }).Should().Be(process == raced ? 1 : 0);
            var status = (await _host.Queries.StatusAsync(process))!;
            status.Stage.Should().Be(Stage.Member);
            status.Version.Should().Be(entries.Count);
        }
    }

    [Fact]
    public async Task An_import_starts_with_small_batches_and_doubles_them_up_to_the_batch_size()
    {
        var file = HistoryFile.Parse(Json(FinlandAndSweden()));
        var writes = new List<int>();
        _host.Recorder.BeforeWrite = (_, commands) =>
        {
            lock (writes)
            {
                writes.Add(commands);
            }
            return Task.CompletedTask;
        };

        var result = await _host.Sender.Send(new ImportHistoryRequest(file));
        _host.Recorder.BeforeWrite = null;

        result.Failure.Should().BeNull();
        // ImportBatchSize is 7 here: the first batch is a sixteenth of it (at least one), each next one twice the one
        // before, up to 7. The rule's RatifierAdded (Finland's accession adding it to Sweden's ratifiers) is written with
        // the accession, so the writes answer the file's entries and nothing else.
        writes.Take(4).Should().Equal(1, 2, 4, 7);
        writes.Should().OnlyContain(n => n >= 1 && n <= 7);
        writes.Sum().Should().Be(file.Entries.Count, "every entry once, and no write of its own for the rule");
    }

    [Fact]
    public async Task A_command_that_loses_a_race_is_projected_from_what_was_committed_not_from_its_own_failed_attempt()
    {
        (await _host.RegisterAsync(Nato())).Succeeded.Should().BeTrue();
        await _host.RecordAsync(new SubmitApplication("nato/fin", "NATO", "FIN", D("2022-05-18")));
        await _host.RecordAsync(new ExtendInvitation("nato/fin", D("2022-06-29"), "Madrid Summit"));
        await _host.RecordAsync(new SignAccessionProtocol("nato/fin", D("2022-07-05")));
        await using var other = LedgerHost.Start(await TestSchemas.ConnectionStringAsync(), _schema);
        var raced = false;
        _host.Recorder.BeforeWrite = async (_, _) =>
        {
            // Once: another app appends to the stream between this command's read (version 3) and its write. The first
            // attempt fails at commit after the inline projection has cached it as entry 4; the retry reads entry 4 as
            // the other app wrote it, and the projection must not take its cached copy (same version, other event).
            if (raced)
            {
                return;
            }
            raced = true;
            await using var session = other.Store.LightweightSession();
            session.Events.Append("nato/fin", new ParliamentVoted("DNK", D("2022-07-01"), "Race Chamber", 1, 0, 0, true));
            await session.SaveChangesAsync();
        };

        var result = await _host.RecordAsync(new RecordParliamentVote("nato/fin", "POL", D("2022-07-07"), "Sejm", 445, 0, 0, true));
        _host.Recorder.BeforeWrite = null;

        raced.Should().BeTrue();
        result.Entries.Should().ContainSingle().Which.Number.Should().Be(5);
        var entries = await _host.Reader.ReadEntriesAsync("nato/fin");
        var (status, register, _) = ProcessViews.Build("nato/fin", entries);
        (await _host.Queries.StatusAsync("nato/fin")).Should().BeEquivalentTo(status);
        var stored = (await _host.Queries.RegisterAsync("nato/fin"))!;
        stored.Should().BeEquivalentTo(register);
        stored.Rows.Single(r => r.Member == "DNK").Steps.Should().ContainSingle().Which.Detail.Should().StartWith("Race Chamber");
        stored.Rows.Single(r => r.Member == "POL").Steps.Should().ContainSingle();
    }

    [Fact]
    public async Task An_import_stops_at_a_refused_entry_keeps_what_came_before_and_a_rerun_continues()
    {
        var json = FinlandAndSweden();
        // Austria, not a NATO member, deposits for Sweden: refused; the entries dated before it are in the ledger.
        var bad = new JsonObject { ["type"] = "deposit", ["member"] = "AUT", ["on"] = "2023-06-01" };
        Events(json, "nato/swe").Add(bad);
        var file = HistoryFile.Parse(Json(json));
        var before = file.InImportOrder().TakeWhile(e => e.Command.On <= D("2023-06-01") && !(e.Command is DepositInstrument { Member: "AUT" })).Count();

        var stopped = await _host.Sender.Send(new ImportHistoryRequest(file));

        stopped.Failure.Should().NotBeNull();
        stopped.Failure!.Rejection.Code.Should().Be(RuleCodes.NotRequiredRatifier);
        stopped.Failure.Message.Should().Contain("nato/swe").And.Contain("deposit").And.Contain("AUT");
        stopped.Recorded.Should().Be(before);
        // Plus the organization's registration, Finland's admission, and the ratifier the reaction added to Sweden.
        (await _host.EventCountAsync()).Should().Be(stopped.Recorded + 3);

        Events(json, "nato/swe").Remove(bad);
        var rerun = await _host.Sender.Send(new ImportHistoryRequest(HistoryFile.Parse(Json(json))));

        rerun.Failure.Should().BeNull();
        rerun.AlreadyThere.Should().Be(before);
        rerun.Recorded.Should().Be(file.Entries.Count - 1 - before);
    }

    [Fact]
    public async Task A_command_another_app_recorded_in_between_is_seen_by_the_next_command_and_by_the_views()
    {
        await _host.RegisterAsync(Nato());
        await _host.RecordAsync(new SubmitApplication("nato/fin", "NATO", "FIN", D("2022-05-18")));
        await _host.RecordAsync(new ExtendInvitation("nato/fin", D("2022-06-29"), "Madrid Summit"));
        await _host.RecordAsync(new SignAccessionProtocol("nato/fin", D("2022-07-05")));

        // A second app over the same database writes the stream this host has cached.
        await using (var other = LedgerHost.Start(await TestSchemas.ConnectionStringAsync(), _schema))
        {
            await other.RecordAsync(new ApproveRatification("nato/fin", "CAN", D("2022-07-05"), "Parliament"));
            await other.RecordAsync(new DeclareVeto("nato/fin", "TUR", D("2022-07-06"), "holds", false));
        }

        var next = await _host.RecordAsync(new ApproveRatification("nato/fin", "DNK", D("2022-07-07"), "Folketing"));
        next.Entries.Single().Number.Should().Be(6);
        var repeat = await _host.SendAsync(new ApproveRatification("nato/fin", "CAN", D("2022-07-05"), "Parliament"));
        repeat.IsResend.Should().BeTrue();
        var state = await _host.Reader.LoadStateAsync("nato/fin");
        state.Version.Should().Be(6);
        state.ActiveVetoOf("TUR").Should().NotBeNull();

        var status = (await _host.Queries.StatusAsync("nato/fin"))!;
        status.Version.Should().Be(6);
        status.Ratified.Select(r => r.Member).Should().BeEquivalentTo("CAN", "DNK");
        status.Stage.Should().Be(Stage.Blocked);
        (await _host.Queries.AuditAsync("nato/fin"))!.Entries.Select(e => e.Sequence).Should().Equal(1, 2, 3, 4, 5, 6);
    }

    [Fact]
    public async Task A_stream_rewritten_to_the_same_version_behind_the_recorders_back_is_not_decided_on_the_old_state()
    {
        await _host.RegisterAsync(Nato());
        await _host.RecordAsync(new SubmitApplication("nato/fin", "NATO", "FIN", D("2022-05-18")));
        await _host.RecordAsync(new ExtendInvitation("nato/fin", D("2022-06-29"), "Madrid Summit"));

        // The database is wiped and the stream written again, by another app, to the same version with other facts.
        await _host.WipeEventsAsync();
        await _host.Store.Advanced.Clean.DeleteAllDocumentsAsync();
        await using (var other = LedgerHost.Start(await TestSchemas.ConnectionStringAsync(), _schema))
        {
            await other.RegisterAsync(Nato());
            await other.RecordAsync(new SubmitApplication("nato/fin", "NATO", "FIN", D("2022-05-18")));
            await other.RecordAsync(new ExtendInvitation("nato/fin", D("2022-07-01"), "Brussels"));
        }

        // Signed before the invitation as it now stands: refused (on the cached state it would have been accepted).
        var signed = await _host.SendAsync(new SignAccessionProtocol("nato/fin", D("2022-06-30")));
        signed.Outcome.Should().Be(RecordOutcome.Rejected);
        signed.Rejection!.Message.Should().Contain("2022-07-01");
        var status = (await _host.Queries.StatusAsync("nato/fin"))!;
        status.InvitedOn.Should().Be(D("2022-07-01"));
        (await _host.RecordAsync(new SignAccessionProtocol("nato/fin", D("2022-07-05")))).Entries.Single().Number.Should().Be(3);
        (await _host.Queries.StatusAsync("nato/fin"))!.InvitationVenue.Should().Be("Brussels");
    }

    [Fact]
    public async Task A_roster_changed_by_another_app_is_what_the_next_command_is_decided_on()
    {
        await _host.RegisterAsync(Nato());
        await _host.RecordAsync(new SubmitApplication("nato/fin", "NATO", "FIN", D("2022-05-18")));

        // This recorder has the roster (30 members). Another app adds a member.
        await using (var other = LedgerHost.Start(await TestSchemas.ConnectionStringAsync(), _schema))
        {
            (await other.RegisterAsync(WithIreland(Nato()))).Outcome.Should().Be(RecordOutcome.Recorded);
        }

        // The invitation takes the members on its date as required ratifiers: the roster as it now stands.
        await _host.RecordAsync(new ExtendInvitation("nato/fin", D("2022-06-29"), "Madrid Summit"));
        (await _host.Reader.LoadStateAsync("nato/fin")).RequiredRatifiers.Keys.Should().Contain("IRL").And.HaveCount(31);
    }

    [Fact]
    public async Task An_organization_registered_again_to_the_same_version_behind_the_recorders_back_is_not_decided_on_as_it_was()
    {
        await _host.RegisterAsync(Nato());
        await _host.RecordAsync(new SubmitApplication("nato/fin", "NATO", "FIN", D("2022-05-18")));

        // The database is wiped and the organization registered again by another app, with one more member: its stream
        // is at version 1 again, as it was when this recorder read it.
        await _host.WipeEventsAsync();
        await _host.Store.Advanced.Clean.DeleteAllDocumentsAsync();
        await using (var other = LedgerHost.Start(await TestSchemas.ConnectionStringAsync(), _schema))
        {
            await other.RegisterAsync(WithIreland(Nato()));
        }

        await _host.RecordAsync(new SubmitApplication("nato/swe", "NATO", "SWE", D("2022-05-18")));
        await _host.RecordAsync(new ExtendInvitation("nato/swe", D("2022-06-29"), "Madrid Summit"));
        (await _host.Reader.LoadStateAsync("nato/swe")).RequiredRatifiers.Keys.Should().Contain("IRL").And.HaveCount(31);
    }

    private static Organization WithIreland(Organization organization) =>
        organization with { Members = [.. organization.Members, new Membership("IRL", D("2020-01-01"))] };

    [Fact]
    public async Task RecordMany_answers_every_command_in_order_and_stops_after_the_first_refusal()
    {
        await _host.RegisterAsync(Nato());
        var commands = new (AccessionCommand, Provenance?)[]
        {
            (new SubmitApplication("nato/fin", "NATO", "FIN", D("2022-05-18")), null),
            (new ExtendInvitation("nato/fin", D("2022-06-29"), "Madrid Summit"), null),
            (new ExtendInvitation("nato/fin", D("2022-06-29"), "Madrid Summit"), new Provenance(CommandId: "again")),
            (new ApproveRatification("nato/fin", "CAN", D("2022-07-05"), "Parliament"), null),
            (new SignAccessionProtocol("nato/fin", D("2022-07-05")), null),
        };

        var results = await _host.Recorder.RecordManyAsync(commands);

        results.Select(r => r.Outcome).Should().Equal(RecordOutcome.Recorded, RecordOutcome.Recorded, RecordOutcome.AlreadyRecorded, RecordOutcome.Rejected);
        results[3].Rejection!.Code.Should().Be(RuleCodes.ProtocolMissing);
        results[0].Notifications.Should().ContainSingle().Which.Should().BeOfType<ProcessOpenedNotification>();
        (await _host.Reader.LoadStateAsync("nato/fin")).Version.Should().Be(2);

        var resent = await _host.Recorder.RecordManyAsync(commands[..2]);
        resent.Should().OnlyContain(r => r.Outcome == RecordOutcome.Recorded && r.IsResend);
        resent[1].Entries.Single().Number.Should().Be(2);
    }

    [Fact]
    public async Task Member_records_rebuilt_in_one_pass_equal_the_daemons_and_the_daemon_carries_on_from_there()
    {
        await _host.Sender.Send(new ImportHistoryRequest(HistoryFile.Parse(Json(FinlandAndSweden()))));
        await _host.Queries.WaitForAsyncProjectionsAsync(TimeSpan.FromSeconds(60));
        var byDaemon = await MemberRecordsAsync();

        await _host.Queries.RebuildAllAsync();

        (await MemberRecordsAsync()).Should().BeEquivalentTo(byDaemon, o => o.WithStrictOrdering());
        byDaemon.Should().Contain(r => r.Id == "TUR" && r.Vetoes.Count == 1 && r.Ratifications.Count == 2);
        await using (var session = _host.Store.QuerySession())
        {
            var mark = (await session.AdvancedSql.QueryAsync<long>($"select max(seq_id) from {_schema}.mt_events", CancellationToken.None))[0];
            var progress = (await session.AdvancedSql.QueryAsync<long>($"select last_seq_id from {_schema}.mt_event_progression where name = '{MemberRecordProjection.Name}:All'", CancellationToken.None)).Single();
            progress.Should().BeGreaterThanOrEqualTo(mark);
        }

        await _host.RecordAsync(new SubmitApplication("nato/ukr", "NATO", "UKR", D("2022-09-30")));
        await _host.RecordAsync(new DeclareVeto("nato/ukr", "HUN", D("2023-01-10"), "minority rights", true));
        await _host.Queries.WaitForAsyncProjectionsAsync(TimeSpan.FromSeconds(60));
        (await _host.Queries.MemberRecordAsync("HUN"))!.Vetoes.Should().Contain(v => v.Process == "nato/ukr");
    }

    [Fact]
    public async Task Status_as_of_a_date_reads_a_prefix_and_answers_as_a_replay_of_every_entry()
    {
        await _host.RegisterAsync(Nato());
        await _host.RecordAsync(new SubmitApplication("nato/swe", "NATO", "SWE", D("2022-05-18")));
        await _host.RecordAsync(new ExtendInvitation("nato/swe", D("2022-06-29"), "Madrid Summit"));
        await _host.RecordAsync(new SignAccessionProtocol("nato/swe", D("2022-07-05")));
        await _host.RecordAsync(new ApproveRatification("nato/swe", "NOR", D("2022-09-01"), "Storting"), new Provenance(Source: "https://stortinget.no", Note: "vote 2022-06-17", Unconfirmed: true, CorrelationId: "c-1", CausationId: "cause"));
        var wrong = await _host.RecordAsync(new ApproveRatification("nato/swe", "HUN", D("2022-09-02"), "mistaken"));
        // Recorded late but dated early: the prefix must not stop before it.
        await _host.RecordAsync(new ApproveRatification("nato/swe", "CAN", D("2022-07-06"), "Parliament"));
        var beforeRetraction = DateTimeOffset.UtcNow;
        await Task.Delay(20);
        await _host.RecordAsync(new RetractEntry("nato/swe", wrong.Entries.Single().Number, D("2022-09-10"), "Hungary had not ratified"));
        await _host.RecordAsync(new ApproveRatification("nato/swe", "DNK", D("2022-10-01"), "Folketing"));

        var all = await _host.Queries.EntriesAsync("nato/swe");
        // The as-of reader decodes the event table itself; it reads what Marten reads.
        var reader = new EntryReader(_host.Store);
        reader.Usable.Should().BeTrue();
        (await reader.ReadAsync("nato/swe", null, null, CancellationToken.None)).Should().BeEquivalentTo(all, o => o.WithStrictOrdering());
        foreach (var day in new[] { "2022-05-01", "2022-05-18", "2022-07-05", "2022-07-06", "2022-09-01", "2022-09-05", "2022-10-01", "2023-01-01" })
        {
            var expected = ProcessViews.BuildStatus("nato/swe", all, D(day));
            (await _host.Queries.StatusAsync("nato/swe", D(day))).Should().BeEquivalentTo(expected, day);
            var expectedThen = ProcessViews.BuildStatus("nato/swe", all, D(day), beforeRetraction);
            (await _host.Queries.StatusAsync("nato/swe", D(day), beforeRetraction)).Should().BeEquivalentTo(expectedThen, day);
        }
        (await _host.Queries.StatusAsync("nato/swe", D("2022-09-05")))!.Ratified.Select(r => r.Member).Should().BeEquivalentTo("CAN", "NOR");
        (await _host.Queries.StatusAsync("nato/swe", D("2022-09-05"), beforeRetraction))!.Ratified.Select(r => r.Member).Should().BeEquivalentTo("CAN", "NOR", "HUN");
        (await _host.Queries.StatusAsync("nato/swe", D("2022-05-01")))!.Stage.Should().Be(Stage.NotOpened);
        (await _host.Queries.StatusAsync("nato/nor", D("2022-05-01"))).Should().BeNull();
    }

    private async Task<List<MemberRecord>> MemberRecordsAsync()
    {
        await using var session = _host.Store.QuerySession();
        return [.. (await session.Query<MemberRecord>().ToListAsync()).OrderBy(r => r.Id, StringComparer.Ordinal)];
    }

    private static MemoryStream Json(JsonObject json) => new(Encoding.UTF8.GetBytes(json.ToJsonString()));

    private static JsonArray Events(JsonObject json, string process) =>
        json["processes"]!.AsArray().Single(p => (string?)p!["id"] == process)!["events"]!.AsArray();

    /// <summary>Finland and Sweden, 2022-2024, shortened: every member ratifies, Türkiye blocks and lifts, Finland approves
    /// Sweden's protocol while a candidate and deposits once a member.</summary>
    private static JsonObject FinlandAndSweden()
    {
        var nato = Nato();
        var members = new JsonArray([.. nato.Members.Select(m => (JsonNode)new JsonObject { ["state"] = m.State, ["since"] = Iso(m.Since) })]);
        JsonObject E(string type, string on, params (string Key, JsonNode? Value)[] fields)
        {
            var e = new JsonObject { ["type"] = type, ["on"] = on };
            foreach (var (key, value) in fields)
            {
                e[key] = value;
            }
            return e;
        }
        var states = nato.Members.Select(m => m.State).ToArray();
        var fin = new JsonArray
        {
            E("application", "2022-05-18", ("source", "https://example.org/fin/application")),
            E("invitation", "2022-06-29", ("venue", "Madrid Summit")),
            E("protocol-signed", "2022-07-05"),
        };
        for (var i = 0; i < states.Length; i++)
        {
            fin.Add(E("ratification", Iso(D("2022-07-05").AddDays(i * 8)), ("member", states[i]), ("authority", "Parliament")));
        }
        fin.Add(E("accession", "2023-04-04", ("memberCount", 31)));

        var swe = new JsonArray
        {
            E("application", "2022-05-18", ("source", "https://example.org/swe/application")),
            E("veto", "2022-05-18", ("member", "TUR"), ("reason", "blocks the start of talks"), ("formal", true)),
            E("veto-lifted", "2022-06-28", ("member", "TUR"), ("reason", "Trilateral Memorandum")),
            E("invitation", "2022-06-29", ("venue", "Madrid Summit")),
            E("protocol-signed", "2022-07-05"),
            E("ratification", "2023-03-01", ("member", "FIN"), ("authority", "Eduskunta")),
            E("deposit", "2023-04-04", ("member", "FIN")),
        };
        foreach (var (state, i) in states.Where(s => s is not ("TUR" or "HUN")).Select((s, i) => (s, i)))
        {
            swe.Add(E("ratification", Iso(D("2022-07-05").AddDays(i * 9)), ("member", state), ("authority", "Parliament")));
        }
        swe.Add(E("ratification", "2024-01-25", ("member", "TUR"), ("authority", "Grand National Assembly")));
        swe.Add(E("ratification", "2024-03-04", ("member", "HUN"), ("authority", "National Assembly")));
        swe.Add(E("accession", "2024-03-07"));

        return new JsonObject
        {
            ["organization"] = new JsonObject
            {
                ["code"] = "NATO",
                ["name"] = nato.Name,
                ["depositary"] = "USA",
                ["ratificationCounts"] = "approval",
                ["newMembersRatifyOpenProcesses"] = true,
                ["members"] = members,
            },
            ["processes"] = new JsonArray
            {
                new JsonObject { ["id"] = "nato/fin", ["candidate"] = "FIN", ["events"] = fin },
                new JsonObject { ["id"] = "nato/swe", ["candidate"] = "SWE", ["events"] = swe },
            },
        };
    }

    private static string Iso(DateOnly d) => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}
