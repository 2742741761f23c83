using System.Text.Json.Nodes;
using RatificationLedger.Domain;
using RatificationLedger.Import;
using RatificationLedger.IntegrationTests.Reliability.Support;
using RatificationLedger.IntegrationTests.Support;
using RatificationLedger.Projections;
using RatificationLedger.Recording;
using static RatificationLedger.IntegrationTests.Reliability.Support.SyntheticHistory;
using static RatificationLedger.IntegrationTests.Support.TestOrganizations;

namespace RatificationLedger.IntegrationTests.Reliability;

/// <summary>
/// A ledger with NATO, Finland's process (applied, invited, protocol signed, Canada's approval under command id
/// <c>can-approval</c>, Türkiye's hold) and Bosnia and Herzegovina's application, for the bad-input cases to bounce off.
/// </summary>
public sealed class BadInputLedger : IAsyncLifetime
{
    public LedgerHost Host { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Host = LedgerHost.Start(await TestSchemas.ConnectionStringAsync(), TestSchemas.Next("bad_input"));
        (await Host.RegisterAsync(Nato())).Succeeded.Should().BeTrue();
        await Host.RecordAsync(new SubmitApplication("nato/fin", "NATO", "FIN", D("2022-05-18")));
        await Host.RecordAsync(new ExtendInvitation("nato/fin", D("2022-06-29"), "Madrid Summit"));
        await Host.RecordAsync(new SignAccessionProtocol("nato/fin", D("2022-07-05")));
        await Host.RecordAsync(new ApproveRatification("nato/fin", "CAN", D("2022-07-05"), "Parliament of Canada"), new Provenance(CommandId: "can-approval"));
        await Host.RecordAsync(new DeclareVeto("nato/fin", "TUR", D("2022-07-06"), "awaits guarantees", false));
        await Host.RecordAsync(new SubmitApplication("nato/bih", "NATO", "BIH", D("2022-09-01")));
    }

    public async Task DisposeAsync() => await Host.DisposeAsync();
}

/// <summary>
/// Bad input, over commands and import files: each case gets a specific error (its stable code, or for a malformed
/// file the place in the file) whose message names the offending value, and records nothing. Hostile but valid text is
/// stored and read back verbatim.
/// </summary>
public sealed class BadInputTests(BadInputLedger ledger) : IClassFixture<BadInputLedger>
{
    private LedgerHost Host => ledger.Host;

    private sealed record Case(Func<LedgerHost, Task<RecordResult>> Send, string Code, string[] Names);

    private static Case Command(AccessionCommand command, string code, params string[] names) =>
        new(h => h.SendAsync(command), code, names);

    private static Case Command(AccessionCommand command, Provenance provenance, string code, params string[] names) =>
        new(h => h.SendAsync(command, provenance), code, names);

    private static Case Register(Organization organization, string code, params string[] names) =>
        new(async h => await h.Sender.Send(new RegisterOrganizationRequest(organization)), code, names);

    private static readonly DateOnly Day = D("2022-07-10");

