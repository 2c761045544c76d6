using System.Globalization;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using RoomDevice.Calls.Media;
using RoomDevice.Calls.Sip;
using RoomDevice.Core.Diagnostics;
using RoomDevice.Core.Room;

namespace RoomDevice.Calls;

/// <summary>
/// Drives calls from the room state machine: joining dials the room's call target, leaving hangs
/// up, and the call's outcome comes back as <see cref="CallConnected"/>, <see cref="CallFailed"/>
/// or <see cref="CallEnded"/> with "call.started", "call.failed", "call.ended" device events. Sends
/// the meeting PIN as DTMF after answer, leaves when the meeting ends, and takes incoming calls
/// (answered at once, or when join is pressed while they ring). While an incoming call rings the
/// <see cref="RingTone"/> sounds; answering, the caller's CANCEL or the ring timeout (480) stops it.
/// Room changes and call outcomes are handled in order on one worker, never inside the state
/// machine's event.
/// </summary>
public sealed class RoomCallCoordinator : IDisposable
{
    private readonly RoomStateMachine _room;
    private readonly DeviceEventHub _events;
    private readonly SipUserAgent _agent;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly Func<string, string> _resolveTarget;
    private readonly TimeSpan _pinDelay;
    private readonly Channel<Action> _work = Channel.CreateUnbounded<Action>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _worker;
    private readonly ITimer _meetingClock;
    private SipCall? _call;
    private SipCall? _ringing;
    private readonly RingTone? _ringTone;
    private readonly TimeSpan _ringTimeout;
    private ITimer? _ringTimer;
    // Held, not discarded: an unreferenced system timer can be collected before it fires.
    private ITimer? _pinTimer;
    private DateTimeOffset _connectedAt;
    private bool _disposed;

    /// <summary>
    /// Wires <paramref name="agent"/> to <paramref name="room"/>. <paramref name="resolveTarget"/>
    /// maps configured URIs to dialable ones (the simulation's sip:echo@local). <paramref name="ringTone"/>
    /// (in the loudspeaker mix) sounds while an incoming call rings, for at most
    /// <paramref name="ringTimeout"/> (the agent's ring timeout when null).
    /// </summary>
    public RoomCallCoordinator(RoomStateMachine room, DeviceEventHub events, SipUserAgent agent, TimeProvider time, ILogger logger,
        Func<string, string>? resolveTarget = null, TimeSpan? pinDelay = null, RingTone? ringTone = null, TimeSpan? ringTimeout = null)
    {
        ArgumentNullException.ThrowIfNull(room);
        ArgumentNullException.ThrowIfNull(events);
        ArgumentNullException.ThrowIfNull(agent);
        _room = room;
        _events = events;
        _agent = agent;
        _time = time ?? TimeProvider.System;
        _log = logger;
        _resolveTarget = resolveTarget ?? (s => s);
        _pinDelay = pinDelay ?? TimeSpan.FromMilliseconds(1500);
        _ringTone = ringTone;
        _ringTimeout = ringTimeout ?? TimeSpan.FromSeconds(agent.Settings.RingTimeoutSeconds);
        _worker = Task.Run(Work);
        _room.Changed += OnRoomChanged;
        _agent.IncomingCall += OnIncomingCall;
        _meetingClock = _time.CreateTimer(_ => Post(CheckMeetingEnd), null, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(5));
    }

    /// <summary>The call in progress, if any.</summary>
    public SipCall? CurrentCall => Volatile.Read(ref _call);

    /// <summary>The ring tone, when one is wired.</summary>
    public RingTone? RingTone => _ringTone;

    /// <summary>The user agent.</summary>
    public SipUserAgent Agent => _agent;

    private void Post(Action a) => _work.Writer.TryWrite(a);

    private async Task Work()
    {
        await foreach (var a in _work.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            try
            {
                a();
            }
#pragma warning disable CA1031 // one failed step must not stop the room's call handling
            catch (Exception e)
#pragma warning restore CA1031
            {
                _log.LogError(e, "call coordination step failed");
            }
        }
    }

