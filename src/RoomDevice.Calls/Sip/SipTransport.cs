using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using Microsoft.Extensions.Logging;

namespace RoomDevice.Calls.Sip;

/// <summary>Where a message came from or goes to.</summary>
public readonly record struct SipRemote(SipTransportKind Transport, IPEndPoint EndPoint)
{
    /// <inheritdoc />
    public override string ToString() => $"{Transport.ToString().ToUpperInvariant()} {EndPoint}";
}

/// <summary>
/// SIP over UDP, TCP and TLS on one address. Receive loops parse every datagram or stream frame and
/// hand good messages on; garbage (including failed TLS handshakes) is counted and logged and never
/// stops a loop. TLS reuses the TCP framing over an <see cref="SslStream"/>; it listens only when a
/// certificate is configured, and dials out whenever a URI asks for it.
/// </summary>
public sealed class SipTransport : IDisposable
{
    private readonly ILogger _log;
    private readonly Socket _udp;
    private readonly TcpListener? _tcp;
    private readonly TcpListener? _tls;
    private readonly SipTlsSettings? _tlsSettings;
    private readonly ConcurrentDictionary<IPEndPoint, string> _tlsHosts = new();
    private readonly ConcurrentDictionary<IPEndPoint, string> _failures = new();
    private readonly ConcurrentDictionary<IPEndPoint, StreamConnection> _connections = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _connectGate = new();
    private long _rejected;