    private static readonly Dictionary<string, Case> CommandCases = new()
    {
        // Codes
        ["member: not a code"] = Command(new ApproveRatification("nato/fin", "XXX", Day, "Parliament"), RuleCodes.InvalidCode, "'XXX'"),
        ["member: lower case"] = Command(new ApproveRatification("nato/fin", "dnk", Day, "Parliament"), RuleCodes.InvalidCode, "'dnk'"),
        ["member: alpha-2"] = Command(new ApproveRatification("nato/fin", "DK", Day, "Parliament"), RuleCodes.InvalidCode, "'DK'"),
        ["member: empty"] = Command(new ApproveRatification("nato/fin", "", Day, "Parliament"), RuleCodes.InvalidCode, "member ''"),
        ["member: missing (null)"] = Command(new ApproveRatification("nato/fin", null!, Day, "Parliament"), RuleCodes.InvalidCode, "member ''"),
        ["member: digits"] = Command(new RecordParliamentVote("nato/fin", "208", Day, "Folketing", 1, 0, 0, true), RuleCodes.InvalidCode, "'208'"),
        ["member: right-to-left override inside"] = Command(new ApproveRatification("nato/fin", "D\u202ENK", Day, "Parliament"), RuleCodes.InvalidCode, "'D\u202ENK'"),
        ["member: SQL"] = Command(new DepositInstrument("nato/fin", "DNK'; --", Day), RuleCodes.InvalidCode, "'DNK'; --'"),
        ["depositary: not a code"] = Command(new DepositInstrument("nato/fin", "CAN", Day, "ZZZ"), RuleCodes.InvalidCode, "'ZZZ'"),
        ["invitation: ratifier not a code"] = Command(new ExtendInvitation("nato/bih", D("2022-10-01"), "Summit", ["BEL", "QQQ"]), RuleCodes.InvalidCode, "'QQQ'"),
        ["memorandum: party not a code"] = Command(new SignMemorandum("nato/fin", Day, "Memorandum", ["TUR", "x1"]), RuleCodes.InvalidCode, "'x1'"),
        // Process ids and organizations
        ["process id: upper case"] = Command(new ApproveRatification("NATO/FIN", "DNK", Day, "Parliament"), RuleCodes.ProcessIdMalformed, "'NATO/FIN'"),
        ["process id: country name"] = Command(new ApproveRatification("nato/finland", "DNK", Day, "Parliament"), RuleCodes.ProcessIdMalformed, "'nato/finland'"),
        ["process id: no organization"] = Command(new ApproveRatification("/fin", "DNK", Day, "Parliament"), RuleCodes.ProcessIdMalformed, "'/fin'"),
        ["process id: empty"] = Command(new SignAccessionProtocol("", Day), RuleCodes.ProcessIdMalformed, "''"),
        ["process id: padded"] = Command(new SignAccessionProtocol(" nato/fin ", Day), RuleCodes.ProcessIdMalformed, "' nato/fin '"),
        ["process id: path traversal"] = Command(new SignAccessionProtocol("../../etc/passwd", Day), RuleCodes.ProcessIdMalformed, "'../../etc/passwd'"),
        ["process id: SQL"] = Command(new SignAccessionProtocol("nato/fin'; drop table mt_events; --", Day), RuleCodes.ProcessIdMalformed, "'nato/fin'; drop table mt_events; --'"),
        ["process id: look-alike letter"] = Command(new SignAccessionProtocol("nato/f\u0131n", Day), RuleCodes.ProcessIdMalformed, "'nato/f\u0131n'"),
        ["process id: attempt zero"] = Command(new SignAccessionProtocol("nato/fin-0", Day), RuleCodes.ProcessIdMalformed, "'nato/fin-0'"),
        ["process id: candidate not a code"] = Command(new SubmitApplication("nato/zzz", "NATO", "ZZZ", Day), RuleCodes.InvalidCode, "'ZZZ'"),
        ["organization: unknown"] = Command(new SubmitApplication("eu/ukr", "EU", "UKR", D("2022-02-28")), RuleCodes.UnknownOrganization, "EU"),
        ["organization: unknown, on a ratification"] = Command(new ApproveRatification("un/pse", "FRA", Day, "Parliament"), RuleCodes.UnknownOrganization, "UN"),
        ["application: for another process"] = Command(new SubmitApplication("nato/swe", "NATO", "FIN", D("2022-05-18")), RuleCodes.ProcessIdMismatch, "FIN", "'nato/swe'"),
        // Dates
        ["date: the day after tomorrow"] = Command(new ApproveRatification("nato/fin", "DNK", D("2024-06-03"), "Folketing"), RuleCodes.DateInFuture, "2024-06-03"),
        ["date: the end of time"] = Command(new ApproveRatification("nato/fin", "DNK", DateOnly.MaxValue, "Folketing"), RuleCodes.DateInFuture, "9999-12-31"),
        ["date: application in 2030"] = Command(new SubmitApplication("nato/aut", "NATO", "AUT", D("2030-01-01")), RuleCodes.DateInFuture, "2030-01-01"),
        ["date: approval before the protocol"] = Command(new ApproveRatification("nato/fin", "DNK", D("2022-07-01"), "Folketing"), RuleCodes.DateBeforeDependency, "2022-07-01", "2022-07-05"),
        ["date: the beginning of time"] = Command(new ApproveRatification("nato/fin", "DNK", DateOnly.MinValue, "Folketing"), RuleCodes.DateBeforeDependency, "0001-01-01"),
        ["date: invitation before the application"] = Command(new ExtendInvitation("nato/bih", D("2022-08-01"), "Summit"), RuleCodes.DateBeforeDependency, "2022-08-01", "2022-09-01"),
        ["date: approval before the member's own hold"] = Command(new ApproveRatification("nato/fin", "TUR", D("2022-07-05"), "Grand National Assembly"), RuleCodes.DateBeforeDependency, "TUR", "2022-07-05", "2022-07-06"),
        // Steps out of order
        ["order: approval before the invitation"] = Command(new ApproveRatification("nato/bih", "DNK", D("2022-09-10"), "Folketing"), RuleCodes.InvitationMissing, "DNK"),
        ["order: protocol before the invitation"] = Command(new SignAccessionProtocol("nato/bih", D("2022-09-10")), RuleCodes.InvitationMissing, "2022-09-10"),
        ["order: accession while a hold is active"] = Command(new CompleteAccession("nato/fin", D("2023-04-04")), RuleCodes.AccessionBlocked, "TUR", "2022-07-06"),
        ["order: step on a process never opened"] = Command(new SignAccessionProtocol("nato/aut", Day), RuleCodes.ProcessNotOpen, "nato/aut", "2022-07-10"),
        ["order: approval on a process never opened"] = Command(new ApproveRatification("nato/swe", "DNK", Day, "Folketing"), RuleCodes.ProcessNotOpen, "nato/swe"),
        ["order: lifting a veto nobody declared"] = Command(new LiftVeto("nato/fin", "DNK", Day, "no reason"), RuleCodes.NoActiveVeto, "DNK"),
        ["order: veto after approving"] = Command(new DeclareVeto("nato/fin", "CAN", Day, "second thoughts", true), RuleCodes.VetoAfterApproval, "CAN", "2022-07-05"),
        // Who
        ["who: outsider ratifies"] = Command(new ApproveRatification("nato/fin", "AUT", Day, "Nationalrat"), RuleCodes.NotRequiredRatifier, "AUT"),
        ["who: outsider votes"] = Command(new RecordParliamentVote("nato/fin", "IRL", Day, "Dáil", 100, 10, 0, true), RuleCodes.NotRequiredRatifier, "IRL"),
        ["who: outsider holds after the invitation"] = Command(new DeclareVeto("nato/fin", "CHE", Day, "neutrality", false), RuleCodes.NotRequiredRatifier, "CHE"),
        ["who: non-member vetoes before the invitation"] = Command(new DeclareVeto("nato/bih", "AUT", D("2022-09-02"), "no", true), RuleCodes.NotAMember, "AUT"),
        ["who: non-member added as ratifier"] = Command(new AddRatifier("nato/fin", "AUT", Day, "asked to"), RuleCodes.NotAMember, "AUT"),
        ["who: candidate ratifies itself"] = Command(new ApproveRatification("nato/fin", "FIN", Day, "Eduskunta"), RuleCodes.CandidateOwnProtocol, "FIN"),
        ["who: candidate votes on itself"] = Command(new RecordParliamentVote("nato/fin", "FIN", Day, "Eduskunta", 184, 7, 0, true), RuleCodes.CandidateOwnProtocol, "FIN"),
        ["who: candidate vetoes itself"] = Command(new DeclareVeto("nato/fin", "FIN", Day, "cold feet", true), RuleCodes.CandidateOwnProtocol, "FIN"),
        ["who: candidate deposits for itself"] = Command(new DepositInstrument("nato/fin", "FIN", Day), RuleCodes.CandidateOwnProtocol, "FIN"),
        ["who: candidate among its own ratifiers"] = Command(new ExtendInvitation("nato/bih", D("2022-10-01"), "Summit", ["BEL", "BIH"]), RuleCodes.CandidateOwnProtocol, "BIH"),
        ["who: a member applies"] = Command(new SubmitApplication("nato/dnk", "NATO", "DNK", D("2022-05-18")), RuleCodes.CandidateAlreadyMember, "DNK"),
        // Conflicting repeats
        ["repeat: application on another date"] = Command(new SubmitApplication("nato/fin", "NATO", "FIN", D("2022-05-20")), RuleCodes.ConflictingRepeat, "2022-05-18", "2022-05-20"),
        ["repeat: approval on another date"] = Command(new ApproveRatification("nato/fin", "CAN", D("2022-07-06"), "Parliament of Canada"), RuleCodes.ConflictingRepeat, "CAN", "2022-07-06"),
        ["repeat: approval by another authority"] = Command(new ApproveRatification("nato/fin", "CAN", D("2022-07-05"), "Senate"), RuleCodes.ConflictingRepeat, "CAN", "Senate"),
        ["repeat: protocol signed on another date"] = Command(new SignAccessionProtocol("nato/fin", D("2022-07-06")), RuleCodes.ConflictingRepeat, "2022-07-05", "2022-07-06"),
        ["repeat: invitation elsewhere"] = Command(new ExtendInvitation("nato/fin", D("2022-06-29"), "Vilnius"), RuleCodes.ConflictingRepeat, "Madrid Summit", "2022-06-29"),
        ["repeat: a second veto over an active hold"] = Command(new DeclareVeto("nato/fin", "TUR", D("2022-08-01"), "formal now", true), RuleCodes.ConflictingRepeat, "TUR", "2022-07-06", "2022-08-01"),
        // Missing fields, numbers, text
        ["field: empty authority"] = Command(new ApproveRatification("nato/fin", "DNK", Day, ""), RuleCodes.MissingField, "authority"),
        ["field: blank authority"] = Command(new ApproveRatification("nato/fin", "DNK", Day, "   "), RuleCodes.MissingField, "authority"),
        ["field: empty chamber"] = Command(new RecordParliamentVote("nato/fin", "DNK", Day, "", 1, 0, 0, true), RuleCodes.MissingField, "chamber"),
        ["field: memorandum without parties"] = Command(new SignMemorandum("nato/fin", Day, "Memorandum", []), RuleCodes.MissingField, "party"),
        ["field: memorandum without title"] = Command(new SignMemorandum("nato/fin", Day, "", ["TUR"]), RuleCodes.MissingField, "title"),
        ["field: retraction without reason"] = Command(new RetractEntry("nato/fin", 4, Day, ""), RuleCodes.MissingField, "reason"),
        ["number: negative vote count"] = Command(new RecordParliamentVote("nato/fin", "DNK", Day, "Folketing", -1, 0, 0, true), RuleCodes.InvalidNumber, "-1"),
        ["number: retract entry 0"] = Command(new RetractEntry("nato/fin", 0, Day, "typo"), RuleCodes.InvalidNumber, "entry number 0"),
        ["number: retract an entry that does not exist"] = Command(new RetractEntry("nato/fin", 999, Day, "typo"), RuleCodes.UnknownEntry, "999"),
        ["retraction: of the opening entry"] = Command(new RetractEntry("nato/fin", 1, Day, "typo"), RuleCodes.RetractionNotAllowed, "entry 1"),
        ["text: oversized authority"] = Command(new ApproveRatification("nato/fin", "DNK", Day, new string('A', 501)), RuleCodes.TextTooLong, "authority", "501", "500"),
        ["text: oversized reason"] = Command(new DeclareVeto("nato/fin", "DNK", Day, new string('r', 4001), true), RuleCodes.TextTooLong, "reason", "4001", "4000"),
        ["text: oversized venue"] = Command(new ExtendInvitation("nato/bih", D("2022-10-01"), new string('v', 600)), RuleCodes.TextTooLong, "venue", "600"),
        ["text: bell in a reason"] = Command(new DeclareVeto("nato/fin", "DNK", Day, "held\u0007", true), RuleCodes.InvalidText, "reason", "U+0007"),
        ["text: NUL in a venue"] = Command(new ExtendInvitation("nato/bih", D("2022-10-01"), "Madrid\0"), RuleCodes.InvalidText, "venue", "U+0000"),
        ["text: terminal escape in an authority"] = Command(new ApproveRatification("nato/fin", "DNK", Day, "\u001b[31mred"), RuleCodes.InvalidText, "authority", "U+001B"),
        ["text: unpaired surrogate in a title"] = Command(new SignMemorandum("nato/fin", Day, "Memo \uD800", ["TUR"]), RuleCodes.InvalidText, "title", "surrogate"),
        // Provenance and command ids
        ["provenance: oversized source"] = Command(new ApproveRatification("nato/fin", "DNK", Day, "Folketing"), new Provenance(Source: "https://example.org/" + new string('s', 1981)), RecordCodes.InvalidProvenance, "source", "2001", "2000"),
        ["provenance: oversized note"] = Command(new ApproveRatification("nato/fin", "DNK", Day, "Folketing"), new Provenance(Note: new string('n', 5000)), RecordCodes.InvalidProvenance, "note", "5000"),
        ["provenance: control character in a note"] = Command(new ApproveRatification("nato/fin", "DNK", Day, "Folketing"), new Provenance(Note: "see\u0001attached"), RecordCodes.InvalidProvenance, "note", "U+0001"),
        ["provenance: oversized command id"] = Command(new ApproveRatification("nato/fin", "DNK", Day, "Folketing"), new Provenance(CommandId: new string('c', 2001)), RecordCodes.InvalidProvenance, "command id", "2001"),
        ["provenance: command id in the form derived ids take"] = Command(new ApproveRatification("nato/fin", "DNK", Day, "Folketing"), new Provenance(CommandId: "approve_ratification:" + new string('a', 40)), RecordCodes.InvalidProvenance, "approve_ratification:" + new string('a', 40), "derived"),
        ["provenance: empty command id"] = Command(new ApproveRatification("nato/fin", "DNK", Day, "Folketing"), new Provenance(CommandId: ""), RecordCodes.InvalidProvenance, "command id is empty"),
        ["provenance: oversized recorded-by"] = Command(new ApproveRatification("nato/fin", "DNK", Day, "Folketing"), new Provenance(RecordedBy: new string('u', 3000)), RecordCodes.InvalidProvenance, "recorded by", "3000"),
        ["provenance: command id reused for another fact"] = Command(new ApproveRatification("nato/fin", "DNK", Day, "Folketing"), new Provenance(CommandId: "can-approval"), RecordCodes.CommandIdReused, "'can-approval'", "approve_ratification"),
        ["provenance: command id reused on another process"] = Command(new SubmitApplication("nato/aut", "NATO", "AUT", D("2022-05-18")), new Provenance(CommandId: "can-approval"), RecordCodes.CommandIdReused, "'can-approval'", "nato/fin"),
        // Organizations
        ["organization: redefined depositary"] = Register(Nato() with { Depositary = "GBR" }, RuleCodes.OrganizationConflict, "GBR", "USA"),
        ["organization: lower-case code"] = Register(Nato() with { Code = "nato" }, RuleCodes.InvalidCode, "'nato'"),
        ["organization: member not a code"] = Register(Nato() with { Members = [.. Nato().Members, new Membership("XYZ", D("2000-01-01"))] }, RuleCodes.InvalidCode, "'XYZ'"),
        ["organization: member joining in 2030"] = Register(Nato() with { Members = [.. Nato().Members, new Membership("AUT", D("2030-01-01"))] }, RuleCodes.DateInFuture, "AUT", "2030-01-01"),
        ["organization: member listed twice"] = Register(Nato() with { Members = [.. Nato().Members, new Membership("BEL", D("1949-08-24"))] }, RuleCodes.ConflictingRepeat, "BEL"),
        ["organization: join date rewritten"] = Register(Nato() with { Members = [.. Nato().Members.Select(m => m.State == "DEU" ? m with { Since = D("1990-10-03") } : m)] }, RuleCodes.OrganizationConflict, "DEU", "1955-05-06", "1990-10-03"),
        ["organization: no name"] = Register(Nato() with { Name = "" }, RuleCodes.MissingField, "name"),
    };

