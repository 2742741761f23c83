// The consumer app of build/package-smoke.sh, copied into a fresh project outside the repository that references the
// packed packages only (no Mediator). Expected values come from the facts: Finland on 2022-09-30 had 28 of its 30
// ratifications counted (Hungary and Türkiye holding); Sweden joined on 2024-03-07 after 31.
using RatificationLedger.Import;
using RatificationLedger.Projections;
using RatificationLedger.Recording;
using RatificationLedger.Testing;
using Marten;
using Microsoft.Extensions.DependencyInjection;

var (connection, server) = await LocalPostgres.FromEnvironmentOrStartAsync();
try
{
    var services = new ServiceCollection();
    // The app's own store: Guid-keyed streams, Marten's defaults, its own schema.
    services.AddMarten(o =>
    {
        o.Connection(connection);
        o.DatabaseSchemaName = "smoke_app";
    });
    // The ledger on a store of its own, in the same database.
    services.AddRatificationLedger(connection, ledger =>
    {
        ledger.Schema = "smoke_ledger";
        ledger.DefaultRecordedBy = "package-smoke";
        ledger.AddReadModels();
    });
    await using var provider = services.BuildServiceProvider();

    var ledger = provider.GetRequiredService<ILedger>();
    var import = await ledger.ImportAsync(HistoryFile.Load(args[0]));
    Check(import.Succeeded, $"the import stopped: {import.Failure?.Message}");

    var queries = provider.GetRequiredService<ILedgerQueries>();
    var finland = await queries.StatusAsync("nato/fin", asOf: new DateOnly(2022, 9, 30));
    Check(finland is { RequiredRatifiers.Count: 30, Counted.Count: 28 },
        $"Finland on 2022-09-30: {finland?.Counted.Count} of {finland?.RequiredRatifiers.Count} counted, expected 28 of 30");
    var sweden = await queries.StatusAsync("nato/swe");
    Check(sweden is { Stage: Stage.Member, RequiredRatifiers.Count: 31 } && sweden.AccededOn == new DateOnly(2024, 3, 7),
        $"Sweden: stage {sweden?.Stage}, {sweden?.RequiredRatifiers.Count} ratifiers, acceded {sweden?.AccededOn}; expected a member on 2024-03-07 after 31");

    var store = provider.GetRequiredService<IDocumentStore>();
    var id = Guid.NewGuid();
    await using (var session = store.LightweightSession())
    {
        session.Events.StartStream(id, new Counted(2), new Counted(40));
        await session.SaveChangesAsync();
    }
    await using (var query = store.QuerySession())
    {
        var events = await query.Events.FetchStreamAsync(id);
        Check(events.Count == 2 && events.Sum(e => ((Counted)e.Data).By) == 42, "the app's own Guid-keyed stream does not read back");
    }
    Check(!AppDomain.CurrentDomain.GetAssemblies().Any(a => a.GetName().Name!.StartsWith("Mediator", StringComparison.Ordinal)),
        "a Mediator assembly was loaded");
    Console.WriteLine($"package-smoke app: imported {import.Recorded} entries; Finland on 2022-09-30 {finland!.Counted.Count} of "
        + $"{finland.RequiredRatifiers.Count} counted; Sweden a member on {sweden!.AccededOn:yyyy-MM-dd}; the app's own stream intact");
}
finally
{
    if (server is not null)
    {
        await server.DisposeAsync();
    }
}

static void Check(bool ok, string what)
{
    if (!ok)
    {
        throw new InvalidOperationException("package-smoke app: " + what);
    }
}

internal sealed record Counted(int By);
