using RatificationLedger.Domain;
using RatificationLedger.Projections;
using RatificationLedger.Recording;

namespace RatificationLedger.Tests.Timeline;

/// <summary>Builds a process's recorded entries by hand (numbered in the order added), to fold with <see cref="ProcessViews.Build"/>.</summary>
internal sealed class ProcessFixture(string process)
{
    private static readonly DateTimeOffset RecordingStart = new(2024, 6, 1, 9, 0, 0, TimeSpan.Zero);
    private readonly List<RecordedEntry> _entries = [];

    public string Process { get; } = process;

    public IReadOnlyList<RecordedEntry> Entries => _entries;

    public ProcessFixture Add(object @event, string? note = null, bool unconfirmed = false, string? source = null)
    {
        var number = _entries.Count + 1;
        _entries.Add(new RecordedEntry(Process, number, 1000 + number, StoredEventNames.Of(@event), @event,
            RecordingStart.AddMinutes(number), "importer", source ?? $"https://example.org/{Process}/{number}", note, unconfirmed,
            $"cmd-{number}", "corr-1", null));
        return this;
    }

    public (AccessionStatus Status, RatificationRegister Register, AuditTrail Audit) Build(DateOnly? asOf = null) =>
        ProcessViews.Build(Process, _entries, asOf);

    public static DateOnly D(string iso) => DateOnly.Parse(iso, System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// Sweden's NATO accession as the shared reference data has it: 30 ratifiers at the invitation, Finland added on
    /// joining (it had approved while itself a candidate), Türkiye's formal veto before the invitation and de facto holds
    /// by Türkiye and Hungary, Spain's unconfirmed Senate date.
    /// </summary>
    public static ProcessFixture Sweden()
    {
        string[] ratifiers = ["ALB", "BEL", "BGR", "CAN", "HRV", "CZE", "DNK", "EST", "FRA", "DEU", "GRC", "HUN", "ISL", "ITA", "LVA",
            "LTU", "LUX", "MNE", "NLD", "MKD", "NOR", "POL", "PRT", "ROU", "SVK", "SVN", "ESP", "TUR", "GBR", "USA"];
        var f = new ProcessFixture("nato/swe");
        f.Add(new ApplicationSubmitted("NATO", "SWE", D("2022-05-18"), RatificationCounts.AtApproval));
        f.Add(new VetoDeclared("TUR", D("2022-05-18"), "Blocked the start of accession talks", Formal: true));
        f.Add(new MemorandumSigned(D("2022-06-28"), "Trilateral Memorandum, Madrid", ["TUR", "FIN", "SWE"], "Commitments on extraditions and arms exports"));
        f.Add(new VetoLifted("TUR", D("2022-06-28"), "Trilateral Memorandum signed"));
        f.Add(new InvitationExtended(D("2022-06-29"), "Madrid Summit", ratifiers));
        f.Add(new AccessionProtocolSigned(D("2022-07-05")));
        (string Member, string On)[] approvals =
        [
            ("CAN", "2022-07-05"), ("ISL", "2022-07-05"), ("NOR", "2022-07-05"), ("DNK", "2022-07-05"), ("EST", "2022-07-06"),
            ("GBR", "2022-07-06"), ("ALB", "2022-07-07"), ("DEU", "2022-07-08"), ("NLD", "2022-07-12"), ("LUX", "2022-07-12"),
            ("BGR", "2022-07-13"), ("LVA", "2022-07-14"), ("SVN", "2022-07-14"), ("HRV", "2022-07-15"), ("POL", "2022-07-20"),
            ("LTU", "2022-07-20"), ("BEL", "2022-07-20"), ("ROU", "2022-07-21"), ("MKD", "2022-07-27"), ("MNE", "2022-07-28"),
            ("FRA", "2022-08-02"), ("ITA", "2022-08-03"), ("USA", "2022-08-03"), ("CZE", "2022-08-27"), ("GRC", "2022-09-15"),
            ("PRT", "2022-09-16"),
        ];
        f.Add(new InstrumentDeposited("CAN", D("2022-07-05"), "USA"));
        f.Add(new ParliamentVoted("POL", D("2022-07-07"), "Sejm", 442, 0, 0, true));
        f.Add(new ParliamentVoted("NLD", D("2022-07-07"), "Tweede Kamer", null, null, null, true), unconfirmed: true);
        f.Add(new ParliamentVoted("ITA", D("2022-08-02"), "Chamber of Deputies", 398, 9, 20, true));
        f.Add(new ParliamentVoted("ESP", D("2022-09-15"), "Congress of Deputies", 290, 11, 47, true));
        foreach (var (member, on) in approvals)
        {
            f.Add(new RatificationApproved(member, D(on), "Parliament"));
        }
        f.Add(new RatificationApproved("ESP", D("2022-09-20"), "Senate"), note: "Sources differ on the Senate date", unconfirmed: true);
        f.Add(new VetoDeclared("TUR", D("2022-09-27"), "Ratification withheld: extradition demands, PKK-linked activity", Formal: false));
        f.Add(new VetoDeclared("HUN", D("2022-09-27"), "Vote postponed repeatedly: criticism of Hungarian democracy", Formal: false));
        f.Add(new RatificationApproved("SVK", D("2022-09-27"), "National Council"));
        f.Add(new InstrumentDeposited("ESP", D("2022-10-05"), "USA"), unconfirmed: true);
        f.Add(new RatificationApproved("FIN", D("2023-03-01"), "Eduskunta"), note: "Approved while Finland was itself a candidate");
        f.Add(new RatifierAdded("FIN", D("2023-04-04"), "Joined NATO"));
        f.Add(new InstrumentDeposited("FIN", D("2023-04-04"), "USA"));
        f.Add(new MemorandumSigned(D("2023-07-10"), "Vilnius arrangement", ["TUR", "SWE", "NATO"], null));
        f.Add(new ParliamentVoted("TUR", D("2024-01-23"), "Grand National Assembly", 287, 55, 4, true));
        f.Add(new RatificationApproved("TUR", D("2024-01-23"), "Grand National Assembly"));
        f.Add(new MemorandumSigned(D("2024-02-23"), "Defence cooperation agreement, Budapest", ["SWE", "HUN"], null), unconfirmed: true);
        f.Add(new ParliamentVoted("HUN", D("2024-02-26"), "National Assembly", 188, 6, 0, true));
        f.Add(new RatificationApproved("HUN", D("2024-02-26"), "National Assembly"));
        f.Add(new InstrumentDeposited("HUN", D("2024-03-07"), "USA"));
        f.Add(new AccessionCompleted(D("2024-03-07"), 32));
        return f;
    }
}
