namespace RoomDevice.Audio.Processing;

/// <summary>
/// Slow digital AGC towards a target speech level, adapting only while the VAD reports local
/// speech, followed by a peak limiter (instant attack, slow release) that keeps samples under
/// <see cref="LimitLevel"/>. Allocation-free.
/// </summary>
public sealed class AutomaticGainControl(int sampleRate)
{
    private float _gainDb;
    private float _limGain = 1f;
    private double _level = 1e-6;
    private readonly float _release = MathF.Exp(-1f / (0.2f * sampleRate));

    /// <summary>Target speech RMS level, dBFS.</summary>
    public float TargetDbfs { get; set; } = -23f;

    /// <summary>Largest gain the AGC applies, dB.</summary>
    public float MaxGainDb { get; set; } = 20f;

    /// <summary>Smallest gain, dB.</summary>
    public float MinGainDb { get; set; } = -10f;

    /// <summary>Limiter ceiling (linear full scale).</summary>
    public float LimitLevel { get; set; } = 0.89f;

    /// <summary>Current AGC gain, dB.</summary>
    public float GainDb => _gainDb;

    /// <summary>Applies gain and limiter in place; <paramref name="speech"/> says whether the block holds local speech.</summary>
    public void Process(Span<float> x, bool speech)
    {
        double e = 0;
        foreach (float v in x)
        {
            e += v * v;
        }

        if (speech && x.Length > 0)
        {
            _level = (0.95 * _level) + (0.05 * e / x.Length);
            float levelDb = (float)(10 * Math.Log10(_level + 1e-12));
            float want = Math.Clamp(TargetDbfs - levelDb, MinGainDb, MaxGainDb);
            // At most 0.5 dB per block up, faster down.
            float step = want - _gainDb;
            _gainDb += step > 0 ? Math.Min(step, 0.05f) : Math.Max(step, -0.5f);
        }

        float g = MathF.Pow(10f, _gainDb / 20f);
        float lim = LimitLevel;
        for (int i = 0; i < x.Length; i++)
        {
            float v = x[i] * g;
            float a = MathF.Abs(v);
            if (a * _limGain > lim)
            {
                _limGain = lim / a;
            }
            else
            {
                _limGain = 1f - ((1f - _limGain) * _release);
            }

            v *= _limGain;
            x[i] = Math.Clamp(v, -1f, 1f);
        }
    }
}
