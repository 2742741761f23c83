using System.Text;
using System.Text.Json.Nodes;
using RatificationLedger.Domain;
using RatificationLedger.Import;
using RatificationLedger.Recording;

namespace RatificationLedger.Tests.Import;

public class HistoryFileTests
{
    // A small file that uses every entry type and every optional field once. Indexes matter to the error tests:
    // nato/fin events[0..12], nato/swe events[0..1].
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
              { "type": "application", "on": "2022-05-18", "source": "https://example.org/application", "note": "Handed over in Brussels." },
              { "type": "veto", "on": "2022-05-18", "member": "TUR", "reason": "Talks blocked.", "formal": true },
              { "type": "memorandum", "on": "2022-06-28", "title": "Trilateral Memorandum", "parties": ["TUR", "FIN", "SWE"], "summary": "Commitments." },
              { "type": "veto-lifted", "on": "2022-06-28", "member": "TUR", "reason": "Memorandum signed." },
              { "type": "invitation", "on": "2022-06-29", "venue": "Madrid Summit", "ratifiers": ["BEL", "TUR", "USA"] },
              { "type": "protocol-signed", "on": "2022-07-05" },
              { "type": "vote", "on": "2022-07-07", "member": "BEL", "chamber": "Chamber", "for": 120, "against": 2, "abstained": 3, "passed": true, "unconfirmed": true },
              { "type": "ratification", "on": "2022-07-20", "member": "BEL", "authority": "Parliament" },
              { "type": "deposit", "on": "2022-07-21", "member": "BEL" },
              { "type": "ratification", "on": "2022-08-03", "member": "USA", "authority": "Senate advice and consent", "unconfirmed": false },
              { "type": "deposit", "on": "2022-08-10", "member": "USA", "depositary": "USA" },
              { "type": "ratifier-added", "on": "2023-04-04", "member": "SWE", "reason": "Joined." },
              { "type": "accession", "on": "2023-04-04", "memberCount": 31 }
            ] },
            { "id": "nato/swe", "candidate": "SWE", "events": [
              { "type": "application", "on": "2022-05-18" },
              { "type": "withdrawal", "on": "2022-06-01", "reason": "Changed course." }
            ] }
          ]
        }
        """;

    private static HistoryFile Parse(string json) =>
        HistoryFile.Parse(new MemoryStream(Encoding.UTF8.GetBytes(json)), "test.json");

    private static string Mutate(Action<JsonObject> change)
    {
        var root = JsonNode.Parse(Valid)!.AsObject();
        change(root);
        return root.ToJsonString();
    }

    private static JsonObject Org(JsonObject root) => root["organization"]!.AsObject();

    private static JsonObject Process(JsonObject root, int p) => root["processes"]![p]!.AsObject();

    private static JsonObject Entry(JsonObject root, int p, int e) => Process(root, p)["events"]![e]!.AsObject();

    private static void ShouldFail(string json, string message) =>
        FluentActions.Invoking(() => Parse(json)).Should().Throw<HistoryFileException>().WithMessage(message);

    [Fact]
    public void A_valid_file_parses_into_the_organization_and_one_entry_per_event()
    {
        var file = Parse(Valid);

        file.Organization.Should().BeEquivalentTo(new Organization("NATO", "North Atlantic Treaty Organization", "USA",
            RatificationCounts.AtApproval, true,
            [new Membership("BEL", new DateOnly(1949, 8, 24)), new Membership("TUR", new DateOnly(1952, 2, 18)), new Membership("USA", new DateOnly(1949, 8, 24))],
            UsesAccessionProtocol: true));
        file.Entries.Select(e => (e.Process, e.Index, e.Type)).Should().Equal(
            ("nato/fin", 0, "application"), ("nato/fin", 1, "veto"), ("nato/fin", 2, "memorandum"), ("nato/fin", 3, "veto-lifted"),
            ("nato/fin", 4, "invitation"), ("nato/fin", 5, "protocol-signed"), ("nato/fin", 6, "vote"), ("nato/fin", 7, "ratification"),
            ("nato/fin", 8, "deposit"), ("nato/fin", 9, "ratification"), ("nato/fin", 10, "deposit"), ("nato/fin", 11, "ratifier-added"),
            ("nato/fin", 12, "accession"), ("nato/swe", 0, "application"), ("nato/swe", 1, "withdrawal"));
    }

    [Fact]
    public void Every_entry_type_becomes_its_command_with_every_field()
    {
        var commands = Parse(Valid).Entries.Select(e => e.Command).ToArray();
        const string Fin = "nato/fin";

        commands.Should().BeEquivalentTo(new AccessionCommand[]
        {
            new SubmitApplication(Fin, "NATO", "FIN", new DateOnly(2022, 5, 18)),
            new DeclareVeto(Fin, "TUR", new DateOnly(2022, 5, 18), "Talks blocked.", Formal: true),
            new SignMemorandum(Fin, new DateOnly(2022, 6, 28), "Trilateral Memorandum", ["TUR", "FIN", "SWE"], "Commitments."),
            new LiftVeto(Fin, "TUR", new DateOnly(2022, 6, 28), "Memorandum signed."),
            new ExtendInvitation(Fin, new DateOnly(2022, 6, 29), "Madrid Summit", ["BEL", "TUR", "USA"]),
            new SignAccessionProtocol(Fin, new DateOnly(2022, 7, 5)),
            new RecordParliamentVote(Fin, "BEL", new DateOnly(2022, 7, 7), "Chamber", 120, 2, 3, Passed: true),
            new ApproveRatification(Fin, "BEL", new DateOnly(2022, 7, 20), "Parliament"),
            new DepositInstrument(Fin, "BEL", new DateOnly(2022, 7, 21), "USA"),
            new ApproveRatification(Fin, "USA", new DateOnly(2022, 8, 3), "Senate advice and consent"),
            new DepositInstrument(Fin, "USA", new DateOnly(2022, 8, 10), "USA"),
            new AddRatifier(Fin, "SWE", new DateOnly(2023, 4, 4), "Joined."),
            new CompleteAccession(Fin, new DateOnly(2023, 4, 4), 31),
            new SubmitApplication("nato/swe", "NATO", "SWE", new DateOnly(2022, 5, 18)),
            new WithdrawApplication("nato/swe", new DateOnly(2022, 6, 1), "Changed course."),
        }, o => o.WithStrictOrdering().RespectingRuntimeTypes());
    }

    [Fact]
    public void Optional_fields_take_their_documented_defaults()
    {
        var json = Mutate(root =>
        {
            Org(root).Remove("usesAccessionProtocol");
            var invitation = Entry(root, 0, 4);
            invitation.Remove("venue");
            invitation.Remove("ratifiers");
            var vote = Entry(root, 0, 6);
            vote.Remove("for");
            vote.Remove("against");
            vote.Remove("abstained");
            Entry(root, 0, 1).Remove("reason");
            Entry(root, 0, 2).Remove("summary");
            Entry(root, 0, 12).Remove("memberCount");
            Entry(root, 1, 1)["reason"] = null; // null counts as absent for an optional field
        });

        var file = Parse(json);
        var commands = file.Entries.Select(e => e.Command).ToArray();

        file.Organization.UsesAccessionProtocol.Should().BeTrue();
        commands[4].Should().BeEquivalentTo(new ExtendInvitation("nato/fin", new DateOnly(2022, 6, 29), "", null));
        commands[6].Should().BeEquivalentTo(new RecordParliamentVote("nato/fin", "BEL", new DateOnly(2022, 7, 7), "Chamber", null, null, null, true));
        commands[1].As<DeclareVeto>().Reason.Should().BeEmpty();
        commands[2].As<SignMemorandum>().Summary.Should().BeNull();
        commands[8].As<DepositInstrument>().Depositary.Should().Be("USA", "a deposit without depositary goes to the organization's");
        commands[12].As<CompleteAccession>().MemberCount.Should().BeNull();
        commands[14].As<WithdrawApplication>().Reason.Should().BeEmpty();
    }

    [Fact]
    public void Organization_options_are_read()
    {
        var file = Parse(Mutate(root =>
        {
            Org(root)["ratificationCounts"] = "deposit";
            Org(root)["newMembersRatifyOpenProcesses"] = false;
            Org(root)["usesAccessionProtocol"] = false;
        }));

        file.Organization.CountsAt.Should().Be(RatificationCounts.AtDeposit);
        file.Organization.NewMembersRatifyOpenProcesses.Should().BeFalse();
        file.Organization.UsesAccessionProtocol.Should().BeFalse();
    }

    [Fact]
    public void Source_note_and_unconfirmed_are_kept_as_provenance()
    {
        var entries = Parse(Valid).Entries;

        entries[0].Provenance.Should().Be(new Provenance("https://example.org/application", "Handed over in Brussels.", Unconfirmed: false));
        entries[6].Provenance.Should().Be(new Provenance(Unconfirmed: true));
        entries[9].Provenance.Should().Be(Provenance.None);
    }

    [Fact]
    public void Import_order_is_by_date_across_processes_and_keeps_file_order_within_a_date()
    {
        var order = Parse(Valid).InImportOrder().Select(e => $"{e.Process}[{e.Index}]").ToArray();

        order.Should().Equal(
            "nato/fin[0]", "nato/fin[1]", "nato/swe[0]", "nato/swe[1]", "nato/fin[2]", "nato/fin[3]", "nato/fin[4]", "nato/fin[5]",
            "nato/fin[6]", "nato/fin[7]", "nato/fin[8]", "nato/fin[9]", "nato/fin[10]", "nato/fin[11]", "nato/fin[12]");
    }

    [Fact]
    public void The_processes_may_come_before_the_organization()
    {
        var root = JsonNode.Parse(Valid)!.AsObject();
        var reordered = new JsonObject { ["processes"] = root["processes"]!.DeepClone(), ["organization"] = root["organization"]!.DeepClone() };

        var file = Parse(reordered.ToJsonString());

        file.Organization.Code.Should().Be("NATO");
        file.Entries.Should().HaveCount(15);
        // A deposit naming no depositary takes the organization's, which the file gives after its processes.
        file.Entries[8].Command.Should().Be(new DepositInstrument("nato/fin", "BEL", new DateOnly(2022, 7, 21), "USA"));
    }

    [Fact]
    public void A_bad_organization_is_reported_before_missing_processes()
    {
        var json = Mutate(root =>
        {
            Org(root)["depositary"] = "usa";
            root.Remove("processes");
        });

        ShouldFail(json, "$.organization.depositary: 'usa' is not an ISO 3166-1 alpha-3 country code*");
        ShouldFail(Mutate(root => root.Remove("processes")), "$.processes: is required.");
    }

    [Fact]
    public void An_entry_asked_for_again_is_read_again_with_the_same_content()
    {
        var file = Parse(Valid);

        var first = file.Entries[11];
        var again = file.InImportOrder().Single(e => e.Process == "nato/fin" && e.Index == 11);

        again.Should().BeEquivalentTo(first);
        again.Command.Should().Be(new AddRatifier("nato/fin", "SWE", new DateOnly(2023, 4, 4), "Joined."));
    }

    [Fact]
    public void A_range_of_a_loaded_file_read_ahead_gives_each_entry_as_reading_it_alone_does()
    {
        // Import order interleaves the two processes' entries, which the file holds apart: every window below has
        // entries from places in the file out of order, some next to each other, some not.
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, Valid);
            var entries = HistoryFile.Load(path).InImportOrder();
            var alone = entries.Select(e => e).ToList();
            alone.Should().HaveCount(15);
            var reads = (IReadsAhead<HistoryEntry>)entries;

            foreach (var (start, end) in new[] { (0, 15), (0, 2), (3, 9), (13, 15) })
            {
                var window = reads.ReadAhead(start, end)!;
                using (window.Release)
                {
                    window.Items.Should().HaveCount(15);
                    for (var i = 0; i < 15; i++)
                    {
                        // Inside the window from the bytes read together, outside it read alone: the same entries.
                        window.Items[i].Should().BeEquivalentTo(alone[i], $"entry {i} of window {start}..{end}");
                    }
                }
            }
            reads.ReadAhead(4, 5).Should().BeNull("one entry is read alone");
            ((IReadsAhead<HistoryEntry>)Parse(Valid).InImportOrder()).ReadAhead(0, 15).Should().BeNull("a parsed text is held");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_range_read_ahead_from_a_file_changed_or_cut_short_since_it_was_loaded_is_refused()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, Valid);
            var entries = (IReadsAhead<HistoryEntry>)HistoryFile.Load(path).InImportOrder();

            // The same length, one entry's note changed in place: that entry is refused when it is asked for.
            var text = File.ReadAllText(path);
            File.WriteAllText(path, text.Replace("Handed over in Brussels.", "Handed over in Brussels!"));
            var window = entries.ReadAhead(0, 15)!;
            using (window.Release)
            {
                var changed = () => window.Items.ToList();
                changed.Should().Throw<HistoryFileException>().WithMessage($"{path} changed while it was imported: nato/fin events[0] is not the entry read before*");
            }

            File.WriteAllText(path, text[..(text.Length / 2)]);
            var cut = () => entries.ReadAhead(0, 15);
            cut.Should().Throw<HistoryFileException>().WithMessage($"{path} changed while it was imported: it is shorter than when it was read.");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_signed_protocol_keeps_its_treaty_co_candidates_ratifiers_and_entry_into_force()
    {
        var json = Valid.Replace("""{ "type": "protocol-signed", "on": "2022-07-05" }""",
            """{ "type": "protocol-signed", "on": "2022-07-05", "treaty": "Protocol to the North Atlantic Treaty", "coCandidates": ["SWE"], "ratifiers": ["BEL", "USA"], "entryIntoForce": { "rule": "fixed-date", "date": "2022-09-01", "days": null, "otherwise": "first-day-of-next-month" } }""",
            StringComparison.Ordinal);

        var command = Parse(json).Entries[5].Command;

        command.Should().BeEquivalentTo(new SignAccessionProtocol("nato/fin", new DateOnly(2022, 7, 5), "Protocol to the North Atlantic Treaty", ["SWE"], ["BEL", "USA"],
            new EntryIntoForceRule(EntryIntoForceKind.FixedDate, new DateOnly(2022, 9, 1), null, EntryIntoForceOtherwise.FirstDayOfNextMonth)));
    }

    [Fact]
    public void Escaped_names_and_values_and_null_optional_fields_are_read_as_plain_ones()
    {
        // \u0074ype is "type", \u006Dember "member"; "B\u0045L" is "BEL"; null optional fields count as absent.
        var json = Valid.Replace("""{ "type": "ratification", "on": "2022-07-20", "member": "BEL", "authority": "Parliament" }""",
            """{ "\u0074ype": "ratific\u0061tion", "on": "2022\u002D07-20", "\u006Dember": "B\u0045L", "authority": null, "source": null, "note": "caf\u00E9", "unconfirmed": null }""",
            StringComparison.Ordinal)
            .Replace("""{ "type": "deposit", "on": "2022-07-21", "member": "BEL" }""",
                """{ "type": "deposit", "on": "2022-07-21", "member": "BEL", "depositary": null }""", StringComparison.Ordinal);
        json.Should().NotBe(Valid);

        var entries = Parse(json).Entries;

        entries[7].Type.Should().Be("ratification");
        entries[7].Command.Should().Be(new ApproveRatification("nato/fin", "BEL", new DateOnly(2022, 7, 20), null));
        entries[7].Provenance.Should().Be(new Provenance(null, "café", Unconfirmed: false));
        entries[8].Command.Should().Be(new DepositInstrument("nato/fin", "BEL", new DateOnly(2022, 7, 21), "USA"));
    }

    // A process is first checked the quick way and read field by field only when the quick check does not accept it: what
    // is wrong in the parts the breach list above does not reach must still be refused, with the full check's message.
    [Theory]
    [InlineData("""{ "rule": "later" }""", "nato/fin events[5].entryIntoForce.rule: 'later' is not an entry-into-force rule*")]
    [InlineData("""{ "rule": "fixed-date", "date": "2022-07-01" }""", "nato/fin events[5].entryIntoForce: entry into force on the fixed date 2022-07-01 is not after the treaty's signature on 2022-07-05.")]
    [InlineData("""{ "rule": "fixed-date", "date": "2022-09-01", "otherwise": "never" }""", "nato/fin events[5].entryIntoForce.otherwise: 'never' is not known*")]
    [InlineData("""{ "rule": "days-after-completion", "days": 30, "weeks": 2 }""", "nato/fin events[5].entryIntoForce.weeks: is not a known field here; known fields: rule, date, days, otherwise.")]
    [InlineData("""{ "rule": "days-after-completion", "days": 30, "days": 31 }""", "nato/fin events[5].entryIntoForce.days: is given twice; give each field once.")]
    [InlineData("""[]""", "nato/fin events[5].entryIntoForce: expected an object, found an array.")]
    public void A_bad_entry_into_force_is_refused_with_its_path(string rule, string message) =>
        ShouldFail(Valid.Replace("""{ "type": "protocol-signed", "on": "2022-07-05" }""", $$"""{ "type": "protocol-signed", "on": "2022-07-05", "entryIntoForce": {{rule}} }""", StringComparison.Ordinal), message);

    [Theory]
    [InlineData("""{ "type": "protocol-signed", "on": "2022-07-05" }""", """{ "type": "protocol-signed", "on": "2022-07-05", "coCandidates": ["SWE", "XX"] }""", "nato/fin events[5].coCandidates[1]: 'XX' is not an ISO 3166-1 alpha-3 country code*")]
    [InlineData("""["TUR", "FIN", "SWE"]""", """["TUR", 7, "SWE"]""", "nato/fin events[2].parties[1]: expected a string, found a number.")]
    [InlineData("""{ "type": "accession", "on": "2023-04-04", "memberCount": 31 }""", """{ "type": "accession", "on": "2023-04-04", "memberCount": 31.0 }""", "nato/fin events[12].memberCount: 31.0 is not a whole number in range.")]
    [InlineData("""{ "type": "application", "on": "2022-05-18" }""", """{ "type": "application", "on": "2022-05-18", "member": "SWE" }""", "nato/swe events[0].member: is not a known field here*")]
    [InlineData("""{ "id": "nato/swe", "candidate": "SWE",""", """{ "id": "nato/swe", "candidate": "SWE", "candidate": "SWE",""", "$.processes[1].candidate: is given twice; give each field once.")]
    [InlineData("""{ "type": "withdrawal", "on": "2022-06-01", "reason": "Changed course." }""", """{ "type": "withdrawal", "on": "2022-06-01", "reason": "Changed course.", "type": "withdrawal" }""", "nato/swe events[1].type: is given twice; give each field once.")]
    public void What_the_quick_check_does_not_accept_is_reported_as_the_full_check_reports_it(string was, string becomes, string message)
    {
        var json = Valid.Replace(was, becomes, StringComparison.Ordinal);
        json.Should().NotBe(Valid);

        ShouldFail(json, message);
    }

    [Fact]
    public void A_process_the_quick_check_leaves_to_the_full_check_reads_as_its_plain_copy()
    {
        // A null optional field: the full check takes it as absent; the quick check leaves such a process to it.
        var withNull = Parse(Valid.Replace("""{ "type": "deposit", "on": "2022-07-21", "member": "BEL" }""",
            """{ "type": "deposit", "on": "2022-07-21", "member": "BEL", "depositary": null }""", StringComparison.Ordinal));
        var plain = Parse(Valid);

        withNull.InImportOrder().Should().BeEquivalentTo(plain.InImportOrder(), o => o.WithStrictOrdering().RespectingRuntimeTypes());
    }

    [Fact]
    public void An_entry_names_its_location_by_process_index_type_and_date()
    {
        Parse(Valid).Entries[7].Location.Should().Be("nato/fin events[7] (ratification, 2022-07-20)");
    }

    [Fact]
    public void An_empty_process_list_is_a_valid_file()
    {
        Parse(Mutate(root => root["processes"] = new JsonArray())).Entries.Should().BeEmpty();
    }

    public static TheoryData<string, string> Breaches() => new()
    {
        // Unknown entry type, reported before anything else about the entry.
        { "unknown type", "nato/fin events[7].type: 'ratify' is not an entry type; expected one of: application, *withdrawal." },
        { "unknown type without a date", "nato/fin events[7].type: 'ratify' is not an entry type*" },
        { "type in another case", "nato/fin events[7].type: 'Ratification' is not an entry type*" },
        // Unknown fields, at every level; a field of another type is unknown too.
        { "unknown field in entry", "nato/fin events[7].colour: is not a known field here; known fields: type, on, source, note, unconfirmed, member, authority." },
        { "field of another entry type", "nato/fin events[5].member: is not a known field here*" },
        { "field name in another case", "nato/fin events[7].Authority: is not a known field here*" },
        { "unknown field at the root", "$.version: is not a known field here; known fields: organization, processes." },
        { "unknown field in organization", "$.organization.founded: is not a known field here*" },
        { "unknown field in a member", "$.organization.members[1].left: is not a known field here*" },
        { "unknown field in a process", "$.processes[1].title: is not a known field here; known fields: id, candidate, events." },
        // Dates.
        { "month 13", "nato/fin events[7].on: '2022-13-01' is not a date; expected YYYY-MM-DD (e.g. 2022-07-05)." },
        { "30 February", "nato/fin events[7].on: '2022-02-30' is not a date*" },
        { "day first", "nato/fin events[7].on: '20-07-2022' is not a date*" },
        { "no leading zeros", "nato/fin events[7].on: '2022-7-20' is not a date*" },
        { "date with time", "nato/fin events[7].on: '2022-07-20T00:00:00' is not a date*" },
        { "date with spaces", "nato/fin events[7].on: ' 2022-07-20' is not a date*" },
        { "bad member since", "$.organization.members[2].since: '1949' is not a date*" },
        // Codes.
        { "lower-case member", "nato/fin events[7].member: 'bel' is not an ISO 3166-1 alpha-3 country code*" },
        { "unassigned member", "nato/fin events[7].member: 'XXX' is not an ISO 3166-1 alpha-3 country code*" },
        { "alpha-2 member", "nato/fin events[7].member: 'BE' is not an ISO 3166-1 alpha-3 country code*" },
        { "bad ratifier", "nato/fin events[4].ratifiers[1]: 'TRK' is not an ISO 3166-1 alpha-3 country code*" },
        { "bad depositary on deposit", "nato/fin events[10].depositary: 'US' is not an ISO 3166-1 alpha-3 country code*" },
        { "bad organization depositary", "$.organization.depositary: 'United States' is not an ISO 3166-1 alpha-3 country code*" },
        { "bad roster state", "$.organization.members[0].state: 'BLG' is not an ISO 3166-1 alpha-3 country code*" },
        { "bad candidate code", "$.processes[0].candidate: 'Finland' is not an ISO 3166-1 alpha-3 country code*" },
        // Required fields, absent or null.
        { "missing on", "nato/fin events[7].on: is required." },
        { "null on", "nato/fin events[7].on: is required." },
        { "missing type", "nato/fin events[7].type: is required." },
        { "missing member", "nato/fin events[7].member: is required." },
        { "missing passed", "nato/fin events[6].passed: is required." },
        { "missing formal", "nato/fin events[1].formal: is required." },
        { "missing chamber", "nato/fin events[6].chamber: is required." },
        { "missing title", "nato/fin events[2].title: is required." },
        { "missing parties", "nato/fin events[2].parties: is required." },
        { "missing organization", "$.organization: is required." },
        { "missing processes", "$.processes: is required." },
        { "missing events", "$.processes[1].events: is required." },
        { "missing process id", "$.processes[1].id: is required." },
        { "missing candidate", "$.processes[1].candidate: is required." },
        { "missing organization name", "$.organization.name: is required." },
        { "missing counting rule", "$.organization.ratificationCounts: is required." },
        { "missing newMembersRatifyOpenProcesses", "$.organization.newMembersRatifyOpenProcesses: is required." },
        { "missing member since", "$.organization.members[1].since: is required." },
        // Wrong JSON types.
        { "date as a number", "nato/fin events[7].on: expected a string, found a number." },
        { "passed as a string", "nato/fin events[6].passed: expected true or false, found a string." },
        { "count as a string", "nato/fin events[6].for: expected a number, found a string." },
        { "fractional count", "nato/fin events[6].for: 12.5 is not a whole number in range." },
        { "count out of range", "nato/fin events[6].against: 3000000000 is not a whole number in range." },
        { "parties as a string", "nato/fin events[2].parties: expected an array, found a string." },
        { "ratifier as a number", "nato/fin events[4].ratifiers[0]: expected a string, found a number." },
        { "unconfirmed as a string", "nato/fin events[7].unconfirmed: expected true or false, found a string." },
        { "source as an array", "nato/fin events[7].source: expected a string, found an array." },
        { "entry as a string", "nato/fin events[7]: expected an object, found a string." },
        { "events as an object", "$.processes[0].events: expected an array, found an object." },
        { "processes as an object", "$.processes: expected an array, found an object." },
        { "process as an array", "$.processes[1]: expected an object, found an array." },
        { "member as a string", "$.organization.members[0]: expected an object, found a string." },
        // Processes.
        { "duplicate process id", "$.processes[1].id: process 'nato/fin' appears twice in the file." },
        { "malformed process id", "$.processes[1].id: 'NATO/SWE' is not a process id*" },
        { "process of another organization", "$.processes[1].id: process 'eu/swe' belongs to organization EU, but the file's organization is NATO." },
        { "candidate not matching the id", "$.processes[1].candidate: 'FIN' does not match the process id 'nato/swe' (candidate SWE)." },
        // Values.
        { "unknown counting rule", "$.organization.ratificationCounts: 'ratification' is not a counting rule: use \"approval\" or \"deposit\"." },
        { "note too long", "nato/fin events[7].note: note is 2001 characters long; at most 2000 are accepted." },
        { "control character in source", "nato/fin events[7].source: source contains the control character U+0007 at position 5*" },
        // The index restarts in each process.
        { "error in the second process", "nato/swe events[1].on: is required." },
    };

    private static readonly Dictionary<string, Action<JsonObject>> s_breaches = new()
    {
        ["unknown type"] = r => Entry(r, 0, 7)["type"] = "ratify",
        ["unknown type without a date"] = r =>
        {
            Entry(r, 0, 7)["type"] = "ratify";
            Entry(r, 0, 7).Remove("on");
        },
        ["type in another case"] = r => Entry(r, 0, 7)["type"] = "Ratification",
        ["unknown field in entry"] = r => Entry(r, 0, 7)["colour"] = "blue",
        ["field of another entry type"] = r => Entry(r, 0, 5)["member"] = "BEL",
        ["field name in another case"] = r =>
        {
            Entry(r, 0, 7).Remove("authority");
            Entry(r, 0, 7)["Authority"] = "Parliament";
        },
        ["unknown field at the root"] = r => r["version"] = 2,
        ["unknown field in organization"] = r => Org(r)["founded"] = "1949-04-04",
        ["unknown field in a member"] = r => Org(r)["members"]![1]!["left"] = "2030-01-01",
        ["unknown field in a process"] = r => Process(r, 1)["title"] = "Sweden",
        ["month 13"] = r => Entry(r, 0, 7)["on"] = "2022-13-01",
        ["30 February"] = r => Entry(r, 0, 7)["on"] = "2022-02-30",
        ["day first"] = r => Entry(r, 0, 7)["on"] = "20-07-2022",
        ["no leading zeros"] = r => Entry(r, 0, 7)["on"] = "2022-7-20",
        ["date with time"] = r => Entry(r, 0, 7)["on"] = "2022-07-20T00:00:00",
        ["date with spaces"] = r => Entry(r, 0, 7)["on"] = " 2022-07-20",
        ["bad member since"] = r => Org(r)["members"]![2]!["since"] = "1949",
        ["lower-case member"] = r => Entry(r, 0, 7)["member"] = "bel",
        ["unassigned member"] = r => Entry(r, 0, 7)["member"] = "XXX",
        ["alpha-2 member"] = r => Entry(r, 0, 7)["member"] = "BE",
        ["bad ratifier"] = r => Entry(r, 0, 4)["ratifiers"] = new JsonArray("BEL", "TRK"),
        ["bad depositary on deposit"] = r => Entry(r, 0, 10)["depositary"] = "US",
        ["bad organization depositary"] = r => Org(r)["depositary"] = "United States",
        ["bad roster state"] = r => Org(r)["members"]![0]!["state"] = "BLG",
        ["bad candidate code"] = r => Process(r, 0)["candidate"] = "Finland",
        ["missing on"] = r => Entry(r, 0, 7).Remove("on"),
        ["null on"] = r => Entry(r, 0, 7)["on"] = null,
        ["missing type"] = r => Entry(r, 0, 7).Remove("type"),
        ["missing member"] = r => Entry(r, 0, 7).Remove("member"),
        ["missing passed"] = r => Entry(r, 0, 6).Remove("passed"),
        ["missing formal"] = r => Entry(r, 0, 1).Remove("formal"),
        ["missing chamber"] = r => Entry(r, 0, 6).Remove("chamber"),
        ["missing title"] = r => Entry(r, 0, 2).Remove("title"),
        ["missing parties"] = r => Entry(r, 0, 2).Remove("parties"),
        ["missing organization"] = r => r.Remove("organization"),
        ["missing processes"] = r => r.Remove("processes"),
        ["missing events"] = r => Process(r, 1).Remove("events"),
        ["missing process id"] = r => Process(r, 1).Remove("id"),
        ["missing candidate"] = r => Process(r, 1).Remove("candidate"),
        ["missing organization name"] = r => Org(r).Remove("name"),
        ["missing counting rule"] = r => Org(r).Remove("ratificationCounts"),
        ["missing newMembersRatifyOpenProcesses"] = r => Org(r).Remove("newMembersRatifyOpenProcesses"),
        ["missing member since"] = r => Org(r)["members"]![1]!.AsObject().Remove("since"),
        ["date as a number"] = r => Entry(r, 0, 7)["on"] = 20220720,
        ["passed as a string"] = r => Entry(r, 0, 6)["passed"] = "yes",
        ["count as a string"] = r => Entry(r, 0, 6)["for"] = "120",
        ["fractional count"] = r => Entry(r, 0, 6)["for"] = 12.5,
        ["count out of range"] = r => Entry(r, 0, 6)["against"] = 3_000_000_000L,
        ["parties as a string"] = r => Entry(r, 0, 2)["parties"] = "TUR FIN SWE",
        ["ratifier as a number"] = r => Entry(r, 0, 4)["ratifiers"] = new JsonArray(1, 2),
        ["unconfirmed as a string"] = r => Entry(r, 0, 7)["unconfirmed"] = "true",
        ["source as an array"] = r => Entry(r, 0, 7)["source"] = new JsonArray("https://a", "https://b"),
        ["entry as a string"] = r => Process(r, 0)["events"]![7] = "ratification BEL 2022-07-20",
        ["events as an object"] = r => Process(r, 0)["events"] = new JsonObject(),
        ["processes as an object"] = r => r["processes"] = new JsonObject(),
        ["process as an array"] = r => r["processes"]![1] = new JsonArray(),
        ["member as a string"] = r => Org(r)["members"]![0] = "BEL",
        ["duplicate process id"] = r =>
        {
            Process(r, 1)["id"] = "nato/fin";
            Process(r, 1)["candidate"] = "FIN";
        },
        ["malformed process id"] = r => Process(r, 1)["id"] = "NATO/SWE",
        ["process of another organization"] = r => Process(r, 1)["id"] = "eu/swe",
        ["candidate not matching the id"] = r => Process(r, 1)["candidate"] = "FIN",
        ["unknown counting rule"] = r => Org(r)["ratificationCounts"] = "ratification",
        ["note too long"] = r => Entry(r, 0, 7)["note"] = new string('n', 2001),
        ["control character in source"] = r => Entry(r, 0, 7)["source"] = "https\u0007://example.org",
        ["error in the second process"] = r => Entry(r, 1, 1).Remove("on"),
    };

    [Theory]
    [MemberData(nameof(Breaches))]
    public void A_breach_of_the_format_is_refused_with_its_path_and_the_problem(string breach, string message) =>
        ShouldFail(Mutate(s_breaches[breach]), message);

    [Fact]
    public void Every_breach_case_has_a_mutation_and_every_mutation_a_case()
    {
        Breaches().Select(row => (string)row[0]).Should().BeEquivalentTo(s_breaches.Keys);
    }

    [Fact]
    public void The_longest_accepted_note_is_accepted()
    {
        Parse(Mutate(r => Entry(r, 0, 7)["note"] = new string('n', Provenance.TextLimit))).Entries[7].Provenance.Note.Should().HaveLength(2000);
    }

    [Fact]
    public void Hostile_but_valid_text_is_kept_as_it_is()
    {
        const string Text = "'; DROP TABLE mt_events; -- <script>alert(1)</script> \u202Eevil \"quoted\" \U0001F1EB\U0001F1EE\ttab\nline";
        var entry = Parse(Mutate(r => Entry(r, 0, 7)["note"] = Text)).Entries[7];

        entry.Provenance.Note.Should().Be(Text);
    }

    [Theory]
    [InlineData("", "test.json is not valid JSON at line 1, byte *: *")]
    [InlineData("{", "test.json is not valid JSON at line 1, byte *: *")]
    [InlineData("[]", "$: expected an object, found an array.")]
    [InlineData("null", "$: expected an object, found null.")]
    [InlineData("\"a history\"", "$: expected an object, found a string.")]
    [InlineData("{ \"organization\": {}, }", "test.json is not valid JSON at line 1, byte *: *")]
    [InlineData("{ // a comment\n }", "test.json is not valid JSON at line 1, byte *: *")]
    [InlineData("{ 'organization': {} }", "test.json is not valid JSON at line 1, byte *: *")]
    public void Malformed_json_is_refused_with_the_file_name_and_the_parser_position(string json, string message) =>
        ShouldFail(json, message);

    [Fact]
    public void A_duplicate_key_in_an_entry_is_refused_rather_than_one_value_winning()
    {
        var json = Valid.Replace("""{ "type": "ratification", "on": "2022-07-20",""", """{ "type": "ratification", "on": "2022-07-20", "on": "2022-07-21",""", StringComparison.Ordinal);

        ShouldFail(json, "nato/fin events[7].on: is given twice; give each field once.");
    }

    [Theory]
    [InlineData("{ \"processes\": [], \"processes\": [] }", "$.processes: is given twice; give each field once.")]
    [InlineData("{ \"organization\": { \"code\": \"NATO\", \"code\": \"EU\" }, \"processes\": [] }", "$.organization.code: is given twice; give each field once.")]
    public void A_duplicate_key_is_refused_with_its_path(string json, string message) => ShouldFail(json, message);

    [Fact]
    public void Malformed_json_names_the_line_and_byte_counted_from_1()
    {
        var json = Valid.Replace("\"passed\": true", "\"passed\": tru", StringComparison.Ordinal);

        FluentActions.Invoking(() => Parse(json)).Should().Throw<HistoryFileException>()
            .WithMessage("test.json is not valid JSON at line 19, byte 139: 'tru*' is an invalid JSON literal. Expected the literal 'true'.")
            .Which.Message.Should().NotContain("LineNumber", "the position is given once, counted from 1");
    }

    [Fact]
    public void A_utf8_byte_order_mark_is_accepted()
    {
        var bytes = Encoding.UTF8.GetPreamble().Concat(Encoding.UTF8.GetBytes(Valid)).ToArray();

        HistoryFile.Parse(new MemoryStream(bytes)).Entries.Should().HaveCount(15);
    }

    [Fact]
    public void Invalid_utf8_is_refused_as_invalid_json()
    {
        var bytes = Encoding.UTF8.GetBytes(Valid.Replace("Handed over", "Handed \u00ffover", StringComparison.Ordinal));
        var at = Array.IndexOf(bytes, (byte)0xC3);
        bytes[at] = 0xFF; // a byte that never occurs in UTF-8

        FluentActions.Invoking(() => HistoryFile.Parse(new MemoryStream(bytes), "test.json"))
            .Should().Throw<HistoryFileException>().WithMessage("test.json is not valid UTF-8 text (invalid byte near offset *).");
    }

    [Fact]
    public void Nesting_deeper_than_the_format_needs_is_refused()
    {
        var deep = new string('[', 40) + new string(']', 40);

        ShouldFail(Mutate(r => r["version"] = JsonNode.Parse(deep)), "test.json is not valid JSON at line 1, byte *: *depth*");
    }

    [Fact]
    public void Load_reads_a_file_and_names_it_in_errors()
    {
        var directory = Directory.CreateTempSubdirectory("ledger-history-");
        try
        {
            var good = Path.Combine(directory.FullName, "good.json");
            var bad = Path.Combine(directory.FullName, "bad.json");
            File.WriteAllText(good, Valid);
            File.WriteAllText(bad, "{ \"organization\": ");

            HistoryFile.Load(good).Entries.Should().HaveCount(15);
            FluentActions.Invoking(() => HistoryFile.Load(bad)).Should().Throw<HistoryFileException>()
                .WithMessage($"{bad} is not valid JSON at line 1, byte *: *");
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public void A_loaded_file_reads_its_entries_from_the_file_as_a_parsed_one_reads_them_from_its_text()
    {
        var directory = Directory.CreateTempSubdirectory("ledger-history-");
        try
        {
            var path = Path.Combine(directory.FullName, "history.json");
            // With a byte order mark: the entries' places are counted after it.
            File.WriteAllBytes(path, [.. Encoding.UTF8.GetPreamble(), .. Encoding.UTF8.GetBytes(Valid)]);

            var loaded = HistoryFile.Load(path);

            loaded.Entries.Should().BeEquivalentTo(Parse(Valid).Entries, o => o.WithStrictOrdering());
            loaded.InImportOrder().Should().BeEquivalentTo(Parse(Valid).InImportOrder(), o => o.WithStrictOrdering());
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Theory]
    [InlineData("\"on\": \"2022-07-20\"", "\"on\": \"2022-07-21\"", "*history.json changed while it was imported: nato/fin events[7] is not the entry read before (its text is not the text checked when the file was loaded).")]
    [InlineData("\"authority\": \"Parliament\" }", "\"authority\": \"Parliament\"  ", "*history.json changed while it was imported: nato/fin events[7] is not the entry read before (its text*")]
    // Still JSON, same date, same length: another member. Caught by the bytes, not by what the entry says.
    [InlineData("\"on\": \"2022-07-20\", \"member\": \"BEL\"", "\"on\": \"2022-07-20\", \"member\": \"DNK\"", "*history.json changed while it was imported: nato/fin events[7] is not the entry read before (its text*")]
    public void A_loaded_file_changed_before_its_entries_are_read_again_is_reported_as_changed(string was, string becomes, string message)
    {
        var directory = Directory.CreateTempSubdirectory("ledger-history-");
        try
        {
            var path = Path.Combine(directory.FullName, "history.json");
            File.WriteAllText(path, Valid);
            var loaded = HistoryFile.Load(path);

            // The same length, edited in place (the handle the file was checked through sees the edit).
            var text = Valid.Replace($"{{ \"type\": \"ratification\", {was}", $"{{ \"type\": \"ratification\", {becomes}", StringComparison.Ordinal);
            if (was.StartsWith("\"authority\"", StringComparison.Ordinal))
            {
                text = Valid.Replace(was, becomes, StringComparison.Ordinal);
            }
            text.Length.Should().Be(Valid.Length);
            text.Should().NotBe(Valid);
            using (var stream = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete))
            {
                stream.Write(Encoding.UTF8.GetBytes(text));
            }

            FluentActions.Invoking(() => loaded.Entries[7]).Should().Throw<HistoryFileException>().WithMessage(message);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public void Load_of_a_missing_file_names_the_path()
    {
        var path = Path.Combine(Path.GetTempPath(), $"no-such-history-{Guid.NewGuid():N}.json");

        FluentActions.Invoking(() => HistoryFile.Load(path)).Should().Throw<HistoryFileException>()
            .WithMessage($"History file '{path}' does not exist.");
    }

    // Many processes, copies of nato/swe's as its attempts nato/swe, nato/swe-2, ..., with mistakes placed by the test.
    private static string ManyProcesses(int count, Action<JsonArray> spoil)
    {
        var root = JsonNode.Parse(Valid)!.AsObject();
        var processes = new JsonArray();
        for (var i = 0; i < count; i++)
        {
            var process = Process(root, 1).DeepClone().AsObject();
            process["id"] = Attempt(i);
            processes.Add(process);
        }
        spoil(processes);
        root["processes"] = processes;
        return root.ToJsonString();
    }

    private static string Attempt(int i) => i == 0 ? "nato/swe" : $"nato/swe-{i + 1}";

    [Fact]
    public void Many_processes_are_read_in_file_order()
    {
        var file = Parse(ManyProcesses(300, _ => { }));

        file.Entries.Select(e => e.Process).Distinct().Should().Equal(Enumerable.Range(0, 300).Select(Attempt));
        file.Entries.Select(e => (e.Process, e.Index, e.Type)).Should().Equal(
            Enumerable.Range(0, 300).SelectMany(i => new[] { (Attempt(i), 0, "application"), (Attempt(i), 1, "withdrawal") }));
    }

    [Theory]
    [InlineData(3, 250)]
    [InlineData(250, 3)]
    public void Of_mistakes_in_several_processes_the_first_in_the_file_is_reported(int badEntry, int badHeader)
    {
        var json = ManyProcesses(300, p =>
        {
            p[badEntry]!["events"]![1]!["on"] = "2022-02-30";
            p[badHeader]!["candidate"] = "xx";
        });
        var expected = badEntry < badHeader
            ? $"{Attempt(badEntry)} events[1].on: '2022-02-30' is not a date; expected YYYY-MM-DD (e.g. 2022-07-05)."
            : $"$.processes[{badHeader}].candidate: 'xx' is not an ISO 3166-1 alpha-3 country code*";

        FluentActions.Invoking(() => Parse(json)).Should().Throw<HistoryFileException>().WithMessage(expected);
    }

    [Fact]
    public void A_process_given_twice_is_reported_before_its_bad_entries_and_after_earlier_ones()
    {
        // The fourth process repeats the second's id and has a bad entry itself; the sixth has a bad entry after both.
        var repeated = ManyProcesses(200, p =>
        {
            p[3]!["id"] = Attempt(1);
            p[3]!["events"]![0]!["type"] = "coronation";
            p[5]!["events"]![0]!["type"] = "coronation";
        });
        // The third has a bad entry before the fourth repeats the second's id.
        var earlier = ManyProcesses(200, p =>
        {
            p[2]!["events"]![0]!["type"] = "coronation";
            p[3]!["id"] = Attempt(1);
        });

        FluentActions.Invoking(() => Parse(repeated)).Should().Throw<HistoryFileException>()
            .WithMessage("$.processes[3].id: process 'nato/swe-2' appears twice in the file.");
        FluentActions.Invoking(() => Parse(earlier)).Should().Throw<HistoryFileException>()
            .WithMessage("nato/swe-3 events[0].type: 'coronation' is not an entry type*");
    }
}
