using System.Collections.Concurrent;
using System.Threading.Channels;
using Npgsql;

namespace RatificationLedger.Projections.Rebuilding;

/// <summary>The member records' rows: written once every stream is folded, sent in the swap.</summary>
internal sealed partial class ReadModelRebuild
{
    // Member records as COPY rows, written on another core a few megabytes ahead of the swap that sends them (the
    // records are ordered and their means computed first: Finish). Stopped and started again when the swap changes
    // the records (streams written since the scan) or is retried.
    private sealed class MemberRows(DocumentTable<MemberRecord> table, MemberRecordsBuilder members)
    {
        private const int Ahead = 4;

        private readonly ConcurrentBag<CopyRows> _buffers = [];
        private Channel<CopyRows>? _rows;
        private CancellationTokenSource? _stop;
        private Task? _writing;

        public MemberRecordsBuilder Members => members;

        public void Start()
        {
            var rows = _rows = Channel.CreateBounded<CopyRows>(new BoundedChannelOptions(Ahead) { SingleReader = true, SingleWriter = true });
            var stop = _stop = new CancellationTokenSource();
            _writing = Task.Run(() => WriteAsync(rows.Writer, stop.Token), CancellationToken.None);
        }

        private async Task WriteAsync(ChannelWriter<CopyRows> output, CancellationToken ct)
        {
            try
            {
                members.Finish();
                var rows = Buffer(_buffers);
                foreach (var record in members.Records)
                {
                    table.Write(rows, record.Id, record);
                    if (rows.Length >= FlushBytes)
                    {
                        await output.WriteAsync(rows, ct).ConfigureAwait(false);
                        rows = Buffer(_buffers);
                    }
                }
                if (rows.Count > 0)
                {
                    await output.WriteAsync(rows, ct).ConfigureAwait(false);
                }
                output.Complete();
            }
            catch (Exception e)
            {
                // Reported to the reader (the swap) by the channel.
                output.TryComplete(e);
            }
        }

        /// <summary>Sends every record's row with COPY into <paramref name="connection"/>'s member table, as they are written.</summary>
        public async Task CopyAsync(NpgsqlConnection connection, CancellationToken ct)
        {
            await foreach (var rows in _rows!.Reader.ReadAllAsync(ct).ConfigureAwait(false))
            {
                await ReadModelRebuild.CopyAsync(connection, table.Table, table.Columns, rows, ct).ConfigureAwait(false);
                rows.Clear();
                _buffers.Add(rows);
            }
        }

        /// <summary>Stops the writing (the records can be changed then).</summary>
        public async Task StopAsync()
        {
            if (_writing is null || _stop is null)
            {
                return;
            }
            await _stop.CancelAsync().ConfigureAwait(false);
            await _writing.ConfigureAwait(false);
            _stop.Dispose();
            (_writing, _stop, _rows) = (null, null, null);
        }
    }
}
