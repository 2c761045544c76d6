using RoomDevice.Audio.Dsp;
using System.Numerics.Tensors;

namespace RoomDevice.Audio.Processing;

/// <summary>
/// Spectral post filter after the linear canceller: suppresses the residual echo the filter
/// leaves (tail, misadjustment, mild loudspeaker nonlinearity) and, when enabled, stationary
/// noise, then fills what it removed with comfort noise at the noise floor. The residual echo is
/// predicted from the echo estimate's power with a leakage factor learnt from how error and echo
/// estimate powers co-vary (uncorrelated near-end speech does not bias it). Analysis and
/// synthesis use a square-root Hann window with 50 % overlap: latency is one block.
/// </summary>
public sealed class ResidualEchoSuppressor
{
    private readonly int _l, _n, _k;
    private readonly FftReal _fft;
    private readonly float[] _win;
    private readonly float[] _time, _olap;
    private readonly float[] _ePrev, _yPrev;
    private readonly float[] _er, _ei, _yr, _yi;
    private readonly float[] _ee, _yy, _noise, _noiseSmooth, _resid, _gain, _prevClean, _leakBin;
    private uint _rng = 0x9E3779B9u;
    private const int LeakBands = 4;
    private const int PhaseCount = 1024;
    private static readonly float[] PhaseCos = MakePhases(true);
    private static readonly float[] PhaseSin = MakePhases(false);
    private readonly int[] _bandStart = new int[LeakBands + 1];
    private readonly double[] _leakNum = new double[LeakBands];
    private readonly double[] _leakDen = new double[LeakBands];
    private readonly float[] _leakBand = [0.25f, 0.25f, 0.25f, 0.25f];
    private float _leak = 0.25f;
    private readonly double[] _pathY = new double[LeakBands];
    private readonly double[] _pathX = new double[LeakBands];
    private readonly float[] _pathGain = [1f, 1f, 1f, 1f];
    private readonly float[] _pathGainBin;
    private readonly float[] _xTail;
    private readonly float[] _louder;
    private long _blocks;
    private int _localHang;
    private int _talkerHang;
    private int _leakHoldHang;
    private float _talkerShare;

    /// <summary>Creates the suppressor for blocks of <paramref name="blockSize"/> samples (FFT of twice that).</summary>
    public ResidualEchoSuppressor(int blockSize)
    {
        if (blockSize != 128 && blockSize != 256)
        {
            throw new ArgumentOutOfRangeException(nameof(blockSize), blockSize, "Block size must be 128 or 256 samples.");
        }

        _l = blockSize;
        _n = 2 * blockSize;
        _k = blockSize + 1;
        _fft = new FftReal(_n);
        _win = new float[_n];
        for (int i = 0; i < _n; i++)
        {
            _win[i] = MathF.Sqrt(0.5f - (0.5f * MathF.Cos(2 * MathF.PI * i / _n)));
        }

        _time = new float[_n];
        _olap = new float[_l];
        _ePrev = new float[_l];
        _yPrev = new float[_l];
        _er = new float[_k];
        _ei = new float[_k];
        _yr = new float[_k];
        _yi = new float[_k];
        _ee = new float[_k];
        _yy = new float[_k];
        _noise = new float[_k];
        _noiseSmooth = new float[_k];
        _resid = new float[_k];
        _gain = new float[_k];
        _prevClean = new float[_k];
        _leakBin = new float[_k];
        _pathGainBin = new float[_k];
        _xTail = new float[_k];
        _louder = new float[_k];
        Array.Fill(_noise, 1e-9f);
        // Bands 0-1, 1-2, 2-4 kHz and above (scaled for 48 kHz).
        int hzPerBin = 8000 / blockSize * (blockSize == 128 ? 1 : 3);
        _bandStart[0] = 0;
        _bandStart[1] = Math.Min(_k, 1000 / hzPerBin);
        _bandStart[2] = Math.Min(_k, 2000 / hzPerBin);
        _bandStart[3] = Math.Min(_k, 4000 / hzPerBin);
        _bandStart[4] = _k;
        Array.Fill(_gain, 1f);
        Array.Fill(_leakBin, 0.25f);
    }

    /// <summary>Block size in samples; output is delayed by this much.</summary>
    public int BlockSize => _l;

    /// <summary>Whether stationary noise is suppressed too.</summary>
    public bool NoiseSuppression { get; set; } = true;

