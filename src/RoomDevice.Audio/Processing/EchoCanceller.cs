using RoomDevice.Audio.Dsp;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace RoomDevice.Audio.Processing;

/// <summary>
/// Linear acoustic echo canceller: a partitioned-block frequency-domain adaptive filter (MDF) with
/// two filters. The background filter adapts freely with a normalised step; the foreground filter
/// makes the output and receives a copy of the background whenever the background has cancelled
/// clearly better for a while; a background that diverges (double talk) is reset from the
/// foreground. In front of the filter the reference is delayed by the bulk delay found by the
/// <see cref="DelayEstimator"/> and resampled by the clock drift found from the filter's peak.
/// Works on blocks of <see cref="BlockSize"/> samples; allocation only in the constructor.
/// </summary>
public sealed class EchoCanceller
{
    private readonly int _l;      // block (hop)
    private readonly int _n;      // FFT size = 2 L
    private readonly int _k;      // bins
    private readonly int _m;      // partitions
    private readonly FftReal _fft;
    private readonly float[] _xr, _xi;   // reference spectra history [M][K], ring
    private readonly float[] _wbr, _wbi; // background filter
    private readonly float[] _wfr, _wfi; // foreground filter
    private readonly float[] _sxx;       // sum over partitions of |X|^2
    private readonly float[] _errPow, _errMin, _xPow;
    private readonly float[] _yr, _yi, _yfr, _yfi, _er, _ei, _mu, _tr, _ti, _pw, _refPow, _micPow;
    private readonly float[] _time;      // N samples
    private readonly float[] _xPrev;     // last aligned reference block
    private readonly float[] _xCur;
    private readonly float[] _dPrev;     // previous mic block
    private readonly float[] _rawPrev;   // previous raw reference block
    private readonly float[] _rawTime, _rawRe, _rawIm; // this block's raw reference FFT input and spectrum
    private bool _rawValid;
    private readonly float[] _eb, _ef, _y;
    private readonly float[] _refRing;
    private readonly int _ringMask;
    private readonly DelayEstimator _delay;
    private readonly float _delta;
    private long _refWritten;
    private long _micPos;
    private double _readPos;    // fractional position in the reference stream of the next aligned block
    private double _ratio = 1;  // reference read rate (1 + drift)
    private int _head;
    private int _constrainNext;
    private int _bulkBlocks;
    private double _sEf, _sEb, _sD, _sY;
    private int _badBackground;
    private int _pathChangeBlocks;
    private int _bgMuchBetter;
    private double _sDr, _sEr, _sDLong;
    private long _blocks;
    private double _erleNum, _erleDen;
    private float _lastPeak = float.NaN;
    private long _lastPeakBlock;
    private int _peakShiftSinceLast;
    private double _driftPpm;

