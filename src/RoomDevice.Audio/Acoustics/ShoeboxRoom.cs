namespace RoomDevice.Audio.Acoustics;

/// <summary>
/// A rectangular room: inner dimensions in metres and the reverberation time RT60 in seconds
/// (time for the sound level to fall by 60 dB after the source stops).
/// </summary>
public sealed record ShoeboxRoom(float Length, float Width, float Height, float Rt60)
{
    /// <summary>Room volume in cubic metres.</summary>
    public float Volume => Length * Width * Height;

    /// <summary>Total inner surface in square metres.</summary>
    public float Surface => 2f * ((Length * Width) + (Length * Height) + (Width * Height));

    /// <summary>Throws a clear error when a dimension or the RT60 is outside what the model accepts.</summary>
    public void Validate()
    {
        Check(Length, nameof(Length));
        Check(Width, nameof(Width));
        Check(Height, nameof(Height));
        if (!float.IsFinite(Rt60) || Rt60 < 0.05f || Rt60 > 5f)
        {
            throw new ArgumentOutOfRangeException(nameof(Rt60), Rt60,
                $"RT60 must be between 0.05 and 5 seconds; got {Rt60}.");
        }
    }

    private static void Check(float v, string name)
    {
        if (!float.IsFinite(v) || v < 0.5f || v > 100f)
        {
            throw new ArgumentOutOfRangeException(name, v,
                $"Room {name.ToLowerInvariant()} must be between 0.5 and 100 metres; got {v}.");
        }
    }
}
