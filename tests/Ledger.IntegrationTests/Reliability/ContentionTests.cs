using System.Collections.Concurrent;
using System.Diagnostics;
using RatificationLedger.Domain;
using RatificationLedger.IntegrationTests.Reliability.Support;
using RatificationLedger.IntegrationTests.Support;
using RatificationLedger.Projections;
using RatificationLedger.Recording;
using RatificationLedger.Storage;
using Marten;
using Xunit.Abstractions;
using static RatificationLedger.IntegrationTests.Support.TestOrganizations;

namespace RatificationLedger.IntegrationTests.Reliability;

/// <summary>
/// Eight writers send random commands, valid and invalid, over twenty processes through Mediator for a bounded time.
/// Afterwards every process, folded from its event log, satisfies the ledger's invariants; what the writers were told
/// was recorded is exactly what the store holds; and the documents written beside the events (process entries, read
/// models) agree with the log.
/// </summary>
public sealed class ContentionTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly string[] Candidates =
        ["FIN", "SWE", "UKR", "GEO", "BIH", "MDA", "SRB", "IRL", "AUT", "CHE", "CYP", "MLT", "ARM", "AZE", "KAZ", "JPN", "AUS", "NZL", "KOR", "BRA"];

    // At least MinimumDuration; then until an accession and enough recordings happened (a slow, shared machine
    // records less per second), but never past MaximumDuration.
    private static readonly TimeSpan MinimumDuration = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan MaximumDuration = TimeSpan.FromSeconds(20);
    private readonly string _schema = TestSchemas.Next("contention");
    private LedgerHost _host = null!;

    public async Task InitializeAsync()
    {
        _host = LedgerHost.Start(await TestSchemas.ConnectionStringAsync(), _schema);
        (await _host.RegisterAsync(Nato())).Succeeded.Should().BeTrue();
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task Eight_writers_over_twenty_processes_leave_a_log_that_keeps_every_invariant_and_matches_every_answer()
    {
        var results = new ConcurrentBag<(AccessionCommand Command, RecordResult Result)>();
        var errors = new ConcurrentBag<(AccessionCommand Command, Exception Error)>();
        var clock = Stopwatch.StartNew();
        var writers = Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
        {
            var random = new Random(1000 + w);
            bool Enough() => results.Count(r => r.Result.Outcome == RecordOutcome.Recorded) >= 150
                && results.Any(r => r.Command is CompleteAccession && r.Result.Outcome == RecordOutcome.Recorded);
            while (clock.Elapsed < MinimumDuration || (clock.Elapsed < MaximumDuration && !Enough()))
            {
                var process = random.Next(Candidates.Length);
                var state = await _host.Reader.LoadStateAsync(Id(process));
                var (command, provenance) = RandomCommand(random, process, state);
                try
                {
                    results.Add((command, await _host.SendAsync(command, provenance)));
                }
                catch (Exception e)
                {
                    errors.Add((command, e));
                }
            }
        })).ToArray();
        await Task.WhenAll(writers).WaitAsync(MaximumDuration + TimeSpan.FromSeconds(60));

        var byOutcome = results.GroupBy(r => r.Result.IsResend ? "Resend" : r.Result.Outcome.ToString()).ToDictionary(g => g.Key, g => g.Count());
        output.WriteLine($"{results.Count + errors.Count} commands in {clock.Elapsed.TotalSeconds:0.0} s: {string.Join(", ", byOutcome.OrderBy(o => o.Key).Select(o => $"{o.Key} {o.Value}"))}; errors {errors.Count}");
        foreach (var group in results.Where(r => r.Result.Rejection is not null).GroupBy(r => r.Result.Rejection!.Code).OrderBy(g => g.Key))
        {
            output.WriteLine($"  {group.Key}: {group.Count()}");
        }
        errors.Should().BeEmpty(string.Join("\n", errors.Take(5).Select(e => $"{e.Command}: {e.Error}")));
        byOutcome.GetValueOrDefault("Recorded").Should().BeGreaterThan(100, "the workload must record a good deal, not only be refused");
        byOutcome.GetValueOrDefault("Rejected").Should().BeGreaterThan(50, "the workload must include invalid commands");
        results.Should().Contain(r => r.Command is CompleteAccession && r.Result.Outcome == RecordOutcome.Recorded, "some processes must get as far as an accession");

        await VerifyAsync(results.Select(r => r.Result).ToArray());
    }

    private async Task VerifyAsync(IReadOnlyList<RecordResult> results)
    {
        var store = _host.Store;
        var logs = new Dictionary<string, IReadOnlyList<RecordedEntry>>(StringComparer.Ordinal);
        foreach (var stream in await LedgerSnapshot.StreamsAsync(store))
        {
            logs[stream] = await _host.Reader.ReadEntriesAsync(stream);
        }
        var processes = logs.Keys.Where(k => ProcessId.TryParse(k, out _, out _)).ToArray();
        processes.Should().NotBeEmpty();

        await using var session = store.QuerySession();
        var acceded = 0;
        foreach (var process in processes)
        {
            var entries = logs[process];
            // Versions are contiguous and the stream row agrees.
            entries.Select(e => e.Number).Should().Equal(Enumerable.Range(1, entries.Count).Select(i => (long)i), $"{process} is numbered 1..n without gaps");
            (await session.Events.FetchStreamStateAsync(process))!.Version.Should().Be(entries.Count);

            // The fold of the log is the state the write side loads.
            var folded = entries.Aggregate(AccessionState.Initial, (s, e) => AccessionState.Evolve(s, e.Number, e.Event));
            LedgerSnapshot.Of(process, folded, []).Should().BeEquivalentTo(
                LedgerSnapshot.Of(process, await _host.Reader.LoadStateAsync(process), []), o => o.WithStrictOrdering());

            Invariants.Check(process, entries, folded);
            acceded += folded.Phase == ProcessPhase.Acceded ? 1 : 0;

            // The process entry written beside the events agrees with the fold.
            var row = await session.LoadAsync<ProcessEntry>(process);
            row.Should().NotBeNull();
            row!.Should().BeEquivalentTo(new { Id = process, folded.Phase, folded.OpenedOn, Organization = folded.Organization ?? "", Candidate = folded.Candidate ?? "" });

            // The inline read models are what the read side computes from the log now.
            var (status, register, audit) = ProcessViews.Build(process, entries);
            (await session.LoadAsync<AccessionStatus>(process)).Should().BeEquivalentTo(status, $"{process} status document");
            (await session.LoadAsync<RatificationRegister>(process)).Should().BeEquivalentTo(register, $"{process} register document");
            // The trail adds what the chain keeps: every entry written by the writers' role.
            var trail = (await _host.Queries.AuditAsync(process))!;
            trail.Entries.Should().OnlyContain(e => e.Chained && e.Role != null, $"{process} entries were written after the chain began");
            trail.Entries.Select(e => e with { Role = null, Chained = false }).Should().BeEquivalentTo(audit.Entries, o => o.WithStrictOrdering(), $"{process} audit trail");
            status.RequiredRatifiers.Select(r => r.Member).Should().Equal(folded.RequiredRatifiers.Keys);
            status.Pending.Should().Equal(folded.Pending());
            status.AccededOn.Should().Be(folded.Accession?.On);
        }
        output.WriteLine($"{processes.Length} processes, {acceded} acceded, {logs.Values.Sum(l => l.Count)} entries");

        // What the writers were told was recorded is exactly what the store holds, besides the ledger's own reaction
        // to accessions (new members added as ratifiers, and the organization's roster).
        var told = results.Where(r => r.Outcome == RecordOutcome.Recorded && !r.IsResend).SelectMany(r => r.Entries.Select(e => (r.Stream, e.Number, Json: LedgerSnapshot.Canonical(e.Event)))).ToList();
        var stored = processes.SelectMany(p => logs[p].Where(e => e.CommandId?.StartsWith("new-member-ratifies:", StringComparison.Ordinal) != true)
            .Select(e => (Stream: p, e.Number, Json: LedgerSnapshot.Canonical(e.Event)))).ToList();
        told.Should().OnlyHaveUniqueItems();
        told.Should().BeEquivalentTo(stored, "every entry in the store was reported to exactly one writer as recorded");
        results.Where(r => r.Outcome == RecordOutcome.Recorded).Sum(r => r.IsResend ? 0 : r.Entries.Count)
            .Should().Be(stored.Count);
        foreach (var resend in results.Where(r => r.IsResend))
        {
            resend.Entries.Should().OnlyContain(e => logs[resend.Stream].Any(s => s.Number == e.Number && s.Type == e.Type));
        }
        var reactions = processes.SelectMany(p => logs[p]).Where(e => e.CommandId?.StartsWith("new-member-ratifies:", StringComparison.Ordinal) == true).ToList();
        reactions.Should().OnlyContain(e => e.Event is RatifierAdded);
        var organization = logs["nato"];
        organization.Should().HaveCount(1 + acceded, "the registration, then one admission per accession");
        organization.Skip(1).Select(e => ((MemberAdmitted)e.Event).State).Should().OnlyHaveUniqueItems();
        (await LedgerSnapshot.EventCountAsync(store)).Should().Be(logs.Values.Sum(l => l.Count));

        // The asynchronous member records catch up with the registers.
        await _host.Queries.WaitForAsyncProjectionsAsync(TimeSpan.FromSeconds(60));
        var records = (await session.Query<MemberRecord>().ToListAsync()).ToDictionary(r => r.Id, StringComparer.Ordinal);
        foreach (var register in await session.Query<RatificationRegister>().ToListAsync())
        {
            foreach (var row in register.Rows.Where(r => r.RatifiedOn is not null))
            {
                records.Should().ContainKey(row.Member);
                records[row.Member].Ratifications.Should().ContainSingle(r => r.Process == register.Id).Which.ApprovedOn.Should().Be(row.RatifiedOn);
            }
        }
    }

    private static string Id(int process) => $"nato/{Candidates[process].ToLowerInvariant()}";

    // A command that is likely to be valid for the state the writer saw (which other writers may have changed since),
    // or deliberately invalid: outsiders, the candidate itself, bad codes and dates, repeats with other content.
    private static (AccessionCommand, Provenance?) RandomCommand(Random random, int index, AccessionState state)
    {
        var process = Id(index);
        var candidate = Candidates[index];
        var members = Nato().Members.Select(m => m.State).ToArray();
        var opened = new DateOnly(2022, 1, 1).AddDays(index * 7);
        var signedOn = state.ProtocolSignedOn ?? opened.AddDays(40);
        DateOnly Later(int max) => signedOn.AddDays(random.Next(0, max));
        string Member() => random.Next(20) switch
        {
            0 => "AUT",       // not a member
            1 => candidate,   // the candidate itself
            2 => "XXX",       // not a code
            // Mostly a required ratifier that has not ratified yet, so that processes get as far as an accession.
            _ when state.Pending().ToArray() is { Length: > 0 } pending && random.Next(4) > 0 => pending[random.Next(pending.Length)],
            _ when state.RequiredRatifiers.Count > 0 && random.Next(3) > 0 => state.RequiredRatifiers.Keys.ElementAt(random.Next(state.RequiredRatifiers.Count)),
            _ => members[random.Next(members.Length)],
        };
        // Half the processes name a few required ratifiers in the invitation; the others take every member.
        IReadOnlyList<string>? ratifiers = index % 2 == 0 ? null : [.. members.Where((_, i) => (i + index) % 6 == 0)];
        Provenance? provenance = random.Next(10) switch
        {
            0 => new Provenance(CommandId: $"shared-id-{random.Next(5)}"),  // reused across different commands
            1 => new Provenance(Source: "https://example.org/'); drop table mt_events; --", Note: "‮reversed‬ <b>note</b>"),
            _ => null,
        };
        AccessionCommand command = state.Phase switch
        {
            ProcessPhase.NotOpened => random.Next(5) switch
            {
                0 => new ExtendInvitation(process, opened.AddDays(30), "Summit", ratifiers, "NATO", candidate),
                1 => new ApproveRatification(process, Member(), Later(100), "Parliament"),
                _ => new SubmitApplication(process, "NATO", candidate, opened),
            },
            ProcessPhase.Applied => random.Next(8) switch
            {
                0 => new DeclareVeto(process, Member(), opened.AddDays(random.Next(0, 30)), "blocks talks", true),
                1 => new LiftVeto(process, Member(), opened.AddDays(random.Next(0, 60)), "talks may start"),
                2 => new SignMemorandum(process, opened.AddDays(25), "Memorandum", [candidate, "TUR"]),
                3 when random.Next(20) == 0 => new WithdrawApplication(process, opened.AddDays(random.Next(1, 200)), "changed course"),
                _ => new ExtendInvitation(process, opened.AddDays(30), "Summit", ratifiers),
            },
            ProcessPhase.Invited when state.ProtocolSignedOn is null => random.Next(6) switch
            {
                0 => new ApproveRatification(process, Member(), Later(100), "Parliament"),
                1 => new SignAccessionProtocol(process, opened.AddDays(random.Next(20, 45))),
                _ => new SignAccessionProtocol(process, opened.AddDays(40)),
            },
            _ => random.Next(200) switch
            {
                < 90 => new ApproveRatification(process, Member(), Later(random.Next(4) > 0 ? 200 : 900), random.Next(8) == 0 ? "Senate" : "Parliament"),
                < 110 => new DepositInstrument(process, Member(), Later(400)),
                < 125 => new RecordParliamentVote(process, Member(), Later(200), random.Next(2) == 0 ? "Lower house" : "Upper house", random.Next(-1, 300), random.Next(0, 50), 0, random.Next(6) > 0),
                < 140 => new DeclareVeto(process, Member(), Later(300), "holds ratification", random.Next(2) == 0),
                < 155 => new LiftVeto(process, Member(), Later(400), "concerns met"),
                < 180 => new CompleteAccession(process, Later(random.Next(2) == 0 ? 700 : 1000)),
                < 190 => new RetractEntry(process, random.Next(0, (int)state.Version + 3), Later(700), "correction"),
                < 195 => new AddRatifier(process, Member(), Later(300), "joined"),
                < 196 => new WithdrawApplication(process, Later(800), "changed course"),
                _ => new SignAccessionProtocol(process, signedOn.AddDays(random.Next(0, 2))),
            },
        };
        return (command, provenance);
    }
}

