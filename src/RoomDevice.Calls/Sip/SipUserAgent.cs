using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using RoomDevice.Calls.Media;
using RoomDevice.Calls.Sdp;

namespace RoomDevice.Calls.Sip;

/// <summary>Settings of the SIP user agent.</summary>
public sealed record SipUserAgentSettings
{
    /// <summary>Address to bind and advertise.</summary>
    public IPAddress Address { get; init; } = IPAddress.Loopback;

    /// <summary>UDP port (0 picks a free one).</summary>
    public int UdpPort { get; init; } = 5060;

    /// <summary>TCP port; null turns TCP off, 0 uses the UDP port when free.</summary>
    public int? TcpPort { get; init; }

    /// <summary>Our user part (From, Contact).</summary>
    public string User { get; init; } = "room";

    /// <summary>Display name in From.</summary>
    public string DisplayName { get; init; } = "Meeting Room";

    /// <summary>Digest user name (defaults to <see cref="User"/>).</summary>
    public string? AuthUser { get; init; }

    /// <summary>Digest password; null means challenges are refused.</summary>
    public string? Password { get; init; }

    /// <summary>Registrar URI (e.g. sip:pbx.example.com); null means no registration.</summary>
    public string? Registrar { get; init; }

    /// <summary>Registration lifetime asked for, s.</summary>
    public int RegisterExpiresSeconds { get; init; } = 600;

    /// <summary>Answer incoming calls without waiting for <see cref="SipCall.Answer"/>.</summary>
    public bool AutoAnswer { get; init; } = true;

    /// <summary>Refuse an incoming call with 486 while another call is up.</summary>
    public bool RejectWhenBusy { get; init; } = true;

    /// <summary>How long an outgoing call may ring before we give up, s.</summary>
    public int RingTimeoutSeconds { get; init; } = 90;

    /// <summary>RFC 3261 timers.</summary>
    public SipTimers Timers { get; init; } = new();

    /// <summary>Codecs and packet time offered.</summary>
    public LocalMediaCapabilities Media { get; init; } = new();

    /// <summary>SIP over TLS: certificate (to listen), trusted authorities, peer validation; null means defaults (dial out only, system trust).</summary>
    public SipTlsSettings? Tls { get; init; }
}

/// <summary>
/// A SIP user agent (RFC 3261): client and server transactions with their timers and
/// retransmissions over UDP (and TCP), INVITE dialogs with BYE, CANCEL, re-INVITE hold and
/// resume, OPTIONS, digest authentication, incoming calls and optional registration. All
/// protocol state sits behind one lock; call events are raised in order on one event thread.
/// </summary>
public sealed class SipUserAgent : IDisposable
{
    private const string Allow = "INVITE, ACK, BYE, CANCEL, OPTIONS, INFO";
    private readonly SipUserAgentSettings _settings;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly Func<MediaSession> _mediaFactory;
    private readonly SipTransport _transport;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, ClientTransaction> _client = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ServerTransaction> _server = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SipCall> _calls = new(StringComparer.Ordinal);
    private readonly Channel<Action> _events = Channel.CreateUnbounded<Action>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _eventPump;
    private readonly Registration _registration = new();
    private bool _disposed;

    /// <summary>
    /// Creates the agent and binds its transport. <paramref name="mediaFactory"/> makes one media
    /// session (bound RTP/RTCP sockets) per call.
    /// </summary>
    public SipUserAgent(SipUserAgentSettings settings, Func<MediaSession> mediaFactory, TimeProvider? time = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(mediaFactory);
        _settings = settings;
        _mediaFactory = mediaFactory;
        _time = time ?? TimeProvider.System;
        _log = logger ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
        _transport = new SipTransport(settings.Address, settings.UdpPort, settings.TcpPort, _log, settings.Tls);
        _transport.MessageReceived += OnMessage;
        _transport.ConnectFailed += OnConnectFailed;
        _eventPump = Task.Run(PumpEvents);
    }

    /// <summary>The transport (bound endpoints, rejected-message counter).</summary>
    public SipTransport Transport => _transport;

    /// <summary>Settings in use.</summary>
    public SipUserAgentSettings Settings => _settings;

    /// <summary>Our UDP endpoint.</summary>
    public IPEndPoint LocalEndPoint => _transport.UdpEndPoint;

    /// <summary>Raised on the event thread for a new incoming call (before it is answered when auto-answer is off).</summary>
    public event EventHandler<SipCall>? IncomingCall;

    /// <summary>Requests retransmitted by our timers (for diagnostics and tests).</summary>
    public long Retransmissions { get; private set; }

    /// <summary>Calls the agent still keeps: live ones and ended ones within their 64·T1 linger.</summary>
    internal int TrackedCalls
    {
        get
        {
            lock (_gate)
            {
                return _calls.Count;
            }
        }
    }

    /// <summary>True once a registration is in force.</summary>
    public bool Registered => _registration.Registered;

    /// <summary>Calls that are not yet over.</summary>
    public IReadOnlyList<SipCall> ActiveCalls
    {
        get
        {
            lock (_gate)
            {
                return [.. _calls.Values.Where(c => c.State != SipCallState.Terminated)];
            }
        }
    }

    /// <summary>Starts receiving and, when a registrar is configured, registers.</summary>
    public void Start()
    {
        _transport.Start();
        if (_settings.Registrar is not null)
        {
            lock (_gate)
            {
                SendRegister(_settings.RegisterExpiresSeconds, null);
            }
        }
    }

    private async Task PumpEvents()
    {
        await foreach (var a in _events.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            try
            {
                a();
            }
#pragma warning disable CA1031 // a listener's fault must not stop event delivery
            catch (Exception e)
#pragma warning restore CA1031
            {
                _log.LogError(e, "call event handler failed");
            }
        }
    }

    private void Post(Action a) => _events.Writer.TryWrite(a);

    // ---------------------------------------------------------------- identifiers

