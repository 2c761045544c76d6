using System.Numerics.Tensors;

namespace RoomDevice.Audio.Pipeline;

/// <summary>
/// The capture processor used when no voice front end is registered: copies the microphone to
/// the output unchanged and flags voice activity from a plain energy threshold.
/// </summary>
public sealed class PassthroughCaptureProcessor(int sampleRate = 16000) : ICaptureProcessor
{
    /// <summary>Frames with RMS above this (dBFS) count as voice.</summary>
    public const double VoiceThresholdDb = -45;

    private static readonly float ThresholdEnergy = (float)Math.Pow(10, VoiceThresholdDb / 10);

    /// <inheritdoc />
    public int SampleRate { get; } = sampleRate is 8000 or 16000 or 24000 or 48000
        ? sampleRate
        : throw new ArgumentOutOfRangeException(nameof(sampleRate), sampleRate, "accepted: 8000, 16000, 24000 or 48000");

    /// <inheritdoc />
    public int FrameSize => SampleRate / 100;

    /// <inheritdoc />
    public bool VoiceActive { get; private set; }

    /// <summary>Render frames seen (the echo reference is not used here, only counted).</summary>
    public long RenderFrames { get; private set; }

    /// <inheritdoc />
    public void AnalyzeRender(ReadOnlySpan<float> render) => RenderFrames++;

    /// <inheritdoc />
    public void ProcessCapture(ReadOnlySpan<float> mic, Span<float> output)
    {
        VoiceActive = mic.Length > 0 && TensorPrimitives.SumOfSquares(mic) / mic.Length > ThresholdEnergy;
        mic.CopyTo(output);
    }

    /// <inheritdoc />
    public void Dispose() { }
}
