using System.Collections.Immutable;
using RatificationLedger.Domain;

namespace RatificationLedger.Tests.Domain;

// The fold's member steps share one store between the states of a line; a branch (changing an older map) must never see
// another branch's steps, also when two threads change the same map at once. Order is ordinal, as before.
public class MemberStepsMapTests
{
    private static readonly DateOnly s_on = new(2022, 7, 5);

    private static MemberSteps Approved(string member, string authority = "Parliament") =>
        new(member) { Approval = new RatificationApproved(member, s_on, authority) };

    private static MemberStepsMap Of(params string[] members) =>
        members.Aggregate(MemberStepsMap.Empty, (map, m) => map.SetItem(m, Approved(m)));

    [Fact]
    public void Members_enumerate_in_ordinal_order_with_their_latest_steps()
    {
        var map = Of("USA", "CAN", "DEU", "ALB", "deu", "Z");
        map = map.SetItem("CAN", Approved("CAN", "Senate"));

        map.Count.Should().Be(6);
        map.IsEmpty.Should().BeFalse();
        map.Keys.Should().Equal("ALB", "CAN", "DEU", "USA", "Z", "deu");
        map.Select(p => p.Key).Should().Equal(map.Keys);
        map["CAN"].Approval!.Authority.Should().Be("Senate");
        map.Values.Select(v => v.Member).Should().Equal(map.Keys);
        map.ContainsKey("FRA").Should().BeFalse();
        map.TryGetValue("FRA", out _).Should().BeFalse();
        var missing = () => map["FRA"];
        missing.Should().Throw<KeyNotFoundException>();
    }

    [Fact]
    public void The_empty_map_is_the_default()
    {
        default(MemberStepsMap).IsEmpty.Should().BeTrue();
        default(MemberStepsMap).Should().BeEmpty();
        default(MemberStepsMap).ContainsKey("CAN").Should().BeFalse();
    }

    [Fact]
    public void Setting_leaves_the_map_set_on_unchanged()
    {
        var before = Of("CAN", "USA");
        var after = before.SetItem("CAN", Approved("CAN", "Senate")).SetItem("ALB", Approved("ALB"));

        before.Keys.Should().Equal("CAN", "USA");
        before["CAN"].Approval!.Authority.Should().Be("Parliament");
        after.Keys.Should().Equal("ALB", "CAN", "USA");
        after["CAN"].Approval!.Authority.Should().Be("Senate");
    }

    [Fact]
    public void A_branch_from_an_older_map_does_not_see_the_newer_branchs_steps()
    {
        var older = Of("CAN", "USA");
        var newer = older.SetItem("CAN", Approved("CAN", "Senate")).SetItem("FRA", Approved("FRA"));
        var branch = older.SetItem("USA", Approved("USA", "Senate"));

        branch.Keys.Should().Equal("CAN", "USA");
        branch["CAN"].Approval!.Authority.Should().Be("Parliament");
        branch["USA"].Approval!.Authority.Should().Be("Senate");
        newer.Keys.Should().Equal("CAN", "FRA", "USA");
        newer["USA"].Approval!.Authority.Should().Be("Parliament");
        older.Keys.Should().Equal("CAN", "USA");
        older.ContainsKey("FRA").Should().BeFalse();
    }

    [Fact]
    public void Equality_is_identity_as_for_the_sorted_dictionary_it_replaced()
    {
        var map = Of("CAN");
        var copy = map;
        copy.Equals(map).Should().BeTrue();
        (copy == map).Should().BeTrue();
        (Of("CAN") == map).Should().BeFalse("equal steps in another map do not make the same map");
    }

    [Fact]
    public void Random_changes_to_random_earlier_maps_match_an_ordinal_sorted_dictionary()
    {
        var random = new Random(20220518);
        var members = Enumerable.Range(0, 40).Select(i => $"M{i:D2}").Concat(["a", "B", "Å"]).ToArray();
        var model0 = ImmutableSortedDictionary<string, MemberSteps>.Empty.WithComparers(StringComparer.Ordinal);
        var maps = new List<(MemberStepsMap Ours, ImmutableSortedDictionary<string, MemberSteps> Model)> { (MemberStepsMap.Empty, model0) };
        for (var i = 0; i < 3000; i++)
        {
            var from = random.Next(4) == 0 ? random.Next(maps.Count) : maps.Count - 1;
            var member = members[random.Next(members.Length)];
            var steps = Approved(member, $"step {i}");
            maps.Add((maps[from].Ours.SetItem(member, steps), maps[from].Model.SetItem(member, steps)));
        }
        foreach (var (ours, model) in maps)
        {
            ours.Count.Should().Be(model.Count);
            ours.Should().Equal(model, (a, b) => a.Key == b.Key && ReferenceEquals(a.Value, b.Value));
            foreach (var member in members)
            {
                ours.TryGetValue(member, out var steps).Should().Be(model.TryGetValue(member, out var expected));
                steps.Should().BeSameAs(expected);
            }
        }
    }

    [Fact]
    public void Two_threads_changing_the_same_map_get_two_independent_correct_maps()
    {
        for (var round = 0; round < 500; round++)
        {
            var shared = Of("CAN", "USA", "DEU");
            using var start = new Barrier(2);
            MemberStepsMap Change(string authority, string[] added)
            {
                start.SignalAndWait();
                var map = shared;
                foreach (var member in added)
                {
                    map = map.SetItem(member, Approved(member, authority));
                    map = map.SetItem("CAN", Approved("CAN", authority));
                }
                return map;
            }
            var (left, right) = Concurrency.Both(() => Change("left", ["ALB", "HRV", "MNE"]), () => Change("right", ["MKD", "FIN", "SWE"]));

            left.Keys.Should().Equal("ALB", "CAN", "DEU", "HRV", "MNE", "USA");
            left.Where(p => p.Key != "DEU" && p.Key != "USA").Should().OnlyContain(p => p.Value.Approval!.Authority == "left");
            right.Keys.Should().Equal("CAN", "DEU", "FIN", "MKD", "SWE", "USA");
            right.Where(p => p.Key != "DEU" && p.Key != "USA").Should().OnlyContain(p => p.Value.Approval!.Authority == "right");
            shared.Keys.Should().Equal("CAN", "DEU", "USA");
            shared.Values.Should().OnlyContain(s => s.Approval!.Authority == "Parliament");
        }
    }
}
