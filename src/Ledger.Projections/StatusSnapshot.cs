using System.Collections.Immutable;
using System.Text;
using RatificationLedger.Domain;

namespace RatificationLedger.Projections;

/// <summary>
/// What a process's status is rendered from, in a compact binary form: the as-of index stores one per process and date
/// (see <see cref="AsOfIndex"/>), a few hundred bytes where the rendered status is several KB of JSON. It holds the
/// parts of the folded state that <see cref="ProcessViews"/> renders the status from (the process's own steps, the
/// required ratifiers, each required ratifier's approval and deposit, the vetoes, the memoranda, whether each of those
/// entries is unconfirmed, the number of entries folded and the version), not the rendered lists: decoding rebuilds a
/// state with those parts and renders it with the same code as the fold, so the orders and derived fields (stage,
/// pending, counted, entry into force) cannot differ. Chamber votes are not held (the status shows none of them; only
/// whether any national step was taken, which the stage reads).
/// </summary>
internal static class StatusSnapshot
{
    private const byte Format = 1;

    /// <summary>
    /// The snapshot of <paramref name="s"/>: <paramref name="unconfirmed"/> says whether an event of the state was
    /// recorded unconfirmed, <paramref name="vetoUnconfirmed"/> whether each veto's declaration was;
    /// <paramref name="folded"/> and <paramref name="version"/> are the status's <c>Entries</c> and <c>Version</c>.
    /// </summary>
    public static byte[] Encode(AccessionState s, Func<object?, bool> unconfirmed, Func<Veto, bool> vetoUnconfirmed, int folded, long version)
    {
        var w = new Writer(256);
        w.Byte(Format);
        w.String(s.Organization);
        w.String(s.Candidate);
        w.Byte((byte)s.CountsAt);
        w.Byte((byte)s.Phase);
        w.Date(s.Application?.On);
        w.Date(s.Invitation?.On);
        if (s.Invitation is { } invitation)
        {
            w.String(invitation.Venue);
        }
        w.Date(s.ProtocolSignedOn);
        w.Bool(s.Signature is not null);
        if (s.Signature is { } signature)
        {
            w.String(signature.Treaty);
            w.Strings(signature.CoCandidates ?? []);
            w.Bool(signature.EntryIntoForce is not null);
            if (signature.EntryIntoForce is { } rule)
            {
                w.Byte((byte)rule.Rule);
                w.Date(rule.Date);
                w.Int(rule.Days is { } days ? days + 1 : 0);
                w.Int(rule.Otherwise is { } otherwise ? (int)otherwise + 1 : 0);
            }
        }
        w.Date(s.Accession?.On);
        if (s.Accession is { } accession)
        {
            w.Bool(unconfirmed(accession));
        }
        w.Date(s.Withdrawal?.On);
        w.Int(s.RequiredRatifiers.Count);
        foreach (var (member, since) in s.RequiredRatifiers)
        {
            w.String(member);
            w.Date(since);
            var steps = s.StepsOf(member);
            w.Date(steps.Approval?.On);
            if (steps.Approval is { } approval)
            {
                w.Bool(unconfirmed(approval));
            }
            w.Date(steps.Deposit?.On);
            if (steps.Deposit is { } deposit)
            {
                w.Bool(unconfirmed(deposit));
            }
        }
        w.Bool(!s.Steps.IsEmpty);
        w.Int(s.Vetoes.Count);
        foreach (var v in s.Vetoes)
        {
            w.String(v.Member);
            w.Date(v.Since);
            w.String(v.Reason);
            w.Bool(v.Formal);
            w.Date(v.EndedOn);
            w.String(v.EndedBy);
            w.Bool(vetoUnconfirmed(v));
        }
        w.Int(s.Memoranda.Count);
        foreach (var m in s.Memoranda)
        {
            w.Date(m.On);
            w.String(m.Title);
            w.Strings(m.Parties);
            w.String(m.Summary);
            w.Bool(unconfirmed(m));
        }
        w.Int(folded);
        w.Long(version);
        return w.ToArray();
    }

    /// <summary>The state a snapshot was made of, as far as the status reads it, with what <see cref="Encode"/> was told about it.</summary>
    public sealed record Decoded(AccessionState State, Func<object?, bool> Unconfirmed, Func<Veto, bool> VetoUnconfirmed, int Folded);

