using System.Collections.Immutable;
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
internal static partial class StatusSnapshot
{
    private const byte Format = 1;

    // Dates are written as days from 2010-01-01.
    private static readonly int Epoch = new DateOnly(2010, 1, 1).DayNumber;

    private static uint Zigzag(int value) => (uint)((value << 1) ^ (value >> 31));

    /// <summary>
    /// The snapshot of <paramref name="s"/>: <paramref name="unconfirmed"/> says whether an event of the state was
    /// recorded unconfirmed, <paramref name="vetoUnconfirmed"/> whether each veto's declaration was;
    /// <paramref name="folded"/> and <paramref name="version"/> are the status's <c>Entries</c> and <c>Version</c>.
    /// <paramref name="ratifiers"/>: the encoded required ratifiers, kept by a caller that encodes state after state
    /// (told of every step folded), or null to encode them here.
    /// </summary>
    public static byte[] Encode(AccessionState s, Func<object?, bool> unconfirmed, Func<Veto, bool> vetoUnconfirmed, int folded, long version, Ratifiers? ratifiers = null)
    {
        var required = (ratifiers ?? new Ratifiers(unconfirmed)).Encoded(s);
        var w = new Writer(t_buffer ??= new byte[1024]);
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
        w.Bytes(required);
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
        t_buffer = w.Buffer;
        return w.ToArray();
    }

    /// <summary>
    /// The required ratifiers of state after state, with their approvals and deposits, encoded: one part per ratifier
    /// (its code, the date it became one, one byte of flags: approval, its being unconfirmed, deposit, its being
    /// unconfirmed; then the two dates), each made again only when that ratifier's approval or deposit changes, all of
    /// them when the ratifiers change. The parts and their joined form live in two arrays kept for the whole fold (an
    /// index of a million entries encodes about 660,000 answers: an array per part and per answer was about 0.45 of the
    /// 7.1 GB a million-entry import allocated).
    /// </summary>
    public sealed class Ratifiers(Func<object?, bool> unconfirmed)
    {
        // Where each ratifier's current part is in _parts (a part made again is appended; the array is started over
        // when the ratifiers change, and when it has grown past PartsKept bytes: a part is about 10 bytes).
        private const int PartsKept = 8192;
        // The ratifiers in their order (the dictionary's, taken once when they change: enumerating an immutable sorted
        // dictionary rents a stack and walks the tree, about 7 % of a rebuild's fold in a sampled profile), each
        // one's position, and where each one's current part is in _parts.
        private string[] _order = [];
        private DateOnly[] _since = [];
        private readonly Dictionary<string, int> _position = new(StringComparer.Ordinal);
        private (int At, int Length)[] _at = [];
        private byte[] _parts = new byte[256];
        private int _partsLength;
        private ImmutableSortedDictionary<string, DateOnly>? _required;
        private byte[] _encoded = new byte[256];
        private int _encodedLength = -1;

        /// <summary>Follows a step folded into <paramref name="s"/> (the state after it).</summary>
        public void Folded(AccessionState s, object @event)
        {
            if (!ReferenceEquals(_required, s.RequiredRatifiers))
            {
                All(s);
            }
            else if (@event is RatificationApproved or InstrumentDeposited && Consequences.MemberOf(@event) is { } member
                && s.RequiredRatifiers.TryGetValue(member, out var since))
            {
                if (_partsLength > PartsKept)
                {
                    // Mostly superseded parts by now: start over from the state.
                    All(s);
                    return;
                }
                _at[_position[member]] = Part(s, member, since);
                _encodedLength = -1;
            }
        }

        /// <summary>The parts of the state last folded, in the ratifiers' order (valid until the next step is folded).</summary>
        public ReadOnlySpan<byte> Encoded(AccessionState s)
        {
            if (_encodedLength < 0 || !ReferenceEquals(_required, s.RequiredRatifiers))
            {
                if (!ReferenceEquals(_required, s.RequiredRatifiers))
                {
                    All(s);
                }
                var w = new Writer(_encoded);
                w.Int(_order.Length);
                foreach (var (at, length) in _at)
                {
                    w.Bytes(_parts.AsSpan(at, length));
                }
                _encoded = w.Buffer;
                _encodedLength = w.Length;
            }
            return _encoded.AsSpan(0, _encodedLength);
        }

        private void All(AccessionState s)
        {
            // The same ratifiers (the parts started over past PartsKept) keep their order and positions.
            if (!ReferenceEquals(_required, s.RequiredRatifiers))
            {
                var count = s.RequiredRatifiers.Count;
                if (_order.Length != count)
                {
                    _order = new string[count];
                    _since = new DateOnly[count];
                    _at = new (int, int)[count];
                }
                _position.Clear();
                var i = 0;
                foreach (var (member, since) in s.RequiredRatifiers)
                {
                    _order[i] = member;
                    _since[i] = since;
                    _position[member] = i++;
                }
            }
            _required = s.RequiredRatifiers;
            _partsLength = 0;
            for (var i = 0; i < _order.Length; i++)
            {
                _at[i] = Part(s, _order[i], _since[i]);
            }
            _encodedLength = -1;
        }

        private (int At, int Length) Part(AccessionState s, string member, DateOnly since)
        {
            var at = _partsLength;
            var w = new Writer(_parts, at);
            w.String(member);
            w.Date(since);
            var steps = s.Steps.TryGetValue(member, out var found) ? found : null;
            var approval = steps?.Approval;
            var deposit = steps?.Deposit;
            w.Byte((byte)((approval is null ? 0 : 1) | (approval is not null && unconfirmed(approval) ? 2 : 0)
                | (deposit is null ? 0 : 4) | (deposit is not null && unconfirmed(deposit) ? 8 : 0)));
            if (approval is not null)
            {
                w.Date(approval.On);
            }
            if (deposit is not null)
            {
                w.Date(deposit.On);
            }
            _parts = w.Buffer;
            _partsLength = w.Length;
            return (at, _partsLength - at);
        }
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
            var stepFlags = r.Byte();
            RatificationApproved? approval = null;
            InstrumentDeposited? deposit = null;
            if ((stepFlags & 1) != 0)
            {
                approval = new RatificationApproved(member, r.Date()!.Value, null);
                flags[approval] = (stepFlags & 2) != 0;
            }
            if ((stepFlags & 4) != 0)
            {
                deposit = new InstrumentDeposited(member, r.Date()!.Value, "");
                flags[deposit] = (stepFlags & 8) != 0;
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
}
