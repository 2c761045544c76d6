namespace RoomDevice.Audio.Tests.Dsp;

/// <summary>Measurement helpers for tests: tone fitting and levels.</summary>
internal static class SignalMath
{
    public static float[] Sine(int rate, double freq, int samples, double amplitude = 0.5, double phase = 0)
    {
        var x = new float[samples];
        for (int i = 0; i < samples; i++)
        {
            x[i] = (float)(amplitude * Math.Sin((2 * Math.PI * freq * i / rate) + phase));
        }
        return x;
    }

    /// <summary>Least-squares fit of a sinusoid at <paramref name="freq"/>; returns amplitude and residual RMS.</summary>
    public static (double Amplitude, double ResidualRms) FitTone(ReadOnlySpan<float> x, int rate, double freq)
    {
        double cc = 0, ss = 0, cs = 0, xc = 0, xs = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double w = 2 * Math.PI * freq * i / rate;
            double c = Math.Cos(w), s = Math.Sin(w);
            cc += c * c; ss += s * s; cs += c * s; xc += x[i] * c; xs += x[i] * s;
        }
        double det = (cc * ss) - (cs * cs);
        double a = ((xc * ss) - (xs * cs)) / det, b = ((xs * cc) - (xc * cs)) / det;
        double res = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double w = 2 * Math.PI * freq * i / rate;
            double e = x[i] - ((a * Math.Cos(w)) + (b * Math.Sin(w)));
            res += e * e;
        }
        return (Math.Sqrt((a * a) + (b * b)), Math.Sqrt(res / x.Length));
    }

    public static double Rms(ReadOnlySpan<float> x)
    {
        double e = 0;
        foreach (float v in x)
        {
            e += v * v;
        }
        return x.IsEmpty ? 0 : Math.Sqrt(e / x.Length);
    }

    public static double Db(double ratio) => 20 * Math.Log10(Math.Max(ratio, 1e-12));
}
