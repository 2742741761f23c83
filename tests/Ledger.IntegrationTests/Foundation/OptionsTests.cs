using RatificationLedger.Domain;
using RatificationLedger.IntegrationTests.Support;
using RatificationLedger.Recording;
using RatificationLedger.Storage;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using static RatificationLedger.IntegrationTests.Support.TestOrganizations;

namespace RatificationLedger.IntegrationTests.Foundation;

/// <summary>
/// The ledger's options: checked when the ledger is registered (a bad one fails the app's start, named), available as
/// <c>IOptions&lt;LedgerOptions&gt;</c>; the clock from the container's <see cref="TimeProvider"/>; who records a command
/// from the provenance, else the app's <see cref="IRecordedByProvider"/>, else DefaultRecordedBy, else a refusal.
/// </summary>
public sealed class OptionsTests
{
    public static TheoryData<string, Action<LedgerOptions>> BadOptions => new()
    {
        { "ImportBatchSize", o => o.ImportBatchSize = 0 },
        { "ConcurrencyRetries", o => o.ConcurrencyRetries = -1 },
        { "WriteCacheStreams", o => o.WriteCacheStreams = -5 },
        { "Schema", o => o.Schema = "ledger; drop table x" },
        { "Schema", o => o.Schema = "9lives" },
        { "DefaultRecordedBy", o => o.DefaultRecordedBy = "  " },
    };

    [Theory]
    [MemberData(nameof(BadOptions))]
    public void A_bad_option_fails_the_registration_naming_the_option(string option, Action<LedgerOptions> configure)
    {
        var ownStore = () => new ServiceCollection().AddRatificationLedger("Host=localhost", configure);
        ownStore.Should().Throw<OptionsValidationException>().Which.Message.Should().Contain($"LedgerOptions.{option}");

        var hostStore = () => new ServiceCollection().AddMarten("Host=localhost").AddRatificationLedger(configure);
        hostStore.Should().Throw<OptionsValidationException>().Which.Message.Should().Contain($"LedgerOptions.{option}");
    }

    [Fact]
    public void Several_bad_options_are_all_named()
    {
        var act = () => new ServiceCollection().AddRatificationLedger("Host=localhost", o =>
        {
            o.ImportBatchSize = -1;
            o.ConcurrencyRetries = -1;
        });
        act.Should().Throw<OptionsValidationException>().Which.Failures.Should().HaveCount(2);
    }

    [Fact]
    public void The_options_are_served_as_IOptions()
    {
        var services = new ServiceCollection();
        services.AddRatificationLedger("Host=localhost", o => o.ImportBatchSize = 123);
        using var provider = services.BuildServiceProvider();
        provider.GetRequiredService<IOptions<LedgerOptions>>().Value.ImportBatchSize.Should().Be(123);
        provider.GetRequiredService<LedgerOptions>().Should().BeSameAs(provider.GetRequiredService<IOptions<LedgerOptions>>().Value);
    }

    [Fact]
    public async Task The_clock_is_the_containers_TimeProvider_when_the_options_name_none()
    {
        // The container's clock says 1 July 2022: Finland's invitation (29 June) is in the past, its protocol (5 July) not yet.
        var clock = new FixedClock(new DateTimeOffset(2022, 7, 1, 12, 0, 0, TimeSpan.Zero));
        await using var host = LedgerHost.Start(await TestSchemas.ConnectionStringAsync(), TestSchemas.Next("options_clock"),
            configure: o => o.Clock = null, app: s => s.AddSingleton<TimeProvider>(clock));
        (await host.Recorder.RegisterOrganizationAsync(Nato())).Succeeded.Should().BeTrue();

        (await host.Recorder.RecordAsync(new ExtendInvitation("nato/fin", D("2022-06-29"), "Madrid summit", Organization: "NATO", Candidate: "FIN")))
            .Outcome.Should().Be(RecordOutcome.Recorded);
        var signed = await host.Recorder.RecordAsync(new SignAccessionProtocol("nato/fin", D("2022-07-05")));
        signed.Rejection!.Code.Should().Be(RuleCodes.DateInFuture);
    }

    [Fact]
    public async Task Who_records_comes_from_the_provenance_else_the_apps_provider_else_the_default()
    {
        var user = new SignedInUser { Name = "jane@example.org" };
        await using var host = LedgerHost.Start(await TestSchemas.ConnectionStringAsync(), TestSchemas.Next("options_by"),
            configure: o => o.DefaultRecordedBy = "batch-job", app: s => s.AddSingleton<IRecordedByProvider>(user));
        (await host.Recorder.RegisterOrganizationAsync(Nato())).Succeeded.Should().BeTrue();

        await host.Recorder.RecordAsync(new ExtendInvitation("nato/fin", D("2022-06-29"), "Madrid summit", Organization: "NATO", Candidate: "FIN"));
        await host.Recorder.RecordAsync(new SignAccessionProtocol("nato/fin", D("2022-07-05")), new Provenance(RecordedBy: "analyst@example.org"));
        user.Name = null;
        await host.Recorder.RecordAsync(new ApproveRatification("nato/fin", "CAN", D("2022-07-05"), "Parliament"));

        var entries = await host.Reader.ReadEntriesAsync("nato/fin");
        entries.Select(e => e.RecordedBy).Should().Equal("jane@example.org", "analyst@example.org", "batch-job");
    }

    [Fact]
    public async Task A_command_nobody_is_named_as_recording_is_refused_and_nothing_is_written()
    {
        await using var host = LedgerHost.Start(await TestSchemas.ConnectionStringAsync(), TestSchemas.Next("options_nobody"),
            configure: o => o.DefaultRecordedBy = null);

        var organization = await host.Recorder.RegisterOrganizationAsync(Nato());
        organization.Rejection!.Code.Should().Be(RecordCodes.InvalidProvenance);
        organization.Rejection.Message.Should().Contain("nobody is named as recording").And.Contain("IRecordedByProvider").And.Contain("DefaultRecordedBy");
        (await host.Recorder.RegisterOrganizationAsync(Nato(), new Provenance(RecordedBy: "analyst@example.org"))).Succeeded.Should().BeTrue();

        var invitation = await host.Recorder.RecordAsync(new ExtendInvitation("nato/fin", D("2022-06-29"), "Madrid summit", Organization: "NATO", Candidate: "FIN"));
        invitation.Outcome.Should().Be(RecordOutcome.Rejected);
        invitation.Rejection!.Code.Should().Be(RecordCodes.InvalidProvenance);
        (await host.Reader.ReadEntriesAsync("nato/fin")).Should().BeEmpty();
    }

    private sealed class SignedInUser : IRecordedByProvider
    {
        public string? Name { get; set; }

        public string? RecordedBy => Name;
    }
}
