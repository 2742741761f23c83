using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using RatificationLedger.Import;
using RatificationLedger.IntegrationTests.Support;

namespace RatificationLedger.IntegrationTests.Reliability.Support;

/// <summary>
/// A valid ledger history file built in code: Finland and Sweden 2022-2024 in outline (vetoes, holds, a memorandum,
/// Finland's early approval of Sweden's protocol, both accessions) plus a few invented open processes, about 300
/// entries. Deterministic: the same arguments give the same file. The reliability tests import it, break the import
/// half-way, and compare the result with a clean import.
/// </summary>
public static class SyntheticHistory
{
    private static readonly string[] ExtraCandidates = ["GEO", "BIH", "MDA", "UKR", "SRB", "IRL"];

    /// <summary>The history file as JSON.</summary>
    public static JsonObject Json(int extraProcesses = 4, int seed = 2022)
    {
        var random = new Random(seed);
        var members = TestOrganizations.Nato().Members.Select(m => m.State).ToArray();
        var processes = new JsonArray
        {
            Finland(members),
            Sweden(members),
        };
        for (var k = 0; k < extraProcesses; k++)
        {
            processes.Add(Extra(ExtraCandidates[k], members, random, k));
        }
        return new JsonObject
        {
            ["organization"] = Organization(),
            ["processes"] = processes,
        };
    }

    /// <summary>The organization object of the file (NATO's roster before 2022).</summary>
    public static JsonObject Organization() => new()
    {
        ["code"] = "NATO",
        ["name"] = "North Atlantic Treaty Organization",
        ["depositary"] = "USA",
        ["ratificationCounts"] = "approval",
        ["newMembersRatifyOpenProcesses"] = true,
        ["members"] = new JsonArray([.. TestOrganizations.Nato().Members.Select(m => (JsonNode)new JsonObject
        {
            ["state"] = m.State,
            ["since"] = D(m.Since),
        })]),
    };

    /// <summary>The parsed file.</summary>
    public static HistoryFile File(int extraProcesses = 4, int seed = 2022) => Parse(Json(extraProcesses, seed).ToJsonString());

    public static HistoryFile Parse(string json) =>
        HistoryFile.Parse(new MemoryStream(Encoding.UTF8.GetBytes(json)), "synthetic history");

    private static JsonObject Finland(string[] members)
    {
        var events = new JsonArray
        {
            E("application", "2022-05-18", ("source", "https://www.nato.int/cps/en/natohq/news_195468.htm")),
            E("veto", "2022-05-18", ("member", "TUR"), ("reason", "blocks the start of accession talks"), ("formal", true)),
            E("memorandum", "2022-06-28", ("title", "Trilateral Memorandum"), ("parties", new JsonArray("TUR", "FIN", "SWE"))),
            E("veto-lifted", "2022-06-28", ("member", "TUR"), ("reason", "Trilateral Memorandum signed")),
            E("invitation", "2022-06-29", ("venue", "Madrid Summit")),
            E("protocol-signed", "2022-07-05"),
        };
        var start = new DateOnly(2022, 7, 5);
        for (var i = 0; i < members.Length; i++)
        {
            var member = members[i];
            var on = member switch
            {
                "HUN" => new DateOnly(2023, 3, 27),
                "TUR" => new DateOnly(2023, 3, 30),
                _ => start.AddDays(i * 3),
            };
            if (i % 3 == 0)
            {
                events.Add(E("vote", D(on), ("member", member), ("chamber", "Parliament"), ("for", 150 + i), ("against", i % 4), ("abstained", 0), ("passed", true)));
            }
            events.Add(E("ratification", D(on), ("member", member), ("authority", $"Parliament of {member}"), ("source", $"https://example.org/{member.ToLowerInvariant()}/fin")));
            if (i % 2 == 0)
            {
                events.Add(E("deposit", D(on.AddDays(5)), ("member", member), ("unconfirmed", i % 4 == 0)));
            }
        }
        events.Add(E("accession", "2023-04-04", ("memberCount", 31)));
        return P("nato/fin", "FIN", events);
    }

