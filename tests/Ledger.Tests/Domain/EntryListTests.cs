using System.Collections.Immutable;
using RatificationLedger.Domain;

namespace RatificationLedger.Tests.Domain;

// The fold's entry list shares one array between the states of a line; a branch (adding to an older list) must never
// see another branch's entries, also when two threads add to the same list at once.
public class EntryListTests
{
    private static Entry E(long number) => new(number, $"event {number}");

    private static EntryList Of(int count, long from = 1)
    {
        var list = EntryList.Empty;
        for (var i = 0; i < count; i++)
        {
            list = list.Add(E(from + i));
        }
        return list;
    }

    [Fact]
    public void Count_indexer_and_enumeration_give_the_entries_in_added_order()
    {
        var list = Of(40);

        list.Count.Should().Be(40);
        list[0].Number.Should().Be(1);
        list[39].Number.Should().Be(40);
        list[^1].Number.Should().Be(40);
        var numbers = new List<long>();
        foreach (var entry in list)
        {
            numbers.Add(entry.Number);
        }
        numbers.Should().Equal(Enumerable.Range(1, 40).Select(i => (long)i));
        list.Select(e => e.Number).Should().Equal(numbers, "the interface enumerator agrees with the struct one");
        ((IReadOnlyList<Entry>)list)[17].Should().BeSameAs(list[17]);
    }

    [Fact]
    public void The_empty_list_is_the_default_and_has_nothing_to_index()
    {
        default(EntryList).Count.Should().Be(0);
        default(EntryList).Should().BeEmpty();
        EntryList empty = [];
        (empty == EntryList.Empty).Should().BeTrue();
        var read = () => Of(3)[3];
        read.Should().Throw<ArgumentOutOfRangeException>();
        var negative = () => Of(3)[-1];
        negative.Should().Throw<ArgumentOutOfRangeException>();
    }

    [Fact]
    public void A_collection_expression_builds_the_list_in_order()
    {
        EntryList list = [E(1), E(2), E(3)];
        list.Select(e => e.Number).Should().Equal(1, 2, 3);
    }

    [Fact]
    public void Adding_leaves_the_list_added_to_unchanged()
    {
        var before = Of(5);
        var after = before.Add(E(6));

        before.Count.Should().Be(5);
        before.Select(e => e.Number).Should().Equal(1, 2, 3, 4, 5);
        after.Select(e => e.Number).Should().Equal(1, 2, 3, 4, 5, 6);
    }

    [Fact]
    public void A_branch_from_an_older_list_does_not_see_the_newer_branchs_entries()
    {
        var older = Of(5);
        var newer = older.Add(E(6)).Add(E(7));
        var branch = older.Add(E(60));

        branch.Select(e => e.Number).Should().Equal(1, 2, 3, 4, 5, 60);
        newer.Select(e => e.Number).Should().Equal(1, 2, 3, 4, 5, 6, 7);
        older.Select(e => e.Number).Should().Equal(1, 2, 3, 4, 5);

        // Both lines grow on independently, past their arrays' first capacity.
        var longBranch = branch;
        var longNewer = newer;
        for (var i = 0; i < 50; i++)
        {
            longBranch = longBranch.Add(E(100 + i));
            longNewer = longNewer.Add(E(200 + i));
        }
        longBranch.Select(e => e.Number).Should().Equal([1, 2, 3, 4, 5, 60, .. Enumerable.Range(100, 50).Select(i => (long)i)]);
        longNewer.Select(e => e.Number).Should().Equal([1, 2, 3, 4, 5, 6, 7, .. Enumerable.Range(200, 50).Select(i => (long)i)]);
        branch.Select(e => e.Number).Should().Equal(1, 2, 3, 4, 5, 60);
    }

    [Fact]
    public void Equality_is_identity_as_for_the_immutable_list_it_replaced()
    {
        var list = Of(3);
        var copy = list;
        copy.Equals(list).Should().BeTrue();
        (copy == list).Should().BeTrue();
        (Of(3) == list).Should().BeFalse("equal entries in another list do not make the same list");
        (list.Add(E(4)) != list).Should().BeTrue();
    }

