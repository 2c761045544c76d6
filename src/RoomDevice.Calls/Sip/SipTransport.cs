using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace RoomDevice.Calls.Sip;

/// <summary>Where a message came from or goes to.</summary>
public readonly record struct SipRemote(SipTransportKind Transport, IPEndPoint EndPoint)
{
    /// <inheritdoc />
    public override string ToString() => $"{Transport.ToString().ToUpperInvariant()} {EndPoint}";
}

/// <summary>
/// SIP over UDP and TCP on one address. Receive loops parse every datagram or stream frame and
/// hand good messages on; garbage is counted and logged and never stops a loop.
/// </summary>
public sealed class SipTransport : IDisposable
{
    private readonly ILogger _log;
    private readonly Socket _udp;
    private readonly TcpListener? _tcp;
    private readonly ConcurrentDictionary<IPEndPoint, TcpConnection> _connections = new();
    private readonly CancellationTokenSource _stop = new();
    private long _rejected;

    /// <summary>Binds UDP on <paramref name="udpPort"/> and, when <paramref name="tcpPort"/> is given, TCP (0 picks a free port).</summary>
    public SipTransport(IPAddress address, int udpPort, int? tcpPort, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(address);
        _log = logger;
        Address = address;
        _udp = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        _udp.Bind(new IPEndPoint(address, udpPort));
        UdpEndPoint = (IPEndPoint)_udp.LocalEndPoint!;
        if (tcpPort is int tp)
        {
            _tcp = new TcpListener(address, tp == 0 && udpPort != 0 ? udpPort : tp);
            try
            {
                _tcp.Start();
            }
            catch (SocketException)
            {
                _tcp = new TcpListener(address, 0);
                _tcp.Start();
            }
            TcpEndPoint = (IPEndPoint)_tcp.LocalEndpoint;
        }
    }

    /// <summary>Local address.</summary>
    public IPAddress Address { get; }

    /// <summary>Bound UDP endpoint.</summary>
    public IPEndPoint UdpEndPoint { get; }

    /// <summary>Bound TCP endpoint, when TCP is on.</summary>
    public IPEndPoint? TcpEndPoint { get; }

    /// <summary>Datagrams and frames refused as not SIP.</summary>
    public long Rejected => Interlocked.Read(ref _rejected);

    /// <summary>The latest refusal's reason.</summary>
    public string LastRejection { get; private set; } = "";

    /// <summary>Raised on a receive thread for each good message.</summary>
    public event Action<SipMessage, SipRemote>? MessageReceived;

    /// <summary>Starts the receive loops.</summary>
    public void Start()
    {
        _ = Task.Run(UdpLoop);
        if (_tcp is not null)
        {
            _ = Task.Run(AcceptLoop);
        }
    }

    /// <summary>Local endpoint for <paramref name="kind"/>.</summary>
    public IPEndPoint LocalEndPoint(SipTransportKind kind) =>
        kind == SipTransportKind.Tcp && TcpEndPoint is not null ? TcpEndPoint : UdpEndPoint;

    /// <summary>Sends <paramref name="message"/>; false (logged) when the peer cannot be reached.</summary>
    public bool Send(SipMessage message, SipRemote to)
    {
        ArgumentNullException.ThrowIfNull(message);
        return Send(message.ToBytes(), to);
    }

