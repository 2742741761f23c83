using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using RatificationLedger.Integrity;
using Npgsql;

namespace RatificationLedger.Cli.Commands;

/// <summary>
/// <c>ledger digest</c>, <c>verify</c>, <c>proof</c> and <c>verify-proof</c>: the tamper evidence of docs/design.md, and
/// the line after <c>status</c> and <c>audit</c> naming the latest digest that covers what they showed.
/// </summary>
internal static class IntegrityCommands
{
    public static IEnumerable<Command> Create(CliContext cli) => [DigestCommand(cli), VerifyCommand(cli), ProofCommand(cli), VerifyProofCommand(cli)];

    private static Command DigestCommand(CliContext cli)
    {
        var file = new Option<string?>("--out") { Description = "write the digest to this file (keep it outside the database); default: print it" };
        var command = new Command("digest", "take a digest of the whole ledger (also stored in the ledger's digest table)") { file };
        command.SetAction(async (parse, ct) =>
        {
            await using var ledger = await cli.OpenAsync(parse, ct).ConfigureAwait(false);
            var digest = await LedgerIntegrity.TakeDigestAsync(ledger.Store, ct).ConfigureAwait(false);
            if (parse.GetValue(file) is { } path)
            {
                var full = Path.GetFullPath(path);
                await File.WriteAllTextAsync(full, digest.ToJson(), ct).ConfigureAwait(false);
                await cli.Output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"Digest {digest.Number} of {LedgerEntry.Instant(digest.TakenAt)}: {digest.Heads.Count} processes, {digest.Entries} entries, root {LedgerHash.Hex(digest.Root())}; written to {full}. Keep it outside the database.")).ConfigureAwait(false);
            }
            else
            {
                await cli.Output.WriteAsync(digest.ToJson()).ConfigureAwait(false);
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command VerifyCommand(CliContext cli)
    {
        var digests = new Option<string[]>("--digest") { Description = "a digest file kept outside the database (repeatable)", AllowMultipleArgumentsPerToken = false };
        var json = CliContext.JsonOption();
        var command = new Command("verify", "recompute every entry hash, chain and stored digest, and check the digests given; exit 1 when the record was changed") { digests, json };
        command.SetAction(async (parse, ct) =>
        {
            var given = (parse.GetValue(digests) ?? []).Select(ReadDigest).ToArray();
            await using var ledger = await cli.OpenAsync(parse, ct).ConfigureAwait(false);
            // Progress only where a person watches: stderr a terminal and no --quiet (as the import's).
            IProgress<long>? progress = cli.ShowsProgress(parse)
                ? new Progress<long>(n => cli.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ledger: verified {n} entries...")))
                : null;
            var report = await LedgerIntegrity.VerifyAsync(ledger.Store, given, progress, ct).ConfigureAwait(false);
            if (parse.GetValue(json))
            {
                await cli.Output.WriteLineAsync(JsonSerializer.Serialize(new
                {
                    intact = report.Intact,
                    processes = report.Processes,
                    entries = report.Entries,
                    storedDigests = report.StoredDigests,
                    externalDigests = report.ExternalDigests,
                    findings = report.Findings.Select(f => new { process = f.Process, entry = f.Entry, kind = KindName(f.Kind), message = f.Message }),
                    notes = report.Notes,
                }, IntegrityJson)).ConfigureAwait(false);
            }
            else
            {
                foreach (var f in report.Findings)
                {
                    await cli.Output.WriteLineAsync(f.Process is null
                        ? $"digest {f.Entry}: {KindName(f.Kind)}: {f.Message}"
                        : $"{f.Process} entry {f.Entry}: {KindName(f.Kind)}: {f.Message}").ConfigureAwait(false);
                }
                foreach (var note in report.Notes)
                {
                    await cli.Output.WriteLineAsync($"note: {note}").ConfigureAwait(false);
                }
                await cli.Output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"{report.Entries} entries of {report.Processes} processes, {report.StoredDigests} stored digests and {report.ExternalDigests} digests given checked: {(report.Intact ? "intact" : $"{report.Findings.Count} findings, the record was changed")}.")).ConfigureAwait(false);
            }
            return report.Intact ? ExitCodes.Ok : ExitCodes.Invalid;
        });
        return command;
    }

    private static Command ProofCommand(CliContext cli)
    {
        var process = CliContext.ProcessArgument();
        var entry = new Argument<long>("ENTRY") { Description = "the entry number (as `ledger audit` shows it)" };
        var digest = new Option<string>("--digest") { Description = "the digest file the proof is for", Required = true };
        var file = new Option<string>("--out") { Description = "the proof file to write", Required = true };
        var command = new Command("proof", "write what shows that one entry is in the ledger a digest describes") { process, entry, digest, file };
        command.SetAction(async (parse, ct) =>
        {
            var id = CliContext.ProcessIdOf(parse.GetValue(process)!);
            var d = ReadDigest(parse.GetValue(digest)!);
            await using var ledger = await cli.OpenAsync(parse, ct).ConfigureAwait(false);
            LedgerProof proof;
            try
            {
                proof = await LedgerIntegrity.ProveAsync(ledger.Store, id, parse.GetValue(entry), d, ct).ConfigureAwait(false);
            }
            catch (InvalidOperationException e)
            {
                throw new CliFailure(e.Message, ExitCodes.Invalid);
            }
            var full = Path.GetFullPath(parse.GetValue(file)!);
            await File.WriteAllTextAsync(full, proof.ToJson(), ct).ConfigureAwait(false);
            await cli.Output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"Proof of {id} entry {proof.Entry.Version} ({proof.Entry.Type}, recorded {LedgerEntry.Instant(proof.Entry.RecordedAt)}) in digest {d.Number}: written to {full}.")).ConfigureAwait(false);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command VerifyProofCommand(CliContext cli)
    {
        var file = new Argument<string>("PROOF") { Description = "a proof file written by `ledger proof`" };
        var digest = new Option<string>("--digest") { Description = "the digest file you kept", Required = true };
        var command = new Command("verify-proof", "check a proof against a digest, with no database; exit 1 when it does not hold") { file, digest };
        command.SetAction(async (parse, ct) =>
        {
            var d = ReadDigest(parse.GetValue(digest)!);
            var path = parse.GetValue(file)!;
            LedgerProof proof;
            try
            {
                proof = LedgerProof.Parse(await File.ReadAllTextAsync(path, ct).ConfigureAwait(false), path);
            }
            catch (Exception e) when (e is FormatException or IOException or UnauthorizedAccessException)
            {
                throw new CliFailure(e is FormatException ? e.Message : $"{path}: {e.Message}", ExitCodes.Invalid);
            }
            if (proof.Verify(d) is { } failure)
            {
                await cli.Error.WriteLineAsync($"ledger: the proof does not hold: {failure}.").ConfigureAwait(false);
                return ExitCodes.Invalid;
            }
            await cli.Output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"The proof holds: {proof.Entry.Stream} entry {proof.Entry.Version} ({proof.Entry.Type}, recorded {LedgerEntry.Instant(proof.Entry.RecordedAt)} by {proof.Entry.RecordedBy ?? "no one named"}) is in the ledger digest {d.Number} of {LedgerEntry.Instant(d.TakenAt)} describes.")).ConfigureAwait(false);
            return ExitCodes.Ok;
        });
        return command;
    }