    public static TheoryData<string> Commands => [.. CommandCases.Keys];

    [Theory]
    [MemberData(nameof(Commands))]
    public async Task A_bad_command_is_refused_with_its_rule_and_value_and_records_nothing(string name)
    {
        var bad = CommandCases[name];
        var before = await LedgerSnapshot.EventCountAsync(Host.Store);

        var result = await bad.Send(Host);

        result.Outcome.Should().Be(RecordOutcome.Rejected, result.ToString());
        result.Rejection!.Code.Should().Be(bad.Code, result.Rejection.Message);
        foreach (var value in bad.Names)
        {
            result.Rejection.Message.Should().Contain(value);
        }
        result.Entries.Should().BeEmpty();
        (await LedgerSnapshot.EventCountAsync(Host.Store)).Should().Be(before, "a refused command records nothing");
    }

    // --- Import files -------------------------------------------------------------------------------------------

    // Finland's process as the fixture holds it, plus the entries of the case: importing records nothing new.
    private static JsonObject File(params JsonObject[] extra)
    {
        JsonArray events =
        [
            E("application", "2022-05-18"),
            E("invitation", "2022-06-29", ("venue", "Madrid Summit")),
            E("protocol-signed", "2022-07-05"),
            E("ratification", "2022-07-05", ("member", "CAN"), ("authority", "Parliament of Canada")),
            .. extra,
        ];
        return new JsonObject
        {
            ["organization"] = Organization(),
            ["processes"] = new JsonArray(new JsonObject { ["id"] = "nato/fin", ["candidate"] = "FIN", ["events"] = events }),
        };
    }