    /// <summary>Creates a canceller for <paramref name="sampleRate"/> (16000 or 48000) with an echo tail of <paramref name="tailMilliseconds"/>.</summary>
    public EchoCanceller(int sampleRate, int tailMilliseconds = 256, int maxDelayMilliseconds = 600)
    {
        if (sampleRate != 16000 && sampleRate != 48000)
        {
            throw new ArgumentOutOfRangeException(nameof(sampleRate), sampleRate, "Sample rate must be 16000 or 48000 Hz.");
        }

        if (tailMilliseconds < 32 || tailMilliseconds > 1000)
        {
            throw new ArgumentOutOfRangeException(nameof(tailMilliseconds), tailMilliseconds, "Echo tail must be between 32 and 1000 ms.");
        }

        if (maxDelayMilliseconds < 0 || maxDelayMilliseconds > 2000)
        {
            throw new ArgumentOutOfRangeException(nameof(maxDelayMilliseconds), maxDelayMilliseconds, "Maximum bulk delay must be between 0 and 2000 ms.");
        }

        SampleRate = sampleRate;
        _l = sampleRate == 16000 ? 128 : 256;
        _n = 2 * _l;
        _k = _l + 1;
        _m = Math.Max(1, (int)Math.Ceiling(tailMilliseconds * sampleRate / 1000.0 / _l));
        _fft = new FftReal(_n);
        int mk = _m * _k;
        _xr = new float[mk];
        _xi = new float[mk];
        _wbr = new float[mk];
        _wbi = new float[mk];
        _wfr = new float[mk];
        _wfi = new float[mk];
        _sxx = new float[_k];
        _yr = new float[_k];
        _yi = new float[_k];
        _yfr = new float[_k];
        _yfi = new float[_k];
        _er = new float[_k];
        _ei = new float[_k];
        _mu = new float[_k];
        _errPow = new float[_k];
        _xPow = new float[_k];
        _errMin = new float[_k];
        _tr = new float[_k];
        _ti = new float[_k];
        _pw = new float[_k];
        _refPow = new float[_k];
        _micPow = new float[_k];
        _time = new float[_n];
        _xPrev = new float[_l];
        _xCur = new float[_l];
        _dPrev = new float[_l];
        _rawPrev = new float[_l];
        _rawTime = new float[_n];
        _rawRe = new float[_k];
        _rawIm = new float[_k];
        _eb = new float[_l];
        _ef = new float[_l];
        _y = new float[_l];
        int maxDelayBlocks = (int)Math.Ceiling(maxDelayMilliseconds * sampleRate / 1000.0 / _l) + 2;
        int ring = 1;
        while (ring < ((maxDelayBlocks + _m + 8) * _l) + (sampleRate / 10))
        {
            ring <<= 1;
        }

        _refRing = new float[ring];
        _ringMask = ring - 1;
        // Reference "active" when its band power exceeds that of a -60 dBFS signal.
        _delay = new DelayEstimator(_k, sampleRate, maxDelayBlocks, refActivePower: _n * 1e-6f);
        // Step regularisation: a reference at -65 dBFS counts as silence for adaptation.
        _delta = _m * _n * 3e-7f;
        MuMax = 0.6f;
    }

    /// <summary>Sample rate in Hz.</summary>
    public int SampleRate { get; }

    /// <summary>Samples per processing block.</summary>
    public int BlockSize => _l;

    /// <summary>Number of filter partitions (tail = partitions x block).</summary>
    public int Partitions => _m;

    /// <summary>Largest normalised step of the background filter.</summary>
    public float MuMax { get; set; }

    /// <summary>Set by the capture chain when the suppressor hears the local talker (double talk): slower background adaptation, stricter copies, no path restarts.</summary>
    public bool LocalSpeechHint { get; set; }

    /// <summary>Background step scale while the local talker is heard.</summary>
    public float LocalSpeechStepScale { get; set; } = 0.15f;

    /// <summary>Background step scale while the local talker is heard before the filter has converged.</summary>
    public float ColdLocalSpeechStepScale { get; set; } = 1f;

    /// <summary>Partitions whose gradient is constrained (made causal) per block, round robin.</summary>
    public int ConstraintsPerBlock { get; set; } = 1;

    /// <summary>Weight of the error power in the step normalisation (0 = plain NLMS).</summary>
    public float ErrorRegularisation { get; set; }

    /// <summary>Weight of the error's stationary noise floor in the step normalisation.</summary>
    public float NoiseRegularisation { get; set; } = 10f;

    /// <summary>The background is copied only when its error is this far under the microphone (power ratio); local speech keeps it above.</summary>
    public double CopyErleRatio { get; set; } = 0.25;

    /// <summary>The background takes over (echo path changed) when its error power stays under this share of the foreground's ...</summary>
    public double TakeoverRatio { get; set; } = 0.4;

    /// <summary>... for this many blocks in a row.</summary>
    public int TakeoverBlocks { get; set; } = 10;

    /// <summary>Foreground error power over microphone power that marks a changed echo path (restart of both filters)...</summary>
    public double RestartRatio { get; set; } = 2.0;

    /// <summary>... while the background error power is also above this share of the microphone's.</summary>
    public double RestartBackgroundRatio { get; set; } = 1.0;

    /// <summary>Blocks in a row of a foreground louder than the microphone before both filters restart.</summary>
    public int RestartBlocks { get; set; } = 6;

    /// <summary>A background takeover counts as an echo path change only when the foreground error is above this share of the microphone power.</summary>
    public double TakeoverForegroundRatio { get; set; } = 0.1;

    /// <summary>
    /// While the local talker is heard (and the filter has converged), the background is copied only
    /// when its error power is under this share of the foreground's; 0 = never. A background that
    /// fits part of the talker looks better than the foreground, and copying it would leave the
    /// output filter off the echo path once the talker stops.
    /// </summary>
    public double LocalCopyMargin { get; set; }