    private void OnRoomChanged(object? sender, RoomStateChangedEventArgs e)
    {
        var prev = e.Previous;
        var cur = e.Current;
        if (prev.Phase == CallPhase.Idle && cur.Phase == CallPhase.Joining)
        {
            Post(() => Join(cur));
        }
        else if (prev.Phase != CallPhase.Leaving && cur.Phase == CallPhase.Leaving)
        {
            Post(Leave);
        }
        else if (cur.Phase == CallPhase.InCall && cur.Muted != prev.Muted)
        {
            _log.LogInformation("microphone {State} in the call", cur.Muted ? "muted" : "unmuted");
        }
    }

    private void Join(RoomSnapshot s)
    {
        if (_call is not null && _call.State != SipCallState.Terminated)
        {
            return; // the incoming call that made the room join
        }
        if (_ringing is { State: SipCallState.Ringing } ringing)
        {
            _ringing = null;
            StopRinging();
            Track(ringing, s.Meeting);
            ringing.Answer();
            return;
        }
        string target = s.CallTarget ?? "";
        SipCall call;
        try
        {
            call = _agent.Dial(_resolveTarget(target));
        }
        catch (ArgumentException ex)
        {
            Fail(target, "bad call target: " + ex.Message);
            return;
        }
        catch (System.Net.Sockets.SocketException ex)
        {
            Fail(target, "no media ports: " + ex.Message);
            return;
        }
        Track(call, s.Meeting);
    }

    private void Fail(string target, string reason)
    {
        _log.LogWarning("call to {Target} failed: {Reason}", target, reason);
        _room.Handle(new CallFailed(reason) { Origin = "call" });
        _events.Publish(new DeviceEvent("call.failed", _time.GetUtcNow(), new Dictionary<string, string> { ["target"] = target, ["reason"] = reason }));
    }

    private void Track(SipCall call, Meeting? meeting)
    {
        Volatile.Write(ref _call, call);
        _ = call.Connected.ContinueWith(_ => Post(() => OnConnected(call, meeting)), TaskScheduler.Default);
        _ = call.Ended.ContinueWith(t => Post(() => OnEnded(call, t.Result)), TaskScheduler.Default);
    }

    private void OnConnected(SipCall call, Meeting? meeting)
    {
        if (call.State == SipCallState.Terminated)
        {
            return;
        }
        _connectedAt = _time.GetUtcNow();
        var r = _room.Handle(new CallConnected { Origin = "call" });
        if (!r.Accepted)
        {
            _log.LogInformation("room refused the connected call ({Reason}); hanging up", r.Reason);
            call.Hangup();
            return;
        }
        _events.Publish(new DeviceEvent("call.started", _connectedAt, new Dictionary<string, string>
        {
            ["target"] = call.RemoteUri,
            ["direction"] = call.Direction == SipCallDirection.Outgoing ? "outgoing" : "incoming",
            ["codec"] = call.Media?.CodecName ?? "",
            ["meeting"] = meeting?.Title ?? "",
        }));
        if (meeting?.Pin is string pin && pin.Length > 0)
        {
            _pinTimer?.Dispose();
            _pinTimer = _time.CreateTimer(_ => Post(() =>
            {
                if (call.State == SipCallState.Connected && !call.SendDtmf(pin))
                {
                    _log.LogWarning("the far end takes no DTMF (telephone-event); meeting PIN not sent");
                }
            }), null, _pinDelay, Timeout.InfiniteTimeSpan);
        }
    }

