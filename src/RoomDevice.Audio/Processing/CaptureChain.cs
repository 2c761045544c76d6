using RoomDevice.Audio.Interop.Speex;
using RoomDevice.Audio.Pipeline;

namespace RoomDevice.Audio.Processing;

/// <summary>Reports a fixed processing latency, so file processing can keep output aligned with the input.</summary>
public interface IProcessingLatency
{
    /// <summary>Constant delay from input to output, samples.</summary>
    int LatencySamples { get; }
}

/// <summary>
/// The project's voice front end: echo canceller, residual echo suppressor with noise suppression
/// and comfort noise, AGC with limiter, VAD. 10 ms frames in and out; internally blocks of 8 ms
/// (16 kHz) or 5.3 ms (48 kHz); the fixed latency (<see cref="LatencySamples"/>) is 14 ms at 16 kHz
/// and 10 ms at 48 kHz. No allocation per frame.
/// </summary>
public sealed class CaptureChain : ICaptureProcessor, IProcessingLatency
{
    private readonly EchoCanceller? _aec;
    private readonly ResidualEchoSuppressor _res;
    private readonly AutomaticGainControl? _agc;
    private readonly VoiceActivityDetector _vad;
    private readonly int _block;
    private readonly float[] _inFifo;
    private int _inCount;
    private readonly float[] _outFifo;
    private int _outRead, _outCount;
    private readonly float[] _err, _echo, _clean, _zeros;
    private bool _voice;
    private int _mutedTalkBlocks;
    private long _lastMutedEventBlock = long.MinValue / 2;
    private long _blocks;
    private long _pathResets;

    /// <summary>Creates the chain from <paramref name="options"/> (its Aec must be Managed or Off).</summary>
    public CaptureChain(int sampleRate, VoiceOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (sampleRate != 16000 && sampleRate != 48000)
        {
            throw new ArgumentOutOfRangeException(nameof(sampleRate), sampleRate, "Sample rate must be 16000 or 48000 Hz.");
        }

        if (options.Aec == AecKind.Speex)
        {
            throw new ArgumentException("CaptureChain runs the managed canceller; use CaptureProcessors.Create for Speex.", nameof(options));
        }

        SampleRate = sampleRate;
        FrameSize = sampleRate / 100;
        _block = sampleRate == 16000 ? 128 : 256;
        if (options.Aec == AecKind.Managed)
        {
            _aec = new EchoCanceller(sampleRate, options.TailMs, options.MaxDelayMs);
        }

        _res = new ResidualEchoSuppressor(_block) { NoiseSuppression = options.NoiseSuppression };
        _agc = options.Agc ? new AutomaticGainControl(sampleRate) : null;
        _vad = new VoiceActivityDetector(sampleRate / _block);
        _inFifo = new float[_block + FrameSize];
        int prime = _block - Gcd(FrameSize, _block);
        _outFifo = new float[(2 * _block) + (2 * FrameSize)];
        _outCount = prime;
        LatencySamples = prime + _block;
        _err = new float[_block];
        _echo = new float[_block];
        _clean = new float[_block];
        _zeros = new float[FrameSize];
    }

    /// <summary>Raised (on the processing thread) when <see cref="Muted"/> is set and the local talker has spoken for half a second; at most every 10 s.</summary>
    public event EventHandler? MutedTalkDetected;

    /// <inheritdoc />
    public int SampleRate { get; }

    /// <inheritdoc />
    public int FrameSize { get; }

    /// <inheritdoc />
    public int LatencySamples { get; }

    /// <inheritdoc />
    public bool VoiceActive => _voice;

    /// <summary>Set by the host while the room is muted, to detect talking into a muted microphone.</summary>
    public bool Muted { get; set; }

    /// <summary>The linear canceller, or null when AEC is off.</summary>
    public EchoCanceller? Canceller => _aec;

    /// <summary>The residual echo and noise suppressor.</summary>
    public ResidualEchoSuppressor Suppressor => _res;

    /// <inheritdoc />
    public void AnalyzeRender(ReadOnlySpan<float> render)
    {
        CheckFrame(render.Length, nameof(render));
        _aec?.WriteReference(render);
    }