    /// <summary>Longest an outgoing TCP connect may take.</summary>
    public static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Binds UDP on <paramref name="udpPort"/> and, when <paramref name="tcpPort"/> is given, TCP (0 picks a free port).</summary>
    public SipTransport(IPAddress address, int udpPort, int? tcpPort, ILogger logger, SipTlsSettings? tls = null)
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
        _tlsSettings = tls;
        if (tls?.Certificate is not null)
        {
            _tls = new TcpListener(address, tls.Port);
            _tls.Start();
            TlsEndPoint = (IPEndPoint)_tls.LocalEndpoint;
        }
    }

    /// <summary>Local address.</summary>
    public IPAddress Address { get; }

    /// <summary>Bound UDP endpoint.</summary>
    public IPEndPoint UdpEndPoint { get; }

    /// <summary>Bound TCP endpoint, when TCP is on.</summary>
    public IPEndPoint? TcpEndPoint { get; }

    /// <summary>Bound TLS endpoint, when a TLS certificate is configured.</summary>
    public IPEndPoint? TlsEndPoint { get; }

    /// <summary>Datagrams, frames and TLS handshakes refused.</summary>
    public long Rejected => Interlocked.Read(ref _rejected);

    /// <summary>The latest refusal's reason.</summary>
    public string LastRejection { get; private set; } = "";

    /// <summary>Raised on a receive thread for each good message.</summary>
    public event Action<SipMessage, SipRemote>? MessageReceived;

    /// <summary>
    /// Raised (on the connection's task) when an outgoing TCP or TLS connection could not be made;
    /// what was queued for it is dropped. The reason is also what <see cref="SendFailure"/> returns.
    /// </summary>
    public event Action<SipRemote, string>? ConnectFailed;

    /// <summary>Starts the receive loops.</summary>
    public void Start()
    {
        _ = Task.Run(UdpLoop);
        if (_tcp is not null)
        {
            _ = Task.Run(() => AcceptLoop(_tcp, SipTransportKind.Tcp));
        }
        if (_tls is not null)
        {
            _ = Task.Run(() => AcceptLoop(_tls, SipTransportKind.Tls));
        }
    }

    /// <summary>Local endpoint for <paramref name="kind"/>.</summary>
    public IPEndPoint LocalEndPoint(SipTransportKind kind) => kind switch
    {
        SipTransportKind.Tcp when TcpEndPoint is not null => TcpEndPoint,
        SipTransportKind.Tls when TlsEndPoint is not null => TlsEndPoint,
        _ => UdpEndPoint,
    };

    /// <summary>The host name a TLS connection to <paramref name="endPoint"/> must present a certificate for.</summary>
    public void SetTlsHost(IPEndPoint endPoint, string host)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        _tlsHosts[endPoint] = host;
    }

    /// <summary>Why the latest send to <paramref name="to"/> failed (e.g. a refused certificate), or null.</summary>
    public string? SendFailure(SipRemote to) => _failures.TryGetValue(to.EndPoint, out string? f) ? f : null;

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
                ClearFailure(to.EndPoint);
                return true;
            }
            StreamConnection c;
            lock (_connectGate)
            {
                if (!_connections.TryGetValue(to.EndPoint, out c!) || c.Kind != to.Transport)
                {
                    c = Connect(to.EndPoint, to.Transport);
                    _connections[to.EndPoint] = c;
                }
            }
            if (!c.Send(bytes))
            {
                _connections.TryRemove(to.EndPoint, out _);
                return false;
            }
            ClearFailure(to.EndPoint);
            return true;
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or IOException or AuthenticationException or OperationCanceledException)
        {
            string why = _failures.GetOrAdd(to.EndPoint, e.Message);
            _log.LogWarning("SIP send to {Remote} failed: {Error}", to, why);
            _connections.TryRemove(to.EndPoint, out _);
            return false;
        }
    }

    private void ClearFailure(IPEndPoint ep)
    {
        if (!_failures.IsEmpty)
        {
            _failures.TryRemove(ep, out _);
        }
    }

    /// <summary>
    /// A new outgoing connection. Connecting (and the TLS handshake) runs on the connection's own
    /// task, never on the sender's thread (the user agent sends under its lock); what is sent
    /// meanwhile waits in order. A failure is recorded for <see cref="SendFailure"/> and raised as
    /// <see cref="ConnectFailed"/>.
    /// </summary>
    private StreamConnection Connect(IPEndPoint ep, SipTransportKind kind)
    {
        _failures.TryRemove(ep, out _);
        var client = new TcpClient(ep.AddressFamily);
        var c = new StreamConnection(this, client, null, ep, kind, (tcp, remote) => ConnectOutgoing(tcp, remote, kind));
        c.Start();
        return c;
    }

    private async Task<Stream?> ConnectOutgoing(TcpClient client, IPEndPoint ep, SipTransportKind kind)
    {
        string? failure = null;
        try
        {
            using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token))
            {
                timeout.CancelAfter(ConnectTimeout);
                try
                {
                    await client.ConnectAsync(ep.Address, ep.Port, timeout.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!_stop.IsCancellationRequested)
                {
                    throw new SocketException((int)SocketError.TimedOut);
                }
            }
            return kind == SipTransportKind.Tls ? await AuthenticateAsClient(client, ep).ConfigureAwait(false) : client.GetStream();
        }
        catch (SocketException e)
        {
            failure = e.Message;
        }
        catch (AuthenticationException e)
        {
            failure = e.Message;
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException)
        {
            failure = _stop.IsCancellationRequested ? null : e.Message;
        }
        if (failure is not null)
        {
            string why = _failures.GetOrAdd(ep, failure);
            _log.LogWarning("SIP connection to {Remote} ({Kind}) failed: {Error}", ep, kind, why);
            ConnectFailed?.Invoke(new SipRemote(kind, ep), why);
        }
        return null;
    }

    private async Task<SslStream> AuthenticateAsClient(TcpClient client, IPEndPoint ep)
    {
        var settings = _tlsSettings ?? new SipTlsSettings();
        string host = _tlsHosts.TryGetValue(ep, out string? h) ? h : ep.Address.ToString();
        string refusal = "";
        var ssl = new SslStream(client.GetStream(), false);
        var options = new SslClientAuthenticationOptions
        {
            TargetHost = host,
            CertificateChainPolicy = settings.ChainPolicy(),
            RemoteCertificateValidationCallback = (_, cert, chain, errors) => settings.Judge(cert, chain, errors, true, out refusal),
            ClientCertificates = settings.Certificate is null ? null : [settings.Certificate],
        };
        using var timeout = new CancellationTokenSource(settings.HandshakeTimeout);
        try
        {
            await ssl.AuthenticateAsClientAsync(options, timeout.Token).ConfigureAwait(false);
            return ssl;
        }
        catch (Exception e) when (e is AuthenticationException or IOException or OperationCanceledException)
        {
            await ssl.DisposeAsync().ConfigureAwait(false);
            client.Dispose();
            string why = refusal.Length > 0 ? refusal : e is OperationCanceledException ? "TLS handshake timed out" : "TLS handshake failed: " + e.Message;
            string failure = $"TLS to {host} ({ep}): {why}";
            _failures[ep] = failure;
            _log.LogWarning("TLS connection to {Host} ({Remote}) refused: {Reason}", host, ep, why);
            throw new AuthenticationException(failure, e);
        }
    }

    private async Task<Stream?> AuthenticateAsServer(TcpClient client, IPEndPoint ep)
    {
        var settings = _tlsSettings!;
        string refusal = "";
        var ssl = new SslStream(client.GetStream(), false);
        var options = new SslServerAuthenticationOptions
        {
            ServerCertificate = settings.Certificate,
            ClientCertificateRequired = settings.ValidatePeer && settings.TrustedAuthorities is not null,
            CertificateChainPolicy = settings.ChainPolicy(),
            RemoteCertificateValidationCallback = (_, cert, chain, errors) => settings.Judge(cert, chain, errors, false, out refusal),
        };
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        timeout.CancelAfter(settings.HandshakeTimeout);
        try
        {
            await ssl.AuthenticateAsServerAsync(options, timeout.Token).ConfigureAwait(false);
            return ssl;
        }
        catch (Exception e) when (e is AuthenticationException or IOException or OperationCanceledException or ObjectDisposedException)
        {
            await ssl.DisposeAsync().ConfigureAwait(false);
            if (_stop.IsCancellationRequested)
            {
                return null;
            }
            string why = refusal.Length > 0 ? refusal : e is OperationCanceledException ? "TLS handshake timed out" : "TLS handshake failed: " + e.Message;
            Interlocked.Increment(ref _rejected);
            LastRejection = why;
            _log.LogWarning("TLS connection from {Remote} refused: {Reason}", ep, why);
            return null;
        }
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

    private async Task AcceptLoop(TcpListener listener, SipTransportKind kind)
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await listener.AcceptTcpClientAsync(_stop.Token).ConfigureAwait(false);
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
            var c = new StreamConnection(this, client, kind == SipTransportKind.Tcp ? client.GetStream() : null, ep, kind,
                kind == SipTransportKind.Tls ? AuthenticateAsServer : null);
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
        _tls?.Stop();
        foreach (var c in _connections.Values)
        {
            c.Dispose();
        }
        _stop.Dispose();
    }

    private sealed class StreamConnection(SipTransport owner, TcpClient client, Stream? stream, IPEndPoint remote, SipTransportKind kind,
        Func<TcpClient, IPEndPoint, Task<Stream?>>? handshake) : IDisposable
    {
        private readonly Lock _write = new();
        private readonly List<byte[]> _waiting = [];
        private bool _closed;

        public SipTransportKind Kind => kind;

        public void Start() => _ = Task.Run(ReadLoop);

        /// <summary>Writes, or queues while the connection is still being made; false once it is closed.</summary>
        public bool Send(byte[] bytes)
        {
            lock (_write)
            {
                if (_closed)
                {
                    return false;
                }
                if (stream is null)
                {
                    _waiting.Add(bytes);
                    return true;
                }
                try
                {
                    stream.Write(bytes);
                    return true;
                }
                catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException or NotSupportedException)
                {
                    return false;
                }
            }
        }

        /// <summary>The connection is up: what waited goes out first, in order.</summary>
        private void Ready(Stream s)
        {
            lock (_write)
            {
                foreach (byte[] b in _waiting)
                {
                    s.Write(b);
                }
                _waiting.Clear();
                stream = s;
            }
        }

        private void Close()
        {
            lock (_write)
            {
                _closed = true;
                _waiting.Clear();
            }
        }

        private async Task ReadLoop()
        {
            var buf = new byte[SipParser.MaxMessageBytes * 2];
            int fill = 0;
            try
            {
                if (stream is null)
                {
                    var s = await handshake!(client, remote).ConfigureAwait(false);
                    if (s is null)
                    {
                        return;
                    }
                    Ready(s);
                }
                while (true)
                {
                    if (fill == buf.Length)
                    {
                        Interlocked.Increment(ref owner._rejected);
                        owner.LastRejection = $"no complete message in {buf.Length} bytes";
                        owner._log.LogWarning("SIP stream from {Remote} sent {Bytes} bytes without a complete message; closing it", remote, buf.Length);
                        break;
                    }
                    int n = await stream!.ReadAsync(buf.AsMemory(fill), owner._stop.Token).ConfigureAwait(false);
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
                        owner.Deliver(buf.AsSpan(0, len), new SipRemote(kind, remote));
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
                Close();
                owner._connections.TryRemove(new KeyValuePair<IPEndPoint, StreamConnection>(remote, this));
                Dispose();
            }
        }

        public void Dispose()
        {
            stream?.Dispose();
            client.Dispose();
        }
    }
}
