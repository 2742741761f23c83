using System.Collections.Concurrent;
using System.Diagnostics;
using RatificationLedger.Domain;
using RatificationLedger.Import;
using RatificationLedger.IntegrationTests.Reliability.Support;
using RatificationLedger.IntegrationTests.Support;
using RatificationLedger.Recording;
using RatificationLedger.Testing;
using Xunit.Abstractions;

namespace RatificationLedger.IntegrationTests.Reliability;

/// <summary>
/// The database server dies (immediate shutdown, as a crash) under an import and under concurrent commands, each test
/// on a server of its own with durable settings. Callers get an error promptly, every transaction is all or nothing,
/// nothing acknowledged is lost, and running the same work again ends exactly where a clean run ends.
/// </summary>
public sealed class FaultTests(ITestOutputHelper output)
{
    private const string Schema = "ledger";

    [Fact]
    public async Task A_server_killed_during_an_import_fails_the_import_promptly_and_the_rerun_equals_a_clean_import()
    {
        var phase = Stopwatch.StartNew();
        var expected = await CleanRuns.ImportAsync();
        output.WriteLine($"clean import: {phase.ElapsedMilliseconds} ms");
        var file = SyntheticHistory.File();
        await using var server = await LocalPostgres.StartAsync(new LocalPostgresOptions { Durable = true });
        await using var host = LedgerHost.Start(server.ConnectionString, Schema);
        output.WriteLine($"server started: {phase.ElapsedMilliseconds} ms");

        // The server is killed from the recorder's hook before the write that would take the import past a third of
        // the file: the kill lands in the middle of the import by construction, not by winning a race with it.
        var clock = new Stopwatch();
        var answered = 0;
        var killed = false;
        host.Recorder.BeforeWrite = async (_, commands) =>
        {
            answered += commands;
            if (!killed && answered >= file.Entries.Count / 3)
            {
                killed = true;
                clock.Start();
                await server.KillAsync();
            }
        };
        var import = Task.Run(async () => await host.Sender.Send(new ImportHistoryRequest(file)));

        var finished = await Task.WhenAny(import, Task.Delay(Faults.AnswerBound));
        finished.Should().BeSameAs(import, $"the import must fail within {Faults.AnswerBound.TotalSeconds} s of the kill, not hang");
        output.WriteLine($"import failed {clock.ElapsedMilliseconds} ms after the kill: {import.Exception?.InnerException?.GetType().Name}: {import.Exception?.InnerException?.Message}");
        var error = import.Exception!.InnerException.Should().BeOfType<ImportInterruptedException>().Subject;
        error.Entry.Should().NotBeNull();
        error.Message.Should().StartWith($"import interrupted at {error.Entry!.Location} after {error.Recorded} recorded")
            .And.Contain("Import the same file again");
        Faults.AssertClear(error);

        killed.Should().BeTrue();
        host.Recorder.BeforeWrite = null;
        await server.StartAgainAsync();
        output.WriteLine($"server restarted: {phase.ElapsedMilliseconds} ms");
        var rerun = await host.Sender.Send(new ImportHistoryRequest(file));
        output.WriteLine($"import rerun: {phase.ElapsedMilliseconds} ms");

        rerun.Failure.Should().BeNull(rerun.Failure?.Message);
        rerun.AlreadyThere.Should().BeGreaterThan(0, "what the first run committed before the kill stays recorded");
        (rerun.Recorded + rerun.AlreadyThere).Should().Be(file.Entries.Count);
        var actual = await LedgerSnapshot.TakeAsync(host.Store);
        actual.Should().BeEquivalentTo(expected, o => o.WithStrictOrdering());
    }