    /// <summary>When false the reference is used as given (no bulk delay estimation).</summary>
    public bool DelayEstimation { get; set; } = true;

    /// <summary>When false the reference is not resampled for clock drift.</summary>
    public bool DriftCompensation { get; set; } = true;

    /// <summary>Bulk delay applied to the reference, in samples.</summary>
    public int BulkDelaySamples => _bulkBlocks * _l;

    /// <summary>Estimated clock drift of the loudspeaker against the microphone, ppm.</summary>
    public double DriftPpm => _driftPpm;

    /// <summary>Smoothed ERLE of the linear filter (mic over error power), dB.</summary>
    public double ErleDb => _erleDen > 0 && _erleNum > 0 ? 10 * Math.Log10(_erleNum / _erleDen) : 0;

    /// <summary>True while the foreground filter makes the signal louder than the microphone (smoothed): the echo path has changed under it.</summary>
    public bool OffPath => _sEf > OffPathRatio * _sD && _sxx[_k / 4] > _delta * 10;

    /// <summary>Foreground error over microphone power (smoothed) above which <see cref="OffPath"/> is set.</summary>
    public double OffPathRatio { get; set; } = 1.3;

    /// <summary>How often the foreground received the background filter.</summary>
    public long Copies { get; private set; }

    /// <summary>0 while the linear filter has not (re)converged, rising to 1 once it cancels well.</summary>
    public float Reliability { get; private set; }

    /// <summary>Power spectrum of the newest aligned reference block (for the suppressor's echo path model).</summary>
    public ReadOnlySpan<float> ReferencePower => _xPow;

    /// <summary>How often an echo path change made both filters start afresh.</summary>
    public long PathResets { get; private set; }

    /// <summary>How often the background was reset from the foreground.</summary>
    public long Resets { get; private set; }

    /// <summary>Bulk-delay estimator (exposed for telemetry and tests).</summary>
    public DelayEstimator Delay => _delay;

    /// <summary>Appends render (loudspeaker) samples to the reference history.</summary>
    public void WriteReference(ReadOnlySpan<float> render)
    {
        for (int i = 0; i < render.Length; i++)
        {
            float v = render[i];
            _refRing[(int)(_refWritten & _ringMask)] = float.IsFinite(v) ? v : 0f;
            _refWritten++;
        }
    }

