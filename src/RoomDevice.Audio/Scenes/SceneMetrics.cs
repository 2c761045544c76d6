namespace RoomDevice.Audio.Scenes;

/// <summary>Figures of one canceller on one scene, as defined on the audio metrics page.</summary>
public sealed record SceneResult(
    string Scene,
    string Group,
    string Processor,
    double ErleDb,
    double ConvergenceSeconds,
    double ReconvergenceSeconds,
    double ErleBeforeDoubleTalkDb,
    double ErleAfterDoubleTalkDb,
    double NearAttenuationDoubleTalkDb,
    double NearAttenuationSingleTalkDb,
    double NearSdrDoubleTalkDb,
    double NearSdrSingleTalkDb,
    double MicrosecondsPerFrame,
    IReadOnlyList<(double Time, double ErleDb)> ErleOverTime);

/// <summary>Computes ERLE, convergence time, near-end attenuation and SDR of a processed scene.</summary>
public static class SceneMetrics
{
    /// <summary>Settling window excluded from ERLE, seconds.</summary>
    public const double SettleSeconds = 3.0;

    /// <summary>ERLE over far-end-only samples in [from, to) (all when to is -1), dB.</summary>
    public static double Erle(Scene scene, float[] output, int from, int to = -1)
    {
        ArgumentNullException.ThrowIfNull(scene);
        ArgumentNullException.ThrowIfNull(output);
        CheckLength(scene, output);
        if (to < 0)
        {
            to = output.Length;
        }

        double m = 0, o = 0;
        for (int i = Math.Max(0, from); i < to; i++)
        {
            if (Scene.InRanges(scene.FarActive, i) && !Scene.InRanges(scene.NearActive, i))
            {
                m += (double)scene.Mic[i] * scene.Mic[i];
                o += (double)output[i] * output[i];
            }
        }

        return m <= 0 ? double.NaN : 10 * Math.Log10(m / Math.Max(o, 1e-20));
    }

    /// <summary>Sliding 0.5 s ERLE every 0.1 s over far-end-only samples: (window end time, dB).</summary>
    public static List<(double Time, double ErleDb)> ErleCurve(Scene scene, float[] output)
    {
        ArgumentNullException.ThrowIfNull(scene);
        ArgumentNullException.ThrowIfNull(output);
        CheckLength(scene, output);
        int fs = scene.SampleRate;
        int hop = fs / 10, win = fs / 2;
        int nHops = output.Length / hop;
        var m = new double[nHops];
        var o = new double[nHops];
        var c = new int[nHops];
        for (int i = 0; i < nHops * hop; i++)
        {
            if (Scene.InRanges(scene.FarActive, i) && !Scene.InRanges(scene.NearActive, i))
            {
                int h = i / hop;
                m[h] += (double)scene.Mic[i] * scene.Mic[i];
                o[h] += (double)output[i] * output[i];
                c[h]++;
            }
        }

        var list = new List<(double, double)>();
        int per = win / hop;
        for (int end = per; end <= nHops; end++)
        {
            double sm = 0, so = 0;
            int cnt = 0;
            for (int h = end - per; h < end; h++)
            {
                sm += m[h];
                so += o[h];
                cnt += c[h];
            }

            // Only windows that are mostly far-end-only and carry some echo count.
            if (cnt >= win * 3 / 4 && sm > 1e-9 * cnt)
            {
                list.Add((end * hop / (double)fs, 10 * Math.Log10(sm / Math.Max(so, 1e-20))));
            }
        }

        return list;
    }

    /// <summary>First time after <paramref name="fromSeconds"/> that the 0.5 s ERLE reaches 20 dB, relative to it; +inf if never.</summary>
    public static double ConvergenceTime(IReadOnlyList<(double Time, double ErleDb)> curve, double fromSeconds, double threshold = 20)
    {
        ArgumentNullException.ThrowIfNull(curve);
        foreach (var (t, e) in curve)
        {
            if (t - 0.5 >= fromSeconds - 1e-9 && e >= threshold)
            {
                return t - fromSeconds;
            }
        }

        return double.PositiveInfinity;
    }

