using System.Globalization;
using System.Text.Json;
using RatificationLedger.Domain;
using RatificationLedger.Recording;

namespace RatificationLedger.Import;

// What each part of a history file means: the organization and each entry type's fields, read from a JSON element
// with its path (Node), so that every error names where it is.
public sealed partial record HistoryFile
{
    private static Organization ReadOrganization(Node o)
    {
        o.Only("code", "name", "depositary", "ratificationCounts", "newMembersRatifyOpenProcesses", "usesAccessionProtocol", "candidateRatifies", "entryIntoForce", "members");
        var counts = o.String("ratificationCounts") switch
        {
            "approval" => RatificationCounts.AtApproval,
            "deposit" => RatificationCounts.AtDeposit,
            var other => throw o.Error("ratificationCounts", $"'{other}' is not a counting rule: use \"approval\" or \"deposit\"."),
        };
        var members = o.Array("members").Select(m =>
        {
            m.Only("state", "since", "until");
            var membership = new Membership(m.Code("state"), m.Date("since"), m.OptionalDate("until"));
            return membership.Until < membership.Since
                ? throw m.Error("until", $"{membership.State} leaves on {membership.Until:yyyy-MM-dd}, before it joined on {membership.Since:yyyy-MM-dd}; 'until' is the last day of membership.")
                : membership;
        }).ToArray();
        return new Organization(o.String("code"), o.String("name"), o.Code("depositary"), counts,
            o.Bool("newMembersRatifyOpenProcesses"), members, o.OptionalBool("usesAccessionProtocol") ?? true,
            o.OptionalBool("candidateRatifies") ?? false, ReadEntryIntoForce(o, null));
    }

    // {"rule": "fixed-date", "date": "2013-07-01", "otherwise": "first-day-of-next-month"} and the like; null when absent.
    private static EntryIntoForceRule? ReadEntryIntoForce(Node parent, DateOnly? signedOn)
    {
        if (parent.OptionalObject("entryIntoForce") is not { } e)
        {
            return null;
        }
        e.Only("rule", "date", "days", "otherwise");
        var kind = e.String("rule") switch
        {
            "on-completion" => EntryIntoForceKind.OnCompletion,
            "fixed-date" => EntryIntoForceKind.FixedDate,
            "days-after-completion" => EntryIntoForceKind.DaysAfterCompletion,
            var other => throw e.Error("rule", $"'{other}' is not an entry-into-force rule: use \"on-completion\", \"fixed-date\" or \"days-after-completion\"."),
        };
        EntryIntoForceOtherwise? otherwise = e.OptionalString("otherwise") switch
        {
            null => null,
            "first-day-of-next-month" => EntryIntoForceOtherwise.FirstDayOfNextMonth,
            var other => throw e.Error("otherwise", $"'{other}' is not known: use \"first-day-of-next-month\" or leave it out (then a missed date means not in force)."),
        };
        var rule = new EntryIntoForceRule(kind, e.OptionalDate("date"), e.OptionalInt("days"), otherwise);
        return rule.Check(signedOn) is { } bad ? throw new HistoryFileException($"{e.Path}: {bad.Message}") : rule;
    }

    private static readonly string[] s_common = ["type", "on", "source", "note", "unconfirmed"];

    private static readonly string[] s_types =
        ["application", "invitation", "protocol-signed", "memorandum", "vote", "ratification", "deposit", "veto", "veto-lifted", "ratifier-added", "accession", "withdrawal"];

    // The fields each entry type allows: the common ones, then its own.
    private static readonly Dictionary<string, string[]> s_fields = new Dictionary<string, string[]>(StringComparer.Ordinal)
    {
        ["application"] = [],
        ["invitation"] = ["venue", "ratifiers"],
        ["protocol-signed"] = ["treaty", "coCandidates", "ratifiers", "entryIntoForce"],
        ["memorandum"] = ["title", "parties", "summary"],
        ["vote"] = ["member", "chamber", "for", "against", "abstained", "passed"],
        ["ratification"] = ["member", "authority"],
        ["deposit"] = ["member", "depositary"],
        ["veto"] = ["member", "reason", "formal"],
        ["veto-lifted"] = ["member", "reason"],
        ["ratifier-added"] = ["member", "reason"],
        ["accession"] = ["memberCount"],
        ["withdrawal"] = ["reason"],
    }.ToDictionary(t => t.Key, t => (string[])[.. s_common, .. t.Value], StringComparer.Ordinal);