    /// <summary>
    /// Cancels echo in one microphone block (<see cref="BlockSize"/> samples): writes the error
    /// (mic minus echo estimate) to <paramref name="error"/> and the echo estimate to <paramref name="echo"/>.
    /// </summary>
    public void Process(ReadOnlySpan<float> mic, Span<float> error, Span<float> echo)
    {
        int l = _l, k = _k;
        if (mic.Length != l || error.Length < l || echo.Length < l)
        {
            throw new ArgumentException($"EchoCanceller processes blocks of {l} samples.");
        }

        _blocks++;

        // Delay estimation on the raw reference at the mic's time.
        _rawValid = false;
        if (DelayEstimation)
        {
            UpdateDelay(mic);
        }

        // A fast loudspeaker clock moves the read position towards the newest reference sample;
        // keep it behind by adding one block of bulk delay when it gets there.
        if (_ratio > 1 && _readPos + ((_l - 1) * _ratio) + 2 >= _refWritten && _bulkBlocks < _delay.MaxLagBlocks)
        {
            ShiftBulk(_bulkBlocks + 1);
        }

        // Aligned (delayed, drift-resampled) reference block.
        ReadAligned(_xCur);
        _xPrev.CopyTo(_time, 0);
        _xCur.CopyTo(_time, l);
        _xCur.CopyTo(_xPrev, 0);
        _head = _head == 0 ? _m - 1 : _head - 1;
        int h0 = _head * k;
        Span<float> xr0 = _xr.AsSpan(h0, k), xi0 = _xi.AsSpan(h0, k);
        // Keep the running sum of partition powers: drop the oldest (being overwritten), add the newest.
        PowerInto(xr0, xi0, _pw);
        TensorPrimitives.Subtract(_sxx, _pw, _sxx);
        if (_rawValid && MemoryMarshal.AsBytes(_time.AsSpan()).SequenceEqual(MemoryMarshal.AsBytes(_rawTime.AsSpan())))
        {
            // Same samples as the raw block the delay estimator just transformed (no bulk delay,
            // no drift): the same transform of the same input, so reuse its spectrum and power.
            _rawRe.CopyTo(xr0);
            _rawIm.CopyTo(xi0);
            _refPow.CopyTo(_pw);
        }
        else
        {
            _fft.Forward(_time, xr0, xi0);
            PowerInto(xr0, xi0, _pw);
        }

        _pw.CopyTo(_xPow, 0);
        TensorPrimitives.Add(_sxx, _pw, _sxx);
        TensorPrimitives.Max(_sxx, 0f, _sxx);

        // Background and foreground filter outputs.
        FilterOutputs(mic);

        // Adapt the background: W_k += mu conj(X_k) E.
        double eb2 = TensorPrimitives.Dot(_eb, _eb), ef2 = TensorPrimitives.Dot(_ef, _ef), d2 = TensorPrimitives.Dot(mic, mic);
        Array.Clear(_time, 0, l);
        _eb.CopyTo(_time, l);
        _fft.Forward(_time, _er, _ei);
        float muMax = MuMax;
        // Normalised step, regularised by the error power: bins where the error is mostly local
        // speech or noise (not explained by the reference) adapt slowly, so double talk and
        // low-frequency noise do not drive the filter off.
        float gamma = ErrorRegularisation * _m;
        float noiseReg = NoiseRegularisation * _m;
        for (int j = 0; j < k; j++)
        {
            float e2 = (_er[j] * _er[j]) + (_ei[j] * _ei[j]);
            float se = _errPow[j] = (0.7f * _errPow[j]) + (0.3f * e2);
            // Stationary noise floor of the error (minimum tracking): regularises like a noise term.
            float mn = _errMin[j];
            mn = _blocks <= 1 ? se : se < mn ? se : mn * 1.003f;
            _errMin[j] = mn;
            _mu[j] = muMax / (_sxx[j] + (gamma * se) + (noiseReg * mn) + _delta);
        }

        // Local speech only counts while the foreground still helps: a foreground that makes the
        // signal louder than the microphone means a changed echo path, not double talk.
        bool local = LocalSpeechHint && _sEf < _sD;
        if (local)
        {
            // The local talker is in the error: adapt the background gently.
            // Before the filter has converged the suppressor's talker detection is unreliable (the
            // unmodelled echo looks like a talker): by default no slow-down then (with a 512 ms
            // tail any cold slow-down left the filter, and so the drift estimate, unconverged
            // in 10 s scenes).
            TensorPrimitives.Multiply(_mu, Reliability >= 1f ? LocalSpeechStepScale : Math.Max(LocalSpeechStepScale, ColdLocalSpeechStepScale), _mu);
        }

        TensorPrimitives.Multiply(_er, _mu, _er);
        TensorPrimitives.Multiply(_ei, _mu, _ei);
        AdaptBackground();

        // Gradient constraint on one partition per block (keeps each partition a causal L-tap filter).
        for (int c = 0; c < ConstraintsPerBlock; c++)
        {
            Constrain(_wbr, _wbi, _constrainNext);
            _constrainNext = (_constrainNext + 1) % _m;
        }

        // Choose the filter.
        const double a = 0.85;
        _sEb = (a * _sEb) + eb2;
        _sEf = (a * _sEf) + ef2;
        _sD = (a * _sD) + d2;
        ReadOnlySpan<float> outErr = _ef;
        if (_sEb >= TakeoverRatio * _sEf)
        {
            _bgMuchBetter = 0;
        }

        // Echo path change: the foreground makes the signal louder than the microphone. Start
        // both filters afresh (cold convergence is faster than unlearning a wrong path).
        _sDLong = (0.995 * _sDLong) + (0.005 * _sD);
        if (!local && _sEf > RestartRatio * _sD && _sEb > RestartBackgroundRatio * _sD && _sEf > 0.3 * _sDLong && _sxx[_k / 4] > _delta * 10)
        {
            if (++_pathChangeBlocks >= RestartBlocks)
            {
                Array.Clear(_wbr);
                Array.Clear(_wbi);
                Array.Clear(_wfr);
                Array.Clear(_wfi);
                _sEf = _sEb = _sD;
                _pathChangeBlocks = 0;
                PathResets++;
                Reliability = 0;
                _lastPeak = float.NaN;
                outErr = mic;
            }
        }
        else
        {
            _pathChangeBlocks = 0;
        }

        if (outErr == mic)
        {
            // Already decided: pass the microphone through for this block.
        }
        else if (_sEb < TakeoverRatio * _sEf && ++_bgMuchBetter >= TakeoverBlocks)
        {
            // The background has been far better than the foreground for 80 ms: the echo path
            // changed under a foreground that still half-fits. Take the background and let the
            // suppressor treat the filter as re-converging.
            // A foreground that still cancels 10 dB was only behind a better-converged background,
            // and in a pause of the far end (the microphone holds only the decaying room tail) the
            // foreground's misadjustment can exceed the tail: a plain copy then, not a path change.
            bool changed = _sEf > TakeoverForegroundRatio * _sD && _sD > 0.1 * _sDLong;
            Array.Copy(_wbr, _wfr, _wbr.Length);
            Array.Copy(_wbi, _wfi, _wbi.Length);
            _sEf = _sEb;
            outErr = _eb;
            Copies++;
            if (changed)
            {
                PathResets++;
                Reliability = 0;
            }

            _bgMuchBetter = 0;
        }
        else if (_sEb < (local && Reliability >= 1f ? LocalCopyMargin : 0.7) * _sEf && _sEb < (_sEf > 0.8 * _sD && !local && Reliability < 1f ? 1.0 : CopyErleRatio) * _sD && eb2 < ef2)
        {
            Array.Copy(_wbr, _wfr, _wbr.Length);
            Array.Copy(_wbi, _wfi, _wbi.Length);
            _sEf = _sEb;
            outErr = _eb;
            Copies++;
        }
        else if (_sEb > 4 * _sEf && _sEf < _sD)
        {
            if (++_badBackground > 8)
            {
                Array.Copy(_wfr, _wbr, _wbr.Length);
                Array.Copy(_wfi, _wbi, _wbi.Length);
                _sEb = _sEf;
                _badBackground = 0;
                Resets++;
            }
        }
        else
        {
            _badBackground = 0;
        }

        for (int i = 0; i < l; i++)
        {
            float e = outErr[i];
            error[i] = e;
            echo[i] = mic[i] - e;
        }

        double oe2 = TensorPrimitives.Dot(outErr, outErr);
        double y2 = d2 - oe2;
        _sY = (0.9 * _sY) + Math.Max(0, y2);
        const double ea = 0.98;
        if (_sxx[k / 4] > _delta * 10)
        {
            _erleNum = (ea * _erleNum) + d2;
            _erleDen = (ea * _erleDen) + oe2;
        }

        // Reliability of the linear filter for the suppressor: high once the foreground has cancelled
        // 10 dB over a quarter second, back to zero after an echo path restart.
        _sDr = (0.97 * _sDr) + d2;
        _sEr = (0.97 * _sEr) + oe2;
        if (_sxx[k / 4] > _delta * 10 && _sDr > 10 * _sEr && Copies > 0)
        {
            Reliability = Math.Min(1f, Reliability + 0.03f);
        }

        mic.CopyTo(_dPrev);
        _micPos += l;

        if (DriftCompensation && _blocks % (2 * SampleRate / _l) == 0)
        {
            TrackDrift();
        }
    }

