using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using RoomDevice.Calls.Sip;
using RoomDevice.Core.Options;

namespace RoomDevice.Calls.Tests.Sip;

/// <summary>A certificate authority and leaf certificates made in the test, for 127.0.0.1 and localhost.</summary>
internal sealed class TestAuthority : IDisposable
{
    public TestAuthority(string name)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var req = new CertificateRequest("CN=" + name, key, HashAlgorithmName.SHA256);
        req.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        req.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        req.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(req.PublicKey, false));
        Certificate = req.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
    }

    public X509Certificate2 Certificate { get; }

    public X509Certificate2Collection Trust => [Certificate];

    /// <summary>A leaf for 127.0.0.1/localhost signed by this authority, with its private key.</summary>
    public (X509Certificate2 Cert, ECDsa Key) Issue(string name)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var req = new CertificateRequest("CN=" + name, key, HashAlgorithmName.SHA256);
        req.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        req.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        req.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false));
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        san.AddDnsName("localhost");
        req.CertificateExtensions.Add(san.Build());
        req.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Certificate, true, false));
        using var pub = req.Create(Certificate, DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddDays(29), RandomNumberGenerator.GetBytes(8));
        return (pub.CopyWithPrivateKey(key), key);
    }

    public SipTlsSettings Settings(string name, bool validate = true)
    {
        var (cert, _) = Issue(name);
        return new SipTlsSettings { Certificate = cert, TrustedAuthorities = Trust, ValidatePeer = validate, Port = 0 };
    }

    public void Dispose() => Certificate.Dispose();
}

