using FluentAssertions;
using RatificationLedger.Projections;
using Xunit;

namespace RatificationLedger.Tests.Rebuilding;

/// <summary>
/// How the rebuild gathers member records from the processes it folds: each required ratifier gets its process's
/// ratification once, each member its vetoes in the order the status lists them, a member that only vetoed gets a record
/// too, and a process folded again replaces what it gave.
/// </summary>
public sealed class MemberRecordsBuilderTests
{
    private static DateOnly D(string s) => DateOnly.Parse(s, System.Globalization.CultureInfo.InvariantCulture);

    // Finland's process as stored, cut down to what member records read: two required ratifiers, Türkiye's hold (ended
    // by its ratification) and a second, still active one by Hungary, which is not a required ratifier here.
    private static (AccessionStatus, RatificationRegister) Finland()
    {
        var status = new AccessionStatus
        {
            Id = "nato/fin",
            Candidate = "FIN",
            Vetoes =
            [
                new VetoView("TUR", D("2022-05-18"), "security concerns", false, false, D("2023-03-30"), "ratification approved"),
                new VetoView("HUN", D("2022-06-01"), "hold", true, true, null, null),
                new VetoView("TUR", D("2022-06-01"), "second hold", false, false, null, null),
            ],
        };
        var register = new RatificationRegister
        {
            Id = "nato/fin",
            Rows =
            [
                new RegisterRow { Member = "DNK", RatifiedOn = D("2022-06-01"), DepositedOn = D("2022-07-07"), DaysFromSignature = 26 },
                new RegisterRow { Member = "TUR", RatifiedOn = D("2023-03-30"), Unconfirmed = true, DaysFromSignature = 268 },
            ],
        };
        return (status, register);
    }

    [Fact]
    public void Every_member_of_a_process_gets_its_ratification_once_and_its_vetoes_in_order()
    {
        var records = new Dictionary<string, MemberRecord>(StringComparer.Ordinal);
        MemberRecord RecordOf(string member) => records.TryGetValue(member, out var r) ? r : records[member] = new MemberRecord { Id = member };
        var (status, register) = Finland();

        MemberRecords.AddAll(RecordOf, "nato/fin", status, register);

        records.Keys.Should().BeEquivalentTo(["DNK", "TUR", "HUN"]);
        records["DNK"].Ratifications.Should().Equal(new MemberRatification("nato/fin", "FIN", D("2022-06-01"), D("2022-07-07"), 26, false));
        records["DNK"].Vetoes.Should().BeEmpty();
        records["TUR"].Ratifications.Should().Equal(new MemberRatification("nato/fin", "FIN", D("2023-03-30"), null, 268, true));
        records["TUR"].Vetoes.Should().Equal(
            new MemberVeto("nato/fin", "FIN", D("2022-05-18"), D("2023-03-30"), false, "security concerns"),
            new MemberVeto("nato/fin", "FIN", D("2022-06-01"), null, false, "second hold"));
        records["HUN"].Ratifications.Should().BeEmpty();
        records["HUN"].Vetoes.Should().Equal(new MemberVeto("nato/fin", "FIN", D("2022-06-01"), null, true, "hold"));
    }

    [Fact]
    public void The_one_pass_gives_each_member_what_the_projection_adds_member_by_member()
    {
        var (status, register) = Finland();
        var onePass = new Dictionary<string, MemberRecord>(StringComparer.Ordinal);
        MemberRecords.AddAll(m => onePass.TryGetValue(m, out var r) ? r : onePass[m] = new MemberRecord { Id = m }, "nato/fin", status, register);

        foreach (var member in MemberRecords.Of(status, register))
        {
            var record = new MemberRecord { Id = member };
            MemberRecords.Add(record, "nato/fin", status, register);
            onePass[member].Ratifications.Should().Equal(record.Ratifications);
            onePass[member].Vetoes.Should().Equal(record.Vetoes);
        }
        onePass.Keys.Should().BeEquivalentTo(MemberRecords.Of(status, register));
    }
}
