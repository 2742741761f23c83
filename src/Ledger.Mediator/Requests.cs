using RatificationLedger.Domain;
using Mediator;

namespace RatificationLedger.Recording;

// One Mediator request per command (Mediator's source generator does not take generic requests). Each carries the
// command, optional provenance (source, note, command id, who, correlation) and an optional expected stream version.

/// <summary>A request that records one accession command.</summary>
public interface IAccessionRequest : IRequest<RecordResult>
{
    /// <summary>The command to decide and record.</summary>
    AccessionCommand Command { get; }

    /// <summary>Who records it, from which source, under which command id.</summary>
    Provenance? Provenance { get; }

    /// <summary>The stream version the caller decided on; null to let the ledger retry on fresh state.</summary>
    long? ExpectedVersion { get; }
}

/// <summary>Records <see cref="SubmitApplication"/>.</summary>
public sealed record SubmitApplicationRequest(SubmitApplication Command, Provenance? Provenance = null, long? ExpectedVersion = null) : IAccessionRequest
{ AccessionCommand IAccessionRequest.Command => Command; }

/// <summary>Records <see cref="ExtendInvitation"/>.</summary>
public sealed record ExtendInvitationRequest(ExtendInvitation Command, Provenance? Provenance = null, long? ExpectedVersion = null) : IAccessionRequest
{ AccessionCommand IAccessionRequest.Command => Command; }

/// <summary>Records <see cref="SignAccessionProtocol"/>.</summary>
public sealed record SignAccessionProtocolRequest(SignAccessionProtocol Command, Provenance? Provenance = null, long? ExpectedVersion = null) : IAccessionRequest
{ AccessionCommand IAccessionRequest.Command => Command; }

/// <summary>Records <see cref="SignMemorandum"/>.</summary>
public sealed record SignMemorandumRequest(SignMemorandum Command, Provenance? Provenance = null, long? ExpectedVersion = null) : IAccessionRequest
{ AccessionCommand IAccessionRequest.Command => Command; }

/// <summary>Records <see cref="RecordParliamentVote"/>.</summary>
public sealed record RecordParliamentVoteRequest(RecordParliamentVote Command, Provenance? Provenance = null, long? ExpectedVersion = null) : IAccessionRequest
{ AccessionCommand IAccessionRequest.Command => Command; }

/// <summary>Records <see cref="ApproveRatification"/>.</summary>
public sealed record ApproveRatificationRequest(ApproveRatification Command, Provenance? Provenance = null, long? ExpectedVersion = null) : IAccessionRequest
{ AccessionCommand IAccessionRequest.Command => Command; }

/// <summary>Records <see cref="DepositInstrument"/>.</summary>
public sealed record DepositInstrumentRequest(DepositInstrument Command, Provenance? Provenance = null, long? ExpectedVersion = null) : IAccessionRequest
{ AccessionCommand IAccessionRequest.Command => Command; }

/// <summary>Records <see cref="DeclareVeto"/>.</summary>
public sealed record DeclareVetoRequest(DeclareVeto Command, Provenance? Provenance = null, long? ExpectedVersion = null) : IAccessionRequest
{ AccessionCommand IAccessionRequest.Command => Command; }

/// <summary>Records <see cref="LiftVeto"/>.</summary>
public sealed record LiftVetoRequest(LiftVeto Command, Provenance? Provenance = null, long? ExpectedVersion = null) : IAccessionRequest
{ AccessionCommand IAccessionRequest.Command => Command; }

/// <summary>Records <see cref="AddRatifier"/>.</summary>
public sealed record AddRatifierRequest(AddRatifier Command, Provenance? Provenance = null, long? ExpectedVersion = null) : IAccessionRequest
{ AccessionCommand IAccessionRequest.Command => Command; }

/// <summary>Records <see cref="CompleteAccession"/>.</summary>
public sealed record CompleteAccessionRequest(CompleteAccession Command, Provenance? Provenance = null, long? ExpectedVersion = null) : IAccessionRequest
{ AccessionCommand IAccessionRequest.Command => Command; }

/// <summary>Records <see cref="WithdrawApplication"/>.</summary>
public sealed record WithdrawApplicationRequest(WithdrawApplication Command, Provenance? Provenance = null, long? ExpectedVersion = null) : IAccessionRequest
{ AccessionCommand IAccessionRequest.Command => Command; }

/// <summary>Records <see cref="RetractEntry"/>.</summary>
public sealed record RetractEntryRequest(RetractEntry Command, Provenance? Provenance = null, long? ExpectedVersion = null) : IAccessionRequest
{ AccessionCommand IAccessionRequest.Command => Command; }

/// <summary>Registers an organization (or adds roster members it lacks).</summary>
public sealed record RegisterOrganizationRequest(Organization Organization, Provenance? Provenance = null) : IRequest<RecordResult>;

/// <summary>Builds the request for any accession command.</summary>
public static class AccessionRequest
{
    /// <summary>The Mediator request that records <paramref name="command"/>.</summary>
    public static IAccessionRequest For(AccessionCommand command, Provenance? provenance = null, long? expectedVersion = null) => command switch
    {
        SubmitApplication c => new SubmitApplicationRequest(c, provenance, expectedVersion),
        ExtendInvitation c => new ExtendInvitationRequest(c, provenance, expectedVersion),
        SignAccessionProtocol c => new SignAccessionProtocolRequest(c, provenance, expectedVersion),
        SignMemorandum c => new SignMemorandumRequest(c, provenance, expectedVersion),
        RecordParliamentVote c => new RecordParliamentVoteRequest(c, provenance, expectedVersion),
        ApproveRatification c => new ApproveRatificationRequest(c, provenance, expectedVersion),
        DepositInstrument c => new DepositInstrumentRequest(c, provenance, expectedVersion),
        DeclareVeto c => new DeclareVetoRequest(c, provenance, expectedVersion),
        LiftVeto c => new LiftVetoRequest(c, provenance, expectedVersion),
        AddRatifier c => new AddRatifierRequest(c, provenance, expectedVersion),
        CompleteAccession c => new CompleteAccessionRequest(c, provenance, expectedVersion),
        WithdrawApplication c => new WithdrawApplicationRequest(c, provenance, expectedVersion),
        RetractEntry c => new RetractEntryRequest(c, provenance, expectedVersion),
        null => throw new ArgumentNullException(nameof(command)),
        _ => throw new ArgumentException($"{command.GetType().Name} has no request.", nameof(command)),
    };
}
