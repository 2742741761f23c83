using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization;
using FluentAssertions;
using Marten;
using RatificationLedger.Domain;
using RatificationLedger.Recording;
using RatificationLedger.Storage;
using Weasel.Core;
using Xunit;

namespace RatificationLedger.Tests.Recording;

/// <summary>
/// The import's event JSON (<see cref="EventJson"/>) is the store's serializer's bytes, whatever the store: chamber
/// votes, approvals and deposits are written directly only once the first of each type were the serializer's bytes, and
/// a store whose serializer writes them otherwise keeps its serializer. The expected bytes come from the store's own
/// serializer. No database.
/// </summary>
public sealed class EventJsonTests
{
    [Fact]
    public void The_ledgers_store_writes_each_frequent_type_directly_once_its_first_ones_were_the_serializers_bytes()
    {
        using var store = Store();
        var serializer = store.Options.Serializer();
        var json = new EventJson(serializer);
        var events = Events(3 * EventJson.Checks);

        var written = Write(json, events);

        written.Should().Equal(Serialized(serializer, events));
        json.WritesDirectly(events[0]).Should().BeTrue();
        json.WritesDirectly(events[1]).Should().BeTrue();
        json.WritesDirectly(events[2]).Should().BeTrue();
    }

    [Fact]
    public void A_type_is_not_written_directly_before_its_own_first_ones_were_checked()
    {
        using var store = Store();
        var json = new EventJson(store.Options.Serializer());

        Write(json, [.. Events(3 * EventJson.Checks).OfType<ParliamentVoted>()]);

        json.WritesDirectly(Events(3)[0]).Should().BeTrue();
        json.WritesDirectly(Events(3)[1]).Should().BeFalse();
        json.WritesDirectly(Events(3)[2]).Should().BeFalse();
    }

    [Fact]
    public void A_store_whose_serializer_writes_dates_otherwise_keeps_its_serializer()
    {
        using var store = Store(o =>
            // An app's own date converter, registered after the ledger's: every date a day later.
            o.UseSystemTextJsonForSerialization(EnumStorage.AsString, Casing.CamelCase, json => json.Converters.Insert(0, new DayLater())));
        var serializer = store.Options.Serializer();
        var json = new EventJson(serializer);
        var events = Events(3 * EventJson.Checks);

        var written = Write(json, events);

        written.Should().Equal(Serialized(serializer, events));
        written.Should().Contain("\"on\":\"2022-07-06\""u8.ToArray(), "the app's converter wrote the first vote's date");
        json.WritesDirectly(events[0]).Should().BeFalse();
        json.WritesDirectly(events[1]).Should().BeFalse();
        json.WritesDirectly(events[2]).Should().BeFalse();
    }

    [Fact]
    public void Strings_an_encoder_escapes_are_the_serializers_bytes_after_the_shortcut_is_trusted()
    {
        using var store = Store();
        var serializer = store.Options.Serializer();
        var json = new EventJson(serializer);
        var events = Events(3 * EventJson.Checks).Concat([
            new ParliamentVoted("TUR", new DateOnly(2023, 3, 30), "Türkiye Büyük Millet Meclisi <plenary>", 276, 0, null, true),
            new RatificationApproved("HUN", new DateOnly(2024, 2, 26), "President's \"signature\""),
            new InstrumentDeposited("SWE", new DateOnly(2024, 3, 7), "Washington\n+1"),
        ]).ToArray();

        var written = Write(json, events);

        written.Should().Equal(Serialized(serializer, events));
    }

    private static DocumentStore Store(Action<StoreOptions>? more = null) => DocumentStore.For(o =>
    {
        o.Connection("Host=localhost;Database=unused");
        o.AddRatificationLedger();
        more?.Invoke(o);
    });

    // Votes, approvals and deposits in turn (indexes 0, 1, 2 are one of each).
    private static object[] Events(int count) =>
    [
        .. Enumerable.Range(0, count).Select(i => (i % 3) switch
        {
            0 => (object)new ParliamentVoted($"M{i:00}", new DateOnly(2022, 7, 5).AddDays(i), $"Chamber {i}", i, i % 5 == 0 ? null : -i, null, i % 2 == 0),
            1 => new RatificationApproved($"M{i:00}", new DateOnly(2022, 7, 5).AddDays(i), i % 2 == 0 ? "Parliament" : null),
            _ => new InstrumentDeposited($"M{i:00}", new DateOnly(2022, 7, 5).AddDays(i), "Washington"),
        }),
    ];

    private static byte[] Write(EventJson json, object[] events)
    {
        var output = new ArrayBufferWriter<byte>(1);
        foreach (var data in events)
        {
            json.Write(output, data);
        }
        return output.WrittenSpan.ToArray();
    }

    private static byte[] Serialized(Marten.ISerializer serializer, object[] events)
    {
        var output = new ArrayBufferWriter<byte>(1);
        foreach (var data in events)
        {
            serializer.WriteTo(output, data);
        }
        return output.WrittenSpan.ToArray();
    }

    private sealed class DayLater : JsonConverter<DateOnly>
    {
        public override DateOnly Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            DateOnly.ParseExact(reader.GetString()!, "yyyy-MM-dd").AddDays(1);

        public override void Write(Utf8JsonWriter writer, DateOnly value, JsonSerializerOptions options) =>
            writer.WriteStringValue(value.AddDays(1).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture));
    }
}
