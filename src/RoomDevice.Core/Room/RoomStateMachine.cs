namespace RoomDevice.Core.Room;

/// <summary>The result of offering an event to the room.</summary>
public readonly record struct TransitionResult(bool Accepted, RoomSnapshot State, string? Reason)
{
    internal static TransitionResult Ok(RoomSnapshot s) => new(true, s, null);
    internal static TransitionResult Refused(RoomSnapshot s, string reason) => new(false, s, reason);
}

/// <summary>Raised after every accepted change, with the states before and after.</summary>
public sealed class RoomStateChangedEventArgs(RoomSnapshot previous, RoomSnapshot current, RoomEvent cause) : EventArgs
{
    /// <summary>State before the event.</summary>
    public RoomSnapshot Previous { get; } = previous;
    /// <summary>State after the event.</summary>
    public RoomSnapshot Current { get; } = current;
    /// <summary>The event that caused the change.</summary>
    public RoomEvent Cause { get; } = cause;
}

/// <summary>
/// The room's rules: idle, joining, in-call, leaving; mute, privacy and volume. Pure logic, no I/O,
/// thread-safe. Illegal events are refused with a reason and change nothing.
/// </summary>
public sealed class RoomStateMachine
{
    /// <summary>Lowest and highest volume.</summary>
    public const int MinVolume = 0, MaxVolume = 100;

    private readonly Lock _gate = new();
    private readonly int _volumeStep;
    private RoomSnapshot _state;

    /// <summary>Creates the machine idle, unmuted, at <paramref name="initialVolume"/>.</summary>
    public RoomStateMachine(int initialVolume = 50, int volumeStep = 5)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(initialVolume, MinVolume);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(initialVolume, MaxVolume);
        ArgumentOutOfRangeException.ThrowIfLessThan(volumeStep, 1);
        _volumeStep = volumeStep;
        _state = RoomSnapshot.Initial(initialVolume);
    }

    /// <summary>Raised (outside the lock) after each accepted change.</summary>
    public event EventHandler<RoomStateChangedEventArgs>? Changed;

    /// <summary>The current state.</summary>
    public RoomSnapshot State
    {
        get { lock (_gate) { return _state; } }
    }

    /// <summary>Offers an event; returns whether it was accepted and the resulting state.</summary>
    public TransitionResult Handle(RoomEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        RoomSnapshot before, after;
        string? refusal;
        lock (_gate)
        {
            before = _state;
            (after, refusal) = Apply(before, e);
            if (refusal is not null)
            {
                return TransitionResult.Refused(before, refusal);
            }
            if (after == before)
            {
                return TransitionResult.Ok(before);
            }
            after = after with { Revision = before.Revision + 1 };
            _state = after;
        }
        Changed?.Invoke(this, new RoomStateChangedEventArgs(before, after, e));
        return TransitionResult.Ok(after);
    }

    private (RoomSnapshot, string?) Apply(RoomSnapshot s, RoomEvent e) => e switch
    {
        JoinRequested j => s.Phase switch
        {
            CallPhase.Idle when string.IsNullOrWhiteSpace(j.Target) => (s, "join needs a call target (a SIP URI); none was given"),
            CallPhase.Idle => (s with { Phase = CallPhase.Joining, CallTarget = j.Target, Meeting = j.Meeting, LastError = null }, null),
            _ => (s, $"join is only possible when idle; the room is {Describe(s.Phase)}"),
        },
        LeaveRequested => s.Phase switch
        {
            CallPhase.Joining or CallPhase.InCall => (s with { Phase = CallPhase.Leaving }, null),
            CallPhase.Leaving => (s, null),
            _ => (s, "leave is only possible while joining or in a call; the room is idle"),
        },
        CallConnected => s.Phase == CallPhase.Joining
            ? (s with { Phase = CallPhase.InCall }, null)
            : (s, $"a call can only connect while joining; the room is {Describe(s.Phase)}"),
        CallFailed f => s.Phase is CallPhase.Joining or CallPhase.Leaving
            ? (ToIdle(s) with { LastError = f.Reason }, null)
            : (s, $"a call can only fail while joining or leaving; the room is {Describe(s.Phase)}"),
        CallEnded => s.Phase is CallPhase.Joining or CallPhase.InCall or CallPhase.Leaving
            ? (ToIdle(s), null)
            : (s, "no call to end; the room is idle"),
        MuteSet m => !m.Muted && s.Privacy
            ? (s, "cannot unmute while privacy mode is on; turn privacy off first")
            : (s with { Muted = m.Muted }, null),
        MuteToggled => s.Muted && s.Privacy
            ? (s, "cannot unmute while privacy mode is on; turn privacy off first")
            : (s with { Muted = !s.Muted }, null),
        VolumeStepped v => (s with { Volume = Math.Clamp(s.Volume + (v.Steps * _volumeStep), MinVolume, MaxVolume) }, null),
        VolumeSet v => v.Level is < MinVolume or > MaxVolume
            ? (s, $"volume {v.Level} is out of range; accepted: {MinVolume}..{MaxVolume}")
            : (s with { Volume = v.Level }, null),
        PrivacySet p => p.On
            ? (s with { Privacy = true, Muted = true }, null)
            : (s with { Privacy = false }, null),
        _ => (s, $"unknown event {e.GetType().Name}"),
    };

    private static RoomSnapshot ToIdle(RoomSnapshot s) =>
        s with { Phase = CallPhase.Idle, CallTarget = null, Meeting = null };

    private static string Describe(CallPhase p) => p switch
    {
        CallPhase.Idle => "idle",
        CallPhase.Joining => "joining",
        CallPhase.InCall => "in a call",
        CallPhase.Leaving => "leaving",
        _ => p.ToString(),
    };
}
