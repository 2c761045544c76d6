using RoomDevice.Audio.Dsp;

namespace RoomDevice.Audio.Scenes;

/// <summary>Offline signal helpers for scene generation (allocating, not for the live path).</summary>
public static class SignalOps
{
    /// <summary>Linear convolution of <paramref name="x"/> with <paramref name="h"/>, truncated to x's length (FFT overlap-add).</summary>
    public static float[] Convolve(float[] x, float[] h)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(h);
        var y = new float[x.Length];
        if (x.Length == 0 || h.Length == 0)
        {
            return y;
        }

        int n = 1;
        while (n < 2 * h.Length)
        {
            n <<= 1;
        }

        n = Math.Max(n, 1024);
        int block = n - h.Length + 1;
        var fft = new FftReal(n);
        int bins = fft.Bins;
        var hr = new float[bins];
        var hi = new float[bins];
        var buf = new float[n];
        h.CopyTo(buf, 0);
        fft.Forward(buf, hr, hi);
        var xr = new float[bins];
        var xi = new float[bins];
        var outBuf = new float[n];
        for (int start = 0; start < x.Length; start += block)
        {
            Array.Clear(buf);
            int len = Math.Min(block, x.Length - start);
            Array.Copy(x, start, buf, 0, len);
            fft.Forward(buf, xr, xi);
            for (int k = 0; k < bins; k++)
            {
                float r = (xr[k] * hr[k]) - (xi[k] * hi[k]);
                float i = (xr[k] * hi[k]) + (xi[k] * hr[k]);
                xr[k] = r;
                xi[k] = i;
            }

            fft.Inverse(xr, xi, outBuf);
            int lim = Math.Min(n, x.Length - start);
            for (int j = 0; j < lim; j++)
            {
                y[start + j] += outBuf[j];
            }
        }

        return y;
    }

    /// <summary>RMS over the samples inside <paramref name="ranges"/> (or all samples when null).</summary>
    public static double Rms(float[] x, IReadOnlyList<(int Start, int End)>? ranges = null)
    {
        ArgumentNullException.ThrowIfNull(x);
        double s = 0;
        long c = 0;
        if (ranges == null)
        {
            foreach (float v in x)
            {
                s += (double)v * v;
            }

            c = x.Length;
        }
        else
        {
            foreach (var (a, b) in ranges)
            {
                for (int i = Math.Max(0, a); i < Math.Min(b, x.Length); i++)
                {
                    s += (double)x[i] * x[i];
                    c++;
                }
            }
        }

        return c == 0 ? 0 : Math.Sqrt(s / c);
    }

    /// <summary>Reads <paramref name="x"/> at fractional position <paramref name="t"/> (cubic Hermite interpolation, zero outside).</summary>
    public static float SampleAt(float[] x, double t)
    {
        ArgumentNullException.ThrowIfNull(x);
        int i = (int)Math.Floor(t);
        float f = (float)(t - i);
        float xm1 = Get(x, i - 1), x0 = Get(x, i), x1 = Get(x, i + 1), x2 = Get(x, i + 2);
        float c1 = 0.5f * (x1 - xm1);
        float c2 = xm1 - (2.5f * x0) + (2f * x1) - (0.5f * x2);
        float c3 = (0.5f * (x2 - xm1)) + (1.5f * (x0 - x1));
        return (((((c3 * f) + c2) * f) + c1) * f) + x0;
    }

    /// <summary>Reads <paramref name="x"/> at fractional position <paramref name="t"/> with a Hann-windowed sinc of ±16 taps (band-limited, for clock drift).</summary>
    public static float SampleSinc(float[] x, double t)
    {
        ArgumentNullException.ThrowIfNull(x);
        const int half = 16;
        int i0 = (int)Math.Floor(t);
        double frac = t - i0;
        if (frac < 1e-9)
        {
            return Get(x, i0);
        }

        double sinPf = Math.Sin(Math.PI * frac);
        double acc = 0;
        for (int k = -half + 1; k <= half; k++)
        {
            double d = k - frac; // distance of tap i0 + k from t
            double sinc = (k % 2 == 0 ? -sinPf : sinPf) / (Math.PI * d);
            double w = 0.5 + (0.5 * Math.Cos(Math.PI * d / half));
            acc += Get(x, i0 + k) * sinc * w;
        }

        return (float)acc;
    }

    private static float Get(float[] x, int i) => (uint)i < (uint)x.Length ? x[i] : 0f;
}
