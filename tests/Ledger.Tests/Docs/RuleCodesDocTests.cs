using System.Reflection;
using System.Text;
using System.Xml.Linq;
using RatificationLedger.Domain;
using RatificationLedger.Recording;

namespace RatificationLedger.Tests.Docs;

/// <summary>
/// docs/rule-codes.md is generated from <see cref="RuleCodes"/> and the XML documentation of each constant. This test
/// fails when the file and the code disagree; run it with <c>LEDGER_UPDATE_DOCS=1</c> to write the file anew.
/// </summary>
public class RuleCodesDocTests
{
    [Fact]
    public void Docs_rule_codes_lists_every_code_with_its_description()
    {
        var expected = Render();
        var repoFile = RepositoryFile("docs", "rule-codes.md");
        if (Environment.GetEnvironmentVariable("LEDGER_UPDATE_DOCS") == "1")
        {
            File.WriteAllText(repoFile, expected);
        }
        var actual = File.ReadAllText(repoFile).ReplaceLineEndings("\n");
        actual.Should().Be(expected, "docs/rule-codes.md must match RuleCodes (regenerate with LEDGER_UPDATE_DOCS=1 dotnet test --filter RuleCodesDocTests)");
    }

    [Theory]
    [InlineData(typeof(RuleCodes))]
    [InlineData(typeof(RecordCodes))]
    public void Every_code_has_a_description(Type holder)
    {
        var summaries = Summaries(holder);
        Codes(holder).Where(c => !summaries.ContainsKey(c.Field)).Select(c => c.Field).Should().BeEmpty();
    }

    private static IReadOnlyList<(string Field, string Code)> Codes(Type holder) =>
        [.. holder.GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral && f.FieldType == typeof(string))
            .Select(f => (f.Name, (string)f.GetRawConstantValue()!))];

    private static Dictionary<string, string> Summaries(Type holder)
    {
        var xml = XDocument.Load(Path.ChangeExtension(holder.Assembly.Location, ".xml"));
        var prefix = $"F:{holder.FullName}.";
        return xml.Descendants("member")
            .Where(m => ((string?)m.Attribute("name"))?.StartsWith(prefix, StringComparison.Ordinal) == true)
            .ToDictionary(m => ((string)m.Attribute("name")!)[prefix.Length..], m => Text(m.Element("summary")!));
    }

    private static string Text(XElement summary) =>
        string.Join(" ", string.Concat(summary.Nodes().Select(n => n switch
        {
            XElement { Name.LocalName: "c" } c => $"`{c.Value}`",
            XElement e => e.Value,
            _ => n.ToString(),
        })).Split((char[])[' ', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries));

    private static string Render()
    {
        var text = new StringBuilder();
        text.Append("# Rule codes\n\n")
            .Append("Every refusal of the ledger carries one of these stable codes (`Rejection.Code`, `RecordResult.Rejection`,\n")
            .Append("the `ledger` tool's message on stderr) and a message that names the rule and the values. Apps may switch on\n")
            .Append("the codes; the messages may be reworded. The prefix names the kind of rule. This file is generated from\n")
            .Append("`RuleCodes` (src/Ledger/Domain/Rejection.cs) and `RecordCodes` (src/Ledger/Recording/RecordResult.cs) by `tests/Ledger.Tests/Docs/RuleCodesDocTests.cs`.\n\n")
            .Append("## Rules of the decider (`RuleCodes`)\n\n");
        Table(text, typeof(RuleCodes));
        text.Append("\n## Outcomes of the write side that are not rule breaches (`RecordCodes`)\n\n")
            .Append("A command id reused for another command, a version conflict (the stream moved since it was read), a stream\n")
            .Append("that stayed contended after every retry, a provenance that cannot be stored.\n\n");
        Table(text, typeof(RecordCodes));
        return text.ToString();
    }

    private static void Table(StringBuilder text, Type holder)
    {
        var summaries = Summaries(holder);
        text.Append("| code | constant | when |\n|---|---|---|\n");
        foreach (var (field, code) in Codes(holder).OrderBy(c => c.Code, StringComparer.Ordinal))
        {
            text.Append($"| `{code}` | `{holder.Name}.{field}` | {summaries.GetValueOrDefault(field, "")} |\n");
        }
    }

    private static string RepositoryFile(params string[] parts)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Ledger.sln")))
            {
                return Path.Combine([dir.FullName, .. parts]);
            }
        }
        throw new InvalidOperationException("the repository root (Ledger.sln) was not found above " + AppContext.BaseDirectory);
    }
}