    /// <summary>Forgets the echo path (filters, delay, drift).</summary>
    public void Reset()
    {
        Array.Clear(_wbr);
        Array.Clear(_wbi);
        Array.Clear(_wfr);
        Array.Clear(_wfi);
        Array.Clear(_xr);
        Array.Clear(_xi);
        Array.Clear(_sxx);
        _delay.Reset();
        _bulkBlocks = 0;
        Reliability = 0;
        _ratio = 1;
        _driftPpm = 0;
        _readPos = _micPos;
        _lastPeak = float.NaN;
    }

    /// <summary>
    /// Outputs of both filters, Y = sum over partitions of X_p W_p, then e = mic - y for each.
    /// One pass over the reference history feeds both filters, and each group of bins keeps its
    /// two sums in registers over all partitions: the additions per bin run in the same order as
    /// one element-wise pass per partition (partition 0 first), so the result is bit-identical.
    /// </summary>
    private void FilterOutputs(ReadOnlySpan<float> mic)
    {
        int k = _k, m = _m, head = _head;
        ref float xr = ref MemoryMarshal.GetArrayDataReference(_xr);
        ref float xi = ref MemoryMarshal.GetArrayDataReference(_xi);
        ref float br = ref MemoryMarshal.GetArrayDataReference(_wbr);
        ref float bi = ref MemoryMarshal.GetArrayDataReference(_wbi);
        ref float fr = ref MemoryMarshal.GetArrayDataReference(_wfr);
        ref float fi = ref MemoryMarshal.GetArrayDataReference(_wfi);
        int j = 0;
        if (Vector.IsHardwareAccelerated)
        {
            int w = Vector<float>.Count;
            for (; j <= k - w; j += w)
            {
                Vector<float> ybr = Vector<float>.Zero, ybi = Vector<float>.Zero;
                Vector<float> yfr = Vector<float>.Zero, yfi = Vector<float>.Zero;
                int xp = head;
                for (int p = 0; p < m; p++)
                {
                    nuint xo = (nuint)((xp * k) + j), wo = (nuint)((p * k) + j);
                    var ar = Vector.LoadUnsafe(ref xr, xo);
                    var ai = Vector.LoadUnsafe(ref xi, xo);
                    var cr = Vector.LoadUnsafe(ref br, wo);
                    var ci = Vector.LoadUnsafe(ref bi, wo);
                    // X * W = (xr wr - xi wi) + i (xr wi + xi wr)
                    ybr = ((ar * cr) + ybr) - (ai * ci);
                    ybi = (ai * cr) + ((ar * ci) + ybi);
                    cr = Vector.LoadUnsafe(ref fr, wo);
                    ci = Vector.LoadUnsafe(ref fi, wo);
                    yfr = ((ar * cr) + yfr) - (ai * ci);
                    yfi = (ai * cr) + ((ar * ci) + yfi);
                    if (++xp == m)
                    {
                        xp = 0;
                    }
                }

                ybr.CopyTo(_yr, j);
                ybi.CopyTo(_yi, j);
                yfr.CopyTo(_yfr, j);
                yfi.CopyTo(_yfi, j);
            }
        }

        for (; j < k; j++)
        {
            float ybr = 0, ybi = 0, yfr = 0, yfi = 0;
            int xp = head;
            for (int p = 0; p < m; p++)
            {
                int xo = (xp * k) + j, wo = (p * k) + j;
                float ar = _xr[xo], ai = _xi[xo];
                ybr = ((ar * _wbr[wo]) + ybr) - (ai * _wbi[wo]);
                ybi = (ai * _wbr[wo]) + ((ar * _wbi[wo]) + ybi);
                yfr = ((ar * _wfr[wo]) + yfr) - (ai * _wfi[wo]);
                yfi = (ai * _wfr[wo]) + ((ar * _wfi[wo]) + yfi);
                if (++xp == m)
                {
                    xp = 0;
                }
            }

            _yr[j] = ybr;
            _yi[j] = ybi;
            _yfr[j] = yfr;
            _yfi[j] = yfi;
        }

        ErrorFromOutput(_yr, _yi, _eb, mic);
        ErrorFromOutput(_yfr, _yfi, _ef, mic);
    }

