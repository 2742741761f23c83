using System.Text.Json.Nodes;
using RatificationLedger.Import;
using RatificationLedger.IntegrationTests.Support;

namespace RatificationLedger.IntegrationTests.Recording;

/// <summary>
/// <see cref="ImportOptions.DryRun"/>: the same decisions as an import, against the ledger as it is, and nothing written
/// (no events, chain rows, receipts, registration, or sequence numbers).
/// </summary>
public sealed class DryRunImportTests : IAsyncLifetime
{
    private readonly string _schema = TestSchemas.Next("dryrun");
    private LedgerHost _host = null!;

    public async Task InitializeAsync() =>
        // Small batches: the run carries what each batch decides into many later ones.
        _host = LedgerHost.Start(await TestSchemas.ConnectionStringAsync(), _schema, configure: l => l.ImportBatchSize = 16);

    public Task DisposeAsync() => _host.DisposeAsync().AsTask();

    private static int EntriesIn(string json) =>
        JsonNode.Parse(json)!["processes"]!.AsArray().Sum(p => p!["events"]!.AsArray().Count);

    private async Task<long> CountAsync(string table)
    {
        await using var session = _host.Store.QuerySession();
        var exists = await session.QueryAsync<bool>($"select to_regclass('{_schema}.{table}') is not null");
        if (!exists[0])
        {
            return 0;
        }
        return (await session.QueryAsync<long>($"select count(*) from {_schema}.{table}"))[0];
    }

    private async Task ShouldBeEmptyAsync()
    {
        (await CountAsync("mt_events")).Should().Be(0);
        (await CountAsync("mt_streams")).Should().Be(0);
        (await CountAsync(RatificationLedger.Integrity.IntegritySchema.ChainTable)).Should().Be(0);
        (await CountAsync("mt_doc_commandreceipt")).Should().Be(0);
        (await CountAsync("mt_doc_organizationview")).Should().Be(0);
        (await CountAsync("mt_doc_processentry")).Should().Be(0);
    }

    [Fact]
    public async Task A_dry_run_on_an_empty_ledger_reports_every_entry_new_and_writes_nothing()
    {
        var total = EntriesIn(File.ReadAllText(SampleHistory.Path));

        var dry = await _host.Sender.Send(new ImportHistoryRequest(HistoryFile.Load(SampleHistory.Path)) { DryRun = true });

        await ShouldBeEmptyAsync();

        // The real import then records what the dry run said, and its events are numbered from 1: no sequence number was taken.
        var real = await _host.Sender.Send(new ImportHistoryRequest(HistoryFile.Load(SampleHistory.Path)));
        real.Failure.Should().BeNull();
        dry.Should().BeEquivalentTo(new { real.Recorded, real.AlreadyThere, Total = total, Failure = (ImportFailure?)null, DryRun = true });
        (dry.Recorded + dry.AlreadyThere).Should().Be(total);
        // The file's own ratifier-added for Finland on Sweden's process is the one the ledger adds when Finland accedes
        // (NATO's policy, decided in memory in the dry run too), one entry earlier in import order.
        dry.AlreadyThere.Should().Be(1);
        await using var session = _host.Store.QuerySession();
        var sequence = await session.QueryAsync<long>($"select seq_id from {_schema}.mt_events order by seq_id");
        sequence.Should().Equal(Enumerable.Range(1, sequence.Count).Select(i => (long)i));
    }

    [Fact]
    public async Task A_dry_run_after_an_import_reports_every_entry_already_there()
    {
        var total = EntriesIn(File.ReadAllText(SampleHistory.Path));
        (await _host.Sender.Send(new ImportHistoryRequest(HistoryFile.Load(SampleHistory.Path)))).Failure.Should().BeNull();
        var events = await CountAsync("mt_events");
        var chain = await CountAsync(RatificationLedger.Integrity.IntegritySchema.ChainTable);

        var dry = await _host.Sender.Send(new ImportHistoryRequest(HistoryFile.Load(SampleHistory.Path)) { DryRun = true });

        dry.Should().BeEquivalentTo(new { Recorded = 0, AlreadyThere = total, Total = total, Failure = (ImportFailure?)null, DryRun = true });
        (await CountAsync("mt_events")).Should().Be(events);
        (await CountAsync(RatificationLedger.Integrity.IntegritySchema.ChainTable)).Should().Be(chain);
    }

