using System.Reflection;
using RatificationLedger.Domain;

namespace RatificationLedger.Tests.Domain;

public class RuleCoverageTests
{
    private static IReadOnlyList<string> AllRuleCodes() =>
        [.. typeof(RuleCodes).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral && f.FieldType == typeof(string))
            .Select(f => (string)f.GetRawConstantValue()!)];

    private static IEnumerable<MethodInfo> Tests() =>
        typeof(RuleCoverageTests).Assembly.GetTypes()
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly))
            .Where(m => m.GetCustomAttributes<FactAttribute>().Any());

    [Fact]
    public void Every_rule_has_a_refused_case_and_an_accepted_case()
    {
        var refused = Tests().SelectMany(m => m.GetCustomAttributes<RefusesAttribute>()).Select(a => a.Code).ToHashSet();
        var accepted = Tests().SelectMany(m => m.GetCustomAttributes<AcceptsAttribute>()).Select(a => a.Code).ToHashSet();

        AllRuleCodes().Where(c => !refused.Contains(c)).Should().BeEmpty("every rule needs a test that shows it refusing");
        AllRuleCodes().Where(c => !accepted.Contains(c)).Should().BeEmpty("every rule needs a test that shows what it lets through");
    }

    [Fact]
    public void Rule_codes_are_unique_and_name_their_family()
    {
        var codes = AllRuleCodes();
        codes.Should().OnlyHaveUniqueItems();
        codes.Should().OnlyContain(c => c.Contains('.', StringComparison.Ordinal) && c == c.ToLowerInvariant());
    }
}
