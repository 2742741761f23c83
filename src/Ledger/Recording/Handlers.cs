using Mediator;

namespace Ledger.Recording;

/// <summary>
/// Handles every accession request: records through <see cref="LedgerRecorder"/>, then publishes the result's
/// notifications (after the commit).
/// </summary>
public sealed class AccessionRequestHandler(LedgerRecorder recorder, IPublisher publisher) :
    IRequestHandler<SubmitApplicationRequest, RecordResult>,
    IRequestHandler<ExtendInvitationRequest, RecordResult>,
    IRequestHandler<SignAccessionProtocolRequest, RecordResult>,
    IRequestHandler<SignMemorandumRequest, RecordResult>,
    IRequestHandler<RecordParliamentVoteRequest, RecordResult>,
    IRequestHandler<ApproveRatificationRequest, RecordResult>,
    IRequestHandler<DepositInstrumentRequest, RecordResult>,
    IRequestHandler<DeclareVetoRequest, RecordResult>,
    IRequestHandler<LiftVetoRequest, RecordResult>,
    IRequestHandler<AddRatifierRequest, RecordResult>,
    IRequestHandler<CompleteAccessionRequest, RecordResult>,
    IRequestHandler<WithdrawApplicationRequest, RecordResult>,
    IRequestHandler<RetractEntryRequest, RecordResult>,
    IRequestHandler<RegisterOrganizationRequest, RecordResult>
{
    /// <inheritdoc />
    public ValueTask<RecordResult> Handle(SubmitApplicationRequest request, CancellationToken cancellationToken) => Record(request, cancellationToken);

    /// <inheritdoc />
    public ValueTask<RecordResult> Handle(ExtendInvitationRequest request, CancellationToken cancellationToken) => Record(request, cancellationToken);

    /// <inheritdoc />
    public ValueTask<RecordResult> Handle(SignAccessionProtocolRequest request, CancellationToken cancellationToken) => Record(request, cancellationToken);

    /// <inheritdoc />
    public ValueTask<RecordResult> Handle(SignMemorandumRequest request, CancellationToken cancellationToken) => Record(request, cancellationToken);

    /// <inheritdoc />
    public ValueTask<RecordResult> Handle(RecordParliamentVoteRequest request, CancellationToken cancellationToken) => Record(request, cancellationToken);

    /// <inheritdoc />
    public ValueTask<RecordResult> Handle(ApproveRatificationRequest request, CancellationToken cancellationToken) => Record(request, cancellationToken);

    /// <inheritdoc />
    public ValueTask<RecordResult> Handle(DepositInstrumentRequest request, CancellationToken cancellationToken) => Record(request, cancellationToken);

    /// <inheritdoc />
    public ValueTask<RecordResult> Handle(DeclareVetoRequest request, CancellationToken cancellationToken) => Record(request, cancellationToken);

    /// <inheritdoc />
    public ValueTask<RecordResult> Handle(LiftVetoRequest request, CancellationToken cancellationToken) => Record(request, cancellationToken);

    /// <inheritdoc />
    public ValueTask<RecordResult> Handle(AddRatifierRequest request, CancellationToken cancellationToken) => Record(request, cancellationToken);

    /// <inheritdoc />
    public ValueTask<RecordResult> Handle(CompleteAccessionRequest request, CancellationToken cancellationToken) => Record(request, cancellationToken);

    /// <inheritdoc />
    public ValueTask<RecordResult> Handle(WithdrawApplicationRequest request, CancellationToken cancellationToken) => Record(request, cancellationToken);

    /// <inheritdoc />
    public ValueTask<RecordResult> Handle(RetractEntryRequest request, CancellationToken cancellationToken) => Record(request, cancellationToken);

    /// <inheritdoc />
    public async ValueTask<RecordResult> Handle(RegisterOrganizationRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        return await recorder.RegisterOrganizationAsync(request.Organization, request.Provenance, cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask<RecordResult> Record(IAccessionRequest request, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        var result = await recorder.RecordAsync(request.Command, request.Provenance, request.ExpectedVersion, ct).ConfigureAwait(false);
        foreach (var notification in result.Notifications)
        {
            await publisher.Publish(notification, ct).ConfigureAwait(false);
        }
        return result;
    }
}
