using RatificationLedger.Import;
using Mediator;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace RatificationLedger.Recording;

/// <summary>
/// Handles every accession request: records through <see cref="ILedger"/>. The result's notifications are published by
/// <see cref="MediatorNotificationSink"/> after the commit, whoever recorded the change.
/// </summary>
public sealed class AccessionRequestHandler(ILedger recorder) :
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
        return await recorder.RecordAsync(request.Command, request.Provenance, request.ExpectedVersion, ct).ConfigureAwait(false);
    }
}

/// <summary>
/// A ledger notification published through Mediator after the transaction that recorded it committed: handle
/// <c>INotificationHandler&lt;LedgerNotificationPublished&gt;</c> and switch on <see cref="Notification"/>'s type.
/// </summary>
/// <param name="Notification">What changed.</param>
public sealed record LedgerNotificationPublished(LedgerNotification Notification) : INotification;

/// <summary>Publishes every ledger notification through Mediator as <see cref="LedgerNotificationPublished"/>.</summary>
public sealed class MediatorNotificationSink(IPublisher publisher) : ILedgerNotificationSink
{
    /// <inheritdoc />
    public async ValueTask PublishAsync(LedgerNotification notification, CancellationToken ct) =>
        await publisher.Publish(new LedgerNotificationPublished(notification), ct).ConfigureAwait(false);
}

/// <summary>Wires the ledger's notifications into Mediator.</summary>
public static class LedgerMediatorServiceCollectionExtensions
{
    /// <summary>
    /// Publishes the ledger's notifications through the app's Mediator (<see cref="LedgerNotificationPublished"/>).
    /// The app still calls <c>services.AddMediator(o =&gt; o.Assemblies = [typeof(AccessionRequestHandler), ...])</c>.
    /// </summary>
    /// <param name="services">The app's services.</param>
    public static IServiceCollection AddRatificationLedgerMediator(this IServiceCollection services)
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ILedgerNotificationSink, MediatorNotificationSink>());
        return services;
    }
}
