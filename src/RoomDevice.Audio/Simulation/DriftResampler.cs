namespace RoomDevice.Audio.Simulation;

/// <summary>
/// Plays a stream on a clock that runs <see cref="Ppm"/> parts per million fast (or slow)
/// against the consumer's clock, with cubic (Catmull-Rom) interpolation. A small cushion of input
/// absorbs the drift; when it runs dry or overflows the stream is re-cushioned (a glitch, counted),
/// as a real pair of free-running clocks would eventually slip. Allocation-free.
/// </summary>
public sealed class DriftResampler
{
    private readonly float[] _buf;
    private readonly int _cushion;
    private int _count;
    private double _pos;

    /// <summary>Creates a resampler; <paramref name="cushion"/> samples of delay absorb the drift.</summary>
    public DriftResampler(double ppm, int cushion = 480, int capacity = 48000)
    {
        if (Math.Abs(ppm) > 10000)
        {
            throw new ArgumentOutOfRangeException(nameof(ppm), ppm, "accepted: -10000 to 10000 ppm");
        }
        ArgumentOutOfRangeException.ThrowIfLessThan(cushion, 4);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, (cushion * 2) + 8);
        Ppm = ppm;
        Ratio = 1 + (ppm * 1e-6);
        _buf = new float[capacity];
        _cushion = cushion;
        Reset();
    }

    /// <summary>Clock offset, ppm (positive: the source runs fast).</summary>
    public double Ppm { get; }

    /// <summary>Input samples consumed per output sample.</summary>
    public double Ratio { get; }

    /// <summary>Times the cushion ran dry or overflowed.</summary>
    public long Slips { get; private set; }

    /// <summary>Starts again with a silent cushion.</summary>
    public void Reset()
    {
        Array.Clear(_buf);
        _count = _cushion;
        _pos = 1;
    }

    /// <summary>Processes one block: takes <paramref name="input"/>, writes as many samples to <paramref name="output"/>.</summary>
    public void Process(ReadOnlySpan<float> input, Span<float> output)
    {
        if (_count + input.Length > _buf.Length)
        {
            Slips++;
            Reset();
        }
        input.CopyTo(_buf.AsSpan(_count));
        _count += input.Length;
        for (int n = 0; n < output.Length; n++)
        {
            int i = (int)_pos;
            if (i + 2 >= _count)
            {
                Slips++;
                output[n..].Clear();
                Reset();
                return;
            }
            float t = (float)(_pos - i);
            float y0 = _buf[i - 1], y1 = _buf[i], y2 = _buf[i + 1], y3 = _buf[i + 2];
            float a = (-0.5f * y0) + (1.5f * y1) - (1.5f * y2) + (0.5f * y3);
            float b = y0 - (2.5f * y1) + (2f * y2) - (0.5f * y3);
            float c = (-0.5f * y0) + (0.5f * y2);
            output[n] = (((((a * t) + b) * t) + c) * t) + y1;
            _pos += Ratio;
        }
        // Drop what is no longer needed, keeping one sample before the read position.
        int drop = (int)_pos - 1;
        if (drop > 0)
        {
            _buf.AsSpan(drop, _count - drop).CopyTo(_buf);
            _count -= drop;
            _pos -= drop;
        }
    }
}
