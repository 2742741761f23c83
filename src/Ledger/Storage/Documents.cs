using JasperFx.Events;
using RatificationLedger.Domain;
using Marten.Events.Aggregation;

namespace RatificationLedger.Storage;

/// <summary>
/// The write side's view of one process stream: the decider's <see cref="AccessionState"/>, aggregated live
/// (never stored) by <see cref="AccessionStreamProjection"/> for apps that call AggregateStreamAsync or FetchForWriting on a process.
/// </summary>
public sealed class AccessionStream
{
    /// <summary>The stream key, e.g. <c>nato/swe</c>.</summary>
    public string Id { get; set; } = "";

    /// <summary>The state folded from every entry of the stream with <see cref="AccessionState.Evolve(AccessionState, long, object)"/>.</summary>
    public AccessionState State { get; set; } = AccessionState.Initial;
}

/// <summary>Live aggregation of a process stream into the decider's state, numbering entries by stream version.</summary>
public sealed class AccessionStreamProjection : SingleStreamProjection<AccessionStream, string>
{
    /// <inheritdoc />
    public override AccessionStream Evolve(AccessionStream? snapshot, string id, IEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        var stream = snapshot ?? new AccessionStream { Id = id };
        stream.State = AccessionState.Evolve(stream.State, e.Version, e.Data);
        return stream;
    }
}

/// <summary>
/// An organization as its stream (<c>nato</c>) records it: its policy and its roster with join dates. Kept inline,
/// in the same transaction as the events, so every process command reads it with one load.
/// </summary>
public sealed class OrganizationView
{
    /// <summary>The organization's stream key (its code in lower case).</summary>
    public string Id { get; set; } = "";

    /// <summary>The organization folded with <see cref="OrganizationDecider.Evolve"/>.</summary>
    public Organization Organization { get; set; } = null!;
}

/// <summary>Inline projection of organization streams into <see cref="OrganizationView"/>.</summary>
public sealed class OrganizationProjection : SingleStreamProjection<OrganizationView, string>
{
    /// <summary>Starts the view from the registration.</summary>
    public static OrganizationView Create(IEvent<OrganizationRegistered> e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return new OrganizationView { Id = e.StreamKey!, Organization = OrganizationDecider.Evolve(null, e.Data)! };
    }

    /// <summary>Adds an admitted member to the roster.</summary>
    public static OrganizationView Apply(MemberAdmitted e, OrganizationView view)
    {
        ArgumentNullException.ThrowIfNull(view);
        view.Organization = OrganizationDecider.Evolve(view.Organization, e)!;
        return view;
    }
}

/// <summary>
/// One row per process: its organization, candidate and phase, written by the recorder in the same transaction as the
/// process's events that change them (from the state the decider produced). It answers "which processes of NATO are open" for the
/// early-approval rule and the cross-process reaction.
/// </summary>
public sealed class ProcessEntry
{
    /// <summary>The stream key, e.g. <c>nato/fin</c>.</summary>
    public string Id { get; set; } = "";

    /// <summary>The organization's code, e.g. <c>NATO</c>.</summary>
    public string Organization { get; set; } = "";

    /// <summary>The candidate's ISO 3166-1 alpha-3 code.</summary>
    public string Candidate { get; set; } = "";

    /// <summary>The process's phase after its latest entry.</summary>
    public ProcessPhase Phase { get; set; }

    /// <summary>When the process opened in the world.</summary>
    public DateOnly? OpenedOn { get; set; }

    internal static ProcessEntry From(string id, AccessionState state) => new()
    {
        Id = id,
        Organization = state.Organization ?? "",
        Candidate = state.Candidate ?? "",
        Phase = state.Phase,
        OpenedOn = state.OpenedOn,
    };

    // Written only when one of these changes (opening, invitation, accession, withdrawal), not on every entry.
    internal static bool Differs(AccessionState before, AccessionState after) =>
        before.Version == 0 || (before.Organization, before.Candidate, before.Phase, before.OpenedOn) != (after.Organization, after.Candidate, after.Phase, after.OpenedOn);
}

/// <summary>
/// The idempotency record of a command that recorded something under a command id its sender chose, inserted in the same
/// transaction as its events and keyed by the command id. A resend finds it and gets the first answer; a different
/// command under the same id is refused. A derived id (command name and content hash) needs none: the events it recorded
/// carry it in their <c>command-id</c> header, on the stream it names.
/// </summary>
public sealed class CommandReceipt
{
    /// <summary>The command id.</summary>
    public string Id { get; set; } = "";

    /// <summary>The stream the command wrote to.</summary>
    public string Stream { get; set; } = "";

    /// <summary>The command's stored type name, e.g. <c>approve_ratification</c>.</summary>
    public string Command { get; set; } = "";

    /// <summary>SHA-256 of the command's canonical JSON.</summary>
    public string ContentHash { get; set; } = "";

    /// <summary>The first stream version the command wrote.</summary>
    public long FirstVersion { get; set; }

    /// <summary>The last stream version the command wrote.</summary>
    public long LastVersion { get; set; }

    /// <summary>When the command was recorded.</summary>
    public DateTimeOffset RecordedAt { get; set; }
}