    /// <summary>Sends raw bytes.</summary>
    public bool Send(byte[] bytes, SipRemote to)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        try
        {
            if (to.Transport == SipTransportKind.Udp)
            {
                _udp.SendTo(bytes, to.EndPoint);
                return true;
            }
            var c = _connections.GetOrAdd(to.EndPoint, ep => Connect(ep));
            if (!c.Send(bytes))
            {
                _connections.TryRemove(to.EndPoint, out _);
                return false;
            }
            return true;
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or IOException)
        {
            _log.LogWarning("SIP send to {Remote} failed: {Error}", to, e.Message);
            _connections.TryRemove(to.EndPoint, out _);
            return false;
        }
    }

    private TcpConnection Connect(IPEndPoint ep)
    {
        var client = new TcpClient(ep.AddressFamily);
        try
        {
            if (!client.ConnectAsync(ep.Address, ep.Port).Wait(TimeSpan.FromSeconds(5)))
            {
                throw new SocketException((int)SocketError.TimedOut);
            }
        }
        catch (AggregateException e) when (e.InnerException is SocketException se)
        {
            client.Dispose();
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(se);
        }
        catch (SocketException)
        {
            client.Dispose();
            throw;
        }
        var c = new TcpConnection(this, client, ep);
        c.Start();
        return c;
    }

    private async Task UdpLoop()
    {
        var buffer = new byte[SipParser.MaxMessageBytes + 1];
        EndPoint any = new IPEndPoint(Address.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
        while (!_stop.IsCancellationRequested)
        {
            SocketReceiveFromResult r;
            try
            {
                r = await _udp.ReceiveFromAsync(buffer, SocketFlags.None, any, _stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                continue; // ICMP errors from earlier sends surface here
            }
            Deliver(buffer.AsSpan(0, r.ReceivedBytes), new SipRemote(SipTransportKind.Udp, (IPEndPoint)r.RemoteEndPoint));
        }
    }

    internal void Deliver(ReadOnlySpan<byte> data, SipRemote from)
    {
        if (data.Length <= 4 && data.Trim("\r\n"u8).IsEmpty)
        {
            return; // keep-alive
        }
        if (!SipParser.TryParse(data, out var msg, out string error))
        {
            Interlocked.Increment(ref _rejected);
            LastRejection = error;
            _log.LogWarning("SIP message of {Length} bytes from {Remote} rejected: {Error}", data.Length, from, error);
            return;
        }
        try
        {
            MessageReceived?.Invoke(msg!, from);
        }
#pragma warning disable CA1031 // a fault handling one message must not stop the transport
        catch (Exception e)
#pragma warning restore CA1031
        {
            _log.LogError(e, "handling {Message} from {Remote} failed", msg, from);
        }
    }

    private async Task AcceptLoop()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _tcp!.AcceptTcpClientAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                if (_stop.IsCancellationRequested)
                {
                    return;
                }
                continue;
            }
            var ep = (IPEndPoint)client.Client.RemoteEndPoint!;
            var c = new TcpConnection(this, client, ep);
            _connections[ep] = c;
            c.Start();
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _stop.Cancel();
        _udp.Dispose();
        _tcp?.Stop();
        foreach (var c in _connections.Values)
        {
            c.Dispose();
        }
        _stop.Dispose();
    }

    private sealed class TcpConnection(SipTransport owner, TcpClient client, IPEndPoint remote) : IDisposable
    {
        private readonly Lock _write = new();

        public void Start() => _ = Task.Run(ReadLoop);

        public bool Send(byte[] bytes)
        {
            lock (_write)
            {
                try
                {
                    client.GetStream().Write(bytes);
                    return true;
                }
                catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException)
                {
                    return false;
                }
            }
        }

        private async Task ReadLoop()
        {
            var buf = new byte[SipParser.MaxMessageBytes * 2];
            int fill = 0;
            try
            {
                var stream = client.GetStream();
                while (true)
                {
                    if (fill == buf.Length)
                    {
                        Interlocked.Increment(ref owner._rejected);
                        owner.LastRejection = $"no complete message in {buf.Length} bytes";
                        owner._log.LogWarning("SIP stream from {Remote} sent {Bytes} bytes without a complete message; closing it", remote, buf.Length);
                        break;
                    }
                    int n = await stream.ReadAsync(buf.AsMemory(fill), owner._stop.Token).ConfigureAwait(false);
                    if (n == 0)
                    {
                        break;
                    }
                    fill += n;
                    while (true)
                    {
                        int len = SipParser.FrameLength(buf.AsSpan(0, fill), out string error);
                        if (len < 0)
                        {
                            Interlocked.Increment(ref owner._rejected);
                            owner.LastRejection = error;
                            owner._log.LogWarning("SIP stream from {Remote} is not SIP ({Error}); closing it", remote, error);
                            return;
                        }
                        if (len == 0)
                        {
                            break;
                        }
                        owner.Deliver(buf.AsSpan(0, len), new SipRemote(SipTransportKind.Tcp, remote));
                        Buffer.BlockCopy(buf, len, buf, 0, fill - len);
                        fill -= len;
                    }
                }
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException or SocketException)
            {
            }
            finally
            {
                owner._connections.TryRemove(new KeyValuePair<IPEndPoint, TcpConnection>(remote, this));
                Dispose();
            }
        }

        public void Dispose() => client.Dispose();
    }
}
