using RoomDevice.Calls.Media;
using RoomDevice.Calls.Sdp;

namespace RoomDevice.Calls.Sip;

/// <summary>Where a call is in its life.</summary>
public enum SipCallState
{
    /// <summary>INVITE sent (outgoing) or received (incoming), nothing more yet.</summary>
    Calling,
    /// <summary>The far end is ringing (outgoing), or we are (incoming, not auto-answered).</summary>
    Ringing,
    /// <summary>Answered and acknowledged: media flows.</summary>
    Connected,
    /// <summary>Over.</summary>
    Terminated,
}

/// <summary>Who placed the call.</summary>
public enum SipCallDirection
{
    /// <summary>We dialled.</summary>
    Outgoing,
    /// <summary>The far end dialled us.</summary>
    Incoming,
}

/// <summary>How a call ended.</summary>
/// <param name="WasConnected">True when it had connected (ended), false when it never did (failed).</param>
/// <param name="Reason">Short human reason, e.g. "busy (486 Busy Here)", "remote hung up".</param>
/// <param name="Status">Final SIP status that ended it, when one did.</param>
public sealed record SipCallEnd(bool WasConnected, string Reason, int? Status);

/// <summary>One call (one INVITE dialog) with its media session.</summary>
public sealed class SipCall
{
    private readonly TaskCompletionSource _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<SipCallEnd> _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);

    internal SipCall(SipUserAgent agent, SipCallDirection direction, string callId, string localTag, MediaSession media)
    {
        Agent = agent;
        Direction = direction;
        CallId = callId;
        LocalTag = localTag;
        MediaSession = media;
    }

    internal SipUserAgent Agent { get; }

    /// <summary>Outgoing or incoming.</summary>
    public SipCallDirection Direction { get; }

    /// <summary>Call-ID of the dialog.</summary>
    public string CallId { get; }

    /// <summary>Our tag in the dialog.</summary>
    public string LocalTag { get; }

    /// <summary>Current state.</summary>
    public SipCallState State { get; internal set; }

    /// <summary>The far end's URI (To for outgoing, From for incoming).</summary>
    public string RemoteUri { get; internal set; } = "";

    /// <summary>The far end's display name, when it gave one.</summary>
    public string? RemoteDisplayName { get; internal set; }

    /// <summary>The media session (RTP, jitter buffer, codecs).</summary>
    public MediaSession MediaSession { get; }

    /// <summary>What offer/answer settled, once it has.</summary>
    public NegotiatedMedia? Media { get; internal set; }

    /// <summary>True while we hold the far end.</summary>
    public bool OnHold { get; internal set; }

    /// <summary>True while the far end holds us (its offer was sendonly or inactive).</summary>
    public bool RemoteHold { get; internal set; }

    /// <summary>Completes when the call connects; never faults (see <see cref="Ended"/> for failures).</summary>
    public Task Connected => _connected.Task;

    /// <summary>Completes when the call is over, with how it ended.</summary>
    public Task<SipCallEnd> Ended => _ended.Task;

    /// <summary>Raised on the agent's event thread after each state change.</summary>
    public event EventHandler<SipCallState>? StateChanged;

    // Dialog state, guarded by the agent's lock.
    internal string? RemoteTag;
    internal string LocalUri = "";
    internal string RemoteTarget = "";
    internal List<string> RouteSet = [];
    internal long LocalCSeq;
    internal long RemoteCSeq = -1;
    internal SipTransportKind Transport;
    internal SipMessage? Invite;               // our INVITE (outgoing) or theirs (incoming)
    internal SipRemote? InviteSource;          // where their INVITE came from
    internal string? InviteBranch;
    internal byte[]? AckBytes;                 // our ACK for the 2xx, resent on 2xx retransmissions
    internal SipRemote AckTo;
    internal byte[]? OkBytes;                  // our 2xx, retransmitted until ACK
    internal long OkCSeq;
    internal ITimer? OkTimer;
    internal TimeSpan OkInterval;
    internal TimeSpan OkElapsed;
    internal ITimer? RingTimer;
    internal ITimer? LingerTimer; // held so the system clock cannot collect it before it fires
    internal bool GotProvisional;
    internal bool CancelPending;
    internal bool Cancelled;
    internal int AuthAttempts;
    internal string? LastNonce;
    internal NegotiatedMedia? PendingAnswerMedia;
    internal SessionDescription? LocalSdp;
    internal long SdpVersion;
    internal TaskCompletionSource<bool>? PendingReinvite;
    internal bool? PendingHold;

    /// <summary>Hangs up: CANCEL while dialling, BYE once answered, a 603/486 to an unanswered incoming call.</summary>
    public void Hangup() => Agent.Hangup(this);

    /// <summary>Answers an incoming call that rings.</summary>
    public void Answer() => Agent.Answer(this);

    /// <summary>Refuses an incoming call that rings (486 Busy Here by default).</summary>
    public void Reject(int status = 486) => Agent.Reject(this, status);

    /// <summary>Puts the far end on hold (true) or resumes (false) with a re-INVITE; true when the far end agreed.</summary>
    public Task<bool> HoldAsync(bool hold) => Agent.ReinviteAsync(this, hold);

    /// <summary>Sends DTMF digits in the media stream (RFC 4733); false when the far end accepts none.</summary>
    public bool SendDtmf(string digits) => MediaSession.SendDtmf(digits);

    internal void RaiseState(SipCallState state)
    {
        StateChanged?.Invoke(this, state);
    }

    internal void CompleteConnected() => _connected.TrySetResult();

    internal void CompleteEnded(SipCallEnd end) => _ended.TrySetResult(end);

    /// <inheritdoc />
    public override string ToString() => $"{Direction} call {CallId} with {RemoteUri} ({State})";
}