    /// <summary>Rebuilds the state of a snapshot (events made anew with the parts the status reads; the rest empty).</summary>
    public static Decoded Decode(ReadOnlySpan<byte> data)
    {
        var r = new Reader(data);
        var format = r.Byte();
        if (format != Format)
        {
            throw new InvalidDataException($"as-of index: status snapshot of format {format}, expected {Format} (rebuild the read models).");
        }
        var flags = new Dictionary<object, bool>(ReferenceEqualityComparer.Instance);
        var organization = r.String();
        var candidate = r.String();
        var countsAt = (RatificationCounts)r.Byte();
        var phase = (ProcessPhase)r.Byte();
        var applied = r.Date();
        var invited = r.Date();
        var venue = invited is null ? null : r.String();
        var signedOn = r.Date();
        AccessionProtocolSigned? signature = null;
        if (r.Bool())
        {
            var treaty = r.String();
            var coCandidates = r.Strings();
            EntryIntoForceRule? rule = null;
            if (r.Bool())
            {
                var kind = (EntryIntoForceKind)r.Byte();
                var date = r.Date();
                var days = r.Int();
                var otherwise = r.Int();
                rule = new EntryIntoForceRule(kind, date, days == 0 ? null : days - 1, otherwise == 0 ? null : (EntryIntoForceOtherwise)(otherwise - 1));
            }
            signature = new AccessionProtocolSigned(signedOn ?? default, treaty, coCandidates, null, rule);
        }
        AccessionCompleted? accession = null;
        if (r.Date() is { } acceded)
        {
            accession = new AccessionCompleted(acceded, null);
            flags[accession] = r.Bool();
        }
        var withdrawn = r.Date();
        var required = AccessionState.Initial.RequiredRatifiers.ToBuilder();
        var steps = MemberStepsMap.Empty;
        var count = r.Int();
        for (var i = 0; i < count; i++)
        {
            var member = r.String()!;
            required[member] = r.Date()!.Value;
            RatificationApproved? approval = null;
            InstrumentDeposited? deposit = null;
            if (r.Date() is { } approved)
            {
                approval = new RatificationApproved(member, approved, null);
                flags[approval] = r.Bool();
            }
            if (r.Date() is { } deposited)
            {
                deposit = new InstrumentDeposited(member, deposited, "");
                flags[deposit] = r.Bool();
            }
            if (approval is not null || deposit is not null)
            {
                steps = steps.SetItem(member, new MemberSteps(member) { Approval = approval, Deposit = deposit });
            }
        }
        if (r.Bool() && steps.IsEmpty)
        {
            // Steps taken, none of them a required ratifier's approval or deposit (votes, early approvals): the stage
            // reads only that there are some. No member is named "".
            steps = steps.SetItem("", new MemberSteps(""));
        }
        var vetoFlags = new Dictionary<Veto, bool>(ReferenceEqualityComparer.Instance);
        var vetoes = ImmutableList.CreateBuilder<Veto>();
        count = r.Int();
        for (var i = 0; i < count; i++)
        {
            var veto = new Veto(r.String()!, r.Date()!.Value, r.String()!, r.Bool()) { EndedOn = r.Date(), EndedBy = r.String() };
            vetoFlags[veto] = r.Bool();
            vetoes.Add(veto);
        }
        var memoranda = ImmutableList.CreateBuilder<MemorandumSigned>();
        count = r.Int();
        for (var i = 0; i < count; i++)
        {
            var memorandum = new MemorandumSigned(r.Date()!.Value, r.String()!, r.Strings(), r.String());
            flags[memorandum] = r.Bool();
            memoranda.Add(memorandum);
        }
        var folded = r.Int();
        var version = r.Long();
        var state = AccessionState.Initial with
        {
            Organization = organization,
            Candidate = candidate,
            CountsAt = countsAt,
            Phase = phase,
            Application = applied is { } a ? new ApplicationSubmitted(organization ?? "", candidate ?? "", a, countsAt) : null,
            Invitation = invited is { } on ? new InvitationExtended(on, venue!, []) : null,
            ProtocolSignedOn = signedOn,
            Signature = signature,
            Accession = accession,
            Withdrawal = withdrawn is { } w ? new ApplicationWithdrawn(w, "") : null,
            RequiredRatifiers = required.ToImmutable(),
            Steps = steps,
            Vetoes = vetoes.ToImmutable(),
            Memoranda = memoranda.ToImmutable(),
            Version = version,
        };
        return new Decoded(state, e => e is not null && flags.TryGetValue(e, out var f) && f, v => vetoFlags.TryGetValue(v, out var f) && f, folded);
    }

    private struct Writer(int capacity)
    {
        private byte[] _buffer = new byte[capacity];
        private int _length;

        public readonly byte[] ToArray() => _buffer.AsSpan(0, _length).ToArray();

        public void Byte(byte value) => Take(1)[0] = value;

        public void Bool(bool value) => Byte(value ? (byte)1 : (byte)0);

        // Unsigned LEB128.
        public void Int(int value) => Long((uint)value);

        public void Long(long value)
        {
            var v = (ulong)value;
            while (v >= 0x80)
            {
                Byte((byte)(v | 0x80));
                v >>= 7;
            }
            Byte((byte)v);
        }

        // 0: none; otherwise the day number plus one.
        public void Date(DateOnly? value) => Int(value is { } d ? d.DayNumber + 1 : 0);

        // 0: null; otherwise the UTF-8 length plus one, then the bytes.
        public void String(string? value)
        {
            if (value is null)
            {
                Int(0);
                return;
            }
            var bytes = Encoding.UTF8.GetByteCount(value);
            Int(bytes + 1);
            Encoding.UTF8.GetBytes(value, Take(bytes));
        }

        public void Strings(IReadOnlyList<string> values)
        {
            Int(values.Count);
            foreach (var value in values)
            {
                String(value);
            }
        }

        private Span<byte> Take(int count)
        {
            if (_length + count > _buffer.Length)
            {
                Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + count));
            }
            var span = _buffer.AsSpan(_length, count);
            _length += count;
            return span;
        }
    }

    private ref struct Reader(ReadOnlySpan<byte> data)
    {
        private readonly ReadOnlySpan<byte> _data = data;
        private int _at;

        public byte Byte() => _data[_at++];

        public bool Bool() => Byte() != 0;

        public int Int() => checked((int)Long());

        public long Long()
        {
            ulong value = 0;
            for (var shift = 0; ; shift += 7)
            {
                var b = Byte();
                value |= (ulong)(b & 0x7f) << shift;
                if (b < 0x80)
                {
                    return (long)value;
                }
            }
        }

        public DateOnly? Date() => Int() is var n and > 0 ? DateOnly.FromDayNumber(n - 1) : null;

        public string? String()
        {
            var n = Int();
            if (n == 0)
            {
                return null;
            }
            var value = Encoding.UTF8.GetString(_data.Slice(_at, n - 1));
            _at += n - 1;
            return value;
        }

        public string[] Strings()
        {
            var values = new string[Int()];
            for (var i = 0; i < values.Length; i++)
            {
                values[i] = String()!;
            }
            return values;
        }
    }
}
