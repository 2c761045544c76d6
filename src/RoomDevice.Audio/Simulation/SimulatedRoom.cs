using System.Numerics;
using System.Numerics.Tensors;
using RoomDevice.Audio.Acoustics;

namespace RoomDevice.Audio.Simulation;

/// <summary>Where the microphones of an array sit.</summary>
public static class MicArrayGeometry
{
    /// <summary><paramref name="count"/> microphones evenly on a horizontal circle (e.g. a 4- or 6-mic ring array).</summary>
    public static Vector3[] Circular(Vector3 centre, float radius, int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        var mics = new Vector3[count];
        for (int i = 0; i < count; i++)
        {
            double a = 2 * Math.PI * i / count;
            mics[i] = centre + new Vector3((float)(radius * Math.Cos(a)), (float)(radius * Math.Sin(a)), 0);
        }
        return mics;
    }

    /// <summary><paramref name="count"/> microphones on a line along x, <paramref name="spacing"/> apart, centred on <paramref name="centre"/>.</summary>
    public static Vector3[] Linear(Vector3 centre, float spacing, int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        var mics = new Vector3[count];
        for (int i = 0; i < count; i++)
        {
            mics[i] = centre + new Vector3((i - ((count - 1) / 2f)) * spacing, 0, 0);
        }
        return mics;
    }
}

/// <summary>Everything about a simulated meeting room.</summary>
public sealed record SimulatedRoomSettings
{
    /// <summary>Room size and reverberation.</summary>
    public ShoeboxRoom Room { get; init; } = new(6f, 4.5f, 2.8f, 0.4f);

    /// <summary>Loudspeaker position, metres from the room's corner.</summary>
    public Vector3 Speaker { get; init; } = new(3.0f, 0.6f, 1.0f);

    /// <summary>Microphone positions (true array geometry).</summary>
    public IReadOnlyList<Vector3> Microphones { get; init; } = MicArrayGeometry.Circular(new Vector3(3.0f, 0.75f, 1.0f), 0.0457f, 4);

    /// <summary>Local talker position.</summary>
    public Vector3 Talker { get; init; } = new(3.2f, 2.6f, 1.2f);

    /// <summary>Local talker's dry signal at <see cref="SampleRate"/> (looped), or null for no local talker.</summary>
    public float[]? TalkerSignal { get; init; }

    /// <summary>Gain of the local talker's dry signal.</summary>
    public float TalkerGain { get; init; } = 1f;

    /// <summary>Loudspeaker gain from full-scale digital to the room.</summary>
    public float SpeakerGain { get; init; } = 1f;

    /// <summary>Independent (diffuse) noise at each microphone, dBFS RMS; null for none.</summary>
    public double? NoiseDbfs { get; init; } = -60;

    /// <summary>Soft-clip level of the loudspeaker (tanh saturation at this amplitude), or null for a linear loudspeaker.</summary>
    public float? SpeakerClipLevel { get; init; }

    /// <summary>Loudspeaker clock offset against the microphones' clock, ppm; 0 for one shared clock.</summary>
    public double ClockDriftPpm { get; init; }

    /// <summary>Length of the impulse responses, ms.</summary>
    public int ImpulseResponseMs { get; init; } = 300;

    /// <summary>Rate of the room (the devices' rate).</summary>
    public int SampleRate { get; init; } = 48000;

    /// <summary>Seed of the noise.</summary>
    public int Seed { get; init; } = 1;
}

/// <summary>
/// A meeting room in software: each 10 ms the loudspeaker's frame goes through the image-source
/// impulse response to every microphone, the local talker through its own, plus noise, an
/// optional loudspeaker nonlinearity and an optional clock drift between loudspeaker and
/// microphones. Convolution is partitioned in the frequency domain; nothing is allocated per frame.
/// </summary>
public sealed class SimulatedRoom
{
    private const int Block = SpectralDelayLine.BlockSize;
    private readonly SimulatedRoomSettings _s;
    private readonly SpectralDelayLine _speakerLine, _talkerLine;
    private readonly ConvolutionKernel[] _speakerPaths, _talkerPaths;
    private readonly DriftResampler? _drift;
    private readonly float[] _speaker = new float[Block], _talker = new float[Block], _mic = new float[Block], _near = new float[Block];
    private readonly float[]? _talkerSignal;
    private readonly float _noiseRms;
    private int _talkerPos;
    private uint _rng;
    private long _frames;

