namespace RoomDevice.Audio.Frames;

/// <summary>Sample rate and channel count of interleaved float audio moving in 10 ms frames.</summary>
/// <param name="SampleRate">Samples per second per channel.</param>
/// <param name="Channels">Interleaved channels.</param>
public readonly record struct AudioFormat(int SampleRate, int Channels)
{
    /// <summary>Length of one tick of the media clock.</summary>
    public static readonly TimeSpan FrameDuration = TimeSpan.FromMilliseconds(10);

    /// <summary>Samples per channel in one 10 ms frame.</summary>
    public int FrameSamples => SampleRate / 100;

    /// <summary>Interleaved samples in one 10 ms frame (all channels).</summary>
    public int FrameLength => FrameSamples * Channels;

    /// <summary>Throws when the format cannot carry 10 ms frames.</summary>
    public void EnsureValid(string what)
    {
        if (SampleRate < 8000 || SampleRate > 192000 || SampleRate % 100 != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(SampleRate), SampleRate,
                $"{what}: sample rate {SampleRate} Hz; accepted: 8000 to 192000 Hz in steps of 100 Hz");
        }
        if (Channels < 1 || Channels > 32)
        {
            throw new ArgumentOutOfRangeException(nameof(Channels), Channels, $"{what}: {Channels} channels; accepted: 1 to 32");
        }
    }

    /// <inheritdoc />
    public override string ToString() => $"{SampleRate} Hz x {Channels} ch";
}
