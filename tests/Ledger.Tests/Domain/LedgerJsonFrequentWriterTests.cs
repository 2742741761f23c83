using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using RatificationLedger.Domain;

namespace RatificationLedger.Tests.Domain;

// The direct writer of chamber votes, approvals and deposits (LedgerJson.TryWriteFrequent) writes the bytes
// System.Text.Json writes with the stored-event settings, with the default and with the relaxed encoder, or writes
// nothing: the expected bytes come from the serializer, never from the writer under test.
public class LedgerJsonFrequentWriterTests
{
    private static readonly JsonSerializerOptions Relaxed = new(LedgerJson.Options) { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    // Every printable ASCII character an encoder leaves alone, nulls where the event allows them, the extremes of a
    // vote count and of a date.
    private static readonly object[] PlainEvents =
    [
        new ParliamentVoted("TUR", new DateOnly(2023, 3, 30), "Grand National Assembly", 276, 0, null, true),
        new ParliamentVoted("HUN", new DateOnly(2024, 2, 26), " !#$%()*,-./0123456789:;=?@[]^_{|}~", null, null, null, false),
        new ParliamentVoted("SWE", new DateOnly(1, 1, 1), "", int.MaxValue, int.MinValue, -1, true),
        new ParliamentVoted(null!, new DateOnly(9999, 12, 31), null!, 0, 0, 0, false),
        new ParliamentVoted("ISL", new DateOnly(987, 6, 5), "Althingi", 10, 200, 3000, true),
        new RatificationApproved("USA", new DateOnly(2022, 8, 9), "President (signature)"),
        new RatificationApproved("CAN", new DateOnly(2022, 7, 5), null),
        new InstrumentDeposited("FIN", new DateOnly(2023, 4, 4), "Washington, D.C."),
        new InstrumentDeposited("ISL", new DateOnly(2024, 2, 29), "United States of America"),
    ];

    public static TheoryData<object> Plain() => [.. PlainEvents];

    [Theory]
    [MemberData(nameof(Plain))]
    public void An_event_is_written_as_the_serializer_writes_it(object data)
    {
        var written = new ArrayBufferWriter<byte>(1);

        LedgerJson.TryWriteFrequent(data, written).Should().BeTrue();

        written.WrittenSpan.ToArray().Should().Equal(JsonSerializer.SerializeToUtf8Bytes(data, data.GetType(), LedgerJson.Options));
        written.WrittenSpan.ToArray().Should().Equal(JsonSerializer.SerializeToUtf8Bytes(data, data.GetType(), Relaxed));
    }

    [Fact]
    public void Events_follow_one_another_in_the_same_output()
    {
        var written = new ArrayBufferWriter<byte>(1);
        var events = PlainEvents;

        foreach (var data in events)
        {
            LedgerJson.TryWriteFrequent(data, written).Should().BeTrue();
        }

        written.WrittenSpan.ToArray().Should().Equal(events.SelectMany(e => JsonSerializer.SerializeToUtf8Bytes(e, e.GetType(), LedgerJson.Options)));
    }

    [Theory]
    // Characters an encoder escapes (the default one at least): quotes, backslashes, HTML-sensitive ones, control
    // characters, DEL, non-ASCII, a surrogate pair.
    [InlineData("Országgyűlés")]
    [InlineData("\"plenary\"")]
    [InlineData("a\\b")]
    [InlineData("<&>")]
    [InlineData("1+1")]
    [InlineData("President's")]
    [InlineData("`x`")]
    [InlineData("line\nbreak")]
    [InlineData("tab\t")]
    [InlineData("\u007f")]
    [InlineData("😀")]
    public void A_string_an_encoder_may_escape_is_left_to_the_serializer(string text)
    {
        object[] events =
        [
            new ParliamentVoted("TUR", new DateOnly(2023, 3, 30), text, 1, 2, 3, true),
            new ParliamentVoted(text, new DateOnly(2023, 3, 30), "Chamber", 1, 2, 3, true),
            new RatificationApproved("TUR", new DateOnly(2023, 3, 30), text),
            new RatificationApproved(text, new DateOnly(2023, 3, 30), null),
            new InstrumentDeposited("TUR", new DateOnly(2023, 3, 30), text),
            new InstrumentDeposited(text, new DateOnly(2023, 3, 30), "Washington"),
        ];
        foreach (var data in events)
        {
            var written = new ArrayBufferWriter<byte>(1);
            LedgerJson.TryWriteFrequent(data, written).Should().BeFalse();
            written.WrittenCount.Should().Be(0);
        }
    }

    [Fact]
    public void Any_other_event_is_left_to_the_serializer()
    {
        var written = new ArrayBufferWriter<byte>(1);

        LedgerJson.TryWriteFrequent(new VetoDeclared("TUR", new DateOnly(2022, 5, 18), "x", true), written).Should().BeFalse();
        LedgerJson.TryWriteFrequent(new RatifierAdded("SWE", new DateOnly(2023, 4, 4), "x"), written).Should().BeFalse();
        written.WrittenCount.Should().Be(0);
    }
}
