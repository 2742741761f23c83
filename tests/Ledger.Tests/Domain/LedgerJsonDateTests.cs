using System.Text.Json;
using RatificationLedger.Domain;

namespace RatificationLedger.Tests.Domain;

// Stored dates are read off the bytes when they are plain yyyy-MM-dd and by the general parser otherwise: both paths
// must accept exactly the calendar dates in that form, and refuse the rest with the same error.
public class LedgerJsonDateTests
{
    [Theory]
    [InlineData("\"2024-02-29\"", 2024, 2, 29)]
    [InlineData("\"0001-01-01\"", 1, 1, 1)]
    [InlineData("\"9999-12-31\"", 9999, 12, 31)]
    [InlineData("\"2022-07-05\"", 2022, 7, 5)]
    [InlineData("\"\\u0032022-07-05\"", 2022, 7, 5)]
    public void A_stored_date_reads_as_that_day(string json, int year, int month, int day)
    {
        JsonSerializer.Deserialize<DateOnly>(json, LedgerJson.Options).Should().Be(new DateOnly(year, month, day));
    }

    [Theory]
    [InlineData("\"2023-02-29\"")]
    [InlineData("\"0000-01-01\"")]
    [InlineData("\"2024-13-01\"")]
    [InlineData("\"2024-00-10\"")]
    [InlineData("\"2024-04-31\"")]
    [InlineData("\"2024-1-01\"")]
    [InlineData("\"2024/01/01\"")]
    [InlineData("\"2024-01-0a\"")]
    [InlineData("\"+024-01-01\"")]
    [InlineData("\" 2024-01-1\"")]
    public void Anything_else_is_refused_naming_the_text(string json)
    {
        var text = JsonSerializer.Deserialize<string>(json);
        FluentActions.Invoking(() => JsonSerializer.Deserialize<DateOnly>(json, LedgerJson.Options))
            .Should().Throw<JsonException>().WithMessage($"'{text}' is not a date in the form yyyy-MM-dd.*");
    }
}
