using RoomDevice.Audio.Pipeline;

namespace RoomDevice.Audio.Interop.Speex;

/// <summary>
/// SpeexDSP's MDF echo canceller followed by its preprocessor (residual echo suppression, and
/// optionally noise suppression and AGC), behind <see cref="ICaptureProcessor"/>. The reference
/// canceller for comparisons; the render frame given last is paired with the next capture frame.
/// </summary>
public sealed class SpeexCaptureProcessor : ICaptureProcessor
{
    private readonly SpeexEchoHandle _echo;
    private readonly SpeexPreprocessHandle _pre;
    private readonly short[] _mic;
    private readonly short[] _ref;
    private readonly short[] _out;
    private bool _voice;

    /// <summary>Creates the canceller with a tail of <paramref name="tailMilliseconds"/>.</summary>
    public SpeexCaptureProcessor(int sampleRate, int tailMilliseconds = 256, bool noiseSuppression = true, bool agc = false)
    {
        if (sampleRate != 16000 && sampleRate != 48000)
        {
            throw new ArgumentOutOfRangeException(nameof(sampleRate), sampleRate, "Sample rate must be 16000 or 48000 Hz.");
        }

        if (tailMilliseconds < 16 || tailMilliseconds > 2000)
        {
            throw new ArgumentOutOfRangeException(nameof(tailMilliseconds), tailMilliseconds, "Echo tail must be between 16 and 2000 ms.");
        }

        SampleRate = sampleRate;
        FrameSize = sampleRate / 100;
        TailMilliseconds = tailMilliseconds;
        _echo = SpeexEchoHandle.Create(FrameSize, sampleRate * tailMilliseconds / 1000);
        _pre = SpeexPreprocessHandle.Create(FrameSize, sampleRate);
        _mic = new short[FrameSize];
        _ref = new short[FrameSize];
        _out = new short[FrameSize];
        unsafe
        {
            int rate = sampleRate;
            SpeexNative.EchoCtl(_echo, SpeexNative.SPEEX_ECHO_SET_SAMPLING_RATE, &rate);
            IntPtr echoState = _echo.DangerousGetHandle();
            SpeexNative.PreprocessCtl(_pre, SpeexNative.SPEEX_PREPROCESS_SET_ECHO_STATE, (void*)echoState);
            int on = noiseSuppression ? 1 : 0;
            SpeexNative.PreprocessCtl(_pre, SpeexNative.SPEEX_PREPROCESS_SET_DENOISE, &on);
            int agcOn = agc ? 1 : 0;
            SpeexNative.PreprocessCtl(_pre, SpeexNative.SPEEX_PREPROCESS_SET_AGC, &agcOn);
            // SpeexDSP 1.2's own VAD (SPEEX_PREPROCESS_SET_VAD) prints a deprecation warning and
            // is a level gate; it stays off and the level check in ProcessCapture stands in.
        }
    }

    /// <inheritdoc />
    public int SampleRate { get; }

    /// <inheritdoc />
    public int FrameSize { get; }

    /// <summary>Echo tail of the MDF filter in milliseconds.</summary>
    public int TailMilliseconds { get; }

    /// <inheritdoc />
    public bool VoiceActive => _voice;

    /// <inheritdoc />
    public void AnalyzeRender(ReadOnlySpan<float> render)
    {
        CheckLength(render.Length, nameof(render));
        ToShort(render, _ref);
    }

    /// <inheritdoc />
    public void ProcessCapture(ReadOnlySpan<float> mic, Span<float> output)
    {
        CheckLength(mic.Length, nameof(mic));
        CheckLength(output.Length, nameof(output));
        ToShort(mic, _mic);
        unsafe
        {
            fixed (short* m = _mic, r = _ref, o = _out)
            {
                SpeexNative.EchoCancellation(_echo, m, r, o);
                SpeexNative.PreprocessRun(_pre, o);
            }
        }

        const float scale = 1f / 32768f;
        double e = 0;
        for (int i = 0; i < output.Length; i++)
        {
            float v = _out[i] * scale;
            output[i] = v;
            e += v * v;
        }

        // Output above -50 dBFS counts as voice.
        _voice = e / output.Length > 1e-5;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _pre.Dispose();
        _echo.Dispose();
    }

    private void CheckLength(int n, string name)
    {
        if (n != FrameSize)
        {
            throw new ArgumentException($"A frame must hold {FrameSize} samples (10 ms at {SampleRate} Hz); got {n}.", name);
        }
    }

    private static void ToShort(ReadOnlySpan<float> src, short[] dst)
    {
        for (int i = 0; i < dst.Length; i++)
        {
            float v = src[i];
            // NaN maps to 0; Inf and overs clip.
            v = float.IsNaN(v) ? 0f : v * 32768f;
            dst[i] = (short)Math.Clamp(v, -32768f, 32767f);
        }
    }
}
