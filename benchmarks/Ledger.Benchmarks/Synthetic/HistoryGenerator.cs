using System.Globalization;
using System.Text;
using System.Text.Json;
using RatificationLedger.Domain;

namespace RatificationLedger.Benchmarks.Synthetic;

/// <summary>One entry of a synthetic history file, in the file's vocabulary (see docs/import-format.md).</summary>
internal sealed record GenEntry(string Type, DateOnly On)
{
    public string? Member { get; init; }
    public string? Venue { get; init; }
    public IReadOnlyList<string>? Ratifiers { get; init; }
    public string? Title { get; init; }
    public IReadOnlyList<string>? Parties { get; init; }
    public string? Summary { get; init; }
    public string? Chamber { get; init; }
    public int? For { get; init; }
    public int? Against { get; init; }
    public int? Abstained { get; init; }
    public bool? Passed { get; init; }
    public string? Authority { get; init; }
    public string? Reason { get; init; }
    public bool? Formal { get; init; }
    public string? Source { get; init; }
    public string? Note { get; init; }
    public bool Unconfirmed { get; init; }
}

/// <summary>One synthetic accession process and its entries in recorded (chronological, dependency) order.</summary>
internal sealed record GenProcess(string Id, string Candidate, List<GenEntry> Entries)
{
    /// <summary>The dates of the entries the ledger adds itself (the new-member rule's RatifierAdded), not in the file.</summary>
    public List<DateOnly> Added { get; } = [];

    /// <summary>How many entries the process's record holds: the file's, less its repeats, and the ledger's own.</summary>
    public int Recorded => EntriesBy(DateOnly.MaxValue);

    /// <summary>How many entries the process's record holds dated on or before <paramref name="asOf"/>: the file's, less its repeats, and the ledger's own.</summary>
    public int EntriesBy(DateOnly asOf) =>
        Entries.Where((e, i) => e.On <= asOf && (i == 0 || !ReferenceEquals(e, Entries[i - 1]))).Count() + Added.Count(d => d <= asOf);
}

/// <summary>A synthetic organization with its processes.</summary>
internal sealed record SyntheticHistory(Organization Organization, IReadOnlyList<GenProcess> Processes)
{
    public long EventCount => Processes.Sum(p => (long)p.Entries.Count);

    /// <summary>Entries given twice in their process, right after themselves (see HistoryGenerator.Generate).</summary>
    public long Repeats => Processes.Sum(p => (long)p.Entries.Where((e, i) => i > 0 && ReferenceEquals(e, p.Entries[i - 1])).Count());

    /// <summary>Writes the history in the import file format.</summary>
    public void WriteJson(Stream stream)
    {
        using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = false, SkipValidation = true });
        w.WriteStartObject();
        w.WriteStartObject("organization");
        var o = Organization;
        w.WriteString("code", o.Code);
        w.WriteString("name", o.Name);
        w.WriteString("depositary", o.Depositary);
        w.WriteString("ratificationCounts", o.CountsAt == RatificationCounts.AtApproval ? "approval" : "deposit");
        w.WriteBoolean("newMembersRatifyOpenProcesses", o.NewMembersRatifyOpenProcesses);
        w.WriteStartArray("members");
        foreach (var m in o.Members)
        {
            w.WriteStartObject();
            w.WriteString("state", m.State);
            w.WriteString("since", D(m.Since));
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteStartArray("processes");
        foreach (var p in Processes)
        {
            w.WriteStartObject();
            w.WriteString("id", p.Id);
            w.WriteString("candidate", p.Candidate);
            w.WriteStartArray("events");
            foreach (var e in p.Entries)
            {
                Write(w, e);
            }
            w.WriteEndArray();
            w.WriteEndObject();
            if (stream.Position > 0 || w.BytesPending > 1 << 20)
            {
                w.Flush();
            }
        }
        w.WriteEndArray();
        w.WriteEndObject();
        w.Flush();
    }

    private static void Write(Utf8JsonWriter w, GenEntry e)
    {
        w.WriteStartObject();
        w.WriteString("type", e.Type);
        w.WriteString("on", D(e.On));
        void S(string name, string? value)
        {
            if (value is not null)
            {
                w.WriteString(name, value);
            }
        }
        void N(string name, int? value)
        {
            if (value is { } v)
            {
                w.WriteNumber(name, v);
            }
        }
        void L(string name, IReadOnlyList<string>? values)
        {
            if (values is not null)
            {
                w.WriteStartArray(name);
                foreach (var v in values)
                {
                    w.WriteStringValue(v);
                }
                w.WriteEndArray();
            }
        }
        S("member", e.Member);
        S("venue", e.Venue);
        L("ratifiers", e.Ratifiers);
        S("title", e.Title);
        L("parties", e.Parties);
        S("summary", e.Summary);
        S("chamber", e.Chamber);
        N("for", e.For);
        N("against", e.Against);
        N("abstained", e.Abstained);
        if (e.Passed is { } passed)
        {
            w.WriteBoolean("passed", passed);
        }
        S("authority", e.Authority);
        S("reason", e.Reason);
        if (e.Formal is { } formal)
        {
            w.WriteBoolean("formal", formal);
        }
        S("source", e.Source);
        S("note", e.Note);
        if (e.Unconfirmed)
        {
            w.WriteBoolean("unconfirmed", true);
        }
        w.WriteEndObject();
    }

    public byte[] ToJsonBytes()
    {
        using var buffer = new MemoryStream();
        WriteJson(buffer);
        return buffer.ToArray();
    }

    private static string D(DateOnly d) => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}

