using RatificationLedger.Domain;
using RatificationLedger.Integrity;
using RatificationLedger.IntegrationTests.Integrity;
using RatificationLedger.IntegrationTests.Support;
using RatificationLedger.Recording;
using Microsoft.Extensions.DependencyInjection;
using static RatificationLedger.IntegrationTests.Support.TestOrganizations;

namespace RatificationLedger.IntegrationTests.Foundation;

/// <summary>
/// The facade an app mocks and calls without Mediator (<see cref="ILedger"/>): recording through it, its refusals, and
/// verifying the record through it, which answers what <see cref="LedgerIntegrity.VerifyAsync"/> answers.
/// </summary>
public sealed class LedgerFacadeTests
{
    [Fact]
    public async Task An_app_records_and_verifies_through_ILedger_alone()
    {
        await using var host = LedgerHost.Start(await TestSchemas.ConnectionStringAsync(), TestSchemas.Next("facade"));
        var ledger = host.Services.GetRequiredService<ILedger>();

        (await ledger.RegisterOrganizationAsync(Nato())).Outcome.Should().Be(RecordOutcome.Recorded);
        (await ledger.RecordAsync(new SubmitApplication("nato/fin", "NATO", "FIN", D("2022-05-18")))).Outcome.Should().Be(RecordOutcome.Recorded);
        (await ledger.RecordAsync(new ExtendInvitation("nato/fin", D("2022-06-29"), "Madrid Summit"))).Outcome.Should().Be(RecordOutcome.Recorded);
        var refused = await ledger.RecordAsync(new SubmitApplication("nato/fin", "NATO", "FIN", D("2022-05-19")));

        refused.Succeeded.Should().BeFalse();
        // IsRefused guarantees the rejection to the compiler: no `!` after the check.
        (refused.IsRefused && refused.Rejection.Code == RuleCodes.ConflictingRepeat).Should().BeTrue(
            $"Finland's application is recorded on 2022-05-18, so another on 2022-05-19 conflicts ({refused})");
        var report = await ledger.VerifyAsync();

        report.Intact.Should().BeTrue(report.ToString());
        // The organization's registration, Finland's application and its invitation: three entries in two streams.
        report.Entries.Should().Be(3);
        report.Processes.Should().Be(2, "the organization's stream and nato/fin");
        report.ExternalDigests.Should().Be(0);
    }

    [Fact]
    public async Task Verify_through_the_facade_finds_an_edited_entry_as_LedgerIntegrity_does()
    {
        await using var tampered = await TamperedLedger.StartAsync();
        var ledger = tampered.Host.Services.GetRequiredService<ILedger>();
        var digest = await LedgerIntegrity.TakeDigestAsync(tampered.Host.Store);
        (await ledger.VerifyAsync([digest])).Should().BeEquivalentTo(new { Intact = true, ExternalDigests = 1, Processes = 3 });
        var entry = await tampered.EntryAsync("nato/fin", "ratification_approved", "TUR");

        // Türkiye's approval of Finland's protocol moved from 2023-03-30 to 2022-07-01.
        await tampered.TamperAsync($"update mt_events set data = jsonb_set(data, '{{on}}', '\"2022-07-01\"') where stream_id = 'nato/fin' and version = {entry}");
        var report = await ledger.VerifyAsync([digest]);

        report.Findings.Should().Contain(f => f.Process == "nato/fin" && f.Entry == entry && f.Kind == FindingKind.Edited, report.ToString());
        report.Should().BeEquivalentTo(await LedgerIntegrity.VerifyAsync(tampered.Host.Store, [digest]));
    }

    [Fact]
    public async Task Verify_through_the_facade_honours_cancellation()
    {
        await using var host = LedgerHost.Start(await TestSchemas.ConnectionStringAsync(), TestSchemas.Next("facade"));
        var ledger = host.Services.GetRequiredService<ILedger>();
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await ledger.Invoking(l => l.VerifyAsync(ct: cancelled.Token)).Should().ThrowAsync<OperationCanceledException>();
    }
}
