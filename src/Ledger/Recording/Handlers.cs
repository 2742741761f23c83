using Ledger.Domain;
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

/// <summary>
/// The cross-process rule: when a candidate accedes and its organization's policy says new members ratify open
/// processes, every other invited, open process of that organization gets <see cref="RatifierAdded"/> for it. The
/// command ids are derived from (process, member), so a notification delivered twice adds nothing the second time.
/// </summary>
public sealed class NewMemberRatifiesOpenProcesses(LedgerRecorder recorder, ISender sender) : INotificationHandler<AccessionCompletedNotification>
{
    /// <inheritdoc />
    public async ValueTask Handle(AccessionCompletedNotification notification, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(notification);
        var organization = await recorder.LoadOrganizationAsync(notification.Organization, cancellationToken).ConfigureAwait(false);
        if (organization is not { NewMembersRatifyOpenProcesses: true })
        {
            return;
        }
        var processes = await recorder.ListProcessesAsync(notification.Organization, cancellationToken).ConfigureAwait(false);
        foreach (var process in processes.Where(p => p.Phase == ProcessPhase.Invited && p.Id != notification.Process))
        {
            var command = new AddRatifier(process.Id, notification.Candidate, notification.On,
                $"joined {notification.Organization} on {notification.On:yyyy-MM-dd} ({notification.Process})");
            var provenance = new Provenance(
                Note: $"added by the ledger: {notification.Organization} policy makes new members ratify open processes",
                CommandId: $"new-member-ratifies:{process.Id}:{notification.Candidate}",
                CausationId: notification.Process);
            var result = await sender.Send(new AddRatifierRequest(command, provenance), cancellationToken).ConfigureAwait(false);
            if (result.Rejection?.Code == RuleCodes.ProcessClosed)
            {
                // It acceded or withdrew after the list was read: a closed process takes no new ratifiers.
                continue;
            }
            if (result.Outcome is RecordOutcome.Rejected or RecordOutcome.Conflict)
            {
                throw new InvalidOperationException($"Adding {notification.Candidate} as a required ratifier of {process.Id} after its accession failed: {result}");
            }
        }
    }
}