/// <summary>
/// Generates realistic accession histories for one organization, deterministically from a seed: 30-35 required
/// ratifiers per process, chamber votes, national approvals, deposits, memoranda, occasional formal vetoes before the
/// invitation and de facto holds during ratification, withdrawals, accessions, and processes still open at the cut-off.
/// Every entry is dated on or before <see cref="Cutoff"/>, in the past.
/// </summary>
internal sealed class HistoryGenerator
{
    /// <summary>No entry is dated after this day.</summary>
    public static readonly DateOnly Cutoff = new(2026, 6, 30);

    private static readonly DateOnly WindowStart = new(1955, 1, 1);
    private static readonly DateOnly Founded = new(1949, 4, 4);

    /// <summary>The candidate kept out of the generated processes, for the stream-length probes.</summary>
    public const string ProbeCandidate = "ATA";

    public const string OrganizationCode = "BENCH";

    private static readonly string[] Chambers = ["National Assembly", "Senate"];
    private static readonly string[] Authorities = ["Parliament", "President's signature", "Royal assent", "Government decree", "Constitutional court review"];
    private static readonly string[] HoldReasons =
    [
        "Domestic political dispute over the candidate's export controls",
        "Awaiting assurances on counter-terrorism cooperation",
        "Parliamentary committee requested further hearings",
    ];

    private readonly int _seed;

    public HistoryGenerator(int seed) => _seed = seed;

    /// <summary>The organization: 62 founding states (sorted ISO codes picked by the seed), ratification counts at approval.</summary>
    public Organization Organization { get; private set; } = null!;

    private string[] _members = [];
    private int _repeatEvery;
    private string[] _candidates = [];

    /// <summary>
    /// Generates processes until there are at least <paramref name="minProcesses"/> of them and at least
    /// <paramref name="minEvents"/> entries. Candidates take turns; each candidate's attempts are spread over 1955-2026
    /// and only its last attempt may accede (it is a member afterwards).
    /// </summary>
    /// <param name="minProcesses">At least this many processes.</param>
    /// <param name="minEvents">At least this many entries.</param>
    /// <param name="newMembersRatify">
    /// NATO's policy: a candidate that accedes becomes a required ratifier of every other invited, open process (the
    /// ledger adds it), and the generator gives it a ratification in each of those that accedes later (or is open).
    /// </param>
    /// <param name="repeatEvery">
    /// 0, or every so many national steps (votes, approvals, deposits) are given twice in their process, one after the
    /// other (a curator's paste): the import answers the copy from its receipt (already there).
    /// </param>
    public SyntheticHistory Generate(int minProcesses, long minEvents, bool newMembersRatify = false, int repeatEvery = 0)
    {
        _repeatEvery = repeatEvery;
        var random = new Random(_seed);
        var codes = CountryCode.All.Where(c => c != ProbeCandidate).Order(StringComparer.Ordinal).ToArray();
        random.Shuffle(codes);
        _members = [.. codes.Take(62).Order(StringComparer.Ordinal)];
        _candidates = [.. codes.Skip(62).Order(StringComparer.Ordinal)];
        Organization = new Organization(OrganizationCode, "Benchmark Treaty Organization", _members[0], RatificationCounts.AtApproval,
            NewMembersRatifyOpenProcesses: newMembersRatify, [.. _members.Select(m => new Membership(m, Founded))]);

        // Estimate processes from ~100 entries per process, then grow until both targets hold.
        var processes = Math.Max(minProcesses, (int)Math.Min(int.MaxValue, minEvents / 95 + 1));
        while (true)
        {
            var history = Build(processes, new Random(_seed + 1));
            if (history.Processes.Count >= minProcesses && history.EventCount >= minEvents)
            {
                return history;
            }
            processes = (int)(processes * Math.Max(1.02, (double)minEvents / Math.Max(1, history.EventCount)));
        }
    }