    private static JsonObject Sweden(string[] members)
    {
        var events = new JsonArray
        {
            E("application", "2022-05-18"),
            E("veto", "2022-05-18", ("member", "TUR"), ("reason", "blocks the start of accession talks"), ("formal", true)),
            E("memorandum", "2022-06-28", ("title", "Trilateral Memorandum"), ("parties", new JsonArray("TUR", "FIN", "SWE"))),
            E("veto-lifted", "2022-06-28", ("member", "TUR"), ("reason", "Trilateral Memorandum signed")),
            E("invitation", "2022-06-29", ("venue", "Madrid Summit")),
            E("protocol-signed", "2022-07-05"),
            E("veto", "2023-01-24", ("member", "TUR"), ("reason", "holds ratification after protests in Stockholm"), ("formal", false)),
            E("veto", "2023-03-01", ("member", "HUN"), ("reason", "postpones the vote"), ("formal", false), ("unconfirmed", true)),
            // Finland approves while itself a candidate; it becomes a required ratifier on joining.
            E("ratification", "2023-03-01", ("member", "FIN"), ("authority", "Eduskunta")),
            E("ratifier-added", "2023-04-04", ("member", "FIN"), ("reason", "joined NATO")),
            E("deposit", "2023-04-04", ("member", "FIN")),
        };
        var start = new DateOnly(2022, 7, 5);
        for (var i = 0; i < members.Length; i++)
        {
            var member = members[i];
            var on = member switch
            {
                "TUR" => new DateOnly(2024, 1, 25),
                "HUN" => new DateOnly(2024, 2, 26),
                _ => start.AddDays(i * 4),
            };
            events.Add(E("ratification", D(on), ("member", member), ("authority", $"Parliament of {member}")));
            if (i % 3 == 1)
            {
                events.Add(E("deposit", D(on.AddDays(10)), ("member", member)));
            }
        }
        events.Add(E("accession", "2024-03-07", ("memberCount", 32)));
        return P("nato/swe", "SWE", events);
    }

    // An invented open process: opened by an application or (without one) by the invitation, some ratifications,
    // sometimes a hold or a withdrawal; never an accession, so it changes no other process's ratifiers.
    private static JsonObject Extra(string candidate, string[] members, Random random, int k)
    {
        var id = $"nato/{candidate.ToLowerInvariant()}";
        var opened = new DateOnly(2022, 2, 1).AddDays(random.Next(0, 500));
        var events = new JsonArray();
        if (k % 2 == 0 || k == 3)
        {
            events.Add(E("application", D(opened), ("note", $"synthetic process {k}")));
        }
        if (k == 3)
        {
            events.Add(E("withdrawal", D(opened.AddDays(40)), ("reason", "government changed course")));
            return P(id, candidate, events);
        }
        var invited = opened.AddDays(20);
        var signed = invited.AddDays(10);
        events.Add(E("invitation", D(invited), ("venue", $"Summit {k}")));
        events.Add(E("protocol-signed", D(signed)));
        var holder = members[random.Next(members.Length)];
        events.Add(E("veto", D(signed.AddDays(3)), ("member", holder), ("reason", "awaits guarantees"), ("formal", false)));
        foreach (var member in members.Where(_ => random.Next(3) > 0))
        {
            // The holder ratifies only after its hold (and after a lifting of it), which its approval then ends.
            var on = signed.AddDays(member == holder ? random.Next(31, 300) : random.Next(1, 300));
            events.Add(E("ratification", D(on), ("member", member), ("authority", "Parliament")));
        }
        if (k == 2)
        {
            events.Add(E("veto-lifted", D(signed.AddDays(30)), ("member", holder), ("reason", "guarantees given")));
        }
        return P(id, candidate, events);
    }

    private static JsonObject P(string id, string candidate, JsonArray events) =>
        new() { ["id"] = id, ["candidate"] = candidate, ["events"] = events };

    public static JsonObject E(string type, string on, params (string Key, object? Value)[] fields)
    {
        var e = new JsonObject { ["type"] = type, ["on"] = on };
        foreach (var (key, value) in fields)
        {
            e[key] = value switch
            {
                null => null,
                JsonNode node => node,
                string s => s,
                bool b => b,
                int i => i,
                _ => throw new ArgumentException($"unsupported value {value}"),
            };
        }
        return e;
    }

    public static string D(DateOnly d) => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}
