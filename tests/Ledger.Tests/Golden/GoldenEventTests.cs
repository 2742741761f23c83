using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using RatificationLedger.Domain;

namespace RatificationLedger.Tests.Golden;

// Pins the stored JSON of every event and the stored-name map: history written today must read the same tomorrow.
public partial class GoldenEventTests
{
    private const string NamesFile = "stored-names.json";

    // Records of the domain that are not stored events. A new record must be added here or to StoredEventNames.
    private static readonly HashSet<Type> s_notEvents =
    [
        typeof(AccessionState), typeof(MemberSteps), typeof(Veto), typeof(Entry), typeof(Organization), typeof(Membership),
        typeof(DecisionContext), typeof(Decision), typeof(Rejection), typeof(RegisterOrganization), typeof(AdmitMember),
        typeof(EntryIntoForceRule), typeof(EntryIntoForceAnswer),
    ];

    public static TheoryData<string> StoredNames => [.. StoredEventNames.All.Values.Order(StringComparer.Ordinal)];

    [Theory, MemberData(nameof(StoredNames))]
    public void Stored_json_of_each_event_matches_its_golden_file(string storedName)
    {
        var sample = EventSamples.Of(storedName);
        GoldenFiles.Verify($"{storedName}.json", JsonSerializer.Serialize(sample, sample.GetType(), LedgerJson.Options));
    }

    [Theory, MemberData(nameof(StoredNames))]
    public void Golden_json_of_each_event_reads_back_as_an_equal_event(string storedName)
    {
        var sample = EventSamples.Of(storedName);
        var golden = File.ReadAllText(Path.Combine(GoldenFiles.Folder, $"{storedName}.json")).TrimEnd('\n', '\r');

        var read = JsonSerializer.Deserialize(golden, sample.GetType(), LedgerJson.Options);

        read.Should().BeOfType(sample.GetType());
        read.Should().BeEquivalentTo(sample, o => o.ComparingRecordsByMembers().RespectingRuntimeTypes().WithStrictOrdering());
        JsonSerializer.Serialize(read, sample.GetType(), LedgerJson.Options).Should().Be(golden);
    }

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(999, 2, 3)]
    [InlineData(1955, 5, 9)]
    [InlineData(2022, 5, 18)]
    [InlineData(2024, 2, 29)]
    [InlineData(9999, 12, 31)]
    public void Effective_dates_are_stored_as_iso_dates_and_read_back(int year, int month, int day)
    {
        var date = new DateOnly(year, month, day);
        var json = JsonSerializer.Serialize(date, LedgerJson.Options);
        json.Should().Be($"\"{date.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture)}\"");
        JsonSerializer.Deserialize<DateOnly>(json, LedgerJson.Options).Should().Be(date);
    }

    [Fact]
    public void Stored_name_map_matches_its_golden_file()
    {
        var map = StoredEventNames.All
            .OrderBy(p => p.Key.Name, StringComparer.Ordinal)
            .ToDictionary(p => p.Key.Name, p => p.Value);
        GoldenFiles.Verify(NamesFile, JsonSerializer.Serialize(map, new JsonSerializerOptions { WriteIndented = true }));
    }

    [Fact]
    public void Every_event_type_in_the_domain_has_a_stored_name_a_sample_and_a_golden_file()
    {
        var records = typeof(StoredEventNames).Assembly.GetTypes()
            .Where(t => t.Namespace == typeof(StoredEventNames).Namespace && t.IsPublic && !t.IsAbstract)
            .Where(t => t.GetMethod("<Clone>$") is not null)
            .Where(t => !typeof(AccessionCommand).IsAssignableFrom(t) && !s_notEvents.Contains(t))
            .ToArray();

        records.Should().NotBeEmpty();
        records.Where(t => !StoredEventNames.All.ContainsKey(t)).Select(t => t.Name)
            .Should().BeEmpty("every event needs a stored name in StoredEventNames (or, if it is no event, a place in s_notEvents)");
        StoredEventNames.All.Keys.Should().BeEquivalentTo(records, "StoredEventNames names only the domain's events");
        EventSamples.All.Select(e => e.GetType()).Should().BeEquivalentTo(StoredEventNames.All.Keys, "each event has one sample");
        foreach (var name in StoredEventNames.All.Values)
        {
            File.Exists(Path.Combine(GoldenFiles.Folder, $"{name}.json")).Should().BeTrue($"{name} should have a golden file");
        }
    }

    [Fact]
    public void Stored_names_are_unique_snake_case_and_no_golden_file_is_orphaned()
    {
        var names = StoredEventNames.All.Values.ToArray();
        names.Should().OnlyHaveUniqueItems();
        names.Should().OnlyContain(n => SnakeCase().IsMatch(n));
        GoldenFiles.Names().Where(f => f != NamesFile).Select(f => f[..^".json".Length])
            .Should().BeSubsetOf(names, "a shipped event is never removed, and a golden file without an event means one was");
    }

    [Fact]
    public void Stored_event_json_uses_camel_case_names_enum_names_iso_dates_and_no_indentation()
    {
        var json = JsonSerializer.Serialize(new ApplicationSubmitted("NATO", "SWE", new DateOnly(2022, 5, 18), RatificationCounts.AtDeposit), LedgerJson.Options);
        json.Should().Be("""{"organization":"NATO","candidate":"SWE","on":"2022-05-18","countsAt":"AtDeposit"}""");

        LedgerJson.Options.IsReadOnly.Should().BeTrue();
        var integerEnum = () => JsonSerializer.Deserialize<ApplicationSubmitted>("""{"organization":"NATO","candidate":"SWE","on":"2022-05-18","countsAt":1}""", LedgerJson.Options);
        integerEnum.Should().Throw<JsonException>("enums are stored as names, never numbers");
        var otherDateForm = () => JsonSerializer.Deserialize<AccessionProtocolSigned>("""{"on":"05/07/2022"}""", LedgerJson.Options);
        otherDateForm.Should().Throw<JsonException>().WithMessage("*05/07/2022*yyyy-MM-dd*");
    }

    [Fact]
    public void Configure_gives_host_options_the_same_stored_json_even_over_their_own_enum_converter()
    {
        // As a host (Marten) would: its own options, already carrying an enum converter without a naming policy.
        var host = new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true };
        host.Converters.Add(new JsonStringEnumConverter());
        LedgerJson.Configure(host);

        foreach (var sample in EventSamples.All)
        {
            JsonSerializer.Serialize(sample, sample.GetType(), host)
                .Should().Be(JsonSerializer.Serialize(sample, sample.GetType(), LedgerJson.Options), StoredEventNames.Of(sample));
        }
    }

    [GeneratedRegex("^[a-z]+(_[a-z]+)*$")]
    private static partial Regex SnakeCase();
}