    /// <summary>Suppression of the residual echo is never weaker than this gain floor (linear).</summary>
    public float EchoFloor { get; set; } = 0.003f;

    /// <summary>Gain floor for noise when <see cref="NoiseSuppression"/> is on (linear).</summary>
    public float NoiseFloor { get; set; } = 0.1f;

    /// <summary>Once the filter is reliable, leakage is not learnt from blocks with a smoothed talker-bin share of at least this ...</summary>
    public float LeakTalkerShare { get; set; } = 0.1f;

    /// <summary>... whose error power is over this multiple of the predicted residual and noise.</summary>
    public float LeakTalkerRatio { get; set; } = 6f;

    /// <summary>Over-estimation of the tracked noise floor in the gains (minimum tracking sits under the mean noise power).</summary>
    public float NoiseOverestimate { get; set; } = 4f;

    /// <summary>Over-estimation of the residual echo (safety against leaks).</summary>
    public float EchoOverestimate { get; set; } = 6f;

    /// <summary>Replace bins the linear filter made louder than the microphone by the microphone's.</summary>
    public bool NeverLouderThanMic { get; set; } = true;

    /// <summary>Treat bins the linear filter made louder than the microphone as all echo (suppressed, not just passed through).</summary>
    public bool WrongPathSuppression { get; set; } = true;

    /// <summary>Error over microphone power in a bin above which the filter counts as off the echo path there.</summary>
    public float WrongPathRatio { get; set; } = 2f;

    /// <summary>Set by the capture chain while the linear filter as a whole makes the signal louder than the microphone (a changed echo path): then every bin it made louder counts as echo.</summary>
    public bool FilterOffPath { get; set; }

    /// <summary>Residual over-estimation while the local talker is present.</summary>
    public float DoubleTalkOverestimate { get; set; } = 2f;

    /// <summary>Blocks the local-talker decision (the canceller's double-talk care, no leakage learning) holds after the last block that showed the talker.</summary>
    public int LocalHangBlocks { get; set; } = 8;

    /// <summary>Blocks the gentler double-talk over-estimation holds after the last block that showed the talker.</summary>
    public int TalkerHangBlocks { get; set; } = 6;

    /// <summary>Speech-band error over predicted residual (power ratio) that marks local speech.</summary>
    public float LocalSpeechRatio { get; set; } = 6f;

    /// <summary>Per-block hold of the echo path power model; long while the bulk delay is still unknown.</summary>
    public float ModelHold { get; set; } = 0.75f;

    /// <summary>Per-block decay of the predicted residual echo (reverberation the filter does not model).</summary>
    public float TailDecay { get; set; } = 0.7f;

    /// <summary>Share of speech-band bins in the last block whose error exceeds <see cref="TalkerBinRatio"/> times the echo estimate (and the noise): a local talker's own spectrum.</summary>
    public float TalkerBinShare { get; private set; }

    /// <summary>Error over echo estimate power in a bin that no residual echo reaches.</summary>
    public float TalkerBinRatio { get; set; } = 0.5f;

    /// <summary>Noise multiple a talker bin's error must exceed.</summary>
    public float TalkerBinNoise { get; set; } = 3f;

    /// <summary>The level test marks the local talker only while the smoothed talker-bin share is at least this.</summary>
    public float TalkerShareMin { get; set; } = 0.2f;

    /// <summary>
    /// Speech-band error over predicted residual and noise above which the leakage is not learnt
    /// (for <see cref="LocalHangBlocks"/>): a little under <see cref="LocalSpeechRatio"/>, so a talker
    /// just under the detection threshold (loud echo) does not raise the leakage that hides it.
    /// </summary>
    public float LeakHoldRatio { get; set; } = 5f;

    /// <summary>Learnt echo leakage (residual echo power over echo estimate power).</summary>
    public float Leak => _leak;

    /// <summary>Mean gain of the last block over the speech band (1 = untouched).</summary>
    public float MeanGain { get; private set; } = 1f;

    /// <summary>Speech-band power of the last output block over the noise floor (linear), for the VAD.</summary>
    public float SpeechToNoise { get; private set; }

    /// <summary>Speech-band residual echo over output power (linear), for the VAD.</summary>
    public float EchoShare { get; private set; }