    private static string Edit(Action<JsonObject> edit)
    {
        var file = File();
        edit(file);
        return file.ToJsonString();
    }

    private static JsonObject Entry(JsonObject file, int index) => (JsonObject)file["processes"]![0]!["events"]![index]!;

    private static string WithEntry(params (string Key, JsonNode? Value)[] fields)
    {
        var entry = new JsonObject();
        foreach (var (key, value) in fields)
        {
            entry[key] = value;
        }
        return File(entry).ToJsonString();
    }

    private static readonly Dictionary<string, (string Json, string[] Names)> MalformedFiles = new()
    {
        ["not JSON"] = ("{ \"organization\": ", ["not valid JSON"]),
        ["empty"] = ("", ["not valid JSON"]),
        ["an array at the root"] = ("[]", ["$: expected an object, found an array"]),
        ["a trailing comma"] = (File().ToJsonString()[..^1] + ",}", ["not valid JSON"]),
        ["a comment"] = ("// history\n" + File().ToJsonString(), ["not valid JSON"]),
        ["nested 40 deep"] = (File().ToJsonString()[..^1] + ", \"deep\": " + new string('[', 40) + new string(']', 40) + "}", ["not valid JSON", "depth"]),
        ["no organization"] = ("{\"processes\": []}", ["$.organization: is required"]),
        ["an unknown top-level field"] = (Edit(f => f["extra"] = 1), ["$.extra: is not a known field"]),
        ["an organization code that is a number"] = (Edit(f => f["organization"]!["code"] = 5), ["organization.code: expected a string, found a number"]),
        ["an unknown counting rule"] = (Edit(f => f["organization"]!["ratificationCounts"] = "sometimes"), ["ratificationCounts", "'sometimes'"]),
        ["events that are an object"] = (Edit(f => f["processes"]![0]!["events"] = new JsonObject()), ["events: expected an array, found an object"]),
        ["a member that is not a country code"] = (File(E("ratification", "2022-07-10", ("member", "XXX"), ("authority", "Parliament"))).ToJsonString(), ["events[4].member", "'XXX'", "ISO 3166-1 alpha-3"]),
        ["a malformed process id"] = (Edit(f => f["processes"]![0]!["id"] = "NATO/FIN"), ["'NATO/FIN'", "not a process id"]),
        ["a process of another organization"] = (Edit(f => f["processes"]![0]!["id"] = "eu/fin"), ["'eu/fin'", "EU"]),
        ["a candidate that does not match the id"] = (Edit(f => f["processes"]![0]!["candidate"] = "SWE"), ["'SWE'", "'nato/fin'"]),
        ["the same process twice"] = (Edit(f => f["processes"]!.AsArray().Add(f["processes"]![0]!.DeepClone())), ["'nato/fin' appears twice"]),
        ["an unknown entry type"] = (WithEntry(("type", "ratified"), ("on", "2022-07-10")), ["nato/fin events[4].type", "'ratified'"]),
        ["an entry without a type"] = (WithEntry(("on", "2022-07-10")), ["nato/fin events[4].type: is required"]),
        ["an impossible date"] = (WithEntry(("type", "protocol-signed"), ("on", "2023-02-30")), ["nato/fin events[4].on", "'2023-02-30'"]),
        ["a date in another format"] = (WithEntry(("type", "protocol-signed"), ("on", "05/07/2022")), ["events[4].on", "'05/07/2022'"]),
        ["a date with a time"] = (WithEntry(("type", "protocol-signed"), ("on", "2022-07-05T10:00:00Z")), ["events[4].on", "'2022-07-05T10:00:00Z'"]),
        ["a date that is a number"] = (WithEntry(("type", "protocol-signed"), ("on", 20220705)), ["events[4].on: expected a string, found a number"]),
        ["a date that is null"] = (WithEntry(("type", "protocol-signed"), ("on", null)), ["events[4].on: is required"]),
        ["a member that is a number"] = (WithEntry(("type", "ratification"), ("on", "2022-07-10"), ("member", 208), ("authority", "Folketing")), ["events[4].member: expected a string, found a number"]),
        ["a missing member"] = (WithEntry(("type", "ratification"), ("on", "2022-07-10"), ("authority", "Folketing")), ["events[4].member: is required"]),
        ["a misspelt field"] = (WithEntry(("type", "ratification"), ("on", "2022-07-10"), ("member", "DNK"), ("authority", "Folketing"), ("memberr", "DNK")), ["events[4].memberr: is not a known field"]),
        ["passed as a string"] = (WithEntry(("type", "vote"), ("on", "2022-07-10"), ("member", "DNK"), ("chamber", "Folketing"), ("passed", "yes")), ["events[4].passed: expected true or false, found a string"]),
        ["a fractional vote count"] = (WithEntry(("type", "vote"), ("on", "2022-07-10"), ("member", "DNK"), ("chamber", "Folketing"), ("passed", true), ("for", 1.5)), ["events[4].for", "1.5 is not a whole number"]),
        ["a vote count beyond range"] = (WithEntry(("type", "vote"), ("on", "2022-07-10"), ("member", "DNK"), ("chamber", "Folketing"), ("passed", true), ("for", 1e20)), ["events[4].for", "1E+20 is not a whole number"]),
        ["a party that is a number"] = (WithEntry(("type", "memorandum"), ("on", "2022-06-28"), ("title", "Memorandum"), ("parties", new JsonArray("TUR", 1))), ["events[4].parties[1]: expected a string, found a number"]),
        ["unconfirmed as a string"] = (WithEntry(("type", "protocol-signed"), ("on", "2022-07-05"), ("unconfirmed", "true")), ["events[4].unconfirmed: expected true or false, found a string"]),
        ["an oversized note"] = (WithEntry(("type", "protocol-signed"), ("on", "2022-07-05"), ("note", new string('n', 2001))), ["events[4].note", "2001 characters", "2000"]),
        ["a bell in a source"] = (WithEntry(("type", "protocol-signed"), ("on", "2022-07-05"), ("source", "https://example.org/\u0007")), ["events[4].source", "U+0007"]),
    };