    private SyntheticHistory Build(int processCount, Random random)
    {
        var perCandidate = new int[_candidates.Length];
        for (var i = 0; i < processCount; i++)
        {
            perCandidate[i % _candidates.Length]++;
        }
        var windowDays = Cutoff.DayNumber - WindowStart.DayNumber;
        var list = new List<GenProcess>(processCount);
        for (var c = 0; c < _candidates.Length; c++)
        {
            var attempts = perCandidate[c];
            if (attempts == 0)
            {
                continue;
            }
            var slot = windowDays / attempts;
            for (var k = 1; k <= attempts; k++)
            {
                var start = WindowStart.AddDays((k - 1) * slot + random.Next(0, Math.Max(1, slot / 3)));
                var id = ProcessId.For(OrganizationCode, _candidates[c], k);
                list.Add(Process(random, id, _candidates[c], start, isLast: k == attempts));
            }
        }
        // Interleave candidates in the file the way a curator would group them: by process id.
        list.Sort((a, b) => string.CompareOrdinal(a.Id, b.Id));
        if (Organization.NewMembersRatifyOpenProcesses)
        {
            NewMembersRatify(list, random);
        }
        if (_repeatEvery > 0)
        {
            var steps = 0;
            foreach (var process in list)
            {
                for (var i = 0; i < process.Entries.Count; i++)
                {
                    if (process.Entries[i].Type is "vote" or "ratification" or "deposit" && ++steps % _repeatEvery == 0)
                    {
                        process.Entries.Insert(i + 1, process.Entries[i]);
                        i++;
                    }
                }
            }
        }
        return new SyntheticHistory(Organization, list);
    }

    /// <summary>
    /// NATO's policy, as the import meets it: in import order (by date, then file order), each accession makes its
    /// candidate a required ratifier of every other process invited before it and not yet closed. Each of those that
    /// accedes later gets the new member's ratification before its accession (moved a day on where the two would
    /// otherwise fall on one day, or dropped past the cut-off, the process then still open); one still open gets it if it
    /// falls before the cut-off; one withdrawn later gets none.
    /// </summary>
    private static void NewMembersRatify(List<GenProcess> processes, Random random)
    {
        var accessions = new PriorityQueue<int, (int Day, int File)>();
        for (var i = 0; i < processes.Count; i++)
        {
            if (processes[i].Entries[^1] is { Type: "accession" } a)
            {
                accessions.Enqueue(i, (a.On.DayNumber, i));
            }
        }
        var invitedAt = processes.Select(p => p.Entries.Find(e => e.Type == "invitation")?.On.DayNumber ?? int.MaxValue).ToArray();
        while (accessions.TryDequeue(out var a, out var key))
        {
            var acceding = processes[a];
            if (acceding.Entries[^1] is not { Type: "accession" } accession || accession.On.DayNumber != key.Day)
            {
                continue; // moved later (queued again) or dropped
            }
            var on = accession.On;
            for (var p = 0; p < processes.Count; p++)
            {
                var process = processes[p];
                // Invited before the accession in import order, and not closed before it: the ledger adds the member.
                if (p == a || (invitedAt[p], p).CompareTo(key) >= 0)
                {
                    continue;
                }
                var last = process.Entries[^1];
                if (last.Type is "accession" or "withdrawal" && (last.On.DayNumber, p).CompareTo(key) < 0)
                {
                    continue;
                }
                process.Added.Add(on);
                if (last.Type == "withdrawal")
                {
                    continue;
                }
                var signed = process.Entries.Find(e => e.Type == "protocol-signed")?.On ?? on;
                var earliest = (signed > on ? signed : on).AddDays(1);
                var day = earliest.AddDays(random.Next(0, 20));
                if (last.Type == "accession")
                {
                    if (last.On < earliest)
                    {
                        process.Entries.RemoveAt(process.Entries.Count - 1);
                        if (earliest <= Cutoff)
                        {
                            process.Entries.Add(last with { On = earliest });
                            accessions.Enqueue(p, (earliest.DayNumber, p));
                        }
                    }
                    if (process.Entries[^1] is { Type: "accession" } acceded && day > acceded.On)
                    {
                        day = acceded.On;
                    }
                }
                if (day > Cutoff)
                {
                    continue;
                }
                var step = new GenEntry("ratification", day)
                {
                    Member = acceding.Candidate,
                    Authority = Authorities[random.Next(Authorities.Length)],
                    Source = $"https://treaties.example.org/{process.Id}/ratification-{acceding.Candidate}",
                };
                if (process.Entries[^1].Type == "accession")
                {
                    process.Entries.Insert(process.Entries.Count - 1, step);
                }
                else
                {
                    process.Entries.Add(step);
                }
            }
        }
    }

