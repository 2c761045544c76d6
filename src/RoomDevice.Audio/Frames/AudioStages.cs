namespace RoomDevice.Audio.Frames;

/// <summary>A stage that changes a mono frame in place (gain, mixer, limiter).</summary>
public interface IFrameFilter
{
    /// <summary>Processes <paramref name="frame"/> in place. Must not allocate.</summary>
    void Process(Span<float> frame);
}

/// <summary>A stage that produces mono frames (tone generator, file player, simulated talker).</summary>
public interface IFrameSource
{
    /// <summary>Adds (mixes) this source's next samples into <paramref name="frame"/>. Must not allocate.</summary>
    void MixInto(Span<float> frame);
}

/// <summary>A stage that turns a block at one rate into a block at another (resampler).</summary>
public interface IRateConverter
{
    /// <summary>Input rate.</summary>
    int InputRate { get; }

    /// <summary>Output rate.</summary>
    int OutputRate { get; }

    /// <summary>Output samples produced for <paramref name="inputSamples"/> input samples.</summary>
    int OutputLength(int inputSamples);

    /// <summary>Converts <paramref name="input"/> into <paramref name="output"/>; returns samples written. Must not allocate.</summary>
    int Process(ReadOnlySpan<float> input, Span<float> output);

    /// <summary>Forgets all history (e.g. after a stream restart).</summary>
    void Reset();
}
