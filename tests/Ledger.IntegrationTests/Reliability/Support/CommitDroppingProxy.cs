using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Npgsql;

namespace RatificationLedger.IntegrationTests.Reliability.Support;

/// <summary>
/// A TCP proxy in front of PostgreSQL that, when armed, cuts the connection at the worst moment: the server has
/// committed the transaction and sent <c>CommandComplete COMMIT</c>, and the proxy closes both sides instead of passing
/// that answer on. The client sees a broken connection for a transaction that is durable: a lost acknowledgement,
/// exactly as a network failure after the commit produces it. Only commits that record a ledger command (their
/// transaction appends events) are dropped, so the async daemon's own commits never take the shot.
/// </summary>
public sealed class CommitDroppingProxy : IAsyncDisposable
{
    private static readonly byte[] CommitTag = Encoding.ASCII.GetBytes("COMMIT\0");
    private static readonly byte[] RollbackTag = Encoding.ASCII.GetBytes("ROLLBACK\0");
    // Marten's quick append (single commands) and the import's COPY into the event table.
    private static readonly byte[] QuickAppend = Encoding.ASCII.GetBytes("mt_quick_append_events");
    private static readonly byte[] CopyEvents = Encoding.ASCII.GetBytes(".mt_events (seq_id");
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly int _targetPort;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private int _armed;
    private int _dropped;

    public CommitDroppingProxy(int targetPort)
    {
        _targetPort = targetPort;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Commits whose acknowledgement was dropped so far.</summary>
    public int Dropped => Volatile.Read(ref _dropped);

    /// <summary>Drops the acknowledgement of the next <paramref name="commits"/> commits (on any connection).</summary>
    public void Arm(int commits = 1) => Volatile.Write(ref _armed, commits);

    /// <summary>
    /// <paramref name="connectionString"/> pointed at the proxy, without TLS or GSS negotiation so the server's replies
    /// are plain protocol messages from the first byte.
    /// </summary>
    public string Route(string connectionString) => new NpgsqlConnectionStringBuilder(connectionString)
    {
        Host = "127.0.0.1",
        Port = Port,
        SslMode = SslMode.Disable,
        GssEncryptionMode = GssEncryptionMode.Disable,
    }.ConnectionString;

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (SocketException)
            {
                return;
            }
            _ = RelayAsync(client);
        }
    }

    private async Task RelayAsync(TcpClient client)
    {
        using var server = new TcpClient { NoDelay = true };
        using (client)
        {
            // Without NoDelay, Nagle's algorithm and delayed acknowledgements stall every round trip by ~40 ms.
            client.NoDelay = true;
            try
            {
                await server.ConnectAsync(IPAddress.Loopback, _targetPort, _stop.Token);
                var connection = new ConnectionState();
                var toServer = ClientToServerAsync(client.GetStream(), server.GetStream(), connection);
                var toClient = ServerToClientAsync(server.GetStream(), client.GetStream(), connection);
                await Task.WhenAny(toServer, toClient);
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
            {
                // One side went away; closing both is all a proxy can do.
            }
        }
    }

    private sealed class ConnectionState
    {
        public volatile bool WritesEvents;
    }

    // Client messages: the startup message (an int32 length that counts itself, then the payload), then typed messages
    // (a type byte, the length, the payload). A statement appending events marks the transaction as a ledger write
    // (reads of events do not: a pooled connection that read some may carry the daemon's commit next).
    private async Task ClientToServerAsync(NetworkStream from, NetworkStream to, ConnectionState connection)
    {
        var length = new byte[4];
        await from.ReadExactlyAsync(length, _stop.Token);
        var startup = new byte[BinaryPrimitives.ReadInt32BigEndian(length) - 4];
        await from.ReadExactlyAsync(startup, _stop.Token);
        await to.WriteAsync(length, _stop.Token);
        await to.WriteAsync(startup, _stop.Token);
        var header = new byte[5];
        while (true)
        {
            await from.ReadExactlyAsync(header, _stop.Token);
            var payload = new byte[BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(1)) - 4];
            await from.ReadExactlyAsync(payload, _stop.Token);
            if (payload.AsSpan().IndexOf(QuickAppend) >= 0 || payload.AsSpan().IndexOf(CopyEvents) >= 0)
            {
                connection.WritesEvents = true;
            }
            await to.WriteAsync(header, _stop.Token);
            await to.WriteAsync(payload, _stop.Token);
        }
    }

    // Server messages: a type byte, an int32 length that counts itself, then the payload.
    private async Task ServerToClientAsync(NetworkStream from, NetworkStream to, ConnectionState connection)
    {
        var header = new byte[5];
        while (true)
        {
            await from.ReadExactlyAsync(header, _stop.Token);
            var length = BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(1));
            var payload = new byte[length - 4];
            await from.ReadExactlyAsync(payload, _stop.Token);
            if (header[0] == (byte)'C' && payload.AsSpan().SequenceEqual(RollbackTag))
            {
                connection.WritesEvents = false;
            }
            if (header[0] == (byte)'C' && payload.AsSpan().SequenceEqual(CommitTag))
            {
                var ledgerWrite = connection.WritesEvents;
                connection.WritesEvents = false;
                if (ledgerWrite && TryTakeShot())
                {
                    Interlocked.Increment(ref _dropped);
                    return; // the caller closes both sockets without passing the answer on
                }
            }
            await to.WriteAsync(header, _stop.Token);
            await to.WriteAsync(payload, _stop.Token);
        }
    }

    private bool TryTakeShot()
    {
        while (true)
        {
            var armed = Volatile.Read(ref _armed);
            if (armed <= 0)
            {
                return false;
            }
            if (Interlocked.CompareExchange(ref _armed, armed - 1, armed) == armed)
            {
                return true;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        _stop.Dispose();
    }
}
