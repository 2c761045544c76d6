using RoomDevice.Audio.Dsp;
using RoomDevice.Audio.Processing;
using Xunit;

namespace RoomDevice.Audio.Tests.Processing;

public sealed class EstimatorTests
{
    /// <summary>Speech-like reference: noise bursts with random lengths and levels (envelope structure).</summary>
    private static float[] Bursty(int n, int seed)
    {
        var rng = new Random(seed);
        var x = new float[n];
        int i = 0;
        while (i < n)
        {
            int on = 800 + rng.Next(4000), off = 400 + rng.Next(3000);
            float level = 0.05f + (0.2f * (float)rng.NextDouble());
            for (int k = 0; k < on && i < n; k++, i++)
            {
                x[i] = level * (float)((rng.NextDouble() * 2) - 1);
            }

            i += off;
        }

        return x;
    }

    private static int EstimateDelay(float[] reference, float[] mic, DelayEstimator est)
    {
        var fft = new FftReal(256);
        var buf = new float[256];
        var re = new float[129];
        var im = new float[129];
        var pr = new float[129];
        var pm = new float[129];
        for (int b = 1; b < reference.Length / 128; b++)
        {
            Array.Copy(reference, (b - 1) * 128, buf, 0, 256);
            fft.Forward(buf, re, im);
            for (int k = 0; k < 129; k++)
            {
                pr[k] = (re[k] * re[k]) + (im[k] * im[k]);
            }

            Array.Copy(mic, (b - 1) * 128, buf, 0, 256);
            fft.Forward(buf, re, im);
            for (int k = 0; k < 129; k++)
            {
                pm[k] = (re[k] * re[k]) + (im[k] * im[k]);
            }

            est.Update(pr, pm);
        }

        return est.DelayBlocks;
    }

    [Theory]
    [InlineData(0)]
    [InlineData(120)]
    [InlineData(240)]
    [InlineData(480)]
    public void Delay_estimator_finds_the_bulk_delay(int delayMs)
    {
        int n = 16000 * 10, d = delayMs * 16;
        float[] reference = Bursty(n, 3);
        var mic = new float[n];
        var rng = new Random(9);
        for (int i = 0; i < n; i++)
        {
            mic[i] = (i >= d ? 0.5f * reference[i - d] : 0f) + (0.001f * (float)(rng.NextDouble() - 0.5));
        }

        var est = new DelayEstimator(129, 16000, 80, 256 * 1e-6f);
        int blocks = EstimateDelay(reference, mic, est);
        Assert.True(est.HasEstimate || delayMs == 0, "no estimate accepted");
        Assert.InRange(blocks * 8, delayMs - 16, delayMs + 16);
    }

    [Fact]
    public void Delay_estimator_tracks_a_change()
    {
        int n = 16000 * 20;
        float[] reference = Bursty(n, 5);
        var mic = new float[n];
        for (int i = 0; i < n; i++)
        {
            int d = i < n / 2 ? 100 * 16 : 300 * 16;
            mic[i] = i >= d ? 0.5f * reference[i - d] : 0f;
        }

        var est = new DelayEstimator(129, 16000, 80, 256 * 1e-6f);
        Assert.InRange(EstimateDelay(reference, mic, est) * 8, 300 - 16, 300 + 16);
    }

    [Theory]
    [InlineData(100)]
    [InlineData(-150)]
    public void Canceller_estimates_and_compensates_clock_drift(double ppm)
    {
        // Noise far end through a short echo path, loudspeaker clock off by ppm.
        int n = 16000 * 30;
        var rng = new Random(11);
        var white = new float[n];
        for (int i = 0; i < n; i++)
        {
            white[i] = 0.1f * (float)((rng.NextDouble() * 2) - 1);
        }

        // Low-passed (8-tap moving average) so the interpolated echo is band-limited like speech.
        var reference = new float[n];
        for (int i = 8; i < n; i++)
        {
            float s = 0;
            for (int k = 0; k < 8; k++)
            {
                s += white[i - k];
            }

            reference[i] = s / 8;
        }

        float[] h = [0, 0, 0, 0.6f, 0.3f, -0.2f, 0.1f, 0.05f];
        var mic = new float[n];
        double ratio = 1 + (ppm * 1e-6);
        for (int i = 0; i < n; i++)
        {
            double acc = 0;
            for (int k = 0; k < h.Length; k++)
            {
                acc += h[k] * RoomDevice.Audio.Scenes.SignalOps.SampleAt(reference, ((i - k) * ratio) - 400);
            }

            mic[i] = (float)acc;
        }

        var aec = new EchoCanceller(16000, 128) { DelayEstimation = false };
        var err = new float[128];
        var echo = new float[128];
        double tail = 0, tailMic = 0;
        for (int b = 0; b + 128 <= n; b += 128)
        {
            aec.WriteReference(reference.AsSpan(b, 128));
            aec.Process(mic.AsSpan(b, 128), err, echo);
            if (b > n - (16000 * 5))
            {
                foreach (float v in err)
                {
                    tail += v * v;
                }

                for (int i = b; i < b + 128; i++)
                {
                    tailMic += mic[i] * mic[i];
                }
            }
        }

        Assert.InRange(aec.DriftPpm, ppm - 30, ppm + 30);
        double erle = 10 * Math.Log10(tailMic / tail);
        Assert.True(erle > 20, $"linear ERLE with drift compensation {erle:F1} dB");
    }
}