/// <summary>The invariants of DESIGN.md, checked on a process's event log and its fold.</summary>
public static class Invariants
{
    public static void Check(string process, IReadOnlyList<RecordedEntry> entries, AccessionState state)
    {
        var live = entries.Where(e => e.Event is not EntryRetracted && !state.Retracted.Contains(e.Number)).ToList();

        // A counted ratifier is a required ratifier with a live national approval (or deposit, by policy). Under approval
        // counting a deposit with no recorded approval implies it and counts.
        foreach (var (member, _) in state.Counted())
        {
            state.RequiredRatifiers.Should().ContainKey(member, $"{process}: counted ratifier {member} must be a required ratifier");
            var step = state.CountsAt == RatificationCounts.AtApproval
                ? live.FirstOrDefault(e => (e.Event is RatificationApproved a && a.Member == member) || (e.Event is InstrumentDeposited d && d.Member == member))
                : live.FirstOrDefault(e => e.Event is InstrumentDeposited d && d.Member == member);
            step.Should().NotBeNull($"{process}: counted ratifier {member} needs its step in the log");
        }

        // Acceded: at the accession every required ratifier counted and no veto was active.
        if (state.Phase == ProcessPhase.Acceded)
        {
            var accession = live.Single(e => e.Event is AccessionCompleted);
            var before = entries.Where(e => e.Number < accession.Number)
                .Aggregate(AccessionState.Initial, (s, e) => AccessionState.Evolve(s, e.Number, e.Event));
            before.Pending().Should().BeEmpty($"{process}: every required ratifier must count when the candidate accedes (entry {accession.Number})");
            before.ActiveVetoes.Should().BeEmpty($"{process}: no veto may be active when the candidate accedes (entry {accession.Number})");
            before.ProtocolSignedOn.Should().NotBeNull($"{process}: accession needs the protocol");
        }

        // No fact twice among the live entries.
        void Once(Func<object, string?> key, string what)
        {
            var twice = live.Select(e => key(e.Event)).Where(k => k is not null).GroupBy(k => k).FirstOrDefault(g => g.Count() > 1);
            twice.Should().BeNull($"{process}: {what} {twice?.Key} is recorded more than once");
        }
        Once(e => e is ApplicationSubmitted ? "application" : null, "the");
        Once(e => e is InvitationExtended ? "invitation" : null, "the");
        Once(e => e is AccessionProtocolSigned ? "protocol signature" : null, "the");
        Once(e => e is AccessionCompleted ? "accession" : null, "the");
        Once(e => e is ApplicationWithdrawn ? "withdrawal" : null, "the");
        Once(e => e is RatificationApproved a ? $"approval by {a.Member}" : null, "the");
        Once(e => e is InstrumentDeposited d ? $"deposit by {d.Member}" : null, "the");
        Once(e => e is RatifierAdded r ? $"ratifier {r.Member}" : null, "the");
        Once(e => e is ParliamentVoted v ? $"vote {v.Member} {v.Chamber} {v.On}" : null, "the");
        Once(e => e is VetoDeclared v ? $"veto {v.Member} {v.On}" : null, "the");
        Once(e => LedgerSnapshot.Canonical(e), "the entry");

        // Order and dates: a deposit follows its approval where one is recorded (without one, the approval is implied and
        // has no date); a veto never ends before it began; nothing precedes the opening.
        foreach (var deposit in live.Select(e => e.Event).OfType<InstrumentDeposited>())
        {
            if (state.StepsOf(deposit.Member).Approval is { } approval)
            {
                approval.On.Should().BeOnOrBefore(deposit.On, $"{process}: {deposit.Member} deposited before approving");
            }
            else
            {
                state.StepsOf(deposit.Member).ApprovalImpliedBy.Should().Be(deposit.On, $"{process}: {deposit.Member}'s approval is implied by its deposit");
            }
        }
        foreach (var veto in state.Vetoes.Where(v => v.EndedOn is not null))
        {
            veto.EndedOn!.Value.Should().BeOnOrAfter(veto.Since, $"{process}: {veto.Member}'s {(veto.Formal ? "veto" : "hold")} of {veto.Since} cannot end ({veto.EndedBy}) before it began");
        }
        if (state.OpenedOn is { } opened)
        {
            live.Should().OnlyContain(e => e.On >= opened || e.Event is MemorandumSigned, $"{process}: nothing is dated before the process opened on {opened}");
        }
    }
}