    // After status and audit: the latest stored digest that covers what they showed (the entries known at the instant).
    public static async Task WriteCoveringDigestAsync(CliContext cli, LedgerConnection ledger, string id, DateTimeOffset? knownAt, CancellationToken ct)
    {
        await using var connection = (NpgsqlConnection)ledger.Store.Storage.Database.CreateConnection();
        await connection.OpenAsync(ct).ConfigureAwait(false);
        await using var command = new NpgsqlCommand(
            $"select max(version) from {ledger.Store.Options.Events.DatabaseSchemaName}.mt_events where stream_id = $1 and ($2::timestamptz is null or timestamp <= $2)", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        command.Parameters.Add(new NpgsqlParameter { Value = knownAt.HasValue ? knownAt.Value.UtcDateTime : DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz });
        if (await command.ExecuteScalarAsync(ct).ConfigureAwait(false) is not long shown)
        {
            return;
        }
        var digest = await LedgerIntegrity.LatestCoveringDigestAsync(ledger.Store, id, shown, ct).ConfigureAwait(false);
        await cli.Output.WriteLineAsync(digest is { } d
            ? string.Create(CultureInfo.InvariantCulture, $"Covered by digest {d.Number} of {LedgerEntry.Instant(d.TakenAt)} (entries 1 to {shown}; `ledger verify --digest FILE` checks it against your copy).")
            : string.Create(CultureInfo.InvariantCulture, $"No digest covers entries 1 to {shown} yet (`ledger digest --out FILE` takes one).")).ConfigureAwait(false);
    }

    private static LedgerDigest ReadDigest(string path)
    {
        try
        {
            return LedgerDigest.Parse(File.ReadAllText(path), path);
        }
        catch (FormatException e)
        {
            throw new CliFailure(e.Message, ExitCodes.Invalid);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliFailure($"{path}: {e.Message}", ExitCodes.Invalid);
        }
    }

    private static string KindName(FindingKind kind) => kind switch
    {
        FindingKind.RolledBack => "rolled back",
        _ => kind.ToString().ToLowerInvariant(),
    };

    private static readonly JsonSerializerOptions IntegrityJson = new() { WriteIndented = true };
    }
