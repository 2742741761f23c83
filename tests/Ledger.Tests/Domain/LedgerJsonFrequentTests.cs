using System.Text;
using System.Text.Json;
using RatificationLedger.Domain;

namespace RatificationLedger.Tests.Domain;

// The direct reader of chamber votes, approvals and deposits (LedgerJson.TryReadFrequent) gives what System.Text.Json
// gives with the stored-event settings, or nothing: the expected events come from the serializer, never from the
// reader under test, and whatever the reader leaves to the serializer must be refused (null), never read otherwise.
public class LedgerJsonFrequentTests
{
    // Strings the serializer escapes and reads back (quotes, backslashes, control characters, non-ASCII, a surrogate
    // pair), null where the event allows it, and the extremes of a vote count.
    public static TheoryData<object> Events() =>
    [
        new ParliamentVoted("TUR", new DateOnly(2023, 3, 30), "Grand National Assembly", 276, 0, null, true),
        new ParliamentVoted("HUN", new DateOnly(2024, 2, 26), "Országgyűlés \"plenary\" \\ 😀\n\t\u0001", null, null, null, false),
        new ParliamentVoted("SWE", new DateOnly(1, 1, 1), "", int.MaxValue, int.MinValue, -1, true),
        new ParliamentVoted(null!, new DateOnly(9999, 12, 31), null!, 0, 0, 0, false),
        new RatificationApproved("USA", new DateOnly(2022, 8, 9), "President's signature <&+>"),
        new RatificationApproved("CAN", new DateOnly(2022, 7, 5), null),
        new InstrumentDeposited("FIN", new DateOnly(2023, 4, 4), "Washington"),
        new InstrumentDeposited("ISL", new DateOnly(2024, 2, 29), "Département d'État des États-Unis"),
    ];

    [Theory]
    [MemberData(nameof(Events))]
    public void An_event_as_stored_reads_as_the_serializer_reads_it(object stored)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(stored, stored.GetType(), LedgerJson.Options);
        var expected = JsonSerializer.Deserialize(json, stored.GetType(), LedgerJson.Options);

        LedgerJson.TryReadFrequent(stored.GetType(), json).Should().Be(expected).And.Be(stored);
    }

    [Theory]
    // Other orders, missing properties (the serializer gives their defaults) and spacing read alike.
    [InlineData(typeof(ParliamentVoted), """{"passed":true,"on":"2022-07-05","member":"TUR","for":1}""")]
    [InlineData(typeof(ParliamentVoted), """ { "member" : "TUR" , "on" : "2022-07-05" } """)]
    [InlineData(typeof(RatificationApproved), """{"on":"2022-07-05"}""")]
    [InlineData(typeof(InstrumentDeposited), """{}""")]
    [InlineData(typeof(InstrumentDeposited), """{"member":"T\u00dcR","depositary":"Wash\"ington","on":"2022-07-05"}""")]
    public void Json_in_another_order_or_spacing_reads_as_the_serializer_reads_it(Type type, string json)
    {
        var bytes = Encoding.UTF8.GetBytes(json);

        LedgerJson.TryReadFrequent(type, bytes).Should().Be(JsonSerializer.Deserialize(bytes, type, LedgerJson.Options));
    }

    [Theory]
    // A property the event does not have (the serializer skips it), or given twice.
    [InlineData(typeof(ParliamentVoted), """{"member":"TUR","on":"2022-07-05","note":"x"}""")]
    [InlineData(typeof(ParliamentVoted), """{"member":"TUR","member":"HUN","on":"2022-07-05"}""")]
    [InlineData(typeof(RatificationApproved), """{"member":"TUR","on":"2022-07-05","chamber":"x"}""")]
    [InlineData(typeof(InstrumentDeposited), """{"Member":"TUR","on":"2022-07-05"}""")]
    // An escaped name, a count that is not an integer, a date in another form, a flag that is not a boolean.
    [InlineData(typeof(ParliamentVoted), """{"m\u0065mber":"TUR","on":"2022-07-05"}""")]
    [InlineData(typeof(ParliamentVoted), """{"member":"TUR","on":"2022-07-05","for":1.5}""")]
    [InlineData(typeof(ParliamentVoted), """{"member":"TUR","on":"2022-07-05","for":"3"}""")]
    [InlineData(typeof(ParliamentVoted), """{"member":"TUR","on":"2022-07-05","for":3000000000}""")]
    [InlineData(typeof(ParliamentVoted), """{"member":"TUR","on":"2022-7-5"}""")]
    [InlineData(typeof(ParliamentVoted), """{"member":"TUR","on":"\u0032022-07-05"}""")]
    [InlineData(typeof(ParliamentVoted), """{"member":"TUR","on":null}""")]
    [InlineData(typeof(ParliamentVoted), """{"member":"TUR","passed":1}""")]
    [InlineData(typeof(ParliamentVoted), """{"member":1}""")]
    // Not one JSON object.
    [InlineData(typeof(RatificationApproved), """[]""")]
    [InlineData(typeof(RatificationApproved), """{"member":"TUR"} {}""")]
    [InlineData(typeof(RatificationApproved), """{"member":"TUR" """)]
    [InlineData(typeof(RatificationApproved), """{"member":"TUR"/* note */}""")]
    [InlineData(typeof(RatificationApproved), "")]
    // Any other event.
    [InlineData(typeof(VetoDeclared), """{"member":"TUR","on":"2022-05-18","reason":"x","formal":true}""")]
    public void Json_the_reader_does_not_know_to_read_alike_is_left_to_the_serializer(Type type, string json)
    {
        LedgerJson.TryReadFrequent(type, Encoding.UTF8.GetBytes(json)).Should().BeNull();
    }
}