    /// <summary>Computes the impulse responses (a few hundred ms of work) and sets up the convolutions.</summary>
    public SimulatedRoom(SimulatedRoomSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (settings.SampleRate != 48000)
        {
            throw new ArgumentOutOfRangeException(nameof(settings), settings.SampleRate, "simulated room rate; accepted: 48000 Hz");
        }
        if (settings.Microphones.Count is < 1 or > 16)
        {
            throw new ArgumentOutOfRangeException(nameof(settings), settings.Microphones.Count, "microphones; accepted: 1 to 16");
        }
        if (settings.ImpulseResponseMs is < 10 or > 2000)
        {
            throw new ArgumentOutOfRangeException(nameof(settings), settings.ImpulseResponseMs, "impulse response length; accepted: 10 to 2000 ms");
        }
        _s = settings;
        int length = settings.SampleRate * settings.ImpulseResponseMs / 1000;
        int mics = settings.Microphones.Count;
        SpeakerResponses = new float[mics][];
        TalkerResponses = new float[mics][];
        _speakerPaths = new ConvolutionKernel[mics];
        _talkerPaths = new ConvolutionKernel[mics];
        for (int m = 0; m < mics; m++)
        {
            SpeakerResponses[m] = ImageSourceModel.ImpulseResponse(settings.Room, settings.Speaker, settings.Microphones[m], settings.SampleRate, length);
            TalkerResponses[m] = ImageSourceModel.ImpulseResponse(settings.Room, settings.Talker, settings.Microphones[m], settings.SampleRate, length);
            _speakerPaths[m] = new ConvolutionKernel(SpeakerResponses[m]);
            _talkerPaths[m] = new ConvolutionKernel(TalkerResponses[m]);
        }
        _speakerLine = new SpectralDelayLine(_speakerPaths[0].Partitions);
        _talkerLine = new SpectralDelayLine(_talkerPaths[0].Partitions);
        if (settings.ClockDriftPpm != 0)
        {
            _drift = new DriftResampler(settings.ClockDriftPpm);
        }
        _talkerSignal = settings.TalkerSignal is { Length: > 0 } t ? t : null;
        _noiseRms = settings.NoiseDbfs is double db ? (float)Math.Pow(10, db / 20) : 0f;
        _rng = (uint)settings.Seed | 1u;
    }

    /// <summary>The settings.</summary>
    public SimulatedRoomSettings Settings => _s;

    /// <summary>Microphones.</summary>
    public int Microphones => _s.Microphones.Count;

    /// <summary>Impulse response from the loudspeaker to each microphone.</summary>
    public float[][] SpeakerResponses { get; }

    /// <summary>Impulse response from the local talker to each microphone.</summary>
    public float[][] TalkerResponses { get; }

    /// <summary>Frames simulated.</summary>
    public long Frames => Interlocked.Read(ref _frames);

    /// <summary>Clock slips of the drift simulation.</summary>
    public long ClockSlips => _drift?.Slips ?? 0;

    /// <summary>
    /// Simulates one 10 ms frame: <paramref name="speaker"/> (480 mono samples the loudspeaker was
    /// driven with) in, <paramref name="micsInterleaved"/> (480 x <paramref name="channels"/>) out;
    /// channels past the microphones are left at zero. <paramref name="echoAtFirstMic"/> and
    /// <paramref name="nearAtFirstMic"/>, when not empty, receive the two components of microphone 0
    /// (for measurements).
    /// </summary>
    public void Process(ReadOnlySpan<float> speaker, Span<float> micsInterleaved, int channels,
        Span<float> echoAtFirstMic = default, Span<float> nearAtFirstMic = default)
    {
        if (speaker.Length != Block)
        {
            throw new ArgumentException($"speaker frame of {speaker.Length} samples; the room takes {Block}", nameof(speaker));
        }
        if (channels < Microphones || micsInterleaved.Length < Block * channels)
        {
            throw new ArgumentException($"{channels} channels cannot carry {Microphones} microphones", nameof(channels));
        }

        // Loudspeaker: gain, nonlinearity, its own clock.
        TensorPrimitives.Multiply(speaker, _s.SpeakerGain, _speaker);
        if (_s.SpeakerClipLevel is float clip)
        {
            TensorPrimitives.Multiply(_speaker, 1f / clip, _speaker);
            TensorPrimitives.Tanh(_speaker, _speaker);
            TensorPrimitives.Multiply(_speaker, clip, _speaker);
        }
        if (_drift is not null)
        {
            _speaker.AsSpan().CopyTo(_mic);
            _drift.Process(_mic, _speaker);
        }
        _speakerLine.Push(_speaker);

        bool talking = _talkerSignal is not null;
        if (talking)
        {
            for (int i = 0; i < Block; i++)
            {
                _talker[i] = _talkerSignal![_talkerPos] * _s.TalkerGain;
                _talkerPos = (_talkerPos + 1) % _talkerSignal.Length;
            }
            _talkerLine.Push(_talker);
        }

        micsInterleaved[..(Block * channels)].Clear();
        for (int m = 0; m < Microphones; m++)
        {
            _speakerPaths[m].Convolve(_speakerLine, _mic);
            if (m == 0 && !echoAtFirstMic.IsEmpty)
            {
                _mic.AsSpan().CopyTo(echoAtFirstMic);
            }
            if (talking)
            {
                _talkerPaths[m].Convolve(_talkerLine, _near);
                TensorPrimitives.Add(_mic, _near, _mic);
            }
            else
            {
                Array.Clear(_near);
            }
            if (m == 0 && !nearAtFirstMic.IsEmpty)
            {
                _near.AsSpan().CopyTo(nearAtFirstMic);
            }
            for (int i = 0, j = m; i < Block; i++, j += channels)
            {
                micsInterleaved[j] = _mic[i] + (_noiseRms > 0 ? _noiseRms * Gaussian() : 0f);
            }
        }
        Interlocked.Increment(ref _frames);
    }

    private float Gaussian()
    {
        // Sum of four uniforms: cheap, close enough to Gaussian for room noise, unit variance.
        float s = 0;
        for (int k = 0; k < 4; k++)
        {
            _rng ^= _rng << 13;
            _rng ^= _rng >> 17;
            _rng ^= _rng << 5;
            s += (_rng / (float)uint.MaxValue) - 0.5f;
        }
        return s * 1.7320508f;
    }
}