    /// <summary>Suppresses one block: <paramref name="error"/> is the canceller output, <paramref name="echo"/> its echo estimate.</summary>
    public void Process(ReadOnlySpan<float> error, ReadOnlySpan<float> echo, Span<float> output) =>
        Process(error, echo, output, ReadOnlySpan<float>.Empty, 1f);

    /// <summary>
    /// Suppresses one block. With <paramref name="referencePower"/> (aligned reference power
    /// spectrum) and a <paramref name="reliability"/> of the linear filter below 1, the residual echo
    /// is also predicted from an echo path power gain learnt while the filter was good: that keeps
    /// echo down during cold start and after an echo path change, before the filter has converged.
    /// </summary>
    public void Process(ReadOnlySpan<float> error, ReadOnlySpan<float> echo, Span<float> output, ReadOnlySpan<float> referencePower, float reliability)
    {
        int l = _l, k = _k;
        if (error.Length != l || echo.Length != l || output.Length < l)
        {
            throw new ArgumentException($"ResidualEchoSuppressor processes blocks of {l} samples.");
        }

        _blocks++;
        Window(_ePrev, error, _time);
        _fft.Forward(_time, _er, _ei);
        Window(_yPrev, echo, _time);
        _fft.Forward(_time, _yr, _yi);
        error.CopyTo(_ePrev);
        echo.CopyTo(_yPrev);
        TensorPrimitives.Multiply(_er, _er, _ee);
        TensorPrimitives.MultiplyAdd(_ei, _ei, _ee, _ee);
        TensorPrimitives.Multiply(_yr, _yr, _yy);
        TensorPrimitives.MultiplyAdd(_yi, _yi, _yy, _yy);
        // Where the filter made a bin louder than the microphone (a wrong echo path, right after
        // a change), keep the microphone's bin instead: the canceller never adds echo.
        for (int j = 0; j < k && NeverLouderThanMic; j++)
        {
            float dr = _er[j] + _yr[j], di = _ei[j] + _yi[j];
            float dd = (dr * dr) + (di * di);
            _louder[j] = WrongPathSuppression && (FilterOffPath || _ee[j] > WrongPathRatio * dd) && _ee[j] > dd ? dd : 0f;
            if (_ee[j] > dd)
            {
                _er[j] = dr;
                _ei[j] = di;
                _ee[j] = dd;
            }
        }


        // Local talker's own spectrum: bins where the error is well above the echo estimate (and
        // the noise), which residual echo does not reach once the filter has converged.
        int talkerBins = 0;
        for (int j = _bandStart[0] + 2; j < _bandStart[3]; j++)
        {
            if (_ee[j] > (TalkerBinRatio * _yy[j]) + (TalkerBinNoise * _noise[j]))
            {
                talkerBins++;
            }
        }

        TalkerBinShare = talkerBins / (float)(_bandStart[3] - _bandStart[0] - 2);
        _talkerShare = (0.6f * _talkerShare) + (0.4f * TalkerBinShare);

        // Leakage per band: ratio of error power to echo-estimate power, learnt
        // only in blocks the echo estimate dominates (so local speech does not inflate it).
        double ySum = 0, eSum = 0, pSum = 0;
        for (int j = 1; j < k; j++)
        {
            pSum += Math.Max(_leakBin[j] * _yy[j], TailDecay * _resid[j]) + (1.5f * _noise[j]);
            ySum += _yy[j];
            eSum += _ee[j];
        }

        // Once the filter is reliable, a block well over the predicted residual that also shows the
        // talker's own spectrum is a talker the level test missed (loud echo), not leakage.
        bool talkerLike = _talkerShare >= LeakTalkerShare && reliability >= 1f && !FilterOffPath && eSum > LeakTalkerRatio * pSum;
        if (ySum > 2 * eSum && ySum > 1e-7 * _n && _localHang == 0 && _leakHoldHang == 0 && !talkerLike)
        {
            for (int b = 0; b < LeakBands; b++)
            {
                double num = 0, den = 0;
                for (int j = _bandStart[b]; j < _bandStart[b + 1]; j++)
                {
                    // Stationary noise is not echo leakage.
                    num += Math.Max(0f, _ee[j] - (1.5f * _noise[j]));
                    den += _yy[j];
                }

                _leakNum[b] = (0.95 * _leakNum[b]) + (0.05 * num);
                _leakDen[b] = (0.95 * _leakDen[b]) + (0.05 * den);
                if (_leakDen[b] > 1e-30)
                {
                    _leakBand[b] = (float)Math.Clamp(_leakNum[b] / _leakDen[b], 0.002, 1.0);
                }
            }

            _leak = _leakBand[1];
        }

        for (int b = 0; b < LeakBands; b++)
        {
            for (int j = _bandStart[b]; j < _bandStart[b + 1]; j++)
            {
                _leakBin[j] = _leakBand[b];
            }
        }

        // Echo path power model: reference power with a reverberant tail, times a per-band gain
        // learnt while the linear filter is reliable.
        bool model = referencePower.Length >= k;
        float weight = model ? 1f - Math.Clamp(reliability, 0f, 1f) : 0f;
        if (model)
        {
            double yTot = 0, xTot = 0;
            for (int j = 0; j < k; j++)
            {
                _xTail[j] = Math.Max(referencePower[j], ModelHold * _xTail[j]);
                xTot += _xTail[j];
                yTot += _yy[j];
            }

            if (reliability >= 1f && xTot > 1e-7 * _n)
            {
                for (int b = 0; b < LeakBands; b++)
                {
                    double ys = 0, xs = 0;
                    for (int j = _bandStart[b]; j < _bandStart[b + 1]; j++)
                    {
                        ys += _yy[j];
                        xs += _xTail[j];
                    }

                    _pathY[b] = (0.97 * _pathY[b]) + (0.03 * ys);
                    _pathX[b] = (0.97 * _pathX[b]) + (0.03 * xs);
                    _pathGain[b] = (float)Math.Clamp(_pathY[b] / (_pathX[b] + 1e-30), 1e-4, 4.0);
                }
            }
        }

        // Noise floor: minimum tracking of the smoothed error power.
        for (int j = 0; j < k; j++)
        {
            float s = _noiseSmooth[j] = (0.7f * _noiseSmooth[j]) + (0.3f * _ee[j]);
            float nz = _noise[j];
            // Start from the first blocks' level, then follow minima (fast down, slow up).
            nz = _blocks <= 25 ? s : s < nz ? (0.8f * nz) + (0.2f * s) : nz * 1.004f;
            _noise[j] = Math.Max(nz, 1e-12f);
        }

        if (weight > 0f)
        {
            for (int b = 0; b < LeakBands; b++)
            {
                for (int j = _bandStart[b]; j < _bandStart[b + 1]; j++)
                {
                    _pathGainBin[j] = _pathGain[b];
                }
            }
        }

        // Gains.
        // Local speech check: error power far above the predicted residual echo over the speech
        // band means the local talker is there; predict the residual without the safety margin
        // then, so double talk keeps its level.
        double eBand = 0, rBand = 0;
        for (int j = _bandStart[0] + 2; j < _bandStart[3]; j++)
        {
            eBand += _ee[j];
            rBand += Math.Max(_leakBin[j] * _yy[j], TailDecay * _resid[j]);
        }

        double predicted = rBand + SumNoise();
        bool byLevel = eBand > LocalSpeechRatio * predicted;
        if (byLevel)
        {
            _localHang = LocalHangBlocks;
        }
        else if (_localHang > 0)
        {
            _localHang--;
        }

        if (eBand > LeakHoldRatio * predicted)
        {
            _leakHoldHang = LocalHangBlocks;
        }
        else if (_leakHoldHang > 0)
        {
            _leakHoldHang--;
        }

        // The gentler over-estimation needs the talker's own spectrum too: the level test alone
        // also fires on residual echo the filter briefly leaves (a far-end onset, the room tail).
        // The level test alone still drives the canceller's double-talk care and stops the
        // leakage learning, where a missed talker costs more than a false alarm.
        if (byLevel && _talkerShare >= TalkerShareMin)
        {
            _talkerHang = TalkerHangBlocks;
        }
        else if (_talkerHang > 0)
        {
            _talkerHang--;
        }

        float over = _talkerHang > 0 ? DoubleTalkOverestimate : EchoOverestimate;
        float echoFloor = EchoFloor;
        float noiseFloor = NoiseSuppression ? NoiseFloor : 1f;
        double gSum = 0, cleanBand = 0, noiseBand = 0, echoBand = 0;
        int lo = Math.Max(1, k * 300 / 8000 * (_l == 128 ? 1 : 1)), hi = Math.Min(k - 1, k * 4000 / 8000);
        if (_l == 256)
        {
            lo = Math.Max(1, 300 * _n / 48000);
            hi = 4000 * _n / 48000;
        }

        for (int j = 0; j < k; j++)
        {
            float r = _resid[j] = Math.Max(_leakBin[j] * _yy[j], TailDecay * _resid[j]);
            if (weight > 0f)
            {
                r = Math.Max(r, weight * _pathGainBin[j] * _xTail[j]);
            }

            r = Math.Max(r, _louder[j]);

            float nz = NoiseSuppression ? NoiseOverestimate * _noise[j] : 0f;
            float interference = (over * r) + nz + 1e-20f;
            float ee = _ee[j] + 1e-20f;
            float post = ee / interference;
            // Decision-directed a priori SNR.
            float prio = (0.9f * _prevClean[j] / interference) + (0.1f * Math.Max(post - 1f, 0f));
            float g = prio / (1f + prio);
            float floor = (over * r) > nz ? echoFloor : noiseFloor;
            if (!NoiseSuppression && (over * r) <= 1e-20f)
            {
                g = 1f;
            }

            g = Math.Clamp(g, floor, 1f);
            _gain[j] = g;
            _prevClean[j] = g * g * ee;
            if (j >= lo && j <= hi)
            {
                gSum += g;
                cleanBand += g * g * ee;
                noiseBand += _noise[j] * 1.5f;
                echoBand += r;
            }
        }

        int nb = Math.Max(1, hi - lo + 1);
        MeanGain = (float)(gSum / nb);
        SpeechToNoise = (float)(cleanBand / (noiseBand + 1e-20));
        EchoShare = (float)(echoBand / (cleanBand + echoBand + 1e-20));

        // Apply gains and add comfort noise for what was removed below the noise floor's level.
        for (int j = 0; j < k; j++)
        {
            float g = _gain[j];
            float target = NoiseSuppression ? noiseFloor : 1f;
            float fill = target * target - (g * g);
            float cr = 0, ci = 0;
            if (fill > 0)
            {
                float amp = MathF.Sqrt(fill * _noise[j]);
                int ph = (int)(NextUniform() * PhaseCount) & (PhaseCount - 1);
                cr = amp * PhaseCos[ph];
                ci = amp * PhaseSin[ph];
            }

            _er[j] = (_er[j] * g) + cr;
            _ei[j] = (_ei[j] * g) + ci;
        }

        _ei[0] = 0;
        _ei[k - 1] = 0;
        _fft.Inverse(_er, _ei, _time);
        TensorPrimitives.Multiply(_time, _win, _time);
        for (int i = 0; i < l; i++)
        {
            float v = _olap[i] + _time[i];
            output[i] = float.IsFinite(v) ? v : 0f;
            _olap[i] = _time[l + i];
        }
    }