    public static TheoryData<string> Files => [.. MalformedFiles.Keys];

    [Theory]
    [MemberData(nameof(Files))]
    public async Task A_malformed_import_file_is_refused_naming_the_place_and_value_and_records_nothing(string name)
    {
        var (json, names) = MalformedFiles[name];
        var before = await LedgerSnapshot.EventCountAsync(Host.Store);

        var parse = () => Parse(json);

        var error = parse.Should().Throw<HistoryFileException>().Which;
        foreach (var value in names)
        {
            error.Message.Should().Contain(value);
        }
        (await LedgerSnapshot.EventCountAsync(Host.Store)).Should().Be(before);
    }

    private static readonly Dictionary<string, (JsonObject Entry, string Code, string[] Names)> RuleBreakingFiles = new()
    {
        ["an outsider ratifies"] = (E("ratification", "2022-07-10", ("member", "AUT"), ("authority", "Nationalrat")), RuleCodes.NotRequiredRatifier, ["AUT"]),
        ["the candidate ratifies itself"] = (E("ratification", "2022-07-10", ("member", "FIN"), ("authority", "Eduskunta")), RuleCodes.CandidateOwnProtocol, ["FIN"]),
        ["an entry dated 2030"] = (E("ratification", "2030-01-01", ("member", "DNK"), ("authority", "Folketing")), RuleCodes.DateInFuture, ["2030-01-01"]),
        ["a deposit by an outsider"] = (E("deposit", "2022-07-10", ("member", "AUT")), RuleCodes.NotRequiredRatifier, ["AUT"]),
        ["a conflicting second application"] = (E("application", "2022-05-19"), RuleCodes.ConflictingRepeat, ["2022-05-19"]),
        ["an approval before the protocol"] = (E("ratification", "2022-07-01", ("member", "DNK"), ("authority", "Folketing")), RuleCodes.DateBeforeDependency, ["2022-07-01"]),
        ["a retraction-free veto after approval"] = (E("veto", "2022-07-10", ("member", "CAN"), ("reason", "second thoughts"), ("formal", true)), RuleCodes.VetoAfterApproval, ["CAN"]),
    };