    [Fact]
    public async Task A_dry_run_of_half_the_file_after_the_first_half_counts_each_side()
    {
        var first = SampleHistory.JsonUntil("2022-12-31");
        var done = EntriesIn(first);
        var total = EntriesIn(File.ReadAllText(SampleHistory.Path));
        (await _host.Sender.Send(new ImportHistoryRequest(HistoryFile.Parse(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(first)), "first")))).Failure.Should().BeNull();
        var events = await CountAsync("mt_events");

        var dry = await _host.Sender.Send(new ImportHistoryRequest(HistoryFile.Load(SampleHistory.Path)) { DryRun = true });

        (await CountAsync("mt_events")).Should().Be(events);
        var real = await _host.Sender.Send(new ImportHistoryRequest(HistoryFile.Load(SampleHistory.Path)));

        // The same decisions as the import that follows it.
        dry.Should().BeEquivalentTo(new { real.Recorded, real.AlreadyThere, Total = total, Failure = (ImportFailure?)null, DryRun = true });
        real.Failure.Should().BeNull();
        dry.AlreadyThere.Should().BeGreaterThanOrEqualTo(done);
        (dry.Recorded + dry.AlreadyThere).Should().Be(total);
    }

    [Theory]
    [InlineData("late")]
    [InlineData("early")]
    public async Task A_bad_entry_is_the_refusal_an_import_gives_and_nothing_is_written(string broken)
    {
        var root = JsonNode.Parse(File.ReadAllText(SampleHistory.Path))!;
        var total = EntriesIn(root.ToJsonString());
        var swe = root["processes"]!.AsArray().Single(p => p!["id"]!.GetValue<string>() == "nato/swe")!;
        var events = swe["events"]!.AsArray();
        // late: a ratification after the accession completed the process, the file's last entry in import order;
        // early: a ratification dated before the process opened, its first.
        var index = events.Select((e, i) => (e, i)).First(x => x.e!["type"]!.GetValue<string>() == "ratification").i;
        events[index]!["on"] = broken == "late" ? "2025-06-01" : "2022-01-03";
        var json = root.ToJsonString();
        HistoryFile Load() => HistoryFile.Parse(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(json)), "broken");

        var dry = await _host.Sender.Send(new ImportHistoryRequest(Load()) { DryRun = true });
        await ShouldBeEmptyAsync();
        var real = await _host.Sender.Send(new ImportHistoryRequest(Load()));

        dry.Failure.Should().NotBeNull();
        dry.Failure!.Entry.Process.Should().Be("nato/swe");
        dry.Failure.Entry.Index.Should().Be(index);
        dry.Should().BeEquivalentTo(real, o => o.Excluding(r => r.DryRun));
        (dry.Recorded + dry.AlreadyThere).Should().Be(broken == "late" ? total - 1 : 0, "the entry is the file's last in import order, or its first");
    }

    [Fact]
    public async Task A_stop_ends_a_dry_run_between_batches()
    {
        using var stop = new CancellationTokenSource();
        await stop.CancelAsync();

        var dry = await _host.Sender.Send(new ImportHistoryRequest(HistoryFile.Load(SampleHistory.Path)) { DryRun = true, Stop = stop.Token });

        dry.Stopped.Should().BeTrue();
        dry.DryRun.Should().BeTrue();
        // The first batch (ImportBatchSize / 16 = 1 entry) is decided, then the run stops.
        (dry.Recorded + dry.AlreadyThere).Should().Be(1);
        await ShouldBeEmptyAsync();
    }
}
