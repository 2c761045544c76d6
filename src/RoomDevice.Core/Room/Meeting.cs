namespace RoomDevice.Core.Room;

/// <summary>A scheduled meeting from the room calendar: what join dials and when the room leaves.</summary>
public sealed record Meeting(string Title, DateTimeOffset Start, DateTimeOffset End, string SipUri, string? Pin = null)
{
    /// <summary>How early before the start the join button dials this meeting.</summary>
    public static readonly TimeSpan EarlyJoinWindow = TimeSpan.FromMinutes(5);

    /// <summary>True when join pressed at <paramref name="now"/> should dial this meeting.</summary>
    public bool IsJoinableAt(DateTimeOffset now) => now >= Start - EarlyJoinWindow && now < End;
}