    public static TheoryData<string> RuleBreaches => [.. RuleBreakingFiles.Keys];

    [Theory]
    [MemberData(nameof(RuleBreaches))]
    public async Task An_import_stops_at_the_entry_that_breaks_a_rule_naming_it_and_records_nothing(string name)
    {
        var (entry, code, names) = RuleBreakingFiles[name];
        var before = await LedgerSnapshot.EventCountAsync(Host.Store);

        var result = await Host.Sender.Send(new ImportHistoryRequest(Parse(File((JsonObject)entry.DeepClone()).ToJsonString())));

        result.Failure.Should().NotBeNull();
        result.Failure!.Rejection.Code.Should().Be(code, result.Failure.Message);
        result.Failure.Entry.Process.Should().Be("nato/fin");
        result.Failure.Message.Should().StartWith("nato/fin events[");
        foreach (var value in names)
        {
            result.Failure.Message.Should().Contain(value);
        }
        result.Recorded.Should().Be(0);
        (await LedgerSnapshot.EventCountAsync(Host.Store)).Should().Be(before, "the entries before the bad one are already recorded; nothing else is");
    }

    [Fact]
    public async Task An_import_file_that_redefines_the_organization_is_refused_before_any_entry()
    {
        var before = await LedgerSnapshot.EventCountAsync(Host.Store);
        var file = File();
        file["organization"]!["depositary"] = "GBR";

        var import = () => Host.Sender.Send(new ImportHistoryRequest(Parse(file.ToJsonString()))).AsTask();

        var error = (await import.Should().ThrowAsync<HistoryFileException>()).Which;
        error.Message.Should().Contain(RuleCodes.OrganizationConflict).And.Contain("GBR").And.Contain("No entry was imported");
        (await LedgerSnapshot.EventCountAsync(Host.Store)).Should().Be(before);
    }

