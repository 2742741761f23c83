using System.Globalization;
using System.Text.Json.Nodes;
using Marten;
using RatificationLedger.Import;
using RatificationLedger.IntegrationTests.Support;
using RatificationLedger.Recording;

namespace RatificationLedger.IntegrationTests.Recording;

/// <summary>
/// Recorded-at (the server's transaction time) never goes back along a stream: an entry appended after another was
/// recorded at the same instant or later. The import decides a batch while the one before it is written; a batch decided
/// that way must not take its transaction's time before the batch it follows has begun its own (as-of questions "known
/// at" an instant read the entries recorded by then, which must be a prefix of the stream).
/// </summary>
public sealed class RecordedAtOrderTests : IAsyncLifetime
{
    private static readonly string[] Members = ["CAN", "HUN", "TUR", "DNK"];

    private readonly string _schema = TestSchemas.Next("recordedat");
    private LedgerHost _host = null!;

    // Batches of at most three: each organization's seven entries go in batches of one, two or three and one more, so
    // that a batch of a single command (written through Marten) is often decided while a COPY batch is written.
    public async Task InitializeAsync() =>
        _host = LedgerHost.Start(await TestSchemas.ConnectionStringAsync(), _schema, configure: l => l.ImportBatchSize = 3);

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task An_import_never_records_an_entry_before_the_one_it_follows()
    {
        const int Organizations = 60;
        var files = Enumerable.Range(1, Organizations).Select(File).ToList();
        foreach (var file in files)
        {
            var parsed = HistoryFile.Parse(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(file.ToJsonString())));
            var imported = await _host.Sender.Send(new ImportHistoryRequest(parsed, RecordedBy: "importer"));
            imported.Succeeded.Should().BeTrue(imported.Failure?.Message);
        }

        await using var session = _host.Store.QuerySession();
        var entries = await session.QueryAsync<long>(
            $"select count(*) from {_schema}.mt_events where stream_id like 'r%/swe'");
        entries.Single().Should().Be(Organizations * 7, "each organization's process has an application, an invitation, a signature and four ratifications");
        var backwards = await session.QueryAsync<string>(
            $"select stream_id || ' ' || version::text from (select stream_id, version, timestamp < lag(timestamp) over (partition by stream_id order by version) as back from {_schema}.mt_events) x where back");
        backwards.Should().BeEmpty("an entry is recorded at its transaction's time, which begins after the transaction of the entry before it");
    }

    private static JsonObject File(int n)
    {
        var start = new DateOnly(2022, 3, 1);
        string Day(int d) => start.AddDays(d).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var events = new JsonArray
        {
            new JsonObject { ["type"] = "application", ["on"] = Day(0) },
            new JsonObject { ["type"] = "invitation", ["on"] = Day(5), ["venue"] = "Summit" },
            new JsonObject { ["type"] = "protocol-signed", ["on"] = Day(8) },
        };
        for (var m = 0; m < Members.Length; m++)
        {
            events.Add(new JsonObject { ["type"] = "ratification", ["member"] = Members[m], ["on"] = Day(10 + m), ["authority"] = "Parliament" });
        }
        return new JsonObject
        {
            ["organization"] = new JsonObject
            {
                ["code"] = $"R{n}", ["name"] = "Test organization", ["depositary"] = "USA", ["ratificationCounts"] = "approval",
                ["newMembersRatifyOpenProcesses"] = false,
                ["members"] = new JsonArray([.. Members.Select(m => (JsonNode)new JsonObject { ["state"] = m, ["since"] = "1949-08-24" })]),
            },
            ["processes"] = new JsonArray(new JsonObject { ["id"] = $"r{n}/swe", ["candidate"] = "SWE", ["events"] = events }),
        };
    }
}
