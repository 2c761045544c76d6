using RoomDevice.Audio.Frames;

namespace RoomDevice.Audio.Dsp;

/// <summary>Short local sounds the room plays itself.</summary>
public enum LocalTone
{
    /// <summary>Nothing.</summary>
    None,
    /// <summary>Rising two-note chime when a call connects.</summary>
    Joined,
    /// <summary>Falling two-note chime when a call ends.</summary>
    Left,
    /// <summary>One low beep when the microphones are muted.</summary>
    Muted,
    /// <summary>One high beep when the microphones open again.</summary>
    Unmuted,
}

/// <summary>
/// Plays <see cref="LocalTone"/>s into the loudspeaker mix. <see cref="Request"/> may be called from
/// any thread; the media thread picks the request up at its next frame. Sine oscillators with a
/// raised-cosine envelope; allocation-free.
/// </summary>
public sealed class ToneGenerator : IFrameSource
{
    private readonly int _sampleRate;
    private readonly float _amplitude;
    private int _requested;           // LocalTone, written by any thread
    private LocalTone _playing;
    private int _position;            // samples into the current tone
    private double _phase;

    /// <summary>Creates a generator at <paramref name="sampleRate"/> with peak <paramref name="amplitude"/>.</summary>
    public ToneGenerator(int sampleRate, float amplitude = 0.25f)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(sampleRate, 8000);
        _sampleRate = sampleRate;
        _amplitude = amplitude;
    }

    /// <summary>True while a tone is sounding.</summary>
    public bool Playing => _playing != LocalTone.None;

    /// <summary>Asks for <paramref name="tone"/>; it replaces any tone sounding now.</summary>
    public void Request(LocalTone tone) => Volatile.Write(ref _requested, (int)tone);

    /// <inheritdoc />
    public void MixInto(Span<float> frame)
    {
        var req = (LocalTone)Interlocked.Exchange(ref _requested, (int)LocalTone.None);
        if (req != LocalTone.None)
        {
            _playing = req;
            _position = 0;
            _phase = 0;
        }
        if (_playing == LocalTone.None)
        {
            return;
        }
        int noteLen = _sampleRate * 120 / 1000;   // 120 ms per note
        int notes = _playing is LocalTone.Joined or LocalTone.Left ? 2 : 1;
        int total = noteLen * notes;
        for (int i = 0; i < frame.Length && _position < total; i++, _position++)
        {
            int note = _position / noteLen, inNote = _position % noteLen;
            double freq = Frequency(_playing, note);
            double env = 0.5 - (0.5 * Math.Cos(2 * Math.PI * inNote / noteLen));
            _phase += 2 * Math.PI * freq / _sampleRate;
            if (_phase > 2 * Math.PI)
            {
                _phase -= 2 * Math.PI;
            }
            frame[i] += (float)(_amplitude * env * Math.Sin(_phase));
        }
        if (_position >= total)
        {
            _playing = LocalTone.None;
        }
    }

    private static double Frequency(LocalTone tone, int note) => tone switch
    {
        LocalTone.Joined => note == 0 ? 660 : 880,
        LocalTone.Left => note == 0 ? 880 : 660,
        LocalTone.Muted => 440,
        _ => 990,
    };
}