    // --- Hostile but valid text -----------------------------------------------------------------------------------

    private static readonly Dictionary<string, (string Candidate, string Text)> HostileTexts = new()
    {
        ["SQL closing a statement"] = ("AUT", "'); drop table mt_events; --"),
        ["SQL in a name"] = ("IRL", "Robert'); DROP TABLE mt_streams;--"),
        ["dollar quoting"] = ("CHE", "$$; select pg_sleep(10); $$ E'\\x00'"),
        ["a script tag"] = ("CYP", "<script>alert('ledger')</script>"),
        ["markup and entities"] = ("MLT", "<b onmouseover=\"alert(1)\">bold</b> &amp; &lt;tag&gt;"),
        ["quotes and backslashes"] = ("ARM", "\"double\" 'single' `back` \\back\\slash\\ {\"json\": true}"),
        ["right-to-left override"] = ("AZE", "\u202Eesrever ni\u202C and back"),
        ["right-to-left marks in Arabic"] = ("KAZ", "Ankara\u200F أنقرة \u200F"),
        ["Hebrew with embedding"] = ("JPN", "שלום \u200F Hello \u202B embedded \u202C"),
        ["flags and astral letters"] = ("AUS", "🇫🇮🇸🇪 𝕋𝕖𝕩𝕥"),
        ["zero-width characters"] = ("NZL", "a\u200Bb\u200Dc\uFEFFd"),
        ["line breaks and tabs"] = ("KOR", "line 1\nline 2\r\n\tindented"),
        ["format strings and templates"] = ("BRA", "%s %d {0} ${jndi:ldap://example.org/a} {{7*7}}"),
        ["a literal backslash-u"] = ("ARG", "\\u0000 is not a NUL here"),
        ["combining marks"] = ("CHL", "Z\u0324\u0354\u0367\u0311a\u0308\u0356\u032Dl\u036E\u0312o\u0328"),
        ["exactly the longest note"] = ("MEX", string.Concat(Enumerable.Repeat("ä€𝕏", 500))),
    };