    private GenProcess Process(Random random, string id, string candidate, DateOnly start, bool isLast)
    {
        var entries = new List<GenEntry>(110);
        var source = $"https://treaties.example.org/{id}";
        string Src(string what) => $"{source}/{what}";

        var opensWithApplication = random.NextDouble() < 0.9;
        var day = start;
        if (opensWithApplication)
        {
            entries.Add(new GenEntry("application", day) { Source = Src("application") });
            if (random.NextDouble() < 0.08)
            {
                // A formal veto before the invitation (as Türkiye's block of the start of talks), lifted before it.
                var vetoer = _members[random.Next(_members.Length)];
                day = day.AddDays(random.Next(1, 20));
                entries.Add(new GenEntry("veto", day) { Member = vetoer, Reason = "Blocked the start of accession talks", Formal = true, Source = Src("veto") });
                day = day.AddDays(random.Next(10, 60));
                entries.Add(new GenEntry("veto-lifted", day) { Member = vetoer, Reason = "Memorandum of understanding agreed", Source = Src("veto-lifted") });
            }
        }
        day = day.AddDays(random.Next(20, 90));
        var count = random.Next(30, 36);
        var ratifiers = _members.OrderBy(_ => random.Next()).Take(count).Order(StringComparer.Ordinal).ToArray();
        entries.Add(new GenEntry("invitation", day) { Venue = $"Summit of {day.Year}", Ratifiers = ratifiers, Source = Src("invitation") });
        var invited = day;
        if (random.NextDouble() < 0.15)
        {
            entries.Add(new GenEntry("memorandum", invited.AddDays(random.Next(0, 5)))
            {
                Title = $"Memorandum of {invited.Year}-{random.Next(1, 999)}",
                Parties = [candidate, ratifiers[random.Next(ratifiers.Length)]],
                Summary = "Commitments on security cooperation and arms exports",
                Source = Src("memorandum"),
            });
        }
        var signed = invited.AddDays(random.Next(5, 30));
        entries.Add(new GenEntry("protocol-signed", signed) { Source = Src("protocol") });

        // Holds: a required ratifier withholds ratification for a while (de facto), ended by a lifting or by its approval.
        var holders = new Dictionary<string, (DateOnly Since, bool Lifted)>(StringComparer.Ordinal);
        if (random.NextDouble() < 0.10)
        {
            foreach (var h in ratifiers.OrderBy(_ => random.Next()).Take(random.Next(1, 3)))
            {
                holders[h] = (signed.AddDays(random.Next(1, 20)), random.NextDouble() < 0.5);
            }
        }

        var withdrawOn = isLast ? (DateOnly?)null : signed.AddDays(random.Next(40, 260));
        var steps = new List<GenEntry>(ratifiers.Length * 4);
        foreach (var m in ratifiers)
        {
            var firstStep = signed.AddDays(random.Next(3, 60));
            if (holders.TryGetValue(m, out var hold))
            {
                steps.Add(new GenEntry("veto", hold.Since) { Member = m, Reason = HoldReasons[random.Next(HoldReasons.Length)], Formal = false, Source = Src($"hold-{m}") });
                var ends = hold.Since.AddDays(random.Next(30, 200));
                if (hold.Lifted)
                {
                    steps.Add(new GenEntry("veto-lifted", ends) { Member = m, Reason = "Assurances received", Source = Src($"lift-{m}") });
                }
                firstStep = ends.AddDays(random.Next(1, 20));
            }
            var votes = random.NextDouble() switch { < 0.25 => 0, < 0.70 => 1, _ => 2 };
            var day2 = firstStep;
            for (var v = 0; v < votes; v++)
            {
                var seats = 150 + random.Next(0, 450);
                var against = random.Next(0, seats / 10);
                var abstained = random.Next(0, seats / 20);
                steps.Add(new GenEntry("vote", day2)
                {
                    Member = m,
                    Chamber = Chambers[v],
                    For = seats - against - abstained,
                    Against = against,
                    Abstained = abstained,
                    Passed = true,
                    Source = Src($"vote-{m}-{v}"),
                });
                day2 = day2.AddDays(random.Next(1, 40));
            }
            steps.Add(new GenEntry("ratification", day2)
            {
                Member = m,
                Authority = Authorities[random.Next(Authorities.Length)],
                Source = Src($"ratification-{m}"),
                Unconfirmed = random.NextDouble() < 0.03,
            });
            if (random.NextDouble() < 0.85)
            {
                steps.Add(new GenEntry("deposit", day2.AddDays(random.Next(0, 30))) { Member = m, Source = Src($"deposit-{m}") });
            }
        }
        // The process's steps in date order; entries of one member keep their dependency order on equal dates.
        entries.AddRange(steps.Select((s, i) => (s, i)).OrderBy(x => x.s.On).ThenBy(x => x.i).Select(x => x.s));

        if (withdrawOn is { } w)
        {
            entries.RemoveAll(e => e.On > w);
            entries.Add(new GenEntry("withdrawal", w) { Reason = "The government withdrew the application", Source = Src("withdrawal") });
        }
        else
        {
            // A closed process takes no more steps: the accession follows the last approval and deposit.
            var last = entries.Max(e => e.On);
            entries.Add(new GenEntry("accession", last.AddDays(random.Next(1, 30))) { Source = Src("accession") });
        }
        // Still open at the cut-off: later entries have not happened yet.
        entries.RemoveAll(e => e.On > Cutoff);
        return new GenProcess(id, candidate, entries);
    }

