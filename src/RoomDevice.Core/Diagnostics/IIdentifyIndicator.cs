namespace RoomDevice.Core.Diagnostics;

/// <summary>
/// Makes the box findable in a room full of them (blinks its LEDs, plays a chirp). Fleet management
/// calls it for the <c>identify</c> command; the LED service implements it.
/// </summary>
public interface IIdentifyIndicator
{
    /// <summary>Starts identifying for <paramref name="duration"/>; returns at once. A new call replaces a running one.</summary>
    void Identify(TimeSpan duration);
}
