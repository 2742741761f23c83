using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using FluentAssertions;
using Marten;
using RatificationLedger.Domain;
using RatificationLedger.Projections;
using RatificationLedger.Storage;
using Weasel.Core;
using Xunit;

namespace RatificationLedger.Tests.Rebuilding;

/// <summary>
/// A rebuild's reader takes chamber votes, approvals and deposits straight off their JSON only while that gives what the
/// store's serializer gives: a store whose serializer reads them otherwise is read through it, whatever the direct
/// reader would have said. No database: the reader decodes rows it is handed.
/// </summary>
public sealed class EntryReaderDirectTests
{
    private static readonly string Approved = StoredEventNames.All[typeof(RatificationApproved)];

    [Fact]
    public void The_ledgers_store_reads_approvals_directly_once_the_first_ones_read_as_its_serializer_reads_them()
    {
        using var store = DocumentStore.For(o =>
        {
            o.Connection("Host=localhost;Database=unused");
            o.AddRatificationLedger();
        });

        var (reader, read) = Decode(store, 3 * EntryReader.CheckedEvents);

        read.Should().Equal(Expected(3 * EntryReader.CheckedEvents));
        reader.ReadsDirectly.Should().BeTrue();
    }

    [Fact]
    public void A_store_whose_serializer_reads_dates_otherwise_is_read_through_its_serializer()
    {
        using var store = DocumentStore.For(o =>
        {
            o.Connection("Host=localhost;Database=unused");
            o.AddRatificationLedger();
            // An app's own date converter, registered after the ledger's: every date a day later.
            o.UseSystemTextJsonForSerialization(EnumStorage.AsString, Casing.CamelCase, json => json.Converters.Insert(0, new DayLater()));
        });

        var (reader, read) = Decode(store, 3 * EntryReader.CheckedEvents);

        read.Should().Equal(Expected(3 * EntryReader.CheckedEvents).Select(e => e with { On = e.On.AddDays(1) }));
        reader.ReadsDirectly.Should().BeFalse();
    }

    private static List<RatificationApproved> Expected(int count) =>
        [.. Enumerable.Range(0, count).Select(i => new RatificationApproved($"M{i:00}", new DateOnly(2022, 7, 5).AddDays(i), i % 2 == 0 ? "Parliament" : null))];

    private static (EntryReader Reader, List<RatificationApproved> Read) Decode(IDocumentStore store, int count)
    {
        var reader = new EntryReader(store);
        var read = new List<RatificationApproved>();
        var number = 0L;
        foreach (var approval in Expected(count))
        {
            // As the scan hands rows over: the event's JSON inside a larger array shared with other rows.
            var json = JsonSerializer.SerializeToUtf8Bytes(approval, LedgerJson.Options);
            var data = new byte[json.Length + 10];
            json.CopyTo(data, 5);
            number++;
            var entry = reader.Decode("nato/swe", number, number, Approved, data, 5, json.Length, DateTimeOffset.UnixEpoch, "tester", null, null);
            read.Add((RatificationApproved)entry.Event);
        }
        return (reader, read);
    }

    private sealed class DayLater : JsonConverter<DateOnly>
    {
        public override DateOnly Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            DateOnly.ParseExact(reader.GetString()!, "yyyy-MM-dd").AddDays(1);

        public override void Write(Utf8JsonWriter writer, DateOnly value, JsonSerializerOptions options) =>
            writer.WriteStringValue(value.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture));
    }
}
