using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using RatificationLedger.Import;

namespace RatificationLedger.Cli.Commands;

/// <summary><c>ledger import FILE|-</c>: records a history file through the normal command path (idempotent).</summary>
internal static class ImportCommand
{
    public static Command Create(CliContext cli, CancellationToken stop)
    {
        var file = new Argument<string>("FILE") { Description = "a ledger history file (docs/import-format.md); - reads standard input" };
        var json = CliContext.JsonOption();
        var dryRun = new Option<bool>("--dry-run") { Description = "decide every entry against the ledger and report what would be recorded; write nothing" };
        var batchSize = new Option<int?>("--batch-size") { Description = "the most entries one transaction writes (default 16,000); smaller batches use less memory and commit more often" };
        batchSize.Validators.Add(result =>
        {
            if (result.GetValue(batchSize) is < 1 and var n)
            {
                result.AddError($"--batch-size {n} is not a batch size: expected at least 1.");
            }
        });
        var command = new Command("import", "record a history file through the normal command path (idempotent)") { file, json, dryRun, batchSize };
        command.SetAction(async (parse, ct) =>
        {
            var path = parse.GetValue(file)!;
            var format = CliContext.FormatOf(parse, json);
            var dry = parse.GetValue(dryRun);
            var history = Load(path);
            var name = path == "-" ? "standard input" : path;
            await using var ledger = await cli.OpenAsync(parse, ct).ConfigureAwait(false);
            using var progress = cli.ShowsProgress(parse) ? new ProgressLine(cli.Error) : null;
            // Ctrl+C (stop) ends the import after the batch being written, never inside a statement.
            var result = await ledger.Sender.Send(new ImportHistoryRequest(history) { Stop = stop, Progress = progress, DryRun = dry, BatchSize = parse.GetValue(batchSize) }, CancellationToken.None).ConfigureAwait(false);
            progress?.Clear();
            var notImported = result.Total - result.Recorded - result.AlreadyThere;
            var counts = $"{result.Recorded} recorded, {result.AlreadyThere} already there";
            if (format == OutputFormat.Json)
            {
                var failure = result.Failure is { } f
                    ? new JsonImportFailure(f.Entry.Process, f.Entry.Location, f.Rejection.Code, f.Message)
                    : null;
                await cli.Output.WriteLineAsync(CliJson.Write(new JsonImport(CliJson.SchemaVersion, name, result.Total, result.Recorded, result.AlreadyThere, notImported, failure, result.DryRun))).ConfigureAwait(false);
            }
            if (result.Stopped && dry)
            {
                await cli.Error.WriteLineAsync($"ledger: dry run interrupted after {result.Recorded + result.AlreadyThere} of {result.Total} entries; nothing was written.").ConfigureAwait(false);
                return ExitCodes.Interrupted;
            }
            if (result.Stopped)
            {
                await cli.Error.WriteLineAsync($"ledger: import interrupted after {counts} of {result.Total} entries; {notImported} not imported.").ConfigureAwait(false);
                await cli.Error.WriteLineAsync("What was committed stays; import the same file again to continue.").ConfigureAwait(false);
                return ExitCodes.Interrupted;
            }
            if (result.Failure is { } failed)
            {
                await cli.Error.WriteLineAsync($"ledger: import stopped at {failed.Message}").ConfigureAwait(false);
                if (dry)
                {
                    await cli.Error.WriteLineAsync($"Dry run, nothing was written. Before it: {result.Recorded} would be recorded, {result.AlreadyThere} already there; {notImported} entries not imported.").ConfigureAwait(false);
                    return ExitCodes.Invalid;
                }
                await cli.Error.WriteLineAsync($"Before it: {counts}; {notImported} entries not imported. Fix the entry and import again: what is recorded stays, nothing is recorded twice.").ConfigureAwait(false);
                return ExitCodes.Invalid;
            }
            if (format != OutputFormat.Json && dry)
            {
                await cli.Output.WriteLineAsync($"Dry run of {name}: {result.Total} entries, {result.Recorded} would be recorded, {result.AlreadyThere} already there; nothing was written.").ConfigureAwait(false);
            }
            else if (format != OutputFormat.Json)
            {
                await cli.Output.WriteLineAsync($"Imported {name}: {result.Total} entries, {counts}.").ConfigureAwait(false);
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    private static HistoryFile Load(string path)
    {
        if (path != "-")
        {
            return HistoryFile.Load(path);
        }
        using var input = Console.OpenStandardInput();
        // The parser needs the whole document: a pipe is read to its end first.
        using var buffer = new MemoryStream();
        input.CopyTo(buffer);
        buffer.Position = 0;
        return HistoryFile.Parse(buffer, "standard input");
    }

    /// <summary>One line on stderr, redrawn after each batch: entries done, rate, and an estimate of the time left.</summary>
    private sealed class ProgressLine(TextWriter error) : IProgress<ImportProgress>, IDisposable
    {
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private int _width;

        public void Report(ImportProgress value)
        {
            var seconds = Math.Max(_clock.Elapsed.TotalSeconds, 0.001);
            var rate = value.Done / seconds;
            var left = rate > 0 ? TimeSpan.FromSeconds((value.Total - value.Done) / rate) : TimeSpan.Zero;
            var line = string.Create(CultureInfo.InvariantCulture,
                $"{value.Done}/{value.Total} entries ({value.Recorded} recorded, {value.AlreadyThere} already there), {rate:0}/s, about {left:hh\\:mm\\:ss} left");
            error.Write("\r" + line.PadRight(_width));
            _width = line.Length;
            error.Flush();
        }

        public void Clear()
        {
            if (_width > 0)
            {
                error.Write("\r" + new string(' ', _width) + "\r");
                _width = 0;
            }
        }

        public void Dispose() => Clear();
    }
}