    /// <summary>Near-end attenuation and SDR (medians over 1 s blocks) for double talk and local single talk.</summary>
    public static (double AttDt, double AttSt, double SdrDt, double SdrSt) NearEnd(Scene scene, float[] output)
    {
        ArgumentNullException.ThrowIfNull(scene);
        ArgumentNullException.ThrowIfNull(output);
        CheckLength(scene, output);
        if (scene.NearActive.Count == 0)
        {
            return (double.NaN, double.NaN, double.NaN, double.NaN);
        }

        int fs = scene.SampleRate;
        int taps = fs * 32 / 1000;
        float[] s = scene.NearEnd;
        int n = s.Length;
        var mask = new bool[n];
        for (int i = 0; i < n; i++)
        {
            mask[i] = Scene.InRanges(scene.NearActive, i);
        }

        // Least-squares fixed filter g (up to 32 ms, causal) from near end to output over active samples.
        var r = new double[taps, taps];
        var p = new double[taps];
        var acf = new double[taps];
        for (int lag = 0; lag < taps; lag++)
        {
            double a = 0, b = 0;
            for (int i = lag; i < n; i++)
            {
                if (mask[i])
                {
                    a += (double)s[i] * s[i - lag];
                    b += (double)output[i] * s[i - lag];
                }
            }

            acf[lag] = a;
            p[lag] = b;
        }

        for (int i = 0; i < taps; i++)
        {
            for (int j = 0; j < taps; j++)
            {
                r[i, j] = acf[Math.Abs(i - j)];
            }

            r[i, i] += (acf[0] * 1e-4) + 1e-12;
        }

        double[] g = Cholesky(r, p);
        var y = new float[n];
        for (int i = 0; i < n; i++)
        {
            double acc = 0;
            int lim = Math.Min(taps, i + 1);
            for (int k = 0; k < lim; k++)
            {
                acc += g[k] * s[i - k];
            }

            y[i] = (float)acc;
        }

        // g carries shape and delay only: normalise it so the filtered talker keeps the talker's energy.
        double es = 0, ey = 0;
        for (int i = 0; i < n; i++)
        {
            if (mask[i])
            {
                es += (double)s[i] * s[i];
                ey += (double)y[i] * y[i];
            }
        }

        float norm = ey > 0 ? (float)Math.Sqrt(es / ey) : 0f;
        for (int i = 0; i < n; i++)
        {
            y[i] *= norm;
        }

        var attDt = new List<double>();
        var attSt = new List<double>();
        var sdrDt = new List<double>();
        var sdrSt = new List<double>();
        for (int b0 = 0; b0 + fs <= n; b0 += fs)
        {
            int active = 0, far = 0;
            double yy = 0, oy = 0;
            for (int i = b0; i < b0 + fs; i++)
            {
                if (mask[i])
                {
                    active++;
                    if (Scene.InRanges(scene.FarActive, i))
                    {
                        far++;
                    }

                    yy += (double)y[i] * y[i];
                    oy += (double)output[i] * y[i];
                }
            }

            if (active < fs * 3 / 4 || yy <= 0)
            {
                continue;
            }

            double a = oy / yy;
            double err = 0;
            for (int i = b0; i < b0 + fs; i++)
            {
                if (mask[i])
                {
                    double d = output[i] - (a * y[i]);
                    err += d * d;
                }
            }

            double att = a > 1e-3 ? -20 * Math.Log10(a) : 60;
            double sdr = 10 * Math.Log10(Math.Max(a * a * yy, 1e-20) / Math.Max(err, 1e-20));
            bool dt = far > active / 2;
            (dt ? attDt : attSt).Add(att);
            (dt ? sdrDt : sdrSt).Add(sdr);
        }

        return (Median(attDt), Median(attSt), Median(sdrDt), Median(sdrSt));
    }

    /// <summary>Median of <paramref name="v"/>, NaN when empty.</summary>
    public static double Median(IEnumerable<double> v)
    {
        var a = v.Where(x => !double.IsNaN(x)).OrderBy(x => x).ToArray();
        if (a.Length == 0)
        {
            return double.NaN;
        }

        return a.Length % 2 == 1 ? a[a.Length / 2] : 0.5 * (a[(a.Length / 2) - 1] + a[a.Length / 2]);
    }

    /// <summary>All figures of one run.</summary>
    public static SceneResult Evaluate(Scene scene, float[] output, string processor, double microsecondsPerFrame)
    {
        ArgumentNullException.ThrowIfNull(scene);
        int fs = scene.SampleRate;
        double erle = Erle(scene, output, (int)(SettleSeconds * fs));
        var curve = ErleCurve(scene, output);
        double conv = ConvergenceTime(curve, 0);
        double reconv = scene.PathChangeAt >= 0 ? ConvergenceTime(curve, scene.PathChangeAt / (double)fs) : double.NaN;
        double before = double.NaN, after = double.NaN;
        if (scene.NearActive.Count > 0)
        {
            var (dtStart, dtEnd) = scene.NearActive[0];
            before = Erle(scene, output, Math.Max((int)(SettleSeconds * fs), dtStart - (2 * fs)), dtStart);
            after = Erle(scene, output, dtEnd + (fs / 4), scene.NearActive.Count > 1 ? scene.NearActive[1].Start : output.Length);
        }

        var (attDt, attSt, sdrDt, sdrSt) = NearEnd(scene, output);
        return new SceneResult(scene.Spec.Name, scene.Spec.Group, processor, erle, conv, reconv, before, after,
            attDt, attSt, sdrDt, sdrSt, microsecondsPerFrame, curve);
    }

    private static double[] Cholesky(double[,] a, double[] b)
    {
        int n = b.Length;
        var l = new double[n, n];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j <= i; j++)
            {
                double sum = a[i, j];
                for (int k = 0; k < j; k++)
                {
                    sum -= l[i, k] * l[j, k];
                }

                if (i == j)
                {
                    l[i, i] = Math.Sqrt(Math.Max(sum, 1e-20));
                }
                else
                {
                    l[i, j] = sum / l[j, j];
                }
            }
        }

        var z = new double[n];
        for (int i = 0; i < n; i++)
        {
            double sum = b[i];
            for (int k = 0; k < i; k++)
            {
                sum -= l[i, k] * z[k];
            }

            z[i] = sum / l[i, i];
        }

        var x = new double[n];
        for (int i = n - 1; i >= 0; i--)
        {
            double sum = z[i];
            for (int k = i + 1; k < n; k++)
            {
                sum -= l[k, i] * x[k];
            }

            x[i] = sum / l[i, i];
        }

        return x;
    }

    private static void CheckLength(Scene scene, float[] output)
    {
        if (output.Length != scene.Mic.Length)
        {
            throw new ArgumentException($"Output has {output.Length} samples; the scene has {scene.Mic.Length}.", nameof(output));
        }
    }
}
