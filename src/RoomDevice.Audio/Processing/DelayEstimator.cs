namespace RoomDevice.Audio.Processing;

/// <summary>
/// Finds the bulk delay between the reference and the microphone by correlating mean-removed
/// log band envelopes over a range of block lags (up to <see cref="MaxLagBlocks"/> blocks), with
/// slow forgetting so that it tracks a delay that changes. Fed one block at a time with both
/// legs' power spectra; allocation only in the constructor.
/// </summary>
public sealed class DelayEstimator
{
    private const int Bands = 8;
    private readonly int _maxLag;
    private readonly int[] _bandEdges;
    private readonly float[] _refHist; // ring of band vectors, _maxLag entries
    private readonly float[] _meanRef = new float[Bands];
    private readonly float[] _meanMic = new float[Bands];
    private readonly float[] _mic = new float[Bands];
    private readonly float[] _corr;
    private int _head;
    private int _blocks;
    private int _candidate = -1;
    private int _candidateCount;
    private readonly float _refActiveLevel;

    /// <summary>Creates an estimator for spectra of <paramref name="bins"/> bins at <paramref name="sampleRate"/>, lags up to <paramref name="maxLagBlocks"/>.</summary>
    public DelayEstimator(int bins, int sampleRate, int maxLagBlocks, float refActivePower = 1e-6f)
    {
        if (bins < 16)
        {
            throw new ArgumentOutOfRangeException(nameof(bins), bins, "At least 16 bins are needed.");
        }

        if (maxLagBlocks < 2 || maxLagBlocks > 4096)
        {
            throw new ArgumentOutOfRangeException(nameof(maxLagBlocks), maxLagBlocks, "Maximum lag must be 2..4096 blocks.");
        }

        _maxLag = maxLagBlocks;
        _refHist = new float[maxLagBlocks * Bands];
        _corr = new float[maxLagBlocks];
        _bandEdges = new int[Bands + 1];
        double fLo = 200, fHi = Math.Min(6000, sampleRate / 2.0 * 0.9);
        double binHz = sampleRate / 2.0 / (bins - 1);
        for (int b = 0; b <= Bands; b++)
        {
            double f = fLo * Math.Pow(fHi / fLo, b / (double)Bands);
            _bandEdges[b] = Math.Clamp((int)Math.Round(f / binHz), 1, bins - 1);
        }

        for (int b = 1; b <= Bands; b++)
        {
            _bandEdges[b] = Math.Max(_bandEdges[b], _bandEdges[b - 1] + 1);
        }

        _refActiveLevel = refActivePower;
        DelayBlocks = 0;
    }

    /// <summary>Current accepted estimate, in blocks.</summary>
    public int DelayBlocks { get; private set; }

    /// <summary>True once an estimate has been accepted from the signals.</summary>
    public bool HasEstimate { get; private set; }

    /// <summary>Peak-to-mean ratio of the correlation at the accepted lag (confidence).</summary>
    public float Confidence { get; private set; }

    /// <summary>Largest lag searched, in blocks.</summary>
    public int MaxLagBlocks => _maxLag;

    /// <summary>Feeds one block: power spectra of the raw reference and of the microphone. Returns true when the estimate changed.</summary>
    public bool Update(ReadOnlySpan<float> refPower, ReadOnlySpan<float> micPower)
    {
        _blocks++;
        Span<float> cur = _refHist.AsSpan(_head * Bands, Bands);
        float refTotal = Envelope(refPower, cur, _meanRef, out bool _);
        Envelope(micPower, _mic, _meanMic, out bool _);
        bool refActive = refTotal > _refActiveLevel;
        if (!refActive)
        {
            // Silent reference: keep the ring aligned but do not let silence count.
            cur.Clear();
        }

        bool changed = false;
        if (refActive || _blocks % 4 == 0)
        {
            const float forget = 0.996f;
            float best = float.MinValue;
            int bestLag = 0;
            double sumAbs = 0;
            Span<float> corr = _corr;
            Span<float> hist = _refHist;
            for (int lag = 0; lag < _maxLag; lag++)
            {
                int idx = _head - lag;
                if (idx < 0)
                {
                    idx += _maxLag;
                }

                ReadOnlySpan<float> r = hist.Slice(idx * Bands, Bands);
                float dot = 0;
                for (int b = 0; b < Bands; b++)
                {
                    dot += r[b] * _mic[b];
                }

                float c = (forget * corr[lag]) + dot;
                corr[lag] = c;
                sumAbs += Math.Abs(c);
                if (c > best)
                {
                    best = c;
                    bestLag = lag;
                }
            }

            float mean = (float)(sumAbs / _maxLag) + 1e-12f;
            float ratio = best / mean;
            if (ratio > 1.5f && _blocks > 40)
            {
                if (Math.Abs(bestLag - _candidate) <= 1)
                {
                    // Neighbouring lags are the same arrival split across two blocks.
                    _candidateCount++;
                    _candidate = bestLag;
                }
                else
                {
                    _candidate = bestLag;
                    _candidateCount = 1;
                }

                if (_candidateCount >= 12 && (!HasEstimate || Math.Abs(bestLag - DelayBlocks) >= 2))
                {
                    changed = bestLag != DelayBlocks;
                    DelayBlocks = bestLag;
                    HasEstimate = true;
                }

                if (bestLag == DelayBlocks)
                {
                    Confidence = ratio;
                }
            }
        }

        _head = (_head + 1) % _maxLag;
        return changed;
    }

    /// <summary>Forgets everything learned.</summary>
    public void Reset()
    {
        Array.Clear(_refHist);
        Array.Clear(_corr);
        Array.Clear(_meanRef);
        Array.Clear(_meanMic);
        _blocks = 0;
        _candidate = -1;
        _candidateCount = 0;
        HasEstimate = false;
        DelayBlocks = 0;
        Confidence = 0;
    }

    private float Envelope(ReadOnlySpan<float> power, Span<float> outBands, float[] mean, out bool active)
    {
        float total = 0;
        for (int b = 0; b < Bands; b++)
        {
            float s = 0;
            for (int k = _bandEdges[b]; k < _bandEdges[b + 1]; k++)
            {
                s += power[k];
            }

            total += s;
            float l = MathF.Log(s + 1e-10f);
            // Remove the slowly varying level so the correlation sees onsets and decays only.
            mean[b] = _blocks <= 1 ? l : (0.97f * mean[b]) + (0.03f * l);
            float u = l - mean[b];
            outBands[b] = Math.Clamp(u, -6f, 6f);
        }

        active = total > 0;
        return total / (_bandEdges[Bands] - _bandEdges[0]);
    }
}
