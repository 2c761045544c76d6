namespace RoomDevice.Audio.Frames;

/// <summary>
/// One self-describing 10 ms frame: format, interleaved float samples and the media-clock
/// timestamp of its first sample. The buffer is allocated once; stages fill and read it in place.
/// </summary>
public sealed class AudioFrame
{
    private readonly float[] _samples;

    /// <summary>Creates a silent frame of <paramref name="format"/>.</summary>
    public AudioFrame(AudioFormat format)
    {
        format.EnsureValid("frame");
        Format = format;
        _samples = new float[format.FrameLength];
    }

    /// <summary>Rate and channels.</summary>
    public AudioFormat Format { get; }

    /// <summary>Sample rate.</summary>
    public int SampleRate => Format.SampleRate;

    /// <summary>Channel count.</summary>
    public int Channels => Format.Channels;

    /// <summary>Samples per channel.</summary>
    public int FrameSamples => Format.FrameSamples;

    /// <summary>Index of the first sample (per channel) since the stream started.</summary>
    public long Timestamp { get; set; }

    /// <summary>The timestamp as time since the stream started.</summary>
    public TimeSpan Time => TimeSpan.FromTicks(Timestamp * TimeSpan.TicksPerSecond / SampleRate);

    /// <summary>The interleaved samples.</summary>
    public Span<float> Samples => _samples;

    /// <summary>Sets every sample to zero.</summary>
    public void Clear() => Array.Clear(_samples);

    /// <summary>Copies channel <paramref name="channel"/> into <paramref name="destination"/> (length <see cref="FrameSamples"/>).</summary>
    public void ReadChannel(int channel, Span<float> destination)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(channel);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(channel, Channels);
        Interleaving.Extract(_samples, Channels, channel, destination);
    }
}

/// <summary>Interleave and de-interleave helpers; allocation-free.</summary>
public static class Interleaving
{
    /// <summary>Copies one channel of <paramref name="interleaved"/> into <paramref name="mono"/>.</summary>
    public static void Extract(ReadOnlySpan<float> interleaved, int channels, int channel, Span<float> mono)
    {
        int n = interleaved.Length / channels;
        if (mono.Length < n)
        {
            throw new ArgumentException($"destination holds {mono.Length} samples; {n} needed", nameof(mono));
        }
        if (channels == 1)
        {
            interleaved.CopyTo(mono);
            return;
        }
        for (int i = 0, j = channel; i < n; i++, j += channels)
        {
            mono[i] = interleaved[j];
        }
    }

    /// <summary>Writes <paramref name="mono"/> to every channel of <paramref name="interleaved"/>.</summary>
    public static void Spread(ReadOnlySpan<float> mono, Span<float> interleaved, int channels)
    {
        if (interleaved.Length < mono.Length * channels)
        {
            throw new ArgumentException($"destination holds {interleaved.Length} samples; {mono.Length * channels} needed", nameof(interleaved));
        }
        if (channels == 1)
        {
            mono.CopyTo(interleaved);
            return;
        }
        for (int i = 0, j = 0; i < mono.Length; i++)
        {
            float v = mono[i];
            for (int c = 0; c < channels; c++)
            {
                interleaved[j++] = v;
            }
        }
    }
}
