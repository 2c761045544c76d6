using System.Numerics.Tensors;
using RoomDevice.Audio.Frames;

namespace RoomDevice.Audio.Dsp;

/// <summary>
/// Loudspeaker volume: the room's 0–100 setting mapped to a gain with a dB taper (100 = 0 dB,
/// 1 = -39.6 dB, 0 = silent) and ramped linearly across a frame so changes do not click.
/// </summary>
public sealed class VolumeControl : IFrameFilter
{
    /// <summary>dB per volume step below 100.</summary>
    public const double DbPerStep = 0.4;

    private float _current = -1;
    private float _target = 1;

    /// <summary>Sets the room volume (0..100); takes effect over the next frame.</summary>
    public void SetVolume(int volume) => _target = GainFor(volume);

    /// <summary>Gain applied at the end of the last frame.</summary>
    public float CurrentGain => _current < 0 ? _target : _current;

    /// <summary>Linear gain for a volume setting.</summary>
    public static float GainFor(int volume)
    {
        int v = Math.Clamp(volume, 0, 100);
        return v == 0 ? 0f : (float)Math.Pow(10, (v - 100) * DbPerStep / 20);
    }

    /// <inheritdoc />
    public void Process(Span<float> frame)
    {
        if (_current < 0)
        {
            _current = _target;
        }
        float from = _current, to = _target;
        if (from == to)
        {
            if (to != 1f)
            {
                TensorPrimitives.Multiply(frame, to, frame);
            }
            return;
        }
        float step = (to - from) / frame.Length;
        float g = from;
        for (int i = 0; i < frame.Length; i++)
        {
            g += step;
            frame[i] *= g;
        }
        _current = to;
    }
}