    private void ErrorFromOutput(float[] yr, float[] yi, float[] err, ReadOnlySpan<float> mic)
    {
        _fft.Inverse(yr, yi, _time);
        for (int i = 0; i < _l; i++)
        {
            float e = mic[i] - _time[_l + i];
            err[i] = float.IsFinite(e) ? e : 0f;
        }
    }

    /// <summary>
    /// Background update W_p += conj(X_p) E for every partition (E already scaled by the step). Each
    /// group of bins loads E once and walks all partitions; every bin gets the same operations in
    /// the same order as one element-wise pass per partition, so the result is bit-identical.
    /// </summary>
    private void AdaptBackground()
    {
        int k = _k, m = _m, head = _head;
        ref float xr = ref MemoryMarshal.GetArrayDataReference(_xr);
        ref float xi = ref MemoryMarshal.GetArrayDataReference(_xi);
        ref float wr = ref MemoryMarshal.GetArrayDataReference(_wbr);
        ref float wi = ref MemoryMarshal.GetArrayDataReference(_wbi);
        int j = 0;
        if (Vector.IsHardwareAccelerated)
        {
            int w = Vector<float>.Count;
            for (; j <= k - w; j += w)
            {
                var c = new Vector<float>(_er, j);
                var d = new Vector<float>(_ei, j);
                int xp = head;
                for (int p = 0; p < m; p++)
                {
                    nuint xo = (nuint)((xp * k) + j), wo = (nuint)((p * k) + j);
                    var a = Vector.LoadUnsafe(ref xr, xo);
                    var b = Vector.LoadUnsafe(ref xi, xo);
                    // conj(X) * E = (xr er + xi ei) + i (xr ei - xi er)
                    ((b * d) + ((a * c) + Vector.LoadUnsafe(ref wr, wo))).StoreUnsafe(ref wr, wo);
                    (((a * d) + Vector.LoadUnsafe(ref wi, wo)) - (b * c)).StoreUnsafe(ref wi, wo);
                    if (++xp == m)
                    {
                        xp = 0;
                    }
                }
            }
        }

        for (; j < k; j++)
        {
            float c = _er[j], d = _ei[j];
            int xp = head;
            for (int p = 0; p < m; p++)
            {
                int xo = (xp * k) + j, wo = (p * k) + j;
                float a = _xr[xo], b = _xi[xo];
                _wbr[wo] = (b * d) + ((a * c) + _wbr[wo]);
                _wbi[wo] = ((a * d) + _wbi[wo]) - (b * c);
                if (++xp == m)
                {
                    xp = 0;
                }
            }
        }
    }

