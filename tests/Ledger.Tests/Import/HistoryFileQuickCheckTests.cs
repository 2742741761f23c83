using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using RatificationLedger.Import;

namespace RatificationLedger.Tests.Import;

/// <summary>
/// A history file's processes are first checked the quick way (one pass over their tokens) and read field by field only
/// when the quick check does not accept them; an optional field given as null sends a process to the full reading, which
/// takes null as absent. So a file and its twin with one <c>"note": null</c> added to another entry of the same process
/// mean the same, and the twin is always read the full way: whatever one random change to an entry makes of the file,
/// both must be accepted with the same entries or refused with the same message. A rule the quick check forgot would
/// accept the file the full check refuses.
/// </summary>
public sealed class HistoryFileQuickCheckTests
{
    private const string Valid = """
        {
          "organization": {
            "code": "NATO", "name": "North Atlantic Treaty Organization", "depositary": "USA",
            "ratificationCounts": "approval", "newMembersRatifyOpenProcesses": true,
            "members": [
              { "state": "BEL", "since": "1949-08-24" },
              { "state": "TUR", "since": "1952-02-18" },
              { "state": "USA", "since": "1949-08-24" }
            ]
          },
          "processes": [
            { "id": "nato/fin", "candidate": "FIN", "events": [
              { "type": "application", "on": "2022-05-18", "source": "https://example.org/application", "note": "Handed over." },
              { "type": "veto", "on": "2022-05-18", "member": "TUR", "reason": "Talks blocked.", "formal": true },
              { "type": "memorandum", "on": "2022-06-28", "title": "Trilateral Memorandum", "parties": ["TUR", "FIN", "SWE"], "summary": "Commitments." },
              { "type": "veto-lifted", "on": "2022-06-28", "member": "TUR", "reason": "Memorandum signed." },
              { "type": "invitation", "on": "2022-06-29", "venue": "Madrid Summit", "ratifiers": ["BEL", "TUR", "USA"] },
              { "type": "protocol-signed", "on": "2022-07-05", "treaty": "Protocol", "coCandidates": ["SWE"], "entryIntoForce": { "rule": "days-after-completion", "days": 30 } },
              { "type": "vote", "on": "2022-07-07", "member": "BEL", "chamber": "Chamber", "for": 120, "against": 2, "abstained": 3, "passed": true, "unconfirmed": true },
              { "type": "ratification", "on": "2022-07-20", "member": "BEL", "authority": "Parliament" },
              { "type": "deposit", "on": "2022-07-21", "member": "BEL", "depositary": "USA" },
              { "type": "ratifier-added", "on": "2023-04-04", "member": "SWE", "reason": "Joined." },
              { "type": "accession", "on": "2023-04-04", "memberCount": 31 },
              { "type": "withdrawal", "on": "2023-05-01", "reason": "Changed course." }
            ] }
          ]
        }
        """;

    private static readonly string[] Fields =
    [
        "type", "on", "member", "chamber", "for", "against", "abstained", "passed", "reason", "formal", "title", "parties",
        "summary", "venue", "ratifiers", "treaty", "coCandidates", "entryIntoForce", "memberCount", "authority",
        "depositary", "source", "note", "unconfirmed", "weeks",
    ];

    private static readonly string[] Types =
    [
        "application", "veto", "memorandum", "veto-lifted", "invitation", "protocol-signed", "vote", "ratification",
        "deposit", "ratifier-added", "accession", "withdrawal", "retraction", "Vote", "",
    ];

    private static JsonNode? Value(Random random) => random.Next(24) switch
    {
        0 => 7,
        1 => 1.5,
        2 => -1,
        3 => 0,
        4 => true,
        5 => "",
        6 => "XX",
        7 => "tur",
        8 => "TUR",
        9 => "2022-13-01",
        10 => "2022-02-30",
        11 => "2022-07-07",
        12 => "1940-01-01",
        13 => null,
        14 => new JsonArray(),
        15 => new JsonObject(),
        16 => new string('a', 5000),
        17 => new JsonArray("XX"),
        18 => new JsonArray(7),
        19 => new JsonArray("TUR", "TUR"),
        20 => new JsonObject { ["rule"] = "fixed-date", ["date"] = "2022-07-01" },
        21 => new JsonObject { ["rule"] = "on-completion", ["days"] = 3 },
        22 => "text with \"quotes\" and \u00e9",
        _ => 2147483648L,
    };

    // Seeds 0 to 5,999, each one change (FsCheck's integers would repeat a few hundred small seeds).
    [Fact]
    public void A_file_the_quick_check_reads_and_its_twin_read_the_full_way_mean_the_same()
    {
        for (var seed = 0; seed < 6000; seed++)
        {
            OneChange(seed);
        }
    }

    private static void OneChange(int seed)
    {
        var random = new Random(seed);
        var root = JsonNode.Parse(Valid)!.AsObject();
        var events = root["processes"]![0]!["events"]!.AsArray();
        var target = random.Next(events.Count);
        var entry = events[target]!.AsObject();
        var names = entry.Select(p => p.Key).ToList();
        switch (random.Next(4))
        {
            case 0:
                entry.Remove(names[random.Next(names.Count)]);
                break;
            case 1:
                entry[names[random.Next(names.Count)]] = Value(random);
                break;
            case 2:
                entry[Fields[random.Next(Fields.Length)]] = Value(random);
                break;
            default:
                entry["type"] = Types[random.Next(Types.Length)];
                break;
        }
        var changed = root.ToJsonString();
        var others = Enumerable.Range(0, events.Count).Where(i => i != target && !events[i]!.AsObject().ContainsKey("note")).ToList();
        events[others[random.Next(others.Count)]]!.AsObject()["note"] = null;
        var twin = root.ToJsonString();

        var (file, error) = Read(changed);
        var (twinFile, twinError) = Read(twin);

        error.Should().Be(twinError, $"seed {seed}: {changed}");
        if (file is not null)
        {
            // As JSON: commands hold arrays (parties, ratifiers), which records compare by reference.
            static string Of(HistoryEntry e) => JsonSerializer.Serialize(new { e.Process, e.Index, e.Type, Command = (object)e.Command, e.Provenance });
            file.Entries.Select(Of).Should().Equal(twinFile!.Entries.Select(Of), $"seed {seed}: {changed}");
        }
    }

    private static (HistoryFile? File, string? Error) Read(string json)
    {
        try
        {
            return (HistoryFile.Parse(new MemoryStream(Encoding.UTF8.GetBytes(json)), "test.json"), null);
        }
        catch (HistoryFileException e)
        {
            return (null, e.Message);
        }
    }
}
