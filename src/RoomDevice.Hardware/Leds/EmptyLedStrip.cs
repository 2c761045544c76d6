namespace RoomDevice.Hardware.Leds;

/// <summary>A board without LEDs: frames go nowhere.</summary>
public sealed class EmptyLedStrip : ILedStrip
{
    /// <inheritdoc />
    public int Count => 0;

    /// <inheritdoc />
    public void Show(ReadOnlySpan<Rgb> frame)
    {
    }

    /// <inheritdoc />
    public void Dispose()
    {
    }
}
