using RatificationLedger.Domain;
using RatificationLedger.Recording;
using NetArchTest.Rules;

namespace RatificationLedger.Tests.Architecture;

/// <summary>
/// The domain (events, commands, deciders, states) references only the BCL: no storage, no delivery mechanism, none of
/// the write side around it. Broken the day a type in <c>RatificationLedger.Domain</c> reaches Marten, Npgsql, Mediator or the
/// recorder's and storage's namespaces.
/// </summary>
public sealed class DomainBoundaryTests
{
    private static readonly string[] Outside =
        ["Marten", "JasperFx", "Weasel", "Npgsql", "Mediator", "Microsoft.Extensions", "RatificationLedger.Recording", "RatificationLedger.Storage", "RatificationLedger.Import", "RatificationLedger.Projections"];

    private static TestResult DependingOnOutside(string ns) =>
        Types.InAssembly(typeof(AccessionDecider).Assembly)
            .That().ResideInNamespace(ns)
            .ShouldNot().HaveDependencyOnAny(Outside)
            .GetResult();

    [Fact]
    public void The_domain_depends_on_nothing_but_the_BCL()
    {
        var result = DependingOnOutside("RatificationLedger.Domain");

        result.IsSuccessful.Should().BeTrue(
            $"these domain types reach outside it: {string.Join(", ", result.FailingTypes?.Select(t => t.FullName) ?? [])}");
        // The rule looked at the domain's types (a misspelt namespace would pass with none).
        Types.InAssembly(typeof(AccessionDecider).Assembly).That().ResideInNamespace("RatificationLedger.Domain").GetTypes().Select(t => t.ReflectionType)
            .Should().Contain([typeof(AccessionDecider), typeof(AccessionState), typeof(Consequences), typeof(OrganizationDecider)]);
    }

    [Fact]
    public void The_same_rule_flags_the_write_side_which_does_use_Marten()
    {
        // The check can fail: the recorder's namespace depends on Marten by design.
        var result = DependingOnOutside("RatificationLedger.Recording");

        result.IsSuccessful.Should().BeFalse();
        result.FailingTypes.Select(t => t.ReflectionType).Should().Contain(typeof(LedgerRecorder));
    }
}
