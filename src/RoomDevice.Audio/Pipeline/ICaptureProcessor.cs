namespace RoomDevice.Audio.Pipeline;

/// <summary>
/// The voice front end on the capture path (echo cancellation, noise suppression, AGC, VAD), fed
/// one 10 ms mono frame at a time. It has a render leg (what the loudspeaker played, the echo
/// reference) and a capture leg (the microphone), sharing one state. Implementations allocate
/// nothing per frame.
/// </summary>
public interface ICaptureProcessor : IDisposable
{
    /// <summary>Sample rate of both legs: 16000 or 48000.</summary>
    int SampleRate { get; }

    /// <summary>Samples in one 10 ms frame (SampleRate / 100).</summary>
    int FrameSize { get; }

    /// <summary>True when the last processed capture frame held local speech.</summary>
    bool VoiceActive { get; }

    /// <summary>Feeds one frame of what the loudspeaker played (the echo reference).</summary>
    void AnalyzeRender(ReadOnlySpan<float> render);

    /// <summary>Processes one microphone frame into <paramref name="output"/> (may alias <paramref name="mic"/>).</summary>
    void ProcessCapture(ReadOnlySpan<float> mic, Span<float> output);
}
