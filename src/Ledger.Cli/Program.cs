using RatificationLedger.Cli;

// Ctrl+C: the first one asks the command to stop cleanly (an import after the batch being written); a second one ends
// the process at once.
using var interrupt = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    if (!interrupt.IsCancellationRequested)
    {
        e.Cancel = true;
        interrupt.Cancel();
    }
};
return await LedgerCli.RunAsync(args, Console.Out, Console.Error, interrupt.Token);
