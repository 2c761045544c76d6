namespace RoomDevice.Core.Room;

/// <summary>Where the room is in a call's life.</summary>
public enum CallPhase
{
    /// <summary>No call; join dials.</summary>
    Idle,
    /// <summary>Dialling; the far end has not answered yet.</summary>
    Joining,
    /// <summary>Media flows both ways.</summary>
    InCall,
    /// <summary>Hanging up; waiting for the far end to confirm.</summary>
    Leaving,
}

/// <summary>One immutable picture of the room: what LEDs show, what MQTT reports as <c>state</c>.</summary>
public sealed record RoomSnapshot(
    CallPhase Phase,
    bool Muted,
    bool Privacy,
    int Volume,
    Meeting? Meeting,
    string? CallTarget,
    string? LastError,
    long Revision)
{
    /// <summary>The state a device starts in.</summary>
    public static RoomSnapshot Initial(int volume) => new(CallPhase.Idle, false, false, volume, null, null, null, 0);
}