    /// <summary>Forgets the learnt leakage (after the canceller restarted on a new echo path).</summary>
    public void ResetLeak()
    {
        Array.Fill(_leakBand, 0.25f);
        Array.Clear(_leakNum);
        Array.Clear(_leakDen);
        _leak = 0.25f;
    }

    /// <summary>True while the suppressor judges that the local talker is present.</summary>
    public bool LocalSpeech => _localHang > 0;

    private double SumNoise()
    {
        double n = 0;
        for (int j = _bandStart[0] + 2; j < _bandStart[3]; j++)
        {
            n += _noise[j];
        }

        return n;
    }

    /// <summary>Gain of bin <paramref name="bin"/> in the last block (for tests and plots).</summary>
    public float GainAt(int bin) => _gain[bin];

    private void Window(ReadOnlySpan<float> prev, ReadOnlySpan<float> cur, Span<float> dst)
    {
        prev.CopyTo(dst);
        cur.CopyTo(dst[_l..]);
        TensorPrimitives.Multiply(dst, _win, dst);
    }

    private static float[] MakePhases(bool cos)
    {
        var t = new float[PhaseCount];
        for (int i = 0; i < PhaseCount; i++)
        {
            double a = 2 * Math.PI * i / PhaseCount;
            t[i] = (float)(cos ? Math.Cos(a) : Math.Sin(a));
        }

        return t;
    }

    private float NextUniform()
    {
        // xorshift32: allocation-free, deterministic comfort noise.
        uint x = _rng;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        _rng = x;
        return (x >> 8) * (1f / 16777216f);
    }
}
