using RatificationLedger.Domain;
using RatificationLedger.Projections;
using RatificationLedger.Recording;

namespace RatificationLedger.Tests.Audit;

/// <summary>The audit trail puts the role the chain keeps for each entry beside the recorded-by the app claims.</summary>
public sealed class AuditRoleTests
{
    private static readonly DateTimeOffset At = new(2022, 7, 5, 12, 0, 0, TimeSpan.Zero);

    private static RecordedEntry Entry(long number, object @event, string recordedBy) =>
        new("nato/fin", number, 100 + number, StoredEventNames.Of(@event), @event, At.AddMinutes(number), recordedBy, null, null, false, $"cmd-{number}", null, null);

    private static readonly RecordedEntry[] Entries =
    [
        Entry(1, new AccessionProtocolSigned(new DateOnly(2022, 7, 5)), "clerk"),
        Entry(2, new AccessionProtocolSigned(new DateOnly(2022, 7, 5)), "alice"),
        Entry(3, new AccessionProtocolSigned(new DateOnly(2022, 7, 5)), "postgres"),
    ];

    [Fact]
    public void Each_entry_carries_its_links_role_an_upgraded_link_none_and_an_entry_without_a_link_says_so()
    {
        var roles = new Dictionary<long, string?> { [1] = null, [2] = "ledger_app" };

        var audit = ProcessViews.BuildAudit("nato/fin", Entries, knownAt: null, roles);

        audit.Entries.Select(e => (e.RecordedBy, e.Role, e.Chained)).Should().Equal(
            ("clerk", (string?)null, true), ("alice", "ledger_app", true), ("postgres", null, false));
        audit.Entries.Select(e => e.RecordedByAndRole).Should().Equal(
            "clerk (role unknown: chained on upgrade)", "alice (role ledger_app)", "postgres (role unknown: not chained)");
    }

    [Fact]
    public void Without_roles_no_entry_is_taken_for_chained()
    {
        ProcessViews.BuildAudit("nato/fin", Entries).Entries.Should().OnlyContain(e => e.Role == null && !e.Chained);
    }
}
