using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace RatificationLedger.Storage;

/// <summary>
/// The checks on <see cref="LedgerOptions"/>, made when the ledger is registered (and by the recorder's constructor):
/// each failure names the option and the value that is wrong.
/// </summary>
internal sealed partial class LedgerOptionsValidator : IValidateOptions<LedgerOptions>
{
    public ValidateOptionsResult Validate(string? name, LedgerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (options.ImportBatchSize <= 0)
        {
            failures.Add($"LedgerOptions.ImportBatchSize must be greater than 0 (it is {options.ImportBatchSize}).");
        }
        if (options.ConcurrencyRetries < 0)
        {
            failures.Add($"LedgerOptions.ConcurrencyRetries must be 0 or more (it is {options.ConcurrencyRetries}).");
        }
        if (options.WriteCacheStreams < 0)
        {
            failures.Add($"LedgerOptions.WriteCacheStreams must be 0 (no cache) or more (it is {options.WriteCacheStreams}).");
        }
        if (options.Schema is null || !Identifier().IsMatch(options.Schema))
        {
            failures.Add($"LedgerOptions.Schema must be a PostgreSQL identifier: a letter or '_', then letters, digits or '_', at most 63 characters (it is '{options.Schema}').");
        }
        if (options.DigestEvery is { } every && every <= TimeSpan.Zero)
        {
            failures.Add($"LedgerOptions.DigestEvery must be positive or null (it is {every}).");
        }
        if (options.DefaultRecordedBy is { } by && (string.IsNullOrWhiteSpace(by) || by.Length > Recording.Provenance.TextLimit))
        {
            failures.Add($"LedgerOptions.DefaultRecordedBy must name someone (1 to {Recording.Provenance.TextLimit} characters, not blank) or be null.");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    public static void ThrowIfInvalid(LedgerOptions options)
    {
        var result = new LedgerOptionsValidator().Validate(Options.DefaultName, options);
        if (result.Failed)
        {
            throw new OptionsValidationException(Options.DefaultName, typeof(LedgerOptions), result.Failures);
        }
    }

    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_]{0,62}\z", RegexOptions.CultureInvariant)]
    private static partial Regex Identifier();
}
