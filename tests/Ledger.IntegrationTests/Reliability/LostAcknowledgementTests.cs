using RatificationLedger.Domain;
using RatificationLedger.Import;
using RatificationLedger.IntegrationTests.Reliability.Support;
using RatificationLedger.IntegrationTests.Support;
using RatificationLedger.Recording;
using Npgsql;
using Xunit.Abstractions;
using static RatificationLedger.IntegrationTests.Support.TestOrganizations;

namespace RatificationLedger.IntegrationTests.Reliability;

/// <summary>
/// The connection breaks after PostgreSQL committed and before the answer reaches the caller (a proxy swallows the
/// <c>COMMIT</c> acknowledgement). The caller sees an error; sending the same command again records nothing new and
/// answers as the first send would have, consequences included.
/// </summary>
public sealed class LostAcknowledgementTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly string _schema = TestSchemas.Next("lost_ack");
    private CommitDroppingProxy _proxy = null!;
    private LedgerHost _host = null!;

    public async Task InitializeAsync()
    {
        var direct = await TestSchemas.ConnectionStringAsync();
        _proxy = new CommitDroppingProxy(new NpgsqlConnectionStringBuilder(direct).Port);
        _host = LedgerHost.Start(_proxy.Route(direct), _schema);
        (await _host.RegisterAsync(Nato())).Succeeded.Should().BeTrue();
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _proxy.DisposeAsync();
    }

    private async Task OpenAsync(string process)
    {
        ProcessId.TryParse(process, out _, out var candidate);
        await _host.RecordAsync(new SubmitApplication(process, "NATO", candidate, D("2022-05-18")));
        await _host.RecordAsync(new ExtendInvitation(process, D("2022-06-29"), "Madrid Summit"));
        await _host.RecordAsync(new SignAccessionProtocol(process, D("2022-07-05")));
    }

    // Sends with the acknowledgement of its commit dropped; returns the caller's error.
    private async Task<LedgerUnavailableException> SendLosingTheAnswerAsync(AccessionCommand command, Provenance? provenance)
    {
        _proxy.Arm();
        var send = _host.SendAsync(command, provenance);
        (await Task.WhenAny(send, Task.Delay(Faults.AnswerBound))).Should().BeSameAs(send, "a lost answer must surface as an error, not a hang");
        _proxy.Dropped.Should().BeGreaterThan(0, "the proxy swallowed the COMMIT acknowledgement");
        var error = send.Exception?.InnerException.Should().BeOfType<LedgerUnavailableException>("the caller never got the answer, so it must not see a success").Subject!;
        output.WriteLine($"{error.GetType().Name}: {error.Message}");
        error.MayHaveBeenRecorded.Should().BeTrue("the connection broke during the commit");
        error.Process.Should().Be(command.Process);
        error.Message.Should().Contain(command.Process).And.Contain(error.CommandId).And.Contain("Send the same command with the same command id again");
        return error;
    }

    [Theory]
    [InlineData("explicit-command-id")]
    [InlineData(null)]
    public async Task A_committed_command_whose_answer_is_lost_fails_and_its_resend_records_nothing_new_and_answers_as_the_first(string? commandId)
    {
        await OpenAsync("nato/fin");
        var command = new ApproveRatification("nato/fin", "CAN", D("2022-07-05"), "Parliament of Canada");
        var provenance = new Provenance(Source: "https://www.nato-pa.int/", CommandId: commandId);
        var before = await LedgerSnapshot.EventCountAsync(_host.Store);

        var error = await SendLosingTheAnswerAsync(command, provenance);

        (await LedgerSnapshot.EventCountAsync(_host.Store)).Should().Be(before + 1, "the transaction committed although its answer was lost");
        var resent = await _host.SendAsync(command, provenance);
        resent.CommandId.Should().Be(error.CommandId, "the error names the command id a resend goes under, derived ones included");
        resent.Outcome.Should().Be(RecordOutcome.Recorded);
        resent.IsResend.Should().BeTrue();
        resent.Entries.Should().ContainSingle();
        resent.Entries[0].Number.Should().Be(4);
        resent.Entries[0].Type.Should().Be("ratification_approved");
        resent.Entries[0].Event.Should().Be(new RatificationApproved("CAN", D("2022-07-05"), "Parliament of Canada"));
        resent.Version.Should().Be(4);
        (await LedgerSnapshot.EventCountAsync(_host.Store)).Should().Be(before + 1);
        var stored = (await _host.Reader.ReadEntriesAsync("nato/fin")).Single(e => e.Number == 4);
        stored.Source.Should().Be(provenance.Source);
        stored.CommandId.Should().Be(resent.CommandId);

        // And again: a resend of a resend answers the same.
        (await _host.SendAsync(command, provenance)).Should().BeEquivalentTo(resent);
    }

    [Fact]
    public async Task A_lost_answer_to_an_accession_still_makes_the_new_member_a_required_ratifier_of_the_open_process()
    {
        await OpenAsync("nato/fin");
        await OpenAsync("nato/swe");
        foreach (var member in Nato().Members.Select(m => m.State))
        {
            await _host.RecordAsync(new ApproveRatification("nato/fin", member, D("2023-03-30"), "Parliament"));
        }
        var accession = new CompleteAccession("nato/fin", D("2023-04-04"), 31);
        var provenance = new Provenance(CommandId: "fin-accession");

        await SendLosingTheAnswerAsync(accession, provenance);
        (await _host.Reader.LoadStateAsync("nato/fin")).Phase.Should().Be(ProcessPhase.Acceded, "the accession committed");

        var resent = await _host.SendAsync(accession, provenance);

        resent.IsResend.Should().BeTrue();
        var sweden = await _host.Reader.LoadStateAsync("nato/swe");
        sweden.RequiredRatifiers.Should().ContainKey("FIN", "the reaction to the accession must not be lost with the answer");
        sweden.RequiredRatifiers["FIN"].Should().Be(D("2023-04-04"));
        (await _host.Reader.LoadOrganizationAsync("NATO"))!.IsMemberOn("FIN", D("2023-04-04")).Should().BeTrue();
        var count = await LedgerSnapshot.EventCountAsync(_host.Store);
        (await _host.SendAsync(accession, provenance)).IsResend.Should().BeTrue();
        (await LedgerSnapshot.EventCountAsync(_host.Store)).Should().Be(count, "a second resend adds nothing");
        (await _host.Reader.ReadEntriesAsync("nato/swe")).Count(e => e.Event is RatifierAdded).Should().Be(1);
    }

    [Fact]
    public async Task An_import_whose_commit_answer_is_lost_stops_and_its_rerun_equals_a_clean_import()
    {
        var expected = await CleanRuns.ImportAsync();
        var file = SyntheticHistory.File();
        await using var host = LedgerHost.Start(_proxy.Route(await TestSchemas.ConnectionStringAsync()), TestSchemas.Next("lost_ack_import"));

        // The proxy is armed from the recorder's hook before the write that takes the import past half the file, so
        // that write's commit answer is the one lost, whatever the machine's speed.
        var answered = 0;
        var armed = false;
        host.Recorder.BeforeWrite = (_, commands) =>
        {
            answered += commands;
            if (!armed && answered >= file.Entries.Count / 2)
            {
                armed = true;
                _proxy.Arm();
            }
            return Task.CompletedTask;
        };
        var import = Task.Run(async () => await host.Sender.Send(new ImportHistoryRequest(file)));

        (await Task.WhenAny(import, Task.Delay(Faults.AnswerBound))).Should().BeSameAs(import);
        var error = import.Exception?.InnerException.Should().BeOfType<ImportInterruptedException>().Subject!;
        output.WriteLine(error.Message);
        error.Entry.Should().NotBeNull();
        _proxy.Dropped.Should().Be(1);
        host.Recorder.BeforeWrite = null;

        var rerun = await host.Sender.Send(new ImportHistoryRequest(file));

        rerun.Failure.Should().BeNull(rerun.Failure?.Message);
        (rerun.Recorded + rerun.AlreadyThere).Should().Be(file.Entries.Count);
        rerun.AlreadyThere.Should().BeGreaterThan(error.Recorded + error.AlreadyThere, "the entry whose answer was lost is recorded, and counts as already there");
        (await LedgerSnapshot.TakeAsync(host.Store)).Should().BeEquivalentTo(expected, o => o.WithStrictOrdering());
    }
}