    private static HistoryEntry ReadEntry(Node e, string process, int index, Organization organization)
    {
        var written = e.String("type");
        // The known name itself is kept, not the string read for every entry.
        var type = Array.IndexOf(s_types, written) is var known and >= 0 ? s_types[known] : null;
        if (type is null)
        {
            // Checked before anything else, so that a misspelt type is reported as such and not as a missing field.
            throw e.Error("type", $"'{written}' is not an entry type; expected one of: {string.Join(", ", s_types)}.");
        }
        var on = e.Date("on");
        AccessionCommand command;
        switch (type)
        {
            case "application":
                e.Only(s_fields["application"]);
                ProcessId.TryParse(process, out var org, out var candidate);
                command = new SubmitApplication(process, org, candidate, on);
                break;
            case "invitation":
                e.Only(s_fields["invitation"]);
                command = new ExtendInvitation(process, on, e.OptionalString("venue") ?? "", e.OptionalCodes("ratifiers"));
                break;
            case "protocol-signed":
                e.Only(s_fields["protocol-signed"]);
                command = new SignAccessionProtocol(process, on, e.OptionalString("treaty"), e.OptionalCodes("coCandidates"), e.OptionalCodes("ratifiers"),
                    ReadEntryIntoForce(e, on));
                break;
            case "memorandum":
                e.Only(s_fields["memorandum"]);
                command = new SignMemorandum(process, on, e.String("title"), e.OptionalStrings("parties") ?? throw e.Error("parties", "is required."), e.OptionalString("summary"));
                break;
            case "vote":
                e.Only(s_fields["vote"]);
                command = new RecordParliamentVote(process, e.Code("member"), on, e.String("chamber"),
                    e.OptionalInt("for"), e.OptionalInt("against"), e.OptionalInt("abstained"), e.Bool("passed"));
                break;
            case "ratification":
                e.Only(s_fields["ratification"]);
                command = new ApproveRatification(process, e.Code("member"), on, e.OptionalString("authority"));
                break;
            case "deposit":
                e.Only(s_fields["deposit"]);
                command = new DepositInstrument(process, e.Code("member"), on, e.OptionalCode("depositary") ?? organization.Depositary);
                break;
            case "veto":
                e.Only(s_fields["veto"]);
                command = new DeclareVeto(process, e.Code("member"), on, e.OptionalString("reason") ?? "", e.Bool("formal"));
                break;
            case "veto-lifted":
                e.Only(s_fields["veto-lifted"]);
                command = new LiftVeto(process, e.Code("member"), on, e.OptionalString("reason") ?? "");
                break;
            case "ratifier-added":
                e.Only(s_fields["ratifier-added"]);
                command = new AddRatifier(process, e.Code("member"), on, e.OptionalString("reason") ?? "");
                break;
            case "accession":
                e.Only(s_fields["accession"]);
                command = new CompleteAccession(process, on, e.OptionalInt("memberCount"));
                break;
            case "withdrawal":
                e.Only(s_fields["withdrawal"]);
                command = new WithdrawApplication(process, on, e.OptionalString("reason") ?? "");
                break;
            default:
                throw new InvalidOperationException($"Entry type '{type}' is listed as known but has no reader.");
        }
        var provenance = new Provenance(e.OptionalString("source"), e.OptionalString("note"), e.OptionalBool("unconfirmed") ?? false);
        if (AccessionDecider.Text(provenance.Source, "source", Provenance.TextLimit) is { } badSource)
        {
            throw e.Error("source", badSource.Message);
        }
        if (AccessionDecider.Text(provenance.Note, "note", Provenance.TextLimit) is { } badNote)
        {
            throw e.Error("note", badNote.Message);
        }
        return new HistoryEntry(process, index, type, command, provenance);
    }
}