    private void Constrain(float[] wr, float[] wi, int p)
    {
        int k = _k;
        Span<float> r = wr.AsSpan(p * k, k), i = wi.AsSpan(p * k, k);
        _fft.Inverse(r, i, _time);
        Array.Clear(_time, _l, _l);
        _fft.Forward(_time, r, i);
    }

    private static void PowerInto(ReadOnlySpan<float> re, ReadOnlySpan<float> im, Span<float> pw)
    {
        TensorPrimitives.Multiply(re, re, pw);
        TensorPrimitives.MultiplyAdd(im, im, pw, pw);
    }

    private void ReadAligned(Span<float> dst)
    {
        double pos = _readPos;
        double step = _ratio;
        long oldest = _refWritten - _refRing.Length + 4;
        for (int i = 0; i < dst.Length; i++)
        {
            double t = pos + (i * step);
            long ti = (long)Math.Floor(t);
            if (ti - 1 < oldest || ti + 2 >= _refWritten || ti - 1 < 0)
            {
                dst[i] = ti >= 0 && ti < _refWritten && ti >= oldest ? _refRing[(int)(ti & _ringMask)] : 0f;
                continue;
            }

            float f = (float)(t - ti);
            if (f == 0f)
            {
                dst[i] = _refRing[(int)(ti & _ringMask)];
                continue;
            }

            float xm1 = _refRing[(int)((ti - 1) & _ringMask)], x0 = _refRing[(int)(ti & _ringMask)];
            float x1 = _refRing[(int)((ti + 1) & _ringMask)], x2 = _refRing[(int)((ti + 2) & _ringMask)];
            float c1 = 0.5f * (x1 - xm1);
            float c2 = xm1 - (2.5f * x0) + (2f * x1) - (0.5f * x2);
            float c3 = (0.5f * (x2 - xm1)) + (1.5f * (x0 - x1));
            dst[i] = (((((c3 * f) + c2) * f) + c1) * f) + x0;
        }

        _readPos = pos + (dst.Length * step);
    }

    private void UpdateDelay(ReadOnlySpan<float> mic)
    {
        int l = _l;
        // Raw reference block at the mic's own time.
        long start = _micPos;
        long oldest = _refWritten - _refRing.Length;
        _rawPrev.CopyTo(_time, 0);
        for (int i = 0; i < l; i++)
        {
            long t = start + i;
            float v = t >= 0 && t < _refWritten && t >= oldest ? _refRing[(int)(t & _ringMask)] : 0f;
            _time[l + i] = v;
            _rawPrev[i] = v;
        }

        _time.CopyTo(_rawTime, 0);
        _fft.Forward(_time, _rawRe, _rawIm);
        PowerInto(_rawRe, _rawIm, _refPow);
        _rawValid = true;
        _dPrev.CopyTo(_time, 0);
        mic.CopyTo(_time.AsSpan(l));
        _fft.Forward(_time, _tr, _ti);
        PowerInto(_tr, _ti, _micPow);
        if (_delay.Update(_refPow, _micPow))
        {
            // Keep two blocks of margin so the direct path stays inside the filter.
            int want = Math.Max(0, _delay.DelayBlocks - 2);
            ShiftBulk(want);
        }
    }

