namespace RoomDevice.Audio.Pipeline;

/// <summary>
/// A stand-in far end for sound checks: every processed microphone frame on the uplink comes
/// straight back on the downlink, so the loudspeaker plays what the room hears after
/// <see cref="DelayFrames"/> frames. Allocation-free.
/// </summary>
public sealed class BridgeLoopback
{
    private readonly CallAudioBridge _bridge;
    private readonly float[] _frame;

    /// <summary>Loops <paramref name="bridge"/>'s uplink back to its downlink.</summary>
    public BridgeLoopback(CallAudioBridge bridge, float gain = 1f)
    {
        ArgumentNullException.ThrowIfNull(bridge);
        _bridge = bridge;
        _frame = new float[bridge.FrameSamples];
        Gain = gain;
    }

    /// <summary>Gain applied to the returned audio (keep below 1 in a live room to avoid howling).</summary>
    public float Gain { get; }

    /// <summary>Frames the downlink currently holds (the loop's extra delay).</summary>
    public int DelayFrames => _bridge.Downlink.Count;

    /// <summary>Frames moved so far.</summary>
    public long Frames { get; private set; }

    /// <summary>Moves every waiting uplink frame to the downlink; returns how many.</summary>
    public int Pump()
    {
        int n = 0;
        while (_bridge.Uplink.Count > 0 && _bridge.Uplink.TryRead(_frame))
        {
            if (Gain != 1f)
            {
                System.Numerics.Tensors.TensorPrimitives.Multiply(_frame, Gain, _frame);
            }
            _bridge.Downlink.TryWrite(_frame);
            n++;
        }
        Frames += n;
        return n;
    }
}
