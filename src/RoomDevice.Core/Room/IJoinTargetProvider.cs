namespace RoomDevice.Core.Room;

/// <summary>What the join button dials now: the scheduled meeting, or the configured default.</summary>
public interface IJoinTargetProvider
{
    /// <summary>
    /// The SIP URI to dial at <paramref name="now"/> and the meeting it belongs to (null meeting for
    /// the default target); null when there is nothing to dial.
    /// </summary>
    (string Target, Meeting? Meeting)? Current(DateTimeOffset now);
}