    private static string Token(int bytes = 8) => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(bytes));

    private static string NewBranch() => "z9hG4bK" + Token(10);

    private string HostPort(SipTransportKind kind)
    {
        var ep = _transport.LocalEndPoint(kind);
        return (ep.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? "[" + ep.Address + "]" : ep.Address.ToString())
            + ":" + ep.Port.ToString(CultureInfo.InvariantCulture);
    }

    private string ContactUri(SipTransportKind kind) => kind switch
    {
        SipTransportKind.Tls => $"sips:{_settings.User}@{HostPort(kind)}",
        SipTransportKind.Tcp => $"sip:{_settings.User}@{HostPort(kind)};transport=tcp",
        _ => $"sip:{_settings.User}@{HostPort(kind)}",
    };

    private string Via(SipTransportKind kind, string branch) =>
        $"SIP/2.0/{kind.ToString().ToUpperInvariant()} {HostPort(kind)};branch={branch};rport";

    private SipRemote RemoteFor(SipUri uri, IPAddress ip)
    {
        var remote = new SipRemote(uri.Transport, new IPEndPoint(ip, uri.TransportPort));
        if (remote.Transport == SipTransportKind.Tls)
        {
            _transport.SetTlsHost(remote.EndPoint, uri.Host);
        }
        return remote;
    }

    private string AddressOfRecord => $"sip:{_settings.User}@{_settings.Address}";

    // ---------------------------------------------------------------- dialling

    /// <summary>
    /// Dials <paramref name="target"/> (sip:user@host[:port][;transport=tcp]). Returns the call at
    /// once; await <see cref="SipCall.Connected"/> or <see cref="SipCall.Ended"/>. Throws
    /// <see cref="ArgumentException"/> naming the fault when the URI is unusable.
    /// </summary>
    public SipCall Dial(string target)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!SipUri.TryParse(target, out var uri, out string error))
        {
            throw new ArgumentException(error, nameof(target));
        }
        var ip = uri!.ResolveHost() ?? throw new ArgumentException($"host '{uri.Host}' in '{target}' does not resolve to an IPv4 address", nameof(target));
        var remote = RemoteFor(uri, ip);
        var media = _mediaFactory();
        var call = new SipCall(this, SipCallDirection.Outgoing, Token(12) + "@" + _settings.Address, Token(6), media)
        {
            RemoteUri = uri.ToString(),
            RemoteTarget = uri.ToString(),
            Transport = uri.Transport,
            LocalCSeq = 1,
        };
        lock (_gate)
        {
            _calls[call.CallId] = call;
            call.SdpVersion = 1;
            call.LocalSdp = SdpNegotiator.CreateOffer(_settings.Media, media.LocalAddress, media.RtpPort, media.RtcpPort,
                MediaDirection.SendRecv, Token(4), call.SdpVersion);
            SendInvite(call, remote, null);
            call.RingTimer = _time.CreateTimer(_ => OnRingTimeout(call), null, TimeSpan.FromSeconds(_settings.RingTimeoutSeconds), Timeout.InfiniteTimeSpan);
        }
        _log.LogInformation("dialling {Target}", call.RemoteUri);
        return call;
    }

    private void SendInvite(SipCall call, SipRemote remote, (string Header, string Value)? auth)
    {
        string branch = NewBranch();
        var m = SipMessage.Request("INVITE", call.RemoteTarget)
            .Add("Via", Via(remote.Transport, branch))
            .Add("Max-Forwards", "70")
            .Add("From", SipNameAddress.Format(AddressOfRecord, call.LocalTag, _settings.DisplayName))
            .Add("To", call.RemoteTag is null ? SipNameAddress.Format(call.RemoteUri, null) : SipNameAddress.Format(call.RemoteUri, call.RemoteTag))
            .Add("Call-ID", call.CallId)
            .Add("CSeq", call.LocalCSeq.ToString(CultureInfo.InvariantCulture) + " INVITE")
            .Add("Contact", "<" + ContactUri(remote.Transport) + ">")
            .Add("Allow", Allow)
            .Add("Supported", "replaces")
            .Add("User-Agent", "RoomDevice/0.1")
            .Add("Content-Type", "application/sdp");
        foreach (string r in call.RouteSet)
        {
            m.Add("Route", r);
        }
        if (auth is { } a)
        {
            m.Add(a.Header, a.Value);
        }
        m.Body = Encoding.UTF8.GetBytes(call.LocalSdp!.ToString());
        if (call.State != SipCallState.Connected)
        {
            call.Invite = m;
            call.InviteBranch = branch;
        }
        call.AckTo = remote;
        StartClientTransaction(m, remote, resp => OnInviteResponse(call, m, remote, resp), () => OnInviteTimeout(call, m, remote));
    }

    private void OnInviteTimeout(SipCall call, SipMessage invite, SipRemote remote)
    {
        if (call.State == SipCallState.Connected)
        {
            // A re-INVITE timed out: RFC 3261 §14.1 says end the dialog.
            call.PendingReinvite?.TrySetResult(false);
            SendBye(call);
            Terminate(call, new SipCallEnd(true, "re-INVITE timed out", 408));
            return;
        }
        if (ReferenceEquals(invite, call.Invite))
        {
            string? failure = _transport.SendFailure(remote);
            Terminate(call, new SipCallEnd(false, call.Cancelled ? "cancelled" : failure is null ? "timeout (no response)" : "unreachable (" + failure + ")", 408));
        }
    }

    private void OnRingTimeout(SipCall call)
    {
        lock (_gate)
        {
            call.RingTimer?.Dispose();
            if (call.State is SipCallState.Calling or SipCallState.Ringing && call.Direction == SipCallDirection.Outgoing)
            {
                _log.LogInformation("{Call}: no answer after {Seconds} s; cancelling", call, _settings.RingTimeoutSeconds);
                CancelOutgoing(call, "timeout (no answer)");
            }
        }
    }

    private void OnInviteResponse(SipCall call, SipMessage invite, SipRemote remote, SipMessage resp)
    {
        bool reinvite = !ReferenceEquals(invite, call.Invite) || call.State == SipCallState.Connected;
        int code = resp.StatusCode;
        if (code < 200)
        {
            if (reinvite)
            {
                return;
            }
            call.GotProvisional = true;
            if (resp.To?.Tag is string tag && call.RemoteTag is null && code > 100)
            {
                call.RemoteTag = tag; // early dialog
            }
            if (call.CancelPending)
            {
                call.CancelPending = false;
                SendCancel(call);
                return;
            }
            if (code is 180 or 183 && call.State == SipCallState.Calling)
            {
                SetState(call, SipCallState.Ringing);
            }
            return;
        }
        if (code < 300)
        {
            HandleInvite2xx(call, invite, remote, resp, reinvite);
            return;
        }
        // 3xx-6xx: the transaction has sent its ACK.
        if (reinvite)
        {
            _log.LogInformation("{Call}: re-INVITE refused with {Status} {Reason}", call, code, resp.Reason);
            call.PendingReinvite?.TrySetResult(false);
            call.PendingReinvite = null;
            if (code is 481 or 408)
            {
                Terminate(call, new SipCallEnd(true, $"dialog lost ({code} {resp.Reason})", code));
            }
            return;
        }
        if (code is 401 or 407 && !call.Cancelled && TryAuthorize(call, resp, "INVITE", call.RemoteTarget, out var auth))
        {
            call.LocalCSeq++;
            call.RemoteTag = null;
            SendInvite(call, remote, auth);
            return;
        }
        Terminate(call, new SipCallEnd(false, call.Cancelled ? "cancelled" : DescribeFailure(code, resp.Reason), code));
    }

    private bool TryAuthorize(SipCall call, SipMessage resp, string method, string uri, out (string, string) auth)
    {
        auth = default;
        bool proxy = resp.StatusCode == 407;
        string? header = resp[proxy ? "Proxy-Authenticate" : "WWW-Authenticate"];
        if (_settings.Password is null)
        {
            _log.LogWarning("{Call}: the far end asks for authentication but no password is configured", call);
            return false;
        }
        if (!DigestChallenge.TryParse(header, out var ch, out string err))
        {
            _log.LogWarning("{Call}: unusable challenge: {Error}", call, err);
            return false;
        }
        if (call.AuthAttempts >= 2 || (call.LastNonce == ch!.Nonce && !ch.Stale))
        {
            return false; // the same nonce again means our credentials were refused
        }
        call.AuthAttempts++;
        call.LastNonce = ch.Nonce;
        auth = (proxy ? "Proxy-Authorization" : "Authorization",
            DigestAuthenticator.Respond(ch, _settings.AuthUser ?? _settings.User, _settings.Password, method, uri));
        return true;
    }

    internal static string DescribeFailure(int code, string reason) => code switch
    {
        486 or 600 => $"busy ({code} {reason})",
        404 or 604 or 484 => $"not found ({code} {reason})",
        401 or 403 or 407 => $"auth refused ({code} {reason})",
        408 or 480 => $"timeout ({code} {reason})",
        488 or 606 => $"no common codec ({code} {reason})",
        603 => $"declined ({code} {reason})",
        487 => $"cancelled ({code} {reason})",
        _ => $"call failed ({code} {reason})",
    };

    private void HandleInvite2xx(SipCall call, SipMessage invite, SipRemote remote, SipMessage resp, bool reinvite)
    {
        if (call.State == SipCallState.Terminated)
        {
            return;
        }
        if (!reinvite)
        {
            call.RemoteTag = resp.To?.Tag;
            var contacts = resp.GetAll("Contact");
            if (contacts.Count > 0 && SipNameAddress.TryParse(contacts[0], out var contact))
            {
                call.RemoteTarget = contact!.Uri;
            }
            call.RouteSet = [.. resp.GetAll("Record-Route").AsEnumerable().Reverse()];
        }
        SendAck(call, invite, remote);
        if (call.Cancelled || call.CancelPending)
        {
            SendBye(call);
            Terminate(call, new SipCallEnd(false, "cancelled", null));
            return;
        }
        if (!SessionDescription.TryParse(resp.BodyText, out var answer, out string error)
            || !SdpNegotiator.TryReadAnswer(answer!, _settings.Media, out var media, out error))
        {
            _log.LogWarning("{Call}: unusable SDP answer: {Error}", call, error);
            if (reinvite)
            {
                call.PendingReinvite?.TrySetResult(false);
                return;
            }
            SendBye(call);
            Terminate(call, new SipCallEnd(false, "no common codec (" + error + ")", 488));
            return;
        }
        call.Media = media;
        if (reinvite)
        {
            call.MediaSession.Update(media!);
            call.OnHold = call.PendingHold ?? call.OnHold;
            call.PendingReinvite?.TrySetResult(true);
            call.PendingReinvite = null;
            return;
        }
        call.RingTimer?.Dispose();
        StartMedia(call, media!);
        SetState(call, SipCallState.Connected);
    }

    private void StartMedia(SipCall call, NegotiatedMedia media)
    {
        try
        {
            call.MediaSession.Start(media);
            _log.LogInformation("{Call}: media {Codec} pt {Pt} to {Remote}, profile {Profile}", call, media.CodecName, media.PayloadType, media.RemoteRtp, media.Profile);
        }
        catch (Exception e) when (e is InvalidOperationException or DllNotFoundException or ArgumentException or EntryPointNotFoundException)
        {
            _log.LogError(e, "{Call}: media could not start", call);
            SendBye(call);
            Terminate(call, new SipCallEnd(false, "media failed: " + e.Message, null));
        }
    }

    private void SendAck(SipCall call, SipMessage invite, SipRemote remote)
    {
        var target = RouteTarget(call, remote);
        var ack = SipMessage.Request("ACK", call.RemoteTarget)
            .Add("Via", Via(target.Transport, NewBranch()))
            .Add("Max-Forwards", "70")
            .Add("From", invite["From"]!)
            .Add("To", SipNameAddress.Format(call.RemoteUri, call.RemoteTag))
            .Add("Call-ID", call.CallId)
            .Add("CSeq", invite.CSeq.ToString(CultureInfo.InvariantCulture) + " ACK");
        foreach (string r in call.RouteSet)
        {
            ack.Add("Route", r);
        }
        call.AckBytes = ack.ToBytes();
        call.AckTo = target;
        _transport.Send(call.AckBytes, target);
    }

    private SipRemote RouteTarget(SipCall call, SipRemote fallback)
    {
        string uriText = call.RemoteTarget;
        if (call.RouteSet.Count > 0 && SipNameAddress.TryParse(call.RouteSet[0], out var route))
        {
            uriText = route!.Uri;
        }
        if (SipUri.TryParse(uriText, out var uri, out _) && uri!.ResolveHost() is IPAddress ip)
        {
            return RemoteFor(uri, ip);
        }
        return fallback;
    }

    // ---------------------------------------------------------------- hanging up

    internal void Hangup(SipCall call)
    {
        lock (_gate)
        {
            switch (call.State)
            {
                case SipCallState.Terminated:
                    return;
                case SipCallState.Connected:
                    SendBye(call);
                    Terminate(call, new SipCallEnd(true, "local hangup", null));
                    return;
                default:
                    if (call.Direction == SipCallDirection.Incoming && call.PendingAnswerMedia is not null)
                    {
                        // Answered, ACK not yet here: the dialog exists, so BYE ends it.
                        SendBye(call);
                        Terminate(call, new SipCallEnd(false, "local hangup before ACK", null));
                    }
                    else if (call.Direction == SipCallDirection.Incoming)
                    {
                        RespondToInvite(call, 603, "Decline", null);
                        Terminate(call, new SipCallEnd(false, "declined locally", 603));
                    }
                    else
                    {
                        CancelOutgoing(call, "cancelled");
                    }
                    return;
            }
        }
    }

    private void CancelOutgoing(SipCall call, string reason)
    {
        call.Cancelled = true;
        if (!call.GotProvisional)
        {
            // RFC 3261 §9.1: a CANCEL may only follow a provisional response.
            call.CancelPending = true;
            var timeout = _time.CreateTimer(_ =>
            {
                lock (_gate)
                {
                    if (call.State != SipCallState.Terminated && call.State != SipCallState.Connected)
                    {
                        Terminate(call, new SipCallEnd(false, reason, null));
                    }
                }
            }, null, _settings.Timers.TransactionTimeout, Timeout.InfiniteTimeSpan);
            _ = call.Ended.ContinueWith(_ => timeout.Dispose(), TaskScheduler.Default);
            return;
        }
        SendCancel(call);
        var t = _time.CreateTimer(_ =>
        {
            lock (_gate)
            {
                if (call.State != SipCallState.Terminated && call.State != SipCallState.Connected)
                {
                    Terminate(call, new SipCallEnd(false, reason, null));
                }
            }
        }, null, _settings.Timers.TransactionTimeout, Timeout.InfiniteTimeSpan);
        _ = call.Ended.ContinueWith(_ => t.Dispose(), TaskScheduler.Default);
    }

    private void SendCancel(SipCall call)
    {
        var invite = call.Invite!;
        var cancel = SipMessage.Request("CANCEL", invite.RequestUri)
            .Add("Via", invite.GetAll("Via")[0])
            .Add("Max-Forwards", "70")
            .Add("From", invite["From"]!)
            .Add("To", invite["To"]!)
            .Add("Call-ID", call.CallId)
            .Add("CSeq", invite.CSeq.ToString(CultureInfo.InvariantCulture) + " CANCEL");
        foreach (string r in invite.GetAll("Route"))
        {
            cancel.Add("Route", r);
        }
        StartClientTransaction(cancel, call.AckTo, _ => { }, () => { });
    }

    private void SendBye(SipCall call)
    {
        call.OkTimer?.Dispose();
        var target = RouteTarget(call, call.AckTo);
        call.LocalCSeq++;
        var bye = InDialogRequest(call, "BYE", target);
        StartClientTransaction(bye, target, resp =>
        {
            if (resp.StatusCode is 401 or 407 && TryAuthorize(call, resp, "BYE", call.RemoteTarget, out var auth))
            {
                call.LocalCSeq++;
                var again = InDialogRequest(call, "BYE", target);
                again.Add(auth.Item1, auth.Item2);
                StartClientTransaction(again, target, _ => { }, () => { });
            }
        }, () => { });
    }

    private SipMessage InDialogRequest(SipCall call, string method, SipRemote target)
    {
        bool outgoing = call.Direction == SipCallDirection.Outgoing;
        string from = outgoing ? call.Invite!["From"]! : SipNameAddress.Format(call.LocalUri, call.LocalTag);
        string to = outgoing ? SipNameAddress.Format(call.RemoteUri, call.RemoteTag) : call.Invite!["From"]!;
        var m = SipMessage.Request(method, call.RemoteTarget)
            .Add("Via", Via(target.Transport, NewBranch()))
            .Add("Max-Forwards", "70")
            .Add("From", from)
            .Add("To", to)
            .Add("Call-ID", call.CallId)
            .Add("CSeq", call.LocalCSeq.ToString(CultureInfo.InvariantCulture) + " " + method)
            .Add("User-Agent", "RoomDevice/0.1");
        foreach (string r in call.RouteSet)
        {
            m.Add("Route", r);
        }
        return m;
    }

    // ---------------------------------------------------------------- hold / resume

    internal Task<bool> ReinviteAsync(SipCall call, bool hold)
    {
        lock (_gate)
        {
            if (call.State != SipCallState.Connected || call.PendingReinvite is not null)
            {
                return Task.FromResult(false);
            }
            var tcs = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            call.PendingReinvite = tcs;
            call.PendingHold = hold;
            call.SdpVersion++;
            var media = call.MediaSession;
            var sdp = SdpNegotiator.CreateOffer(_settings.Media, media.LocalAddress, media.RtpPort, media.RtcpPort,
                hold ? MediaDirection.SendOnly : MediaDirection.SendRecv, call.LocalSdp?.SessionId ?? Token(4), call.SdpVersion);
            call.LocalSdp = sdp;
            var target = RouteTarget(call, call.AckTo);
            call.LocalCSeq++;
            var invite = InDialogRequest(call, "INVITE", target)
                .Add("Contact", "<" + ContactUri(target.Transport) + ">")
                .Add("Allow", Allow)
                .Add("Content-Type", "application/sdp");
            invite.Body = Encoding.UTF8.GetBytes(sdp.ToString());
            StartClientTransaction(invite, target, resp => OnInviteResponse(call, invite, target, resp), () => OnInviteTimeout(call, invite, target));
            return tcs.Task;
        }
    }

    // ---------------------------------------------------------------- client transactions

    private void StartClientTransaction(SipMessage request, SipRemote remote, Action<SipMessage> onResponse, Action onTimeout)
    {
        string key = request.TopVia!.Branch + "|" + request.Method;
        var tx = new ClientTransaction
        {
            Key = key,
            Request = request,
            Bytes = request.ToBytes(),
            Remote = remote,
            OnResponse = onResponse,
            OnTimeout = onTimeout,
            State = request.Method == "INVITE" ? TransactionState.Calling : TransactionState.Trying,
            Interval = _settings.Timers.T1,
        };
        _client[key] = tx;
        // Timers are armed before the first send, so they count from the moment the request leaves.
        if (remote.Transport == SipTransportKind.Udp)
        {
            tx.Retransmit = _time.CreateTimer(_ => ClientRetransmit(tx), null, tx.Interval, Timeout.InfiniteTimeSpan);
        }
        tx.Timeout = _time.CreateTimer(_ => ClientTimeout(tx), null, _settings.Timers.TransactionTimeout, Timeout.InfiniteTimeSpan);
        if (!_transport.Send(tx.Bytes, remote))
        {
            // Transport error: treat as a timeout right away (RFC 3261 §17.1.4), outside this call stack.
            tx.Retransmit?.Dispose();
            tx.Retransmit = null;
            tx.Timeout.Dispose();
            tx.Timeout = _time.CreateTimer(_ => ClientTimeout(tx), null, TimeSpan.FromMilliseconds(1), Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>
    /// An outgoing TCP/TLS connection failed after the requests were handed to it: each client
    /// transaction waiting on it ends now (as a transport error, RFC 3261 §17.1.4) rather than at timer B.
    /// </summary>
    private void OnConnectFailed(SipRemote remote, string reason)
    {
        List<ClientTransaction> waiting;
        lock (_gate)
        {
            waiting = [.. _client.Values.Where(t => t.Remote.Transport == remote.Transport && t.Remote.EndPoint.Equals(remote.EndPoint))];
        }
        foreach (ClientTransaction tx in waiting)
        {
            ClientTimeout(tx);
        }
    }

    private void ClientRetransmit(ClientTransaction tx)
    {
        lock (_gate)
        {
            if (tx.State is TransactionState.Completed or TransactionState.Terminated || (tx.IsInvite && tx.State == TransactionState.Proceeding))
            {
                return;
            }
            _transport.Send(tx.Bytes, tx.Remote);
            Retransmissions++;
            tx.Retransmissions++;
            // Timer A doubles without bound; timer E doubles up to T2, and stays at T2 once proceeding.
            tx.Interval = tx.IsInvite ? tx.Interval * 2 : TimeSpan.FromTicks(Math.Min((tx.Interval * 2).Ticks, _settings.Timers.T2.Ticks));
            if (!tx.IsInvite && tx.State == TransactionState.Proceeding)
            {
                tx.Interval = _settings.Timers.T2;
            }
            tx.Retransmit?.Change(tx.Interval, Timeout.InfiniteTimeSpan);
        }
    }

    private void ClientTimeout(ClientTransaction tx)
    {
        lock (_gate)
        {
            if (tx.State is TransactionState.Completed or TransactionState.Terminated)
            {
                return;
            }
            if (tx.IsInvite && tx.State == TransactionState.Proceeding)
            {
                return; // timer B only runs while calling; ringing is bounded by the ring timeout
            }
            tx.State = TransactionState.Terminated;
            tx.StopTimers();
            _client.Remove(tx.Key);
            _log.LogInformation("{Method} to {Remote} timed out", tx.Request.Method, tx.Remote);
            tx.OnTimeout();
        }
    }

    private void HandleResponse(SipMessage resp, SipRemote from)
    {
        var via = resp.TopVia;
        string key = (via?.Branch ?? "") + "|" + resp.Method;
        if (!_client.TryGetValue(key, out var tx))
        {
            // A retransmitted 2xx to an INVITE whose transaction is gone: ACK it again.
            if (resp.Method == "INVITE" && resp.StatusCode is >= 200 and < 300 && _calls.TryGetValue(resp.CallId, out var call) && call.AckBytes is not null)
            {
                _transport.Send(call.AckBytes, call.AckTo);
                return;
            }
            _log.LogDebug("stray response {Response} from {Remote}", resp, from);
            return;
        }
        int code = resp.StatusCode;
        if (code < 200)
        {
            if (tx.State is TransactionState.Calling or TransactionState.Trying)
            {
                tx.State = TransactionState.Proceeding;
                if (tx.IsInvite)
                {
                    tx.Retransmit?.Dispose();
                    tx.Retransmit = null;
                }
            }
            if (tx.State == TransactionState.Proceeding)
            {
                tx.OnResponse(resp);
            }
            return;
        }
        if (tx.State is TransactionState.Completed or TransactionState.Terminated)
        {
            if (tx.IsInvite && tx.AckBytes is not null)
            {
                _transport.Send(tx.AckBytes, tx.Remote); // retransmitted final response: ACK again
            }
            return;
        }
        tx.StopTimers();
        if (tx.IsInvite && code >= 300)
        {
            // The transaction ACKs a failure itself (same branch, To from the response).
            var ack = SipMessage.Request("ACK", tx.Request.RequestUri)
                .Add("Via", tx.Request.GetAll("Via")[0])
                .Add("Max-Forwards", "70")
                .Add("From", tx.Request["From"]!)
                .Add("To", resp["To"]!)
                .Add("Call-ID", tx.Request.CallId)
                .Add("CSeq", tx.Request.CSeq.ToString(CultureInfo.InvariantCulture) + " ACK");
            foreach (string r in tx.Request.GetAll("Route"))
            {
                ack.Add("Route", r);
            }
            tx.AckBytes = ack.ToBytes();
            _transport.Send(tx.AckBytes, tx.Remote);
        }
        if (tx.IsInvite && code < 300)
        {
            tx.State = TransactionState.Terminated;
            _client.Remove(tx.Key);
        }
        else
        {
            tx.State = TransactionState.Completed;
            // Timer D (32 s) for INVITE, K (T4) otherwise; zero on TCP.
            TimeSpan linger = tx.Remote.Transport != SipTransportKind.Udp ? TimeSpan.Zero
                : tx.IsInvite ? TimeSpan.FromSeconds(32) : _settings.Timers.T4;
            tx.Cleanup = _time.CreateTimer(_ =>
            {
                lock (_gate)
                {
                    tx.State = TransactionState.Terminated;
                    _client.Remove(tx.Key);
                }
            }, null, linger == TimeSpan.Zero ? TimeSpan.FromMilliseconds(1) : linger, Timeout.InfiniteTimeSpan);
        }
        tx.OnResponse(resp);
    }

    // ---------------------------------------------------------------- incoming

    private void OnMessage(SipMessage msg, SipRemote from)
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }
            if (msg.IsRequest)
            {
                HandleRequest(msg, from);
            }
            else
            {
                HandleResponse(msg, from);
            }
        }
    }

    private static string ServerKey(SipMessage req, string method)
    {
        var via = req.TopVia!;
        string branch = via.Branch.StartsWith("z9hG4bK", StringComparison.Ordinal) ? via.Branch
            : req.CallId + "/" + req.CSeq.ToString(CultureInfo.InvariantCulture) + "/" + (req.From?.Tag ?? "");
        return branch + "|" + via.Host + ":" + (via.Port ?? 0).ToString(CultureInfo.InvariantCulture) + "|" + method;
    }

    private void HandleRequest(SipMessage req, SipRemote from)
    {
        if (req.Method == "ACK")
        {
            HandleAck(req);
            return;
        }
        string key = ServerKey(req, req.Method);
        if (_server.TryGetValue(key, out var existing))
        {
            // A retransmission: answer with what we said last.
            if (existing.LastResponse is not null)
            {
                _transport.Send(existing.LastResponse, existing.Remote);
            }
            return;
        }
        var tx = new ServerTransaction { Key = key, Request = req, Remote = from, Interval = _settings.Timers.T1 };
        _server[key] = tx;
        if (req.Method == "CANCEL")
        {
            HandleCancel(req, tx);
            return;
        }
        string? toTag = req.To?.Tag;
        if (toTag is not null)
        {
            HandleInDialog(req, tx, toTag);
            return;
        }
        switch (req.Method)
        {
            case "INVITE":
                HandleNewInvite(req, tx, from);
                break;
            case "OPTIONS":
                {
                    var r = Response(req, 200, "OK", Token(6));
                    r.Add("Allow", Allow).Add("Accept", "application/sdp").Add("Supported", "replaces");
                    Respond(tx, r);
                    break;
                }
            case "BYE":
            case "INFO":
                Respond(tx, Response(req, 481, "Call/Transaction Does Not Exist", Token(6)));
                break;
            default:
                {
                    var r = Response(req, 405, "Method Not Allowed", Token(6));
                    r.Add("Allow", Allow);
                    Respond(tx, r);
                    break;
                }
        }
    }

    private SipMessage Response(SipMessage req, int code, string reason, string? toTag)
    {
        var r = SipMessage.Response(code, reason);
        foreach (string v in req.GetAll("Via"))
        {
            r.Add("Via", v);
        }
        r.Add("From", req["From"]!);
        string to = req["To"]!;
        if (toTag is not null && req.To?.Tag is null)
        {
            to += ";tag=" + toTag;
        }
        r.Add("To", to);
        r.Add("Call-ID", req.CallId);
        r.Add("CSeq", req["CSeq"]!);
        r.Add("Server", "RoomDevice/0.1");
        r.SetMethodFromCSeq(req.Method);
        return r;
    }

    private void Respond(ServerTransaction tx, SipMessage resp)
    {
        byte[] bytes = resp.ToBytes();
        tx.LastResponse = bytes;
        tx.LastStatus = resp.StatusCode;
        _transport.Send(bytes, tx.Remote);
        if (resp.StatusCode < 200)
        {
            return;
        }
        bool invite = tx.Request.Method == "INVITE";
        if (invite && resp.StatusCode >= 300)
        {
            // Timer G resends the failure until ACK; timer H gives up.
            tx.State = TransactionState.Completed;
            if (tx.Remote.Transport == SipTransportKind.Udp)
            {
                tx.Retransmit = _time.CreateTimer(_ => ServerRetransmit(tx), null, tx.Interval, Timeout.InfiniteTimeSpan);
            }
            tx.Timeout = _time.CreateTimer(_ => RemoveServer(tx), null, _settings.Timers.TransactionTimeout, Timeout.InfiniteTimeSpan);
            return;
        }
        // 2xx to INVITE (RFC 6026 accepted state) and non-INVITE finals: absorb retransmissions for 64·T1.
        tx.State = TransactionState.Completed;
        TimeSpan linger = tx.Remote.Transport != SipTransportKind.Udp && !invite ? TimeSpan.FromMilliseconds(1) : _settings.Timers.TransactionTimeout;
        tx.Cleanup = _time.CreateTimer(_ => RemoveServer(tx), null, linger, Timeout.InfiniteTimeSpan);
    }

    private void ServerRetransmit(ServerTransaction tx)
    {
        lock (_gate)
        {
            if (tx.State != TransactionState.Completed || tx.LastResponse is null)
            {
                return;
            }
            _transport.Send(tx.LastResponse, tx.Remote);
            Retransmissions++;
            tx.Interval = TimeSpan.FromTicks(Math.Min((tx.Interval * 2).Ticks, _settings.Timers.T2.Ticks));
            tx.Retransmit?.Change(tx.Interval, Timeout.InfiniteTimeSpan);
        }
    }

    private void RemoveServer(ServerTransaction tx)
    {
        lock (_gate)
        {
            tx.StopTimers();
            tx.State = TransactionState.Terminated;
            _server.Remove(tx.Key);
            if (tx.Call is { State: not SipCallState.Terminated } call && tx.Request.Method == "INVITE" && tx.LastStatus >= 300
                && ReferenceEquals(call.Invite, tx.Request))
            {
                Terminate(call, new SipCallEnd(false, "no ACK for our final response", tx.LastStatus));
            }
        }
    }

    private void HandleAck(SipMessage ack)
    {
        string key = ServerKey(ack, "INVITE");
        if (_server.TryGetValue(key, out var tx) && tx.LastStatus >= 300)
        {
            // ACK of our failure response: stop timer G, linger for timer I.
            tx.Retransmit?.Dispose();
            tx.Retransmit = null;
            tx.State = TransactionState.Confirmed;
            tx.Timeout?.Dispose();
            tx.Timeout = _time.CreateTimer(_ =>
            {
                lock (_gate)
                {
                    tx.StopTimers();
                    _server.Remove(tx.Key);
                }
            }, null, tx.Remote.Transport != SipTransportKind.Udp ? TimeSpan.FromMilliseconds(1) : _settings.Timers.T4, Timeout.InfiniteTimeSpan);
            return;
        }
        if (!_calls.TryGetValue(ack.CallId, out var call) || call.OkBytes is null || ack.CSeq != call.OkCSeq)
        {
            return;
        }
        call.OkTimer?.Dispose();
        call.OkTimer = null;
        call.OkBytes = null;
        if (call.PendingAnswerMedia is not null)
        {
            // The initial INVITE: connected once our 2xx is acknowledged.
            call.PendingAnswerMedia = null;
            if (call.State != SipCallState.Connected && call.State != SipCallState.Terminated)
            {
                SetState(call, SipCallState.Connected);
            }
        }
    }

    private void HandleCancel(SipMessage cancel, ServerTransaction tx)
    {
        string inviteKey = ServerKey(cancel, "INVITE");
        if (!_server.TryGetValue(inviteKey, out var inviteTx))
        {
            Respond(tx, Response(cancel, 481, "Call/Transaction Does Not Exist", Token(6)));
            return;
        }
        Respond(tx, Response(cancel, 200, "OK", inviteTx.Call?.LocalTag ?? Token(6)));
        if (inviteTx.LastStatus < 200 && inviteTx.Call is SipCall call)
        {
            RespondToInvite(call, 487, "Request Terminated", null);
            Terminate(call, new SipCallEnd(false, "cancelled by caller", 487));
        }
    }

    private void HandleNewInvite(SipMessage req, ServerTransaction tx, SipRemote from)
    {
        if (_calls.ContainsKey(req.CallId))
        {
            Respond(tx, Response(req, 482, "Loop Detected", Token(6)));
            return;
        }
        string localTag = Token(6);
        Respond(tx, Response(req, 100, "Trying", null));
        if (_settings.RejectWhenBusy && _calls.Values.Any(c => c.State != SipCallState.Terminated))
        {
            Respond(tx, Response(req, 486, "Busy Here", localTag));
            return;
        }
        SessionDescription? offer = null;
        string error = "the INVITE carries no SDP offer";
        if (req.Body.Length == 0 || !SessionDescription.TryParse(req.BodyText, out offer, out error))
        {
            var r = Response(req, 488, "Not Acceptable Here", localTag);
            r.Add("Warning", "399 roomdevice \"" + error.Replace('"', '\'') + "\"");
            Respond(tx, r);
            _log.LogWarning("incoming INVITE from {Remote} refused: {Error}", from, error);
            return;
        }
        MediaSession media;
        try
        {
            media = _mediaFactory();
        }
        catch (System.Net.Sockets.SocketException e)
        {
            Respond(tx, Response(req, 500, "Server Internal Error", localTag));
            _log.LogError(e, "no media ports for an incoming call");
            return;
        }
        var call = new SipCall(this, SipCallDirection.Incoming, req.CallId, localTag, media)
        {
            RemoteUri = req.From!.Uri,
            RemoteDisplayName = req.From.DisplayName,
            RemoteTag = req.From.Tag,
            LocalUri = req.To!.Uri,
            Invite = req,
            InviteSource = from,
            Transport = from.Transport,
            RemoteCSeq = req.CSeq,
            LocalCSeq = 1,
        };
        var contacts = req.GetAll("Contact");
        call.RemoteTarget = contacts.Count > 0 && SipNameAddress.TryParse(contacts[0], out var c) ? c!.Uri : req.From.Uri;
        call.RouteSet = [.. req.GetAll("Record-Route")];
        call.AckTo = RouteTarget(call, from);
        call.SdpVersion = 1;
        if (!SdpNegotiator.TryAnswer(offer!, _settings.Media, media.LocalAddress, media.RtpPort, media.RtcpPort, false, Token(4), call.SdpVersion,
            out var answer, out var negotiated, out string reason))
        {
            var r = Response(req, 488, "Not Acceptable Here", localTag);
            r.Add("Warning", "304 roomdevice \"" + reason.Replace('"', '\'') + "\"");
            Respond(tx, r);
            media.Dispose();
            _log.LogWarning("incoming INVITE from {Remote} refused: {Reason}", from, reason);
            return;
        }
        tx.Call = call;
        call.LocalSdp = answer;
        call.Media = negotiated;
        call.RemoteHold = negotiated!.Direction is MediaDirection.RecvOnly or MediaDirection.Inactive;
        _calls[call.CallId] = call;
        _log.LogInformation("incoming call from {Remote} ({Uri})", from, call.RemoteUri);
        Post(() => IncomingCall?.Invoke(this, call));
        if (_settings.AutoAnswer)
        {
            AnswerLocked(call);
        }
        else
        {
            var ringing = Response(req, 180, "Ringing", localTag);
            ringing.Add("Contact", "<" + ContactUri(from.Transport) + ">");
            Respond(tx, ringing);
            SetState(call, SipCallState.Ringing);
        }
    }

    internal void Answer(SipCall call)
    {
        lock (_gate)
        {
            AnswerLocked(call);
        }
    }

    private void AnswerLocked(SipCall call)
    {
        if (call.Direction != SipCallDirection.Incoming || call.State is SipCallState.Connected or SipCallState.Terminated || call.OkBytes is not null)
        {
            return;
        }
        var negotiated = call.Media!;
        RespondToInvite(call, 200, "OK", call.LocalSdp);
        call.PendingAnswerMedia = negotiated;
        StartMedia(call, negotiated);
    }

    internal void Reject(SipCall call, int status)
    {
        lock (_gate)
        {
            if (call.Direction != SipCallDirection.Incoming || call.State is SipCallState.Connected or SipCallState.Terminated)
            {
                return;
            }
            string reason = status switch { 486 => "Busy Here", 603 => "Decline", 480 => "Temporarily Unavailable", _ => "Rejected" };
            RespondToInvite(call, status is >= 300 and <= 699 ? status : 486, reason, null);
            Terminate(call, new SipCallEnd(false, "rejected locally", status));
        }
    }

    private void RespondToInvite(SipCall call, int status, string reason, SessionDescription? sdp)
    {
        var req = call.Invite!;
        string key = ServerKey(req, "INVITE");
        if (!_server.TryGetValue(key, out var tx))
        {
            return;
        }
        var r = Response(req, status, reason, call.LocalTag);
        if (status < 300)
        {
            r.Add("Contact", "<" + ContactUri(tx.Remote.Transport) + ">").Add("Allow", Allow).Add("Supported", "replaces");
        }
        if (sdp is not null)
        {
            r.Add("Content-Type", "application/sdp");
            r.Body = Encoding.UTF8.GetBytes(sdp.ToString());
        }
        Respond(tx, r);
        if (status is >= 200 and < 300)
        {
            StartOkRetransmission(call, tx, req.CSeq);
        }
    }

    private void StartOkRetransmission(SipCall call, ServerTransaction tx, long cseq)
    {
        // The UA core, not the transaction, resends a 2xx until the ACK (RFC 3261 §13.3.1.4).
        call.OkBytes = tx.LastResponse;
        call.OkCSeq = cseq;
        call.OkInterval = _settings.Timers.T1;
        call.OkElapsed = TimeSpan.Zero;
        call.InviteSource = tx.Remote;
        call.OkTimer?.Dispose();
        if (tx.Remote.Transport == SipTransportKind.Udp)
        {
            call.OkTimer = _time.CreateTimer(_ => OkRetransmit(call), null, call.OkInterval, Timeout.InfiniteTimeSpan);
        }
        else
        {
            call.OkTimer = _time.CreateTimer(_ => OkRetransmit(call), null, _settings.Timers.TransactionTimeout, Timeout.InfiniteTimeSpan);
            call.OkElapsed = _settings.Timers.TransactionTimeout;
        }
    }

    private void OkRetransmit(SipCall call)
    {
        lock (_gate)
        {
            if (call.OkBytes is null || call.State == SipCallState.Terminated)
            {
                return;
            }
            call.OkElapsed += call.OkInterval;
            if (call.OkElapsed >= _settings.Timers.TransactionTimeout)
            {
                _log.LogWarning("{Call}: no ACK for our 200 OK; ending the call", call);
                call.OkBytes = null;
                SendBye(call);
                Terminate(call, new SipCallEnd(call.State == SipCallState.Connected, "no ACK for our 200 OK", null));
                return;
            }
            _transport.Send(call.OkBytes, call.InviteSource!.Value);
            Retransmissions++;
            call.OkInterval = TimeSpan.FromTicks(Math.Min((call.OkInterval * 2).Ticks, _settings.Timers.T2.Ticks));
            call.OkTimer?.Change(call.OkInterval, Timeout.InfiniteTimeSpan);
        }
    }

    private void HandleInDialog(SipMessage req, ServerTransaction tx, string toTag)
    {
        if (!_calls.TryGetValue(req.CallId, out var call) || call.LocalTag != toTag || call.State == SipCallState.Terminated)
        {
            Respond(tx, Response(req, 481, "Call/Transaction Does Not Exist", null));
            return;
        }
        if (call.RemoteCSeq >= 0 && req.CSeq < call.RemoteCSeq)
        {
            Respond(tx, Response(req, 500, "Server Internal Error", null));
            return;
        }
        call.RemoteCSeq = req.CSeq;
        switch (req.Method)
        {
            case "BYE":
                Respond(tx, Response(req, 200, "OK", null));
                Terminate(call, new SipCallEnd(call.State == SipCallState.Connected, call.State == SipCallState.Connected ? "remote hung up" : "remote ended before answer", null));
                break;
            case "INVITE":
                HandleReinvite(req, tx, call);
                break;
            case "OPTIONS":
            case "INFO":
            case "NOTIFY":
                Respond(tx, Response(req, 200, "OK", null));
                break;
            default:
                {
                    var r = Response(req, 405, "Method Not Allowed", null);
                    r.Add("Allow", Allow);
                    Respond(tx, r);
                    break;
                }
        }
    }

    private void HandleReinvite(SipMessage req, ServerTransaction tx, SipCall call)
    {
        var media = call.MediaSession;
        if (req.Body.Length == 0)
        {
            // Offer-less re-INVITE: offer our current session in the 200 (answer comes in the ACK, which we accept as is).
            call.SdpVersion++;
            call.LocalSdp!.Version = call.SdpVersion;
            var ok = Response(req, 200, "OK", null);
            ok.Add("Contact", "<" + ContactUri(tx.Remote.Transport) + ">").Add("Content-Type", "application/sdp");
            ok.Body = Encoding.UTF8.GetBytes(call.LocalSdp.ToString());
            Respond(tx, ok);
            StartOkRetransmission(call, tx, req.CSeq);
            return;
        }
        if (!SessionDescription.TryParse(req.BodyText, out var offer, out string error)
            || !SdpNegotiator.TryAnswer(offer!, _settings.Media, media.LocalAddress, media.RtpPort, media.RtcpPort, call.OnHold,
                call.LocalSdp?.SessionId ?? Token(4), ++call.SdpVersion, out var answer, out var negotiated, out error))
        {
            var r = Response(req, 488, "Not Acceptable Here", null);
            r.Add("Warning", "304 roomdevice \"" + error.Replace('"', '\'') + "\"");
            Respond(tx, r);
            return;
        }
        call.LocalSdp = answer;
        call.Media = negotiated;
        call.RemoteHold = negotiated!.Direction is MediaDirection.RecvOnly or MediaDirection.Inactive;
        var resp = Response(req, 200, "OK", null);
        resp.Add("Contact", "<" + ContactUri(tx.Remote.Transport) + ">").Add("Content-Type", "application/sdp");
        resp.Body = Encoding.UTF8.GetBytes(answer!.ToString());
        Respond(tx, resp);
        StartOkRetransmission(call, tx, req.CSeq);
        media.Update(negotiated);
        _log.LogInformation("{Call}: re-INVITE, now {Direction}{Hold}", call, negotiated.Direction, call.RemoteHold ? " (held by the far end)" : "");
        Post(() => call.RaiseState(call.State));
    }

    // ---------------------------------------------------------------- call life

    private void SetState(SipCall call, SipCallState state)
    {
        if (call.State == state || call.State == SipCallState.Terminated)
        {
            return;
        }
        call.State = state;
        if (state == SipCallState.Connected)
        {
            call.CompleteConnected();
        }
        Post(() => call.RaiseState(state));
    }

    private void Terminate(SipCall call, SipCallEnd end)
    {
        if (call.State == SipCallState.Terminated)
        {
            return;
        }
        call.State = SipCallState.Terminated;
        call.RingTimer?.Dispose();
        call.PendingReinvite?.TrySetResult(false);
        _log.LogInformation("{Call}: {Outcome}: {Reason}", call, end.WasConnected ? "ended" : "failed", end.Reason);
        var media = call.MediaSession;
        // Keep the call for 64·T1 so retransmitted 2xx are still ACKed and late BYEs answered.
        call.LingerTimer = _time.CreateTimer(_ =>
        {
            lock (_gate)
            {
                if (_calls.TryGetValue(call.CallId, out var c) && ReferenceEquals(c, call))
                {
                    _calls.Remove(call.CallId);
                }
                call.LingerTimer?.Dispose();
            }
        }, null, _settings.Timers.TransactionTimeout, Timeout.InfiniteTimeSpan);
        Post(() =>
        {
            media.Dispose();
            call.CompleteEnded(end);
            call.RaiseState(SipCallState.Terminated);
        });
    }

    // ---------------------------------------------------------------- registration

    private sealed class Registration
    {
        public volatile bool Registered;
        public string CallId = Token(12);
        public string Tag = Token(6);
        public long CSeq = 1;
        public ITimer? Refresh;
        public int AuthAttempts;
        public string? LastNonce;
    }

    private void SendRegister(int expires, (string, string)? auth)
    {
        if (!SipUri.TryParse(_settings.Registrar, out var registrar, out string error))
        {
            _log.LogError("registrar '{Registrar}' is not usable: {Error}", _settings.Registrar, error);
            return;
        }
        var ip = registrar!.ResolveHost();
        if (ip is null)
        {
            _log.LogError("registrar host '{Host}' does not resolve", registrar.Host);
            return;
        }
        var remote = RemoteFor(registrar, ip);
        string aor = $"sip:{_settings.User}@{registrar.Host}";
        string uri = $"{registrar.Scheme}:{registrar.Host}" + (registrar.Port is int p ? ":" + p.ToString(CultureInfo.InvariantCulture) : "");
        var reg = _registration;
        var m = SipMessage.Request("REGISTER", uri)
            .Add("Via", Via(remote.Transport, NewBranch()))
            .Add("Max-Forwards", "70")
            .Add("From", SipNameAddress.Format(aor, reg.Tag))
            .Add("To", SipNameAddress.Format(aor, null))
            .Add("Call-ID", reg.CallId)
            .Add("CSeq", (reg.CSeq++).ToString(CultureInfo.InvariantCulture) + " REGISTER")
            .Add("Contact", "<" + ContactUri(remote.Transport) + ">")
            .Add("Expires", expires.ToString(CultureInfo.InvariantCulture))
            .Add("User-Agent", "RoomDevice/0.1");
        if (auth is { } a)
        {
            m.Add(a.Item1, a.Item2);
        }
        StartClientTransaction(m, remote, resp => OnRegisterResponse(resp, expires, uri), () =>
        {
            reg.Registered = false;
            _log.LogWarning("registration with {Registrar} timed out; retrying in 60 s", _settings.Registrar);
            ScheduleRegister(TimeSpan.FromSeconds(60));
        });
    }

    private void OnRegisterResponse(SipMessage resp, int expires, string uri)
    {
        var reg = _registration;
        if (resp.StatusCode < 200)
        {
            return;
        }
        if (resp.StatusCode is 401 or 407 && _settings.Password is not null)
        {
            bool proxy = resp.StatusCode == 407;
            if (DigestChallenge.TryParse(resp[proxy ? "Proxy-Authenticate" : "WWW-Authenticate"], out var ch, out _)
                && reg.AuthAttempts < 2 && (reg.LastNonce != ch!.Nonce || ch.Stale))
            {
                reg.AuthAttempts++;
                reg.LastNonce = ch.Nonce;
                SendRegister(expires, (proxy ? "Proxy-Authorization" : "Authorization",
                    DigestAuthenticator.Respond(ch, _settings.AuthUser ?? _settings.User, _settings.Password, "REGISTER", uri)));
                return;
            }
        }
        reg.AuthAttempts = 0;
        if (resp.StatusCode is >= 200 and < 300)
        {
            if (expires == 0)
            {
                reg.Registered = false;
                return;
            }
            int granted = expires;
            if (int.TryParse(resp["Expires"], NumberStyles.None, CultureInfo.InvariantCulture, out int e) && e > 0)
            {
                granted = e;
            }
            foreach (string c in resp.GetAll("Contact"))
            {
                if (SipNameAddress.TryParse(c, out var na) && na!.Parameters.TryGetValue("expires", out string? ce)
                    && int.TryParse(ce, NumberStyles.None, CultureInfo.InvariantCulture, out int cev) && cev > 0)
                {
                    granted = cev;
                }
            }
            reg.Registered = true;
            _log.LogInformation("registered with {Registrar} for {Seconds} s", _settings.Registrar, granted);
            ScheduleRegister(TimeSpan.FromSeconds(Math.Max(5, granted * 0.8)));
            return;
        }
        reg.Registered = false;
        _log.LogWarning("registration refused: {Status} {Reason}; retrying in 60 s", resp.StatusCode, resp.Reason);
        ScheduleRegister(TimeSpan.FromSeconds(60));
    }

    private void ScheduleRegister(TimeSpan after)
    {
        _registration.Refresh?.Dispose();
        _registration.Refresh = _time.CreateTimer(_ =>
        {
            lock (_gate)
            {
                if (!_disposed)
                {
                    SendRegister(_settings.RegisterExpiresSeconds, null);
                }
            }
        }, null, after, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Hangs up every call, unregisters, closes the transport.</summary>
    public void Dispose()
    {
        List<SipCall> calls;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }
            calls = [.. _calls.Values];
            foreach (var c in calls)
            {
                if (c.State == SipCallState.Connected)
                {
                    SendBye(c);
                }
                Terminate(c, new SipCallEnd(c.State == SipCallState.Connected, "user agent stopped", null));
            }
            if (_registration.Registered)
            {
                SendRegister(0, null);
            }
            _registration.Refresh?.Dispose();
            _disposed = true;
            foreach (var tx in _client.Values)
            {
                tx.StopTimers();
            }
            foreach (var tx in _server.Values)
            {
                tx.StopTimers();
            }
            _client.Clear();
            _server.Clear();
        }
        _events.Writer.TryComplete();
        _eventPump.Wait(TimeSpan.FromSeconds(5));
        _transport.Dispose();
    }
}