    public static TheoryData<string> Hostile => [.. HostileTexts.Keys];

    [Theory]
    [MemberData(nameof(Hostile))]
    public async Task Hostile_but_valid_text_is_stored_and_read_back_verbatim(string name)
    {
        var (candidate, text) = HostileTexts[name];
        text.Length.Should().BeLessThanOrEqualTo(Provenance.TextLimit);
        var process = ProcessId.For("NATO", candidate);
        await Host.RecordAsync(new SubmitApplication(process, "NATO", candidate, D("2022-05-18")), new Provenance(Source: text, Note: text, RecordedBy: text));
        await Host.RecordAsync(new WithdrawApplication(process, D("2022-06-01"), text));

        var entries = await Host.Reader.ReadEntriesAsync(process);
        entries[0].Source.Should().Be(text);
        entries[0].Note.Should().Be(text);
        entries[0].RecordedBy.Should().Be(text);
        entries[1].Event.Should().Be(new ApplicationWithdrawn(D("2022-06-01"), text));
        var audit = await Host.Queries.AuditAsync(process);
        audit!.Entries[0].Note.Should().Be(text);
        audit.Entries[0].Source.Should().Be(text);
        (await Host.Queries.StatusAsync(process))!.WithdrawnOn.Should().Be(D("2022-06-01"));
        (await LedgerSnapshot.EventCountAsync(Host.Store)).Should().BeGreaterThan(0, "mt_events is still there");
    }

    [Fact]
    public async Task Hostile_but_valid_text_in_an_import_file_is_stored_verbatim()
    {
        var file = new JsonObject
        {
            ["organization"] = Organization(),
            ["processes"] = new JsonArray([.. HostileTexts.Values.Select((h, i) => (JsonNode)new JsonObject
            {
                ["id"] = ProcessId.For("NATO", h.Candidate, attempt: 2),
                ["candidate"] = h.Candidate,
                ["events"] = new JsonArray(
                    E("application", "2022-05-18", ("source", h.Text), ("note", h.Text)),
                    E("withdrawal", "2022-06-01", ("reason", h.Text))),
            })]),
        };

        var result = await Host.Sender.Send(new ImportHistoryRequest(Parse(file.ToJsonString())));

        result.Failure.Should().BeNull(result.Failure?.Message);
        foreach (var (candidate, text) in HostileTexts.Values)
        {
            var entries = await Host.Reader.ReadEntriesAsync(ProcessId.For("NATO", candidate, attempt: 2));
            entries[0].Source.Should().Be(text);
            entries[0].Note.Should().Be(text);
            ((ApplicationWithdrawn)entries[1].Event).Reason.Should().Be(text);
        }
    }
}