    /// <summary>
    /// Processes of exactly <paramref name="length"/> entries for the probe candidate (never acceding), to measure how
    /// as-of latency grows with stream length. Long streams carry many chamber readings per member.
    /// </summary>
    public IReadOnlyList<GenProcess> Probes(int length, int count, int firstAttempt, Random random)
    {
        var list = new List<GenProcess>(count);
        for (var n = 0; n < count; n++)
        {
            var id = ProcessId.For(OrganizationCode, ProbeCandidate, firstAttempt + n);
            var start = new DateOnly(2000, 1, 1).AddDays(random.Next(0, 6000));
            var entries = new List<GenEntry>(length)
            {
                new("application", start),
            };
            var ratifiers = _members.OrderBy(_ => random.Next()).Take(random.Next(30, 36)).Order(StringComparer.Ordinal).ToArray();
            var signed = start.AddDays(60);
            entries.Add(new GenEntry("invitation", start.AddDays(30)) { Venue = "Probe summit", Ratifiers = ratifiers });
            entries.Add(new GenEntry("protocol-signed", signed));
            var remaining = length - entries.Count;
            // Per member: readings, then approval and deposit, until the length is reached.
            var perMember = Math.Max(1, (int)Math.Ceiling(remaining / (double)ratifiers.Length));
            var steps = new List<GenEntry>(remaining);
            foreach (var m in ratifiers)
            {
                var day = signed.AddDays(random.Next(1, 30));
                var readings = Math.Max(0, perMember - 2);
                for (var r = 0; r < readings; r++)
                {
                    steps.Add(new GenEntry("vote", day) { Member = m, Chamber = $"Reading {r + 1}", For = 100, Against = 3, Abstained = 1, Passed = true });
                    day = day.AddDays(random.Next(1, 5));
                }
                steps.Add(new GenEntry("ratification", day) { Member = m, Authority = "Parliament" });
                steps.Add(new GenEntry("deposit", day.AddDays(random.Next(0, 10))) { Member = m });
            }
            entries.AddRange(steps.Select((s, i) => (s, i)).OrderBy(x => x.s.On).ThenBy(x => x.i).Select(x => x.s).Take(remaining));
            list.Add(new GenProcess(id, ProbeCandidate, entries));
        }
        return list;
    }

    internal static string Describe(SyntheticHistory history)
    {
        var sb = new StringBuilder();
        var counts = history.Processes.SelectMany(p => p.Entries).GroupBy(e => e.Type).OrderByDescending(g => g.Count());
        sb.Append(CultureInfo.InvariantCulture, $"{history.Processes.Count} processes, {history.EventCount} entries (");
        sb.AppendJoin(", ", counts.Select(g => $"{g.Key} {g.Count()}"));
        sb.Append(')');
        return sb.ToString();
    }
}