    [Fact]
    public async Task A_server_killed_under_eight_concurrent_writers_answers_each_promptly_and_loses_nothing_acknowledged()
    {
        var expected = await CleanRuns.WorkloadAsync();
        await using var server = await LocalPostgres.StartAsync(new LocalPostgresOptions { Durable = true });
        await using var host = LedgerHost.Start(server.ConnectionString, Schema);
        await RatificationWorkload.OpenAsync(host);
        var commands = RatificationWorkload.Commands();

        var acknowledged = new ConcurrentBag<RecordResult>();
        var failures = new ConcurrentBag<(Exception Error, TimeSpan Waited, AccessionCommand Command, Provenance Provenance)>();
        var queue = new ConcurrentQueue<(AccessionCommand, Provenance)>(commands);
        var writers = Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            // A writer stops at its first failure, as a client whose database went away would.
            while (queue.TryDequeue(out var next))
            {
                var sent = Stopwatch.StartNew();
                try
                {
                    acknowledged.Add(await host.SendAsync(next.Item1, next.Item2));
                }
                catch (Exception e)
                {
                    failures.Add((e, sent.Elapsed, next.Item1, next.Item2));
                    return;
                }
            }
        })).ToArray();
        var all = Task.WhenAll(writers);
        await Faults.WaitForEventsAsync(server.ConnectionString, Schema, 12 + commands.Count / 3, all);
        all.IsCompleted.Should().BeFalse("the kill must land while the writers are writing");
        var clock = Stopwatch.StartNew();
        await server.KillAsync();

        (await Task.WhenAny(all, Task.Delay(Faults.AnswerBound))).Should().BeSameAs(all, "every writer must get its answer promptly, not hang");
        output.WriteLine($"all writers answered {clock.ElapsedMilliseconds} ms after the kill; {acknowledged.Count} acknowledged, {failures.Count} failed");
        failures.Should().NotBeEmpty();
        foreach (var (error, waited, command, provenance) in failures)
        {
            output.WriteLine($"  {waited.TotalMilliseconds:0} ms: {error.GetType().Name}: {error.Message}");
            waited.Should().BeLessThan(Faults.AnswerBound);
            var unavailable = error.Should().BeOfType<LedgerUnavailableException>().Subject;
            unavailable.Process.Should().Be(command.Process);
            unavailable.CommandId.Should().Be(provenance.CommandId);
            Faults.AssertClear(unavailable);
        }
        acknowledged.Should().OnlyContain(r => r.Outcome == RecordOutcome.Recorded, "valid commands are recorded until the server dies");

        await server.StartAgainAsync();

        // Nothing acknowledged is lost: every acknowledged entry is in the restarted store with its number.
        foreach (var stream in acknowledged.GroupBy(r => r.Stream))
        {
            var stored = (await host.Reader.ReadEntriesAsync(stream.Key)).ToDictionary(e => e.Number);
            foreach (var entry in stream.SelectMany(r => r.Entries))
            {
                stored.Should().ContainKey(entry.Number);
                LedgerSnapshot.Canonical(stored[entry.Number].Event).Should().Be(LedgerSnapshot.Canonical(entry.Event));
            }
        }

        // Sending everything again (same command ids) completes the work; what was recorded answers as a resend.
        var again = await Task.WhenAll(commands.Select(c => Task.Run(() => host.SendAsync(c.Item1, c.Item2))));
        again.Should().OnlyContain(r => r.Outcome == RecordOutcome.Recorded);
        var resent = again.ToDictionary(r => r.CommandId, StringComparer.Ordinal);
        foreach (var (error, _, _, provenance) in failures.Where(f => f.Error is LedgerUnavailableException { MayHaveBeenRecorded: false }))
        {
            resent[provenance.CommandId!].IsResend.Should().BeFalse($"the error said nothing was recorded: {error.Message}");
        }
        foreach (var first in acknowledged)
        {
            resent[first.CommandId].IsResend.Should().BeTrue($"{first.CommandId} was recorded and acknowledged before the kill");
            resent[first.CommandId].Entries.Select(e => (e.Number, e.Type)).Should().Equal(first.Entries.Select(e => (e.Number, e.Type)));
        }
        output.WriteLine($"resent: {again.Count(r => r.IsResend)} already recorded ({again.Count(r => r.IsResend) - acknowledged.Count} of them committed without an answer), {again.Count(r => !r.IsResend)} new");

        var actual = await LedgerSnapshot.TakeAsync(host.Store);
        actual.Keys.Should().BeEquivalentTo(expected.Keys);
        foreach (var (stream, snapshot) in actual)
        {
            // Concurrent writers number the entries in another order than the sequential run; the facts are the same.
            snapshot.Should().BeEquivalentTo(expected[stream], o => o.Excluding(s => s.Entries), stream);
            Facts(snapshot).Should().BeEquivalentTo(Facts(expected[stream]), stream);
            snapshot.Entries.Select(e => long.Parse(e[1..e.IndexOf(' ', StringComparison.Ordinal)], System.Globalization.CultureInfo.InvariantCulture))
                .Should().Equal(Enumerable.Range(1, snapshot.Entries.Count).Select(i => (long)i), $"{stream} entries are numbered without gaps");
        }
    }

    private static IEnumerable<string> Facts(ProcessSnapshot s) => s.Entries.Select(e => e[(e.IndexOf(' ', StringComparison.Ordinal) + 1)..]).Order(StringComparer.Ordinal);
}
