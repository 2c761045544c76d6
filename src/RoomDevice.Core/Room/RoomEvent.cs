namespace RoomDevice.Core.Room;

/// <summary>Something that asks the room to change: a button, a fleet command, the call stack.</summary>
public abstract record RoomEvent
{
    /// <summary>Who caused it (button, mqtt, call, schedule); goes into events and logs.</summary>
    public string Origin { get; init; } = "unknown";
}

/// <summary>Join pressed: dial <paramref name="Target"/> (a SIP URI), for <paramref name="Meeting"/> when one is scheduled.</summary>
public sealed record JoinRequested(string Target, Meeting? Meeting = null) : RoomEvent;

/// <summary>Leave requested by a person, a command or the meeting's end.</summary>
public sealed record LeaveRequested : RoomEvent;

/// <summary>The far end answered.</summary>
public sealed record CallConnected : RoomEvent;

/// <summary>Dialling failed (busy, not found, timeout, auth refused).</summary>
public sealed record CallFailed(string Reason) : RoomEvent;

/// <summary>The call is over: hung up by either side, or our leave completed.</summary>
public sealed record CallEnded(string Reason) : RoomEvent;

/// <summary>Mute set explicitly (true) or cleared (false).</summary>
public sealed record MuteSet(bool Muted) : RoomEvent;

/// <summary>Mute button: flips mute.</summary>
public sealed record MuteToggled : RoomEvent;

/// <summary>Volume changed by a number of steps (negative lowers).</summary>
public sealed record VolumeStepped(int Steps) : RoomEvent;

/// <summary>Volume set to an absolute level, 0..100.</summary>
public sealed record VolumeSet(int Level) : RoomEvent;

/// <summary>Privacy mode on (microphones and camera blocked, mute forced) or off.</summary>
public sealed record PrivacySet(bool On) : RoomEvent;
