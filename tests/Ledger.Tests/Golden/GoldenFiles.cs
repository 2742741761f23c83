using System.Runtime.CompilerServices;

namespace RatificationLedger.Tests.Golden;

/// <summary>
/// The committed golden files (this folder). A test compares what it produces with the file and fails when they
/// differ; with <c>LEDGER_UPDATE_GOLDEN=1</c> it writes the file instead (review the diff before committing).
/// </summary>
public static class GoldenFiles
{
    public const string UpdateVariable = "LEDGER_UPDATE_GOLDEN";

    public static bool Updating => Environment.GetEnvironmentVariable(UpdateVariable) == "1";

    /// <summary>The source folder when the tests run from a checkout, else the copy next to the test assembly.</summary>
    public static string Folder { get; } = Locate();

    public static IEnumerable<string> Names() =>
        Directory.EnumerateFiles(Folder, "*.json").Select(Path.GetFileName).OfType<string>();

    /// <summary>Fails unless <paramref name="fileName"/> holds exactly <paramref name="actual"/> (plus a final newline).</summary>
    public static void Verify(string fileName, string actual)
    {
        var path = Path.Combine(Folder, fileName);
        if (Updating)
        {
            File.WriteAllText(path, actual + "\n");
            return;
        }
        File.Exists(path).Should().BeTrue($"golden file {fileName} should exist (run the tests with {UpdateVariable}=1 to create it)");
        var expected = File.ReadAllText(path).ReplaceLineEndings("\n");
        expected = expected.EndsWith('\n') ? expected[..^1] : expected;
        actual.Should().Be(expected,
            $"{fileName} pins the stored form; a shipped event never changes shape (add an optional field or an upcaster instead). "
            + $"If the change is intended, regenerate with {UpdateVariable}=1 and review the diff");
    }

    private static string Locate([CallerFilePath] string source = "")
    {
        var sourceFolder = Path.GetDirectoryName(source);
        if (sourceFolder is not null && Directory.Exists(sourceFolder))
        {
            return sourceFolder;
        }
        if (Updating)
        {
            throw new InvalidOperationException($"{UpdateVariable}=1 needs the source folder of the golden files, and '{sourceFolder}' does not exist here.");
        }
        return Path.Combine(AppContext.BaseDirectory, "Golden");
    }
}
