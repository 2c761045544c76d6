using RoomDevice.Audio.Frames;

namespace RoomDevice.Calls.Media;

/// <summary>
/// The ring the room plays while an incoming call waits to be answered: 400 Hz + 450 Hz in a
/// double-ring cadence (0.4 s on, 0.2 s off, 0.4 s on, 2 s off), with 10 ms ramps so it never
/// clicks. A loudspeaker-mix source for the media pipeline; <see cref="Start"/> and
/// <see cref="Stop"/> may be called from any thread and take effect at the next frame.
/// <see cref="MixInto"/> allocates nothing.
/// </summary>
public sealed class RingTone : IFrameSource
{
    private readonly int _sampleRate;
    private readonly float _amplitude;
    private readonly int _cycle, _on1End, _on2Start, _on2End, _ramp;
    private int _requested;   // 1 = ringing wanted, written by any thread
    private int _position;    // samples into the cadence
    private double _phaseA, _phaseB;
    private long _framesRung;

    /// <summary>Creates the ring at <paramref name="sampleRate"/> with peak <paramref name="amplitude"/> (both tones together).</summary>
    public RingTone(int sampleRate, float amplitude = 0.2f)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(sampleRate, 8000);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(amplitude);
        _sampleRate = sampleRate;
        _amplitude = amplitude;
        _on1End = sampleRate * 400 / 1000;
        _on2Start = sampleRate * 600 / 1000;
        _on2End = sampleRate * 1000 / 1000;
        _cycle = sampleRate * 3000 / 1000;
        _ramp = sampleRate / 100;
    }

    /// <summary>Lower tone, Hz.</summary>
    public const double LowHz = 400;

    /// <summary>Upper tone, Hz.</summary>
    public const double HighHz = 450;

    /// <summary>True between <see cref="Start"/> and <see cref="Stop"/>.</summary>
    public bool Ringing => Volatile.Read(ref _requested) == 1;

    /// <summary>Frames mixed while ringing (for diagnostics and tests).</summary>
    public long FramesRung => Interlocked.Read(ref _framesRung);

    /// <summary>Starts ringing from the beginning of the cadence (no effect when already ringing).</summary>
    public void Start() => Interlocked.CompareExchange(ref _requested, 1, 0);

    /// <summary>Stops ringing at the next frame.</summary>
    public void Stop() => Volatile.Write(ref _requested, 0);

    /// <inheritdoc />
    public void MixInto(Span<float> frame)
    {
        if (Volatile.Read(ref _requested) == 0)
        {
            _position = 0;
            _phaseA = 0;
            _phaseB = 0;
            return;
        }
        double stepA = 2 * Math.PI * LowHz / _sampleRate, stepB = 2 * Math.PI * HighHz / _sampleRate;
        float half = _amplitude * 0.5f;
        for (int i = 0; i < frame.Length; i++)
        {
            int p = _position;
            float env = Envelope(p);
            if (env > 0)
            {
                frame[i] += half * env * (float)(Math.Sin(_phaseA) + Math.Sin(_phaseB));
            }
            _phaseA += stepA;
            _phaseB += stepB;
            if (_phaseA > 2 * Math.PI)
            {
                _phaseA -= 2 * Math.PI;
            }
            if (_phaseB > 2 * Math.PI)
            {
                _phaseB -= 2 * Math.PI;
            }
            _position = p + 1 == _cycle ? 0 : p + 1;
        }
        Interlocked.Increment(ref _framesRung);
    }

    private float Envelope(int p)
    {
        if (p < _on1End)
        {
            return Ramp(p, _on1End);
        }
        if (p >= _on2Start && p < _on2End)
        {
            return Ramp(p - _on2Start, _on2End - _on2Start);
        }
        return 0f;
    }

    private float Ramp(int inBurst, int burst)
    {
        int edge = Math.Min(inBurst, burst - 1 - inBurst);
        return edge >= _ramp ? 1f : (float)edge / _ramp;
    }
}
