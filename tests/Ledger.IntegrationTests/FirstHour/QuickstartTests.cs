using System.Reflection;
using System.Text.RegularExpressions;
using RatificationLedger.IntegrationTests.Observability;
using RatificationLedger.IntegrationTests.Support;
using RatificationLedger.Projections;
using Marten;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace RatificationLedger.IntegrationTests.FirstHour;

/// <summary>
/// The README's quickstart as a new user meets it: its C# block, compiled as a console app with implicit usings
/// (Roslyn, against the assemblies this test runs with) and run against a fresh database of the test server; what it
/// prints and what it recorded are checked against the values worked out by hand from its commands.
/// </summary>
// Alone: it captures Console.Out while the quickstart runs.
[Collection(nameof(TelemetryCollection))]
public sealed partial class QuickstartTests
{
    // The usings of a console project with <ImplicitUsings>enable</ImplicitUsings> (Microsoft.NET.Sdk).
    private const string ImplicitUsings = """
        global using System;
        global using System.Collections.Generic;
        global using System.IO;
        global using System.Linq;
        global using System.Net.Http;
        global using System.Threading;
        global using System.Threading.Tasks;
        """;

    [Fact]
    public async Task The_README_quickstart_compiles_as_written_and_runs()
    {
        var code = Quickstart(await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "Data", "README.md")));
        var assembly = Compile(code);
        var connection = await FreshDatabaseAsync();

        var output = new StringWriter();
        var console = Console.Out;
        Console.SetOut(output);
        try
        {
            var run = assembly.EntryPoint!.Invoke(null, [new[] { $"--ConnectionStrings:Ledger={connection}" }]);
            if (run is Task task)
            {
                await task;
            }
        }
        finally
        {
            Console.SetOut(console);
        }

        // Hand-worked: NOR approved on 6 July (counts, at approval), DNK on 18 August (after 31 July); SWE is not among the required ratifiers the invitation fixed.
        var printed = output.ToString();
        printed.Should().Contain("who.not_required_ratifier");
        printed.Should().Contain("1 of 3 counted on 31 July 2022, pending DNK, ISL");
        // The comment that closes the block says what it prints.
        code.Should().Contain("// 1 of 3 counted on 31 July 2022, pending DNK, ISL");

        // What it recorded, read back through the ledger's own store in that database.
        var services = new ServiceCollection();
        services.AddRatificationLedger(connection, l => l.AddReadModels());
        await using var provider = services.BuildServiceProvider();
        var queries = provider.GetRequiredService<LedgerQueries>();
        var register = await queries.RegisterAsync("example/fin");
        register!.Rows.Select(r => (r.Member, r.RatifiedOn)).Should().Equal(
            ("NOR", new DateOnly(2022, 7, 6)), ("DNK", new DateOnly(2022, 8, 18)), ("ISL", (DateOnly?)null));
        register.Rows.Select(r => r.RecordedBy).Should().Equal(Environment.UserName, Environment.UserName, null);
        (await queries.AuditAsync("example/fin"))!.Entries.Should().HaveCount(4);

        NpgsqlConnection.ClearAllPools();
        await using var admin = new NpgsqlConnection(await TestSchemas.ConnectionStringAsync());
        await admin.OpenAsync();
        await using var drop = new NpgsqlCommand($"drop database {new NpgsqlConnectionStringBuilder(connection).Database} with (force)", admin);
        await drop.ExecuteNonQueryAsync();
    }

    private static string Quickstart(string readme)
    {
        var section = readme[readme.IndexOf("## Use it from your app", StringComparison.Ordinal)..];
        var block = CSharpBlock().Match(section);
        block.Success.Should().BeTrue("the README's 'Use it from your app' section has a ```csharp block");
        return block.Groups[1].Value;
    }

    private static Assembly Compile(string code)
    {
        // Everything this test process was started with: the ledger, Marten, the hosting packages, the framework.
        var references = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
            .Split(Path.PathSeparator)
            .Where(p => p.EndsWith(".dll", StringComparison.Ordinal))
            .Select(p => MetadataReference.CreateFromFile(p));
        var parse = new CSharpParseOptions(LanguageVersion.Latest);
        var compilation = CSharpCompilation.Create(
            "Quickstart",
            [CSharpSyntaxTree.ParseText(code, parse, "Program.cs"), CSharpSyntaxTree.ParseText(ImplicitUsings, parse, "Usings.cs")],
            references,
            new CSharpCompilationOptions(OutputKind.ConsoleApplication, nullableContextOptions: NullableContextOptions.Enable));
        using var image = new MemoryStream();
        var emitted = compilation.Emit(image);
        emitted.Diagnostics.Where(d => d.Severity >= DiagnosticSeverity.Warning && d.Id != "CS1701" && d.Id != "CS1702")
            .Select(d => d.ToString()).Should().BeEmpty("the quickstart compiles as written, without warnings");
        emitted.Success.Should().BeTrue();
        return Assembly.Load(image.ToArray());
    }

    private static async Task<string> FreshDatabaseAsync()
    {
        var server = new NpgsqlConnectionStringBuilder(await TestSchemas.ConnectionStringAsync());
        var name = TestSchemas.Next("quickstart");
        await using (var admin = new NpgsqlConnection(server.ConnectionString))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"create database {name}", admin);
            await create.ExecuteNonQueryAsync();
        }
        server.Database = name;
        return server.ConnectionString;
    }

    [GeneratedRegex(@"```csharp\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex CSharpBlock();
}