    private void OnEnded(SipCall call, SipCallEnd end)
    {
        if (ReferenceEquals(_ringing, call))
        {
            _ringing = null;
            StopRinging();
            _log.LogInformation("incoming call from {From} stopped ringing: {Reason}", call.RemoteUri, end.Reason);
        }
        if (!ReferenceEquals(Volatile.Read(ref _call), call))
        {
            return;
        }
        Volatile.Write(ref _call, null);
        _pinTimer?.Dispose();
        _pinTimer = null;
        var now = _time.GetUtcNow();
        if (!end.WasConnected)
        {
            _room.Handle(new CallFailed(end.Reason) { Origin = "call" });
            _events.Publish(new DeviceEvent("call.failed", now, new Dictionary<string, string>
            {
                ["target"] = call.RemoteUri,
                ["reason"] = end.Reason,
                ["status"] = end.Status?.ToString(CultureInfo.InvariantCulture) ?? "",
            }));
            return;
        }
        var st = call.MediaSession.Statistics;
        var jb = call.MediaSession.JitterStatistics;
        _room.Handle(new CallEnded(end.Reason) { Origin = "call" });
        _events.Publish(new DeviceEvent("call.ended", now, new Dictionary<string, string>
        {
            ["target"] = call.RemoteUri,
            ["reason"] = end.Reason,
            ["duration_s"] = Math.Round((now - _connectedAt).TotalSeconds).ToString(CultureInfo.InvariantCulture),
            ["codec"] = call.Media?.CodecName ?? "",
            ["packets_rx"] = st.PacketsReceived.ToString(CultureInfo.InvariantCulture),
            ["lost"] = st.PacketsLost.ToString(CultureInfo.InvariantCulture),
            ["jitter_ms"] = st.JitterMs.ToString("F1", CultureInfo.InvariantCulture),
            ["concealment_pct"] = ((jb?.ConcealmentRate ?? 0) * 100).ToString("F1", CultureInfo.InvariantCulture),
        }));
    }

    private void Leave()
    {
        var call = Volatile.Read(ref _call);
        if (call is null || call.State == SipCallState.Terminated)
        {
            // Nothing to hang up (the call already ended): finish the leave.
            if (_room.State.Phase == CallPhase.Leaving)
            {
                _room.Handle(new CallEnded("left") { Origin = "call" });
            }
            return;
        }
        call.Hangup();
    }

    private void OnIncomingCall(object? sender, SipCall call) => Post(() =>
    {
        var s = _room.State;
        if (s.Phase != CallPhase.Idle || (_call is not null && _call.State != SipCallState.Terminated))
        {
            _log.LogInformation("incoming call from {From} refused: the room is busy", call.RemoteUri);
            call.Reject(486);
            return;
        }
        _events.Publish(new DeviceEvent("call.incoming", _time.GetUtcNow(), new Dictionary<string, string> { ["from"] = call.RemoteUri }));
        if (!_agent.Settings.AutoAnswer)
        {
            // Not auto-answered: it rings until join is pressed (or the caller gives up). The
            // agent may not have marked it ringing yet, so its settings decide, not its state.
            _ringing = call;
            _ = call.Ended.ContinueWith(t => Post(() => OnEnded(call, t.Result)), TaskScheduler.Default);
            _ringTone?.Start();
            _ringTimer?.Dispose();
            _ringTimer = _time.CreateTimer(_ => Post(() => RingTimedOut(call)), null, _ringTimeout, Timeout.InfiniteTimeSpan);
            return;
        }
        Track(call, null);
        var r = _room.Handle(new JoinRequested(call.RemoteUri) { Origin = "call" });
        if (!r.Accepted)
        {
            call.Hangup();
        }
    });

    private void RingTimedOut(SipCall call)
    {
        if (!ReferenceEquals(_ringing, call) || call.State != SipCallState.Ringing)
        {
            return;
        }
        _ringing = null;
        StopRinging();
        _log.LogInformation("incoming call from {From} not answered in {Seconds} s; refusing it with 480", call.RemoteUri, _ringTimeout.TotalSeconds);
        _events.Publish(new DeviceEvent("call.missed", _time.GetUtcNow(), new Dictionary<string, string> { ["from"] = call.RemoteUri }));
        call.Reject(480);
    }

    private void StopRinging()
    {
        _ringTone?.Stop();
        _ringTimer?.Dispose();
        _ringTimer = null;
    }

