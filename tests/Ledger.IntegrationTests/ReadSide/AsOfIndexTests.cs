using System.Globalization;
using System.Text.Json.Nodes;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Marten;
using RatificationLedger.Domain;
using RatificationLedger.Import;
using RatificationLedger.IntegrationTests.Support;
using RatificationLedger.Projections;
using RatificationLedger.Recording;
using static RatificationLedger.IntegrationTests.Support.TestOrganizations;

namespace RatificationLedger.IntegrationTests.ReadSide;

/// <summary>
/// The as-of index answers every (as of, known at) question as the fold of the log does: random histories, the first
/// part imported (COPY, several entries per transaction), the rest recorded command by command (Marten's append), with
/// backdated steps, vetoes and retractions; then the same after a rebuild, and after an upgrade (the table built from
/// the entries already recorded).
/// </summary>
public sealed class AsOfIndexTests : IAsyncLifetime
{
    private static readonly DateOnly Start = new(2022, 3, 1);
    private static readonly string[] Members = ["CAN", "HUN", "TUR", "DNK"];
    private static int _organizations;

    private readonly string _schema = TestSchemas.Next("asof");
    private LedgerHost _host = null!;

    public async Task InitializeAsync() =>
        _host = LedgerHost.Start(await TestSchemas.ConnectionStringAsync(), _schema, configure: l => l.ImportBatchSize = 3);

    public async Task DisposeAsync() => await _host.DisposeAsync();

    /// <summary>One step of a random history: what (0..7), by whom, on which day of the window, and which earlier entry a retraction names.</summary>
    public sealed record Op(int Kind, int Member, int Day, int Target)
    {
        public override string ToString() => $"{Kind}:{Members[Member]}@{Day}->{Target}";
    }

    /// <summary>A random history: ratifications imported (member, day), then commands.</summary>
    public sealed record History(IReadOnlyList<(int Member, int Day)> Imported, IReadOnlyList<Op> Commands)
    {
        public override string ToString() =>
            $"imported [{string.Join(", ", Imported.Select(i => $"{Members[i.Member]}@{i.Day}"))}], commands [{string.Join(", ", Commands)}]";
    }

    public static class Histories
    {
        public static Arbitrary<History> History()
        {
            var imported = Gen.ListOf(Gen.Zip(Gen.Choose(0, Members.Length - 1), Gen.Choose(10, 60))).Select(l => l.Take(6).ToList());
            var op = Gen.Zip(Gen.Zip(Gen.Choose(0, 7), Gen.Choose(0, Members.Length - 1)), Gen.Zip(Gen.Choose(0, 70), Gen.Choose(1, 12)))
                .Select(t => new Op(t.Item1.Item1, t.Item1.Item2, t.Item2.Item1, t.Item2.Item2));
            var commands = Gen.ListOf(op).Select(l => l.Take(14).ToList());
            return Gen.Zip(imported, commands).Select(t => new History(t.Item1, t.Item2)).ToArbitrary();
        }
    }

    [Property(MaxTest = 12, Arbitrary = [typeof(Histories)])]
    public async Task Every_answer_of_the_index_is_the_fold_of_the_log(History history)
    {
        var n = Interlocked.Increment(ref _organizations);
        var code = $"P{n}";
        var process = $"p{n}/swe";
        await RecordAsync(code, process, history);

        var entries = await _host.Queries.EntriesAsync(process);
        entries.Should().NotBeEmpty();
        await CheckAsync(_host.Queries, process, entries, "as maintained while recording");
        await CheckRowsAsync(process, entries, "as maintained while recording");

        await _host.Queries.RebuildAllAsync();
        await CheckAsync(_host.Queries, process, entries, "after a rebuild");
        await CheckRowsAsync(process, entries, "after a rebuild");
    }

