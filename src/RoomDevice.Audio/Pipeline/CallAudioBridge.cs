namespace RoomDevice.Audio.Pipeline;

/// <summary>
/// Where the audio engine meets a call. The media thread writes each processed 10 ms microphone
/// frame to the uplink and reads each 10 ms far-end frame to play from the downlink; the call's
/// media session does the opposite. Mono float frames at <see cref="SampleRate"/>. With no call
/// the uplink simply overruns and the downlink underruns (the engine plays silence).
/// </summary>
public sealed class CallAudioBridge
{
    /// <summary>Creates a bridge at <paramref name="sampleRate"/> (16000 or 48000) buffering <paramref name="capacityFrames"/> 10 ms frames each way.</summary>
    public CallAudioBridge(int sampleRate = 16000, int capacityFrames = 32)
    {
        if (sampleRate is not (8000 or 16000 or 24000 or 48000))
        {
            throw new ArgumentOutOfRangeException(nameof(sampleRate), sampleRate, "accepted: 8000, 16000, 24000 or 48000");
        }
        SampleRate = sampleRate;
        FrameSamples = sampleRate / 100;
        Uplink = new FrameRing(FrameSamples, capacityFrames);
        Downlink = new FrameRing(FrameSamples, capacityFrames);
    }

    /// <summary>Sample rate of both directions.</summary>
    public int SampleRate { get; }

    /// <summary>Samples in one 10 ms frame.</summary>
    public int FrameSamples { get; }

    /// <summary>Processed microphone audio, engine to call.</summary>
    public FrameRing Uplink { get; }

    /// <summary>Far-end audio, call to engine.</summary>
    public FrameRing Downlink { get; }
}
