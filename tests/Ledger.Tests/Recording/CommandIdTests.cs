using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using FluentAssertions;
using RatificationLedger.Domain;
using RatificationLedger.Recording;
using RatificationLedger.Storage;
using Marten;
using Xunit;

namespace RatificationLedger.Tests.Recording;

/// <summary>
/// A command's content hash names it for good: the id derived from it is stored on its events and found again when
/// the command is sent twice. Any change to how it is computed would make resent commands look new.
/// </summary>
public sealed class CommandIdTests
{
    private static readonly AccessionCommand[] Commands =
    [
        new SubmitApplication("nato/fin", "NATO", "FIN", new DateOnly(2022, 5, 18)),
        new ExtendInvitation("nato/fin", new DateOnly(2022, 6, 29), "Madrid summit", ["USA", "TUR", "HUN"]),
        new SignAccessionProtocol("nato/fin", new DateOnly(2022, 7, 5)),
        new SignMemorandum("nato/fin", new DateOnly(2022, 6, 28), "Trilateral memorandum", ["TUR", "FIN", "SWE"], "Türkiye's concerns \"addressed\" <é>"),
        new RecordParliamentVote("nato/swe", "TUR", new DateOnly(2024, 1, 23), "Grand National Assembly", 287, 55, 4, true),
        new RecordParliamentVote("nato/swe", "HUN", new DateOnly(2024, 2, 26), "National Assembly", null, null, null, false),
        new ApproveRatification("nato/fin", "HUN", new DateOnly(2023, 3, 27), "National Assembly"),
        new DepositInstrument("nato/fin", "TUR", new DateOnly(2023, 3, 31)),
        new DeclareVeto("nato/swe", "TUR", new DateOnly(2022, 5, 18), "PKK; arms embargo", Formal: false),
        new LiftVeto("nato/swe", "TUR", new DateOnly(2023, 7, 10), "Vilnius agreement"),
        new AddRatifier("nato/swe", "FIN", new DateOnly(2023, 4, 4), "became a member"),
        new CompleteAccession("nato/fin", new DateOnly(2023, 4, 4), 31),
        new WithdrawApplication("nato/geo", new DateOnly(2024, 1, 1), "withdrawn"),
        new RetractEntry("nato/fin", 7, new DateOnly(2023, 1, 1), "entered twice"),
    ];

    public static TheoryData<int> Indexes() => [.. Enumerable.Range(0, Commands.Length)];

    [Theory]
    [MemberData(nameof(Indexes))]
    public void The_hash_is_sha256_of_the_name_a_line_break_and_the_canonical_json(int index)
    {
        var command = Commands[index];
        var name = LedgerRecorder.CommandName(command);

        LedgerRecorder.ContentHash(name, command).Should().Be(Reference(name, command));
    }

    [Fact]
    public void Hashes_computed_on_many_threads_at_once_are_each_commands_own()
    {
        var expected = Commands.Select(c => Reference(LedgerRecorder.CommandName(c), c)).ToArray();
        var actual = new string[Commands.Length * 200];

        Parallel.For(0, actual.Length, i => actual[i] = LedgerRecorder.ContentHash(LedgerRecorder.CommandName(Commands[i % Commands.Length]), Commands[i % Commands.Length]));

        actual.Select((h, i) => h == expected[i % Commands.Length]).Should().AllBeEquivalentTo(true);
    }

    [Fact]
    public void A_known_command_keeps_its_hash()
    {
        // Pinned: ledgers already hold ids derived from this hash.
        var vote = (RecordParliamentVote)Commands[4];

        LedgerRecorder.CommandName(vote).Should().Be("record_parliament_vote");
        LedgerRecorder.ContentHash("record_parliament_vote", vote).Should().Be(PinnedVoteHash);
    }

    [Fact]
    public void A_command_much_larger_than_the_buffer_hashes_like_any_other()
    {
        var long_ = new SignMemorandum("nato/fin", new DateOnly(2022, 6, 28), new string('x', 200_000), ["TUR"], new string('é', 50_000));
        var name = LedgerRecorder.CommandName(long_);

        LedgerRecorder.ContentHash(name, long_).Should().Be(Reference(name, long_));
        LedgerRecorder.ContentHash(name, Commands[3]).Should().Be(Reference(name, Commands[3]));
    }

    private const string PinnedVoteHash = "60c3129a551f7e256d280c75929b76d1581c1e6a7be543e126aa4546dcc3d5ef";

    // The definition: SHA-256 over UTF-8 "{name}\n{JSON}", the JSON camelCase with the stored-event settings.
    private static string Reference(string name, object command)
    {
        var options = new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };
        LedgerStoreExtensions.ConfigureJson(options);
        var bytes = Encoding.UTF8.GetBytes(name + "\n").Concat(JsonSerializer.SerializeToUtf8Bytes(command, command.GetType(), options)).ToArray();
        return Convert.ToHexStringLower(SHA256.HashData(bytes));
    }
}
