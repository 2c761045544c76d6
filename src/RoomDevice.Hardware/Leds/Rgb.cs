namespace RoomDevice.Hardware.Leds;

/// <summary>One LED's colour, 8 bits a channel.</summary>
public readonly record struct Rgb(byte R, byte G, byte B)
{
    /// <summary>Off.</summary>
    public static readonly Rgb Black = new(0, 0, 0);

    /// <summary>This colour at <paramref name="level"/> (0..1) of its brightness.</summary>
    public Rgb Scale(double level)
    {
        double l = Math.Clamp(level, 0, 1);
        return new Rgb((byte)Math.Round(R * l), (byte)Math.Round(G * l), (byte)Math.Round(B * l));
    }

    /// <summary>The brightest channel.</summary>
    public byte Peak => Math.Max(R, Math.Max(G, B));

    /// <inheritdoc />
    public override string ToString() => $"#{R:x2}{G:x2}{B:x2}";
}

/// <summary>A row of LEDs that shows one frame at a time.</summary>
public interface ILedStrip : IDisposable
{
    /// <summary>Number of LEDs.</summary>
    int Count { get; }

    /// <summary>Shows <paramref name="frame"/> (exactly <see cref="Count"/> colours).</summary>
    void Show(ReadOnlySpan<Rgb> frame);
}