    [Fact]
    public void Random_adds_to_random_earlier_lists_match_an_immutable_list()
    {
        var random = new Random(20240307);
        var lists = new List<(EntryList Ours, ImmutableList<Entry> Model)> { (EntryList.Empty, []) };
        for (var i = 0; i < 3000; i++)
        {
            // Mostly the newest (the fold's pattern), sometimes an older one (a branch).
            var from = random.Next(4) == 0 ? random.Next(lists.Count) : lists.Count - 1;
            var entry = E(i);
            lists.Add((lists[from].Ours.Add(entry), lists[from].Model.Add(entry)));
        }
        foreach (var (ours, model) in lists)
        {
            ours.Count.Should().Be(model.Count);
            ours.Should().Equal(model, (a, b) => ReferenceEquals(a, b));
        }
    }

    [Fact]
    public void Two_threads_adding_to_the_same_list_get_two_independent_correct_lists()
    {
        for (var round = 0; round < 500; round++)
        {
            // 10 and 17 entries leave room in the shared array, 16 fill it (both threads then copy).
            var shared = Of(round % 3 == 0 ? 10 : 15 + (round % 3));
            var before = shared.Select(e => e.Number).ToArray();
            using var start = new Barrier(2);
            EntryList Grow(long from)
            {
                start.SignalAndWait();
                var list = shared;
                for (var i = 0; i < 20; i++)
                {
                    list = list.Add(E(from + i));
                }
                return list;
            }
            var (left, right) = Concurrency.Both(() => Grow(1000), () => Grow(2000));

            left.Select(e => e.Number).Should().Equal([.. before, .. Enumerable.Range(1000, 20).Select(i => (long)i)]);
            right.Select(e => e.Number).Should().Equal([.. before, .. Enumerable.Range(2000, 20).Select(i => (long)i)]);
            shared.Select(e => e.Number).Should().Equal(before);
        }
    }

    [Fact]
    public void Two_states_evolved_from_the_same_state_see_neither_the_others_entries_nor_its_steps()
    {
        var on = new DateOnly(2022, 7, 5);
        var invited = AccessionState.Fold([
            new ApplicationSubmitted("NATO", "SWE", on, RatificationCounts.AtDeposit),
            new InvitationExtended(on, "Madrid", ["CAN", "USA"]),
            new AccessionProtocolSigned(on),
        ]);
        var canada = AccessionState.Evolve(invited, new RatificationApproved("CAN", on, "Parliament"));
        var states = AccessionState.Evolve(invited, new RatificationApproved("USA", on, "Senate"));

        canada.Entries.Select(e => e.Event).OfType<RatificationApproved>().Select(a => a.Member).Should().Equal("CAN");
        states.Entries.Select(e => e.Event).OfType<RatificationApproved>().Select(a => a.Member).Should().Equal("USA");
        canada.Steps.Keys.Should().Equal("CAN");
        states.Steps.Keys.Should().Equal("USA");
        invited.Entries.Should().HaveCount(3);
        invited.Steps.IsEmpty.Should().BeTrue();
        (canada.Version, states.Version).Should().Be((4, 4));
    }
}

internal static class Concurrency
{
    // Runs both on threads of their own (not the pool's, which may hold fewer threads than a barrier needs).
    public static (T Left, T Right) Both<T>(Func<T> left, Func<T> right)
    {
        T? l = default, r = default;
        Exception? failed = null;
        var threads = new[]
        {
            new Thread(() => { try { l = left(); } catch (Exception e) { failed = e; } }),
            new Thread(() => { try { r = right(); } catch (Exception e) { failed = e; } }),
        };
        foreach (var thread in threads)
        {
            thread.Start();
        }
        foreach (var thread in threads)
        {
            thread.Join();
        }
        return failed is null ? (l!, r!) : throw new InvalidOperationException("a thread failed", failed);
    }
}