    // The index's rows themselves (a process without rows would be answered by the fold, which hides a row never
    // written): those the log's transactions make, one after the other (ProcessViews.AsOfHistory, whose answers
    // StatusSnapshotTests hold against the fold), whichever way they were written (the import's COPY, the procedure).
    private async Task CheckRowsAsync(string process, IReadOnlyList<RecordedEntry> entries, string when)
    {
        // valid_from as the server writes it: the answer for the days before the first entry is '-infinity' whichever
        // way it was written (Npgsql's parameters and the rebuild's own binary COPY), not the year 1.
        static string Row(string validFrom, DateTimeOffset knownFrom, DateTimeOffset? knownTo, byte[] status) =>
            $"{validFrom} {knownFrom.UtcTicks} {knownTo?.UtcTicks} {Convert.ToHexString(status)}";
        var expected = ProcessViews.AsOfHistory(process, entries)
            .Select(r => Row(r.ValidFrom == DateOnly.MinValue ? "-infinity" : r.ValidFrom.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), r.KnownFrom, r.KnownTo, r.Status))
            .Order().ToList();
        var stored = new List<string>();
        await using (var connection = (Npgsql.NpgsqlConnection)_host.Store.Storage.Database.CreateConnection())
        {
            await connection.OpenAsync();
            await using var select = new Npgsql.NpgsqlCommand($"select valid_from::text, known_from, known_to, status from {_schema}.ledger_asof where process = $1", connection);
            select.Parameters.Add(new Npgsql.NpgsqlParameter<string> { TypedValue = process });
            await using var reader = await select.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                stored.Add(Row(reader.GetString(0), reader.GetFieldValue<DateTimeOffset>(1),
                    reader.IsDBNull(2) ? null : reader.GetFieldValue<DateTimeOffset>(2), reader.GetFieldValue<byte[]>(3)));
            }
        }
        stored.Order().Should().Equal(expected, $"{process}: the index's rows {when}");
    }

    // Processes started inside an import's batch (the batches after the first, which the import writes with COPY) get
    // their rows from the batch's own COPY (BulkWork), the others from the index's procedure: both are the log's rows.
    [Fact]
    public async Task Processes_an_import_starts_in_its_batches_are_indexed_as_the_log_says()
    {
        var processes = Enumerable.Range(0, 6).Select(i => $"imp/{Candidates[i].ToLowerInvariant()}").ToArray();
        await ImportAsync("IMP", newMembersRatify: false, [.. processes.Select((process, i) => Process(process, Candidates[i], [
            new JsonObject { ["type"] = "application", ["on"] = Day(i) },
            new JsonObject { ["type"] = "invitation", ["on"] = Day(5 + i) },
            new JsonObject { ["type"] = "protocol-signed", ["on"] = Day(8 + i) },
            .. Members.Take(1 + i % Members.Length).Select((m, k) => new JsonObject { ["type"] = "ratification", ["member"] = m, ["on"] = Day(9 + i + 3 * k + i % 2) })]))]);

        foreach (var process in processes)
        {
            var entries = await _host.Queries.EntriesAsync(process);
            entries.Should().NotBeEmpty();
            await CheckRowsAsync(process, entries, "as imported");
            await CheckAsync(_host.Queries, process, entries, "as imported");
        }
    }

    private static readonly string[] Candidates = ["SWE", "FIN", "UKR", "GEO", "BIH", "MDA"];

    // One write that changes several processes (an accession, and the new member added to every other open process in
    // the same transaction): each process gets its own rows, and a process that left the index (an app appended to its
    // stream without its number, and without headers) gets none and is answered by the fold.
    [Fact]
    public async Task One_write_over_several_processes_indexes_each_as_the_log_says()
    {
        string[] processes = ["rule/swe", "rule/fin", "rule/ukr"];
        await ImportAsync("RULE", newMembersRatify: true, [.. processes.Select((process, i) => Process(process, Candidates[i], [
            new JsonObject { ["type"] = "application", ["on"] = Day(i) },
            new JsonObject { ["type"] = "invitation", ["on"] = Day(5) },
            new JsonObject { ["type"] = "protocol-signed", ["on"] = Day(8) },
            .. Members.Take(i == 0 ? Members.Length : 1).Select((m, k) => new JsonObject { ["type"] = "ratification", ["member"] = m, ["on"] = Day(10 + k) })]))]);
        (await RowCountAsync("rule/fin")).Should().BeGreaterThan(0);

        await using (var session = _host.Store.LightweightSession())
        {
            session.Events.Append("rule/fin", new ParliamentVoted("DNK", Start.AddDays(12), "Folketing", 90, 5, 0, true));
            await session.SaveChangesAsync();
        }
        (await RowCountAsync("rule/fin")).Should().Be(0, "an entry appended without its number takes the process out of the index");

        await _host.SendAsync(new CompleteAccession("rule/swe", Start.AddDays(20)));

        var swe = await _host.Queries.EntriesAsync("rule/swe");
        var fin = await _host.Queries.EntriesAsync("rule/fin");
        var ukr = await _host.Queries.EntriesAsync("rule/ukr");
        swe[^1].Event.Should().BeOfType<AccessionCompleted>();
        fin[^1].Event.Should().BeOfType<RatifierAdded>().Which.Member.Should().Be("SWE");
        ukr[^1].Event.Should().BeOfType<RatifierAdded>().Which.Member.Should().Be("SWE");
        new[] { swe[^1].RecordedAt, fin[^1].RecordedAt }.Should().AllBeEquivalentTo(ukr[^1].RecordedAt, "the rule writes in the accession's transaction");

        await CheckRowsAsync("rule/swe", swe, "after the accession");
        await CheckRowsAsync("rule/ukr", ukr, "after the accession");
        (await RowCountAsync("rule/fin")).Should().Be(0, "a process out of the index gets no rows from part of its history");
        await CheckAsync(_host.Queries, "rule/swe", swe, "after the accession");
        await CheckAsync(_host.Queries, "rule/fin", fin, "after the accession (answered by the fold)");
        await CheckAsync(_host.Queries, "rule/ukr", ukr, "after the accession");
    }

    private async Task<long> RowCountAsync(string process)
    {
        await using var connection = (Npgsql.NpgsqlConnection)_host.Store.Storage.Database.CreateConnection();
        await connection.OpenAsync();
        await using var count = new Npgsql.NpgsqlCommand($"select count(*) from {_schema}.ledger_asof where process = $1", connection);
        count.Parameters.Add(new Npgsql.NpgsqlParameter<string> { TypedValue = process });
        return (long)(await count.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task A_ledger_recorded_before_the_index_existed_gets_it_built_on_first_use()
    {
        var history = new History([(0, 20), (1, 25), (2, 25)],
            [new Op(0, 3, 30, 1), new Op(5, 0, 40, 4), new Op(2, 1, 35, 1), new Op(0, 1, 12, 1), new Op(3, 1, 45, 1)]);
        await RecordAsync("UPG", "upg/swe", history);
        var entries = await _host.Queries.EntriesAsync("upg/swe");
        entries.Should().Contain(e => e.Event is EntryRetracted, "the history retracts an entry");
        await using (var connection = (Npgsql.NpgsqlConnection)_host.Store.Storage.Database.CreateConnection())
        {
            await connection.OpenAsync();
            await using var drop = new Npgsql.NpgsqlCommand($"drop table {_schema}.ledger_asof", connection);
            await drop.ExecuteNonQueryAsync();
        }

        // A new process on the same database (the index's table is made, and filled, once per store).
        var connectionString = await TestSchemas.ConnectionStringAsync();
        await using var upgraded = LedgerHost.Start(connectionString, _schema);
        await CheckAsync(upgraded.Queries, "upg/swe", entries, "after the upgrade");
        (await upgraded.Queries.StatusAsync("upg/swe", asOf: Start.AddDays(-1)))!.Stage.Should().Be(Stage.NotOpened);
    }

    // The history: the opening steps and the imported ratifications through the import (COPY, three entries a
    // transaction), then each command on its own (refused ones record nothing).
    private async Task RecordAsync(string code, string process, History history)
    {
        List<JsonObject> events =
        [
            new JsonObject { ["type"] = "application", ["on"] = Day(0) },
            new JsonObject { ["type"] = "invitation", ["on"] = Day(5), ["venue"] = "Summit" },
            new JsonObject { ["type"] = "protocol-signed", ["on"] = Day(8) },
        ];
        foreach (var (member, day) in history.Imported.DistinctBy(i => i.Member))
        {
            events.Add(new JsonObject { ["type"] = "ratification", ["member"] = Members[member], ["on"] = Day(day), ["authority"] = "Parliament" });
        }
        await ImportAsync(code, newMembersRatify: false, [Process(process, "SWE", [.. events])]);

        foreach (var op in history.Commands)
        {
            var member = Members[op.Member];
            var on = Start.AddDays(op.Day);
            AccessionCommand command = op.Kind switch
            {
                0 => new ApproveRatification(process, member, on, "Parliament"),
                1 => new DepositInstrument(process, member, on),
                2 => new DeclareVeto(process, member, on, "objection", op.Target % 2 == 0),
                3 => new LiftVeto(process, member, on, "resolved"),
                4 => new RecordParliamentVote(process, member, on, "Chamber", 100, 10, 1, true),
                5 or 6 => new RetractEntry(process, op.Target, on, "correction"),
                _ => new SignMemorandum(process, on, "Memorandum", [member, "SWE"]),
            };
            await _host.SendAsync(command);
        }
    }

    // One organization of the four members, its processes imported (through COPY, three entries a transaction).
    private async Task ImportAsync(string code, bool newMembersRatify, JsonObject[] processes)
    {
        var file = new JsonObject
        {
            ["organization"] = new JsonObject
            {
                ["code"] = code, ["name"] = "Test organization", ["depositary"] = "USA", ["ratificationCounts"] = "approval",
                ["newMembersRatifyOpenProcesses"] = newMembersRatify,
                ["members"] = new JsonArray([.. Members.Select(m => (JsonNode)new JsonObject { ["state"] = m, ["since"] = "1949-08-24" })]),
            },
            ["processes"] = new JsonArray([.. processes]),
        };
        var parsed = HistoryFile.Parse(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(file.ToJsonString())));
        var imported = await _host.Sender.Send(new ImportHistoryRequest(parsed, RecordedBy: "importer"));
        imported.Succeeded.Should().BeTrue(imported.Failure?.Message);
    }

    private static JsonObject Process(string id, string candidate, JsonObject[] events) =>
        new() { ["id"] = id, ["candidate"] = candidate, ["events"] = new JsonArray([.. events]) };

    private static string Day(int day) => Start.AddDays(day).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    // Every date an answer can change on (each entry's date, the day before it, and none) against every instant the
    // ledger's knowledge changed at (each recorded-at, the microsecond before it, and now): the index's answer is the fold
    // of the log (ProcessViews over the entries Marten reads from the stream, filtered on both axes), or null when no
    // entry is known at that instant.
    private async Task CheckAsync(LedgerQueries queries, string process, IReadOnlyList<RecordedEntry> entries, string when)
    {
        var serializer = _host.Store.Options.Serializer();
        var dates = entries.SelectMany(e => new DateOnly?[] { e.On, e.On.AddDays(-1) }).Append(null).Distinct().ToList();
        var instants = entries.SelectMany(e => new DateTimeOffset?[] { e.RecordedAt, e.RecordedAt.AddTicks(-10) }).Append(null).Distinct().ToList();
        var checkedAnswers = 0;
        foreach (var knownAt in instants)
        {
            var known = entries.Where(e => knownAt is null || e.RecordedAt <= knownAt).ToList();
            foreach (var asOf in dates)
            {
                if (asOf is null && knownAt is null)
                {
                    continue; // the inline documents answer that
                }
                var status = await queries.StatusAsync(process, asOf, knownAt);
                var register = await queries.RegisterAsync(process, asOf, knownAt);
                var question = $"{process} as of {asOf?.ToString() ?? "-"}, known at {knownAt?.ToString("O") ?? "now"}, {when}";
                if (known.Count == 0)
                {
                    status.Should().BeNull(question);
                    register.Should().BeNull(question);
                    continue;
                }
                serializer.ToJson(status).Should().Be(serializer.ToJson(ProcessViews.BuildStatus(process, entries, asOf, knownAt)), question);
                serializer.ToJson(register).Should().Be(serializer.ToJson(ProcessViews.BuildRegister(process, entries, asOf, knownAt)), question);
                checkedAnswers++;
            }
        }
        checkedAnswers.Should().BeGreaterThan(0);
    }
}
