using System.Text.RegularExpressions;
using FluentAssertions;
using RatificationLedger.Domain;
using Xunit;

namespace RatificationLedger.Tests.Domain;

public sealed class ProcessIdTests
{
    // The documented form, as a regular expression (\z: nothing may follow, not even a line break).
    private static readonly Regex Form = new(@"^(?<org>[a-z][a-z0-9]{1,15})/(?<candidate>[a-z]{3})(-(?<attempt>[2-9]|[1-9][0-9]+))?\z");

    [Theory]
    [InlineData("nato/swe", "NATO", "SWE")]
    [InlineData("nato/swe-2", "NATO", "SWE")]
    [InlineData("nato/swe-10", "NATO", "SWE")]
    [InlineData("eu/ukr", "EU", "UKR")]
    [InlineData("g7/can-123", "G7", "CAN")]
    [InlineData("abcdefghijklmnop/fin", "ABCDEFGHIJKLMNOP", "FIN")]
    public void A_well_formed_id_splits_into_upper_case_codes(string id, string organization, string candidate)
    {
        ProcessId.TryParse(id, out var org, out var cand).Should().BeTrue();
        (org, cand).Should().Be((organization, candidate));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("nato")]
    [InlineData("nato/")]
    [InlineData("nato/sw")]
    [InlineData("nato/swed")]
    [InlineData("NATO/swe")]
    [InlineData("nato/SWE")]
    [InlineData("n/swe")]
    [InlineData("1ato/swe")]
    [InlineData("abcdefghijklmnopq/fin")]
    [InlineData("nato/swe-1")]
    [InlineData("nato/swe-0")]
    [InlineData("nato/swe-02")]
    [InlineData("nato/swe-")]
    [InlineData("nato/swe-2a")]
    [InlineData("nato/swe_2")]
    [InlineData("nato/swe\n")]
    [InlineData("nato/swe-2\n")]
    [InlineData(" nato/swe")]
    [InlineData("nato//swe")]
    [InlineData("nato/swe/fin")]
    [InlineData("nato/s1e")]
    [InlineData("na-to/swe")]
    [InlineData("nato/swé")]
    public void A_malformed_id_is_refused(string? id)
    {
        ProcessId.TryParse(id, out var org, out var cand).Should().BeFalse();
        (org, cand).Should().Be(("", ""));
    }

    [Fact]
    public void The_parser_agrees_with_the_documented_form_on_generated_ids()
    {
        var random = new Random(20220518);
        const string alphabet = "abcz09-/A\n";
        for (var n = 0; n < 20_000; n++)
        {
            // Mostly near-valid ids: a valid one with a few characters changed, dropped or added.
            var chars = ProcessId.For(new string('a', 1 + random.Next(17)), "swe", random.Next(4) == 0 ? random.Next(1, 120) : 1).ToList();
            for (var edits = random.Next(3); edits > 0; edits--)
            {
                var at = random.Next(chars.Count + 1);
                switch (random.Next(3))
                {
                    case 0 when at < chars.Count: chars[at] = alphabet[random.Next(alphabet.Length)]; break;
                    case 1 when at < chars.Count: chars.RemoveAt(at); break;
                    default: chars.Insert(at, alphabet[random.Next(alphabet.Length)]); break;
                }
            }
            var id = new string([.. chars]);
            var match = Form.Match(id);
            ProcessId.TryParse(id, out var org, out var candidate).Should().Be(match.Success, id);
            if (match.Success)
            {
                (org, candidate).Should().Be((match.Groups["org"].Value.ToUpperInvariant(), match.Groups["candidate"].Value.ToUpperInvariant()), id);
            }
        }
    }
}