    private void ShiftBulk(int newBlocks)
    {
        int delta = newBlocks - _bulkBlocks;
        if (delta == 0)
        {
            return;
        }

        // Move the learned filters with the alignment so the echo path is not forgotten.
        ShiftFilter(_wbr, _wbi, delta);
        ShiftFilter(_wfr, _wfi, delta);
        _bulkBlocks = newBlocks;
        _readPos -= delta * (double)_l;
        _peakShiftSinceLast += delta * _l;
        // Rebuild the reference spectra history for the new alignment.
        double pos = _readPos - (_m * (double)_l * _ratio);
        Array.Clear(_sxx);
        _readPos = pos - (_l * _ratio);
        ReadAligned(_xPrev);
        for (int p = _m - 1; p >= 0; p--)
        {
            ReadAligned(_xCur);
            _xPrev.CopyTo(_time, 0);
            _xCur.CopyTo(_time, _l);
            _xCur.CopyTo(_xPrev, 0);
            int o = ((_head + p) % _m) * _k;
            Span<float> xr = _xr.AsSpan(o, _k), xi = _xi.AsSpan(o, _k);
            _fft.Forward(_time, xr, xi);
            PowerInto(xr, xi, _pw);
            TensorPrimitives.Add(_sxx, _pw, _sxx);
        }

    }

    private void ShiftFilter(float[] wr, float[] wi, int delta)
    {
        int k = _k, m = _m;
        if (delta > 0)
        {
            for (int p = 0; p < m; p++)
            {
                int src = p + delta;
                if (src < m)
                {
                    Array.Copy(wr, src * k, wr, p * k, k);
                    Array.Copy(wi, src * k, wi, p * k, k);
                }
                else
                {
                    Array.Clear(wr, p * k, k);
                    Array.Clear(wi, p * k, k);
                }
            }
        }
        else
        {
            for (int p = m - 1; p >= 0; p--)
            {
                int src = p + delta;
                if (src >= 0)
                {
                    Array.Copy(wr, src * k, wr, p * k, k);
                    Array.Copy(wi, src * k, wi, p * k, k);
                }
                else
                {
                    Array.Clear(wr, p * k, k);
                    Array.Clear(wi, p * k, k);
                }
            }
        }
    }

    private void TrackDrift()
    {
        // Peak of the foreground filter in time, with sub-sample precision from the energy centroid.
        if (ErleDb < 5)
        {
            _lastPeak = float.NaN;
            return;
        }

        float best = 0;
        int bestP = 0, bestI = 0;
        for (int p = 0; p < _m; p++)
        {
            _fft.Inverse(_wfr.AsSpan(p * _k, _k), _wfi.AsSpan(p * _k, _k), _time);
            int idx = TensorPrimitives.IndexOfMaxMagnitude(_time.AsSpan(0, _l));
            float v = Math.Abs(_time[idx]);
            if (v > best)
            {
                best = v;
                bestP = p;
                bestI = idx;
            }
        }

        _fft.Inverse(_wfr.AsSpan(bestP * _k, _k), _wfi.AsSpan(bestP * _k, _k), _time);
        double num = 0, den = 0;
        for (int j = Math.Max(0, bestI - 3); j <= Math.Min(_l - 1, bestI + 3); j++)
        {
            double e = (double)_time[j] * _time[j];
            num += e * j;
            den += e;
        }

        float peak = (float)((bestP * _l) + (den > 0 ? num / den : bestI));
        if (!float.IsNaN(_lastPeak))
        {
            double seconds = (_blocks - _lastPeakBlock) * _l / (double)SampleRate;
            double move = peak - _lastPeak + _peakShiftSinceLast;
            // Peak moving earlier means the loudspeaker clock runs fast: read the reference faster.
            double residual = -move / (seconds * SampleRate);
            // Sub-sample peak motion below 10 ppm is measurement noise; bigger steps are filter jumps.
            if (Math.Abs(move) < 8 && Math.Abs(residual) > 10e-6)
            {
                _ratio = Math.Clamp(_ratio + (0.7 * residual), 1 - 500e-6, 1 + 500e-6);
                _driftPpm = (_ratio - 1) * 1e6;
            }
        }

        _lastPeak = peak;
        _lastPeakBlock = _blocks;
        _peakShiftSinceLast = 0;
    }
}