    private void CheckMeetingEnd()
    {
        var s = _room.State;
        if (s.Meeting is Meeting m && s.Phase is CallPhase.InCall or CallPhase.Joining && _time.GetUtcNow() >= m.End)
        {
            _log.LogInformation("meeting '{Title}' ended at {End}; leaving", m.Title, m.End);
            _room.Handle(new LeaveRequested { Origin = "schedule" });
        }
    }

    /// <summary>Unhooks from the room and stops the worker (the agent is disposed by its owner).</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        _room.Changed -= OnRoomChanged;
        _agent.IncomingCall -= OnIncomingCall;
        _meetingClock.Dispose();
        _pinTimer?.Dispose();
        _work.Writer.TryComplete();
        _worker.Wait(TimeSpan.FromSeconds(5));
        StopRinging();
    }
}

/// <summary>Telemetry "call": the current call's media figures (zeros between calls) and SIP counters.</summary>
public sealed class CallTelemetry(RoomCallCoordinator coordinator) : ITelemetrySource
{
    /// <inheritdoc />
    public string Name => "call";

    /// <inheritdoc />
    public void Collect(IDictionary<string, double> into)
    {
        ArgumentNullException.ThrowIfNull(into);
        var call = coordinator.CurrentCall;
        var agent = coordinator.Agent;
        into["active"] = call is { State: SipCallState.Connected } ? 1 : 0;
        into["sip_rejected"] = agent.Transport.Rejected;
        into["sip_retransmissions"] = agent.Retransmissions;
        into["registered"] = agent.Registered ? 1 : 0;
        var st = call?.MediaSession.Statistics;
        var jb = call?.MediaSession.JitterStatistics;
        into["jitter_ms"] = Math.Round(st?.JitterMs ?? 0, 1);
        into["loss_pct"] = Math.Round(st?.LossPercent ?? 0, 1);
        into["remote_loss_pct"] = Math.Round(st?.RemoteLossPercent ?? 0, 1);
        into["encoder_loss_pct"] = st?.EncoderExpectedLoss ?? 0;
        into["encoder_kbps"] = (st?.EncoderBitrate ?? 0) / 1000.0;
        into["rtt_ms"] = Math.Round(st?.RoundTripMs ?? -1, 1);
        into["packets_rx"] = st?.PacketsReceived ?? 0;
        into["packets_tx"] = st?.PacketsSent ?? 0;
        into["rtp_rejected"] = st?.RejectedTotal ?? 0;
        into["concealment_pct"] = Math.Round((jb?.ConcealmentRate ?? 0) * 100, 2);
        into["late_pct"] = Math.Round((jb?.LateRate ?? 0) * 100, 2);
        into["delay_ms"] = Math.Round(jb?.TargetDelayMs ?? 0, 1);
        into["added_delay_ms"] = Math.Round(jb?.MeanAddedDelayMs ?? 0, 1);
        into["fec_recovered"] = jb?.FecRecovered ?? 0;
    }
}

/// <summary>Selftest row "sip": the user agent is listening (and registered when a registrar is set).</summary>
public sealed class SipProbe(SipUserAgent agent) : IPeripheralProbe
{
    /// <inheritdoc />
    public ProbeResult Probe()
    {
        var ep = agent.LocalEndPoint;
        if (agent.Settings.Registrar is string reg)
        {
            return agent.Registered
                ? new ProbeResult("sip", false, ProbeStatus.Ok, $"listening on {ep}, registered with {reg}")
                : new ProbeResult("sip", false, ProbeStatus.Degraded, $"listening on {ep}, not registered with {reg}");
        }
        return new ProbeResult("sip", false, ProbeStatus.Ok,
            $"listening on {ep} (UDP{(agent.Transport.TcpEndPoint is null ? "" : ", TCP")}{(agent.Transport.TlsEndPoint is { } tls ? ", TLS on " + tls.Port.ToString(CultureInfo.InvariantCulture) : "")})");
    }
}
