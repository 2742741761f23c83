using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Marten;
using RatificationLedger.Domain;
using RatificationLedger.Import;
using RatificationLedger.IntegrationTests.Support;
using RatificationLedger.Projections;
using static RatificationLedger.IntegrationTests.Support.TestOrganizations;

namespace RatificationLedger.IntegrationTests.ReadSide;

/// <summary>
/// The read side on the real Finland and Sweden histories (the sample's data file, written from the sourced facts),
/// imported in two parts: everything dated in 2022, then the rest, with the instant between them noted.
/// </summary>
public sealed class RealHistoryReadTests : IAsyncLifetime
{
    private readonly string _schema = TestSchemas.Next("realhistory");
    private LedgerHost _host = null!;
    private DateTimeOffset _endOf2022Known;

    public async Task InitializeAsync()
    {
        _host = LedgerHost.Start(await TestSchemas.ConnectionStringAsync(), _schema);
        var first = await _host.Sender.Send(new ImportHistoryRequest(Sample(until: "2022-12-31")));
        first.Failure.Should().BeNull();
        first.Recorded.Should().BeGreaterThan(60);
        await Task.Delay(20);
        _endOf2022Known = DateTimeOffset.UtcNow;
        await Task.Delay(20);
        var rest = await _host.Sender.Send(new ImportHistoryRequest(Sample(until: null)));
        rest.Failure.Should().BeNull();
        rest.AlreadyThere.Should().BeGreaterThanOrEqualTo(first.Recorded, "the 2022 entries are already there");
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private static HistoryFile Sample(string? until)
    {
        if (until is null)
        {
            return HistoryFile.Load(SampleHistory.Path);
        }
        using var json = new MemoryStream(Encoding.UTF8.GetBytes(SampleHistory.JsonUntil(until)));
        return HistoryFile.Parse(json, $"nato-2022-2024.json until {until}");
    }

    private static string[] Members(IEnumerable<MemberDate> dates) => [.. dates.Select(d => d.Member).Order(StringComparer.Ordinal)];

    [Fact]
    public async Task Finland_on_30_September_2022_has_28_of_30_counted_pending_Hungary_and_Turkiye_both_holding()
    {
        var status = (await _host.Queries.StatusAsync("nato/fin", asOf: D("2022-09-30")))!;

        status.RequiredRatifiers.Should().HaveCount(30);
        status.Counted.Should().HaveCount(28);
        status.Pending.Should().Equal("HUN", "TUR");
        status.ActiveVetoes.Select(v => v.Member).Should().BeEquivalentTo("HUN", "TUR");
        status.ActiveVetoes.Should().OnlyContain(v => !v.Formal, "both held back their ratification without a formal veto");
        status.Stage.Should().Be(Stage.Blocked);
    }

    [Fact]
    public async Task Finland_is_a_member_as_of_4_April_2023_and_not_the_day_before()
    {
        var member = (await _host.Queries.StatusAsync("nato/fin", asOf: D("2023-04-04")))!;
        member.Stage.Should().Be(Stage.Member);
        member.AccededOn.Should().Be(D("2023-04-04"));
        member.Pending.Should().BeEmpty();

        (await _host.Queries.StatusAsync("nato/fin", asOf: D("2023-04-03")))!.Stage.Should().NotBe(Stage.Member);
        (await _host.Queries.RosterAsync("NATO", D("2023-04-04")))!.Select(m => m.State).Should().Contain("FIN").And.HaveCount(31);
        (await _host.Queries.RosterAsync("NATO", D("2023-04-03")))!.Select(m => m.State).Should().NotContain("FIN").And.HaveCount(30);
    }

    [Fact]
    public async Task Sweden_needs_30_ratifiers_before_Finland_joins_and_31_after_with_Finland_counted_from_its_early_approval()
    {
        var before = (await _host.Queries.StatusAsync("nato/swe", asOf: D("2023-04-03")))!;
        before.RequiredRatifiers.Should().HaveCount(30).And.NotContain(r => r.Member == "FIN");

        var after = (await _host.Queries.StatusAsync("nato/swe", asOf: D("2023-04-05")))!;
        after.RequiredRatifiers.Should().HaveCount(31).And.Contain(new MemberDate("FIN", D("2023-04-04")));
        after.Ratified.Should().Contain(r => r.Member == "FIN" && r.On == D("2023-03-01"), "Finland's parliament approved Sweden's protocol on 2023-03-01");
        after.Counted.Should().ContainSingle(c => c.Member == "FIN").Which.On.Should().Be(D("2023-04-04"), "an early approval counts once the member joined");
        after.Pending.Should().Equal("HUN", "TUR");

        var register = (await _host.Queries.RegisterAsync("nato/swe"))!;
        var finland = register.Rows.Single(r => r.Member == "FIN");
        finland.Should().BeEquivalentTo(new { RatifiedOn = D("2023-03-01"), CountsFrom = D("2023-04-04"), RequiredSince = D("2023-04-04") });
    }

    [Fact]
    public async Task Sweden_is_a_member_as_of_7_March_2024_after_31_ratifications()
    {
        var status = (await _host.Queries.StatusAsync("nato/swe", asOf: D("2024-03-07")))!;
        status.Stage.Should().Be(Stage.Member);
        status.AccededOn.Should().Be(D("2024-03-07"));
        status.Counted.Should().HaveCount(31);
        Members(status.Counted).Should().Equal(Members(status.RequiredRatifiers));

        (await _host.Queries.StatusAsync("nato/swe", asOf: D("2024-03-06")))!.Stage.Should().NotBe(Stage.Member);
        var register = (await _host.Queries.RegisterAsync("nato/swe"))!;
        register.Rows.Single(r => r.Member == "HUN").RatifiedOn.Should().Be(D("2024-02-26"));
        register.Rows.Single(r => r.Member == "TUR").RatifiedOn.Should().Be(D("2024-01-23"));
    }

    [Fact]
    public async Task Known_at_the_end_of_the_2022_entries_Finland_on_4_April_2023_still_waits_on_Hungary_and_Turkiye()
    {
        var then = (await _host.Queries.StatusAsync("nato/fin", asOf: D("2023-04-04"), knownAt: _endOf2022Known))!;
        then.Stage.Should().NotBe(Stage.Member);
        then.Pending.Should().Equal("HUN", "TUR");
        then.KnownAt.Should().Be(_endOf2022Known);

        var now = (await _host.Queries.StatusAsync("nato/fin", asOf: D("2023-04-04")))!;
        now.Stage.Should().Be(Stage.Member, "what the ledger knows now");

        // The register answers on the same axes.
        var register = (await _host.Queries.RegisterAsync("nato/fin", asOf: D("2023-04-04"), knownAt: _endOf2022Known))!;
        register.Rows.Where(r => r.RatifiedOn is null).Select(r => r.Member).Should().BeEquivalentTo("HUN", "TUR");
    }

    [Fact]
    public async Task A_retraction_recorded_later_changes_the_present_answer_and_not_the_earlier_known_at_answer()
    {
        // Spain's deposit for Finland (date unconfirmed): under NATO's counting at approval the accession does not
        // depend on it, so it can be retracted after the accession.
        var entries = await _host.Queries.EntriesAsync("nato/fin");
        var spain = entries.Single(e => e.Event is InstrumentDeposited { Member: "ESP" });
        await Task.Delay(20);
        var beforeRetraction = DateTimeOffset.UtcNow;
        await Task.Delay(20);
        await _host.RecordAsync(new RetractEntry("nato/fin", spain.Number, D("2024-06-01"), "test: the deposit date could not be confirmed"));

        var present = (await _host.Queries.StatusAsync("nato/fin", asOf: D("2022-12-31")))!;
        present.Deposited.Should().NotContain(d => d.Member == "ESP");
        (await _host.Queries.RegisterAsync("nato/fin"))!.Rows.Single(r => r.Member == "ESP").DepositedOn.Should().BeNull();

        var earlier = (await _host.Queries.StatusAsync("nato/fin", asOf: D("2022-12-31"), knownAt: beforeRetraction))!;
        earlier.Deposited.Should().Contain(d => d.Member == "ESP" && d.On == D("2022-10-05"));

        var audit = (await _host.Queries.AuditAsync("nato/fin"))!;
        audit.Entries.Single(e => e.Sequence == spain.Number).Retracted.Should().BeTrue("a retraction marks the entry, it never deletes it");
        (await _host.Queries.StatusAsync("nato/fin"))!.Stage.Should().Be(Stage.Member);
    }

    [Fact]
    public async Task A_rebuild_from_the_log_gives_the_inline_documents()
    {
        var before = (await _host.Queries.ListAsync("NATO")).Select(s => (s.Id, s.Stage, s.AccededOn, Counted: s.Counted.Count)).ToArray();
        var register = (await _host.Queries.RegisterAsync("nato/swe"))!.Rows.Select(r => (r.Member, r.RatifiedOn, r.DepositedOn, r.CountsFrom)).ToArray();

        await _host.Queries.RebuildAllAsync();

        (await _host.Queries.ListAsync("NATO")).Select(s => (s.Id, s.Stage, s.AccededOn, Counted: s.Counted.Count)).Should().Equal(before);
        (await _host.Queries.RegisterAsync("nato/swe"))!.Rows.Select(r => (r.Member, r.RatifiedOn, r.DepositedOn, r.CountsFrom)).Should().Equal(register);
    }

    // The documents as stored leave out null values and false flags (the read models' JsonIgnore conditions), and read
    // back as the fold of the log builds them: compared in a form that writes both (the serializer's own ignore
    // conditions turned off by a modifier).
    [Theory]
    [InlineData("nato/fin")]
    [InlineData("nato/swe")]
    public async Task The_stored_documents_leave_out_what_reads_back_the_same_and_read_back_as_the_fold(string process)
    {
        var entries = await _host.Queries.EntriesAsync(process);
        var (status, register) = ProcessViews.BuildStored(process, entries);
        await using var session = _host.Store.QuerySession();
        foreach (var (table, built, loaded) in new (string, object, object?)[]
        {
            ("mt_doc_accessionstatus", status, await session.LoadAsync<AccessionStatus>(process)),
            ("mt_doc_ratificationregister", register, await session.LoadAsync<RatificationRegister>(process)),
        })
        {
            var full = JsonSerializer.Serialize(built, built.GetType(), Untrimmed);
            full.Should().Contain("null").And.Contain("false", "the untrimmed form has nulls and false flags to leave out");
            loaded.Should().NotBeNull();
            JsonSerializer.Serialize(loaded, built.GetType(), Untrimmed).Should().Be(full, $"{table} reads back as the fold");

            var stored = await session.QueryAsync<string>($"select data::text from {_schema}.{table} where id = ?", process);
            var left = Values(JsonNode.Parse(stored.Single())).Where(v => v.Node is null || v.Node.GetValueKind() == JsonValueKind.False)
                .Select(v => v.Path).ToList();
            left.Should().BeEmpty($"{table} leaves out nulls and false flags");
        }
    }

    private static readonly JsonSerializerOptions Untrimmed = UntrimmedOptions();

    private static JsonSerializerOptions UntrimmedOptions()
    {
        var options = new JsonSerializerOptions(LedgerJson.Options)
        {
            TypeInfoResolver = new System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver
            {
                Modifiers = { info => { foreach (var property in info.Properties) { property.ShouldSerialize = null; } } },
            },
        };
        options.MakeReadOnly();
        return options;
    }

    private static IEnumerable<(string Path, JsonNode? Node)> Values(JsonNode? node, string path = "$")
    {
        yield return (path, node);
        var children = node switch
        {
            JsonObject o => o.Select(p => ($"{path}.{p.Key}", p.Value)),
            JsonArray a => a.Select((v, i) => ($"{path}[{i}]", v)),
            _ => [],
        };
        foreach (var (childPath, child) in children)
        {
            foreach (var value in Values(child, childPath))
            {
                yield return value;
            }
        }
    }
}
