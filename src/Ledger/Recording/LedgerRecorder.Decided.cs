using JasperFx.Events;
using RatificationLedger.Domain;
using RatificationLedger.Storage;
using Marten;

namespace RatificationLedger.Recording;

// What a batch decision holds between the decide step and the write.
public sealed partial class LedgerRecorder
{
    // One stream as a transaction changes it: the state it was read at, the events staged for it, the state after them.
    private sealed class StreamChange(AccessionState read, Guid lastEventId, IReadOnlyDictionary<string, CommandEntries> commands)
    {
        // The cache's (or the previous batch's) command ids until this change records one: then its own on top of them.
        private CommandIds? _ownCommands;

        public AccessionState Read { get; } = read;

        /// <summary>The command ids the stream's events carry, with the entries each recorded.</summary>
        public IReadOnlyDictionary<string, CommandEntries> Commands => _ownCommands ?? commands;

        public void Recorded(string commandId, CommandEntries entries) => (_ownCommands ??= new CommandIds(commands)).Set(commandId, entries);

        public AccessionState Current { get; set; } = read;
        public Guid LastEventId { get; set; } = lastEventId;
        public List<IEvent> Staged { get; } = [];
    }

    // A stream's command ids as a change leaves them: the ids it recorded over the ids it was read with (the cache's or
    // the batch before's, never changed), so that a batch recording one id on a stream does not copy every id the stream
    // holds (an import's batch touches every process). Layers deeper than a few are merged into one.
    private sealed class CommandIds : IReadOnlyDictionary<string, CommandEntries>
    {
        private const int MaxDepth = 8;
        private readonly IReadOnlyDictionary<string, CommandEntries> _below;
        private readonly Dictionary<string, CommandEntries> _own = new(StringComparer.Ordinal);
        private readonly int _depth;

        public CommandIds(IReadOnlyDictionary<string, CommandEntries> below)
        {
            if (below is CommandIds layered && layered._depth >= MaxDepth)
            {
                below = new Dictionary<string, CommandEntries>(layered, StringComparer.Ordinal);
            }
            _depth = below is CommandIds under ? under._depth + 1 : 1;
            _below = below;
        }

        public void Set(string commandId, CommandEntries entries) => _own[commandId] = entries;

        public bool TryGetValue(string key, out CommandEntries value) => _own.TryGetValue(key, out value) || _below.TryGetValue(key, out value);

        public bool ContainsKey(string key) => _own.ContainsKey(key) || _below.ContainsKey(key);

        public CommandEntries this[string key] => TryGetValue(key, out var value) ? value : throw new KeyNotFoundException($"No command id '{key}' on the stream.");

        public int Count
        {
            get
            {
                var count = _below.Count;
                foreach (var id in _own.Keys)
                {
                    if (!_below.ContainsKey(id))
                    {
                        count++;
                    }
                }
                return count;
            }
        }

        public IEnumerable<string> Keys => this.Select(p => p.Key);

        public IEnumerable<CommandEntries> Values => this.Select(p => p.Value);

        public IEnumerator<KeyValuePair<string, CommandEntries>> GetEnumerator()
        {
            foreach (var pair in _own)
            {
                yield return pair;
            }
            foreach (var pair in _below)
            {
                if (!_own.ContainsKey(pair.Key))
                {
                    yield return pair;
                }
            }
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }

    // A batch decided and not yet written: the session it was read in (which writes it), the answers, each stream's
    // change, the receipts known, and the organization and open processes as the batch leaves them (an import decides
    // its next batch on these while this one is written).
    private sealed class Decided(IDocumentSession session, IReadOnlyList<Item> items, List<RecordResult> results, Provenance provenance)
    {
        public IDocumentSession Session { get; } = session;
        public IReadOnlyList<Item> Items { get; } = items;
        public List<RecordResult> Results { get; } = results;
        public Provenance Provenance { get; } = provenance;
        public Dictionary<string, StreamChange> Streams { get; init; } = new(StringComparer.Ordinal);
        public Dictionary<string, CommandReceipt> Receipts { get; init; } = new(StringComparer.Ordinal);
        public List<CommandReceipt> NewReceipts { get; } = [];
        public Organization Organization { get; set; } = null!;

        // The organization's stream: the version the decision read it at (or the batch before it left it), locked in
        // this session when the batch decided an invitation or accession first, and the events this batch appends to it.
        public long OrganizationVersion { get; init; }
        public IEventStream<OrganizationView>? OrganizationStream { get; init; }
        public List<IEvent> OrganizationEvents { get; } = [];

        // An invitation or accession was decided on the organization as read: the write checks it has not moved.
        public bool GuardsOrganization { get; set; }

        // The processes invited before the batch, as its accessions' rule read them (once per decision). A batch decided
        // ahead, without the organization's turn, checks them again when it writes (CheckInvitedAsync).
        public HashSet<string>? InvitedBefore { get; set; }
        public OpenCandidacies? Open { get; set; }

        // A dry run's carried state: Streams holds every stream the run has decided so far (nothing of it is written, so
        // none of it can be read back), and the next batch's decision starts from all of them.
        public bool CarriesAll { get; init; }

        // Something to write.
        public bool Written { get; set; }

        // The batch stopped where what follows must wait for it to be written and answered: a refusal or a conflict.
        public bool Pauses { get; set; }

        // For the bulk write, when encoded as the batch was decided: the streams appended to and their rows.
        public List<BulkAppender.StreamAppend>? Appends { get; set; }
        public EventRows? Rows { get; set; }
    }
}