public sealed class TlsTests : IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);
    private readonly string _dir = Directory.CreateTempSubdirectory("roomdevice-tls-").FullName;
    private readonly TestAuthority _ca = new("Room Test CA");

    public void Dispose()
    {
        _ca.Dispose();
        Directory.Delete(_dir, true);
    }

    /// <summary>Device options whose TLS files are PEM files written here, the way an installer lays them out.</summary>
    private CallsOptions DeviceOptions(TestAuthority issuer, TestAuthority trusted)
    {
        var (cert, key) = issuer.Issue("room.example");
        string certPath = Path.Combine(_dir, "room.crt"), keyPath = Path.Combine(_dir, "room.key"), caPath = Path.Combine(_dir, "ca.crt");
        File.WriteAllText(certPath, cert.ExportCertificatePem());
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
        File.WriteAllText(caPath, trusted.Certificate.ExportCertificatePem());
        return new CallsOptions { TlsCertificate = certPath, TlsPrivateKey = keyPath, TlsCaCertificates = caPath, TlsPort = 0 };
    }

    private static IReadOnlyList<ConfigIssue> Validate(CallsOptions o)
    {
        var v = new OptionsValidator("Calls", _ => "test config");
        o.Validate(v);
        return v.Issues;
    }

    [Fact]
    public async Task Device_calls_a_peer_over_tls_and_the_call_connects_and_ends()
    {
        var options = DeviceOptions(_ca, _ca);
        Assert.Empty(Validate(options));
        using var room = new AgentRig(autoAnswer: true, tls: options.LoadTls());
        using var peer = new AgentRig(user: "peer", tls: _ca.Settings("peer.example"));
        SipCall? incoming = null;
        peer.Agent.IncomingCall += (_, c) => incoming = c;
        int port = peer.Agent.Transport.TlsEndPoint!.Port;

        var outgoing = room.Agent.Dial($"sips:peer@127.0.0.1:{port}");
        await outgoing.Connected.WaitAsync(Wait);
        Assert.Equal(SipCallState.Connected, outgoing.State);
        Assert.Equal(0, room.Agent.Retransmissions);
        Assert.NotNull(incoming);
        Assert.Equal(SipTransportKind.Tls, incoming!.Transport);
        Assert.Equal(0, room.Agent.Transport.Rejected);
        Assert.Equal(0, peer.Agent.Transport.Rejected);

        // The peer hangs up: its BYE goes to the room's sips: Contact over a TLS connection of its own.
        incoming.Hangup();
        var end = await outgoing.Ended.WaitAsync(Wait);
        Assert.True(end.WasConnected);
        Assert.Equal("remote hung up", end.Reason);
    }

    [Fact]
    public async Task A_peer_calls_the_device_with_transport_tls_and_the_device_hangs_up()
    {
        using var room = new AgentRig(autoAnswer: true, tls: _ca.Settings("room.example"));
        using var peer = new AgentRig(user: "peer", tls: _ca.Settings("peer.example"));
        var incoming = new TaskCompletionSource<SipCall>();
        room.Agent.IncomingCall += (_, c) => incoming.TrySetResult(c);

        var outgoing = peer.Agent.Dial($"sip:room@localhost:{room.Agent.Transport.TlsEndPoint!.Port};transport=tls");
        await outgoing.Connected.WaitAsync(Wait);
        var call = await incoming.Task.WaitAsync(Wait);
        Assert.Equal(SipTransportKind.Tls, call.Transport);
        call.Hangup();
        Assert.Equal("remote hung up", (await outgoing.Ended.WaitAsync(Wait)).Reason);
    }

    [Fact]
    public async Task A_peer_with_a_certificate_from_another_authority_is_refused_with_the_reason()
    {
        using var other = new TestAuthority("Stranger CA");
        using var room = new AgentRig(tls: _ca.Settings("room.example"));
        using var stranger = new AgentRig(user: "stranger", tls: other.Settings("stranger.example"));
        bool rang = false;
        stranger.Agent.IncomingCall += (_, _) => rang = true;

        var call = room.Agent.Dial($"sips:stranger@127.0.0.1:{stranger.Agent.Transport.TlsEndPoint!.Port}");
        var end = await call.Ended.WaitAsync(Wait);
        Assert.False(end.WasConnected);
        Assert.Contains("CN=stranger.example", end.Reason, StringComparison.Ordinal);
        Assert.Contains("not issued by a configured authority", end.Reason, StringComparison.Ordinal);
        Assert.False(rang);
    }

    [Fact]
    public async Task A_peer_that_never_finishes_the_tls_handshake_does_not_stall_the_agent_and_the_call_fails_with_the_reason()
    {
        // Accepts TCP and then says nothing: the handshake can only time out.
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var accepted = new List<TcpClient>();
        _ = Task.Run(async () =>
        {
            while (true)
            {
                try
                {
                    var c = await silent.AcceptTcpClientAsync();
                    lock (accepted)
                    {
                        accepted.Add(c);
                    }
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException)
                {
                    return;
                }
            }
        });
        var tls = _ca.Settings("room.example") with { HandshakeTimeout = TimeSpan.FromSeconds(8) };
        using var room = new AgentRig(tls: tls);
        using var peer = new RawSipPeer();

        var stuck = room.Agent.Dial($"sips:meeting@127.0.0.1:{((IPEndPoint)silent.LocalEndpoint).Port}");
        Assert.False(stuck.Ended.IsCompleted); // Dial returned while the handshake is still pending
        // While that handshake hangs, the agent still answers over UDP.
        peer.Send("OPTIONS sip:room@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:" + peer.Port + ";branch=z9hG4bKduring\r\n" +
            "From: <sip:peer@127.0.0.1>;tag=p\r\nTo: <sip:room@127.0.0.1>\r\nCall-ID: during-handshake\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n",
            room.Agent.LocalEndPoint);
        SipMessage? reply = peer.Receive(10000);
        bool answeredDuringHandshake = !stuck.Ended.IsCompleted;
        Assert.Equal(200, reply?.StatusCode);

        var end = await stuck.Ended.WaitAsync(Wait);
        Assert.False(end.WasConnected);
        Assert.Contains("TLS handshake timed out", end.Reason, StringComparison.Ordinal);
        Assert.True(answeredDuringHandshake, "OPTIONS was only answered after the stuck handshake ended");
        silent.Stop();
        lock (accepted)
        {
            accepted.ForEach(c => c.Dispose());
        }
    }

    [Fact]
    public async Task A_caller_presenting_a_certificate_from_another_authority_is_refused_by_the_device()
    {
        using var other = new TestAuthority("Stranger CA");
        using var room = new AgentRig(tls: _ca.Settings("room.example"));
        // The stranger does not check the room, so only the room's check can stop the call.
        using var stranger = new AgentRig(user: "stranger", tls: other.Settings("stranger.example", validate: false));
        bool rang = false;
        room.Agent.IncomingCall += (_, _) => rang = true;

        var call = stranger.Agent.Dial($"sips:room@127.0.0.1:{room.Agent.Transport.TlsEndPoint!.Port}");
        await WaitFor(() => room.Agent.Transport.Rejected > 0);
        Assert.Contains("CN=stranger.example", room.Agent.Transport.LastRejection, StringComparison.Ordinal);
        Assert.Contains("not issued by a configured authority", room.Agent.Transport.LastRejection, StringComparison.Ordinal);
        Assert.False(rang);
        Assert.NotEqual(SipCallState.Connected, call.State);
        call.Hangup();
    }

    [Fact]
    public async Task Garbage_on_the_tls_port_is_refused_and_the_port_keeps_working()
    {
        using var room = new AgentRig(autoAnswer: true, tls: _ca.Settings("room.example"));
        var tls = room.Agent.Transport.TlsEndPoint!;
        var rng = new Random(6);
        byte[][] junk =
        [
            Encoding.ASCII.GetBytes("INVITE sip:room@127.0.0.1 SIP/2.0\r\nContent-Length: 0\r\n\r\n"),
            [0x16, 0x03, 0x01, 0x00, 0x05, 0x01, 0x00, 0x00, 0x01, 0x00], // a truncated ClientHello
            [.. Enumerable.Range(0, 4096).Select(_ => (byte)rng.Next(256))],
            [0x16, 0x03, 0x03, 0xff, 0xff, .. Enumerable.Range(0, 300).Select(_ => (byte)rng.Next(256))],
        ];
        long before = room.Agent.Transport.Rejected;
        foreach (byte[] bytes in junk)
        {
            using var client = new TcpClient();
            await client.ConnectAsync(tls.Address, tls.Port);
            var s = client.GetStream();
            await s.WriteAsync(bytes);
            client.Client.Shutdown(SocketShutdown.Send);
            var buf = new byte[1024];
            using var cts = new CancellationTokenSource(Wait);
            try
            {
                while (await s.ReadAsync(buf, cts.Token) > 0)
                {
                }
            }
            catch (IOException)
            {
                // the device reset the connection: also a refusal
            }
        }
        await WaitFor(() => room.Agent.Transport.Rejected >= before + junk.Length);
        Assert.Contains("TLS handshake failed", room.Agent.Transport.LastRejection, StringComparison.Ordinal);

        // A closed-at-once connection and then a real TLS call: the listener still serves.
        using (var quick = new TcpClient())
        {
            await quick.ConnectAsync(tls.Address, tls.Port);
        }
        using var peer = new AgentRig(user: "peer", tls: _ca.Settings("peer.example"));
        var call = peer.Agent.Dial($"sips:room@127.0.0.1:{tls.Port}");
        await call.Connected.WaitAsync(Wait);
        call.Hangup();
        Assert.True((await call.Ended.WaitAsync(Wait)).WasConnected);
    }

    [Fact]
    public void Tls_options_name_the_key_whose_file_is_missing_or_unusable()
    {
        var good = DeviceOptions(_ca, _ca);

        var missing = new CallsOptions { TlsCertificate = Path.Combine(_dir, "nope.crt"), TlsPrivateKey = good.TlsPrivateKey };
        var issue = Assert.Single(Validate(missing));
        Assert.Equal("Calls:TlsCertificate", issue.Key);
        Assert.Contains("does not exist", issue.Problem, StringComparison.Ordinal);

        var noKey = new CallsOptions { TlsCertificate = good.TlsCertificate };
        issue = Assert.Single(Validate(noKey));
        Assert.Equal("Calls:TlsPrivateKey", issue.Key);

        string garbage = Path.Combine(_dir, "garbage.pem");
        File.WriteAllText(garbage, "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n");
        var badKey = new CallsOptions { TlsCertificate = good.TlsCertificate, TlsPrivateKey = garbage };
        issue = Assert.Single(Validate(badKey));
        Assert.Equal("Calls:TlsCertificate", issue.Key);
        Assert.Contains("not a usable PEM certificate and private key", issue.Problem, StringComparison.Ordinal);

        string empty = Path.Combine(_dir, "empty.pem");
        File.WriteAllText(empty, "no certificates here\n");
        var badCa = new CallsOptions { TlsCaCertificates = empty };
        issue = Assert.Single(Validate(badCa));
        Assert.Equal("Calls:TlsCaCertificates", issue.Key);
        Assert.Contains("holds no certificate", issue.Problem, StringComparison.Ordinal);

        // Defaults: no TLS listener, peers validated against the system store.
        var defaults = new CallsOptions();
        Assert.Empty(Validate(defaults));
        var tls = defaults.LoadTls();
        Assert.Null(tls.Certificate);
        Assert.True(tls.ValidatePeer);
        Assert.Equal(5061, defaults.TlsPort);
    }

    [Fact]
    public void Sips_and_transport_tls_uris_select_tls_on_port_5061()
    {
        Assert.True(SipUri.TryParse("sips:bob@example.com", out var a, out _));
        Assert.Equal(SipTransportKind.Tls, a!.Transport);
        Assert.Equal(5061, a.TransportPort);
        Assert.True(SipUri.TryParse("sip:bob@example.com;transport=TLS", out var b, out _));
        Assert.Equal(SipTransportKind.Tls, b!.Transport);
        Assert.Equal(5061, b.TransportPort);
        Assert.True(SipUri.TryParse("sip:bob@example.com:5070;transport=tls", out var c, out _));
        Assert.Equal(5070, c!.TransportPort);
        Assert.True(SipUri.TryParse("sip:bob@example.com;transport=tcp", out var d, out _));
        Assert.Equal(SipTransportKind.Tcp, d!.Transport);
        Assert.Equal(5060, d.TransportPort);
    }

    private static async Task WaitFor(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + Wait;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met in time");
            await Task.Delay(20);
        }
    }
}