    /// <inheritdoc />
    public void ProcessCapture(ReadOnlySpan<float> mic, Span<float> output)
    {
        CheckFrame(mic.Length, nameof(mic));
        CheckFrame(output.Length, nameof(output));
        for (int i = 0; i < mic.Length; i++)
        {
            float v = mic[i];
            _inFifo[_inCount++] = float.IsFinite(v) ? Math.Clamp(v, -1f, 1f) : 0f;
            if (_inCount == _block)
            {
                ProcessBlock();
                _inCount = 0;
            }
        }

        bool anyVoice = false;
        // Ring indices wrap by comparison (always in range, so the same as the modulo, without a division per sample).
        int len = _outFifo.Length, r = _outRead;
        for (int i = 0; i < output.Length; i++)
        {
            output[i] = _outFifo[r];
            if (++r == len)
            {
                r = 0;
            }
        }

        _outRead = r;
        _outCount -= output.Length;

        anyVoice |= _vad.Active;
        _voice = anyVoice;
    }

    /// <summary>Feeds silence through the chain (flushing the latency at the end of a file).</summary>
    public void Flush(Span<float> output)
    {
        AnalyzeRender(_zeros);
        ProcessCapture(_zeros, output);
    }

    /// <inheritdoc />
    public void Dispose()
    {
    }

    private void ProcessBlock()
    {
        _blocks++;
        ReadOnlySpan<float> d = _inFifo.AsSpan(0, _block);
        if (_aec != null)
        {
            _aec.LocalSpeechHint = _res.LocalSpeech;
            _aec.Process(d, _err, _echo);
            if (_aec.PathResets != _pathResets)
            {
                _pathResets = _aec.PathResets;
                _res.ResetLeak();
            }
        }
        else
        {
            d.CopyTo(_err);
            Array.Clear(_echo);
        }

        if (_aec != null)
        {
            // Until the bulk delay is known the echo may arrive up to the search range later.
            _res.FilterOffPath = _aec.OffPath;
            _res.ModelHold = _aec.DelayEstimation && !_aec.Delay.HasEstimate ? 0.96f : 0.75f;
            _res.Process(_err, _echo, _clean, _aec.ReferencePower, _aec.Reliability);
        }
        else
        {
            _res.Process(_err, _echo, _clean);
        }
        bool speech = _vad.Update(_res.SpeechToNoise, _res.EchoShare);
        _agc?.Process(_clean, speech && !Muted);
        if (Muted && _vad.SpeechRun > 0)
        {
            _mutedTalkBlocks++;
        }
        else if (!speech)
        {
            _mutedTalkBlocks = 0;
        }

        int blocksPerSecond = SampleRate / _block;
        if (_mutedTalkBlocks >= blocksPerSecond / 2 && _blocks - _lastMutedEventBlock >= 10L * blocksPerSecond)
        {
            _lastMutedEventBlock = _blocks;
            _mutedTalkBlocks = 0;
            MutedTalkDetected?.Invoke(this, EventArgs.Empty);
        }

        int len = _outFifo.Length;
        int w = (_outRead + _outCount) % len;
        for (int i = 0; i < _block; i++)
        {
            _outFifo[w] = _clean[i];
            if (++w == len)
            {
                w = 0;
            }
        }

        _outCount += _block;
    }

    private void CheckFrame(int n, string name)
    {
        if (n != FrameSize)
        {
            throw new ArgumentException($"A frame must hold {FrameSize} samples (10 ms at {SampleRate} Hz); got {n}.", name);
        }
    }

    private static int Gcd(int a, int b)
    {
        while (b != 0)
        {
            (a, b) = (b, a % b);
        }

        return a;
    }
}

/// <summary>Builds the capture processor chosen in <see cref="VoiceOptions"/>.</summary>
public static class CaptureProcessors
{
    /// <summary>The managed chain, or SpeexDSP (AEC + preprocessor), per <paramref name="options"/>.</summary>
    public static ICaptureProcessor Create(int sampleRate, VoiceOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.Aec == AecKind.Speex
            ? new SpeexCaptureProcessor(sampleRate, options.SpeexTailMs, options.NoiseSuppression, options.Agc)
            : new CaptureChain(sampleRate, options);
    }
}
