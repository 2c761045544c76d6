using RoomDevice.Audio.Dsp;
using Xunit;
using Xunit.Abstractions;

namespace RoomDevice.Audio.Tests.Dsp;

public sealed class PolyphaseResamplerTests(ITestOutputHelper output)
{
    private static float[] Run(PolyphaseResampler r, float[] input, int block)
    {
        var y = new float[r.OutputLength(input.Length)];
        int o = 0;
        for (int i = 0; i < input.Length; i += block)
        {
            o += r.Process(input.AsSpan(i, block), y.AsSpan(o));
        }
        return y;
    }

    private static readonly double[] PassTones = [50, 200, 1000, 2500, 4000, 5500, 6500, 7000];

    [Fact]
    public void Downsampling_48k_to_16k_keeps_the_passband_flat_to_7kHz()
    {
        double worst = 0;
        foreach (double f in PassTones)
        {
            var r = new PolyphaseResampler(48000, 16000, 480);
            float[] y = Run(r, SignalMath.Sine(48000, f, 48000), 480);
            var (amp, _) = SignalMath.FitTone(y.AsSpan(1600), 16000, f);
            double gainDb = SignalMath.Db(amp / 0.5);
            output.WriteLine($"{f} Hz: {gainDb:F4} dB");
            worst = Math.Max(worst, Math.Abs(gainDb));
        }
        output.WriteLine($"passband deviation up to 7 kHz: ±{worst:F4} dB");
        Assert.True(worst < 0.005, $"passband deviation {worst:F4} dB exceeds 0.005 dB");
    }

    [Fact]
    public void Downsampling_48k_to_16k_rejects_everything_above_8kHz()
    {
        double worst = -300;
        foreach (double f in new double[] { 8050, 8500, 9000, 10000, 12000, 15000, 18000, 21000, 23500 })
        {
            var r = new PolyphaseResampler(48000, 16000, 480);
            float[] y = Run(r, SignalMath.Sine(48000, f, 48000), 480);
            double leak = SignalMath.Db(SignalMath.Rms(y.AsSpan(1600)) * Math.Sqrt(2) / 0.5);
            output.WriteLine($"{f} Hz: {leak:F1} dB");
            worst = Math.Max(worst, leak);
        }
        output.WriteLine($"stopband (>= 8.05 kHz) worst leakage: {worst:F1} dB");
        Assert.True(worst < -88, $"stopband leakage {worst:F1} dB; at least 88 dB of rejection wanted");
    }

    [Fact]
    public void Upsampling_16k_to_48k_keeps_the_passband_and_rejects_images()
    {
        double worstGain = 0, worstImage = -300;
        foreach (double f in PassTones)
        {
            var r = new PolyphaseResampler(16000, 48000, 160);
            float[] y = Run(r, SignalMath.Sine(16000, f, 16000), 160);
            var (amp, residual) = SignalMath.FitTone(y.AsSpan(4800), 48000, f);
            double gainDb = SignalMath.Db(amp / 0.5);
            double imageDb = SignalMath.Db(residual * Math.Sqrt(2) / 0.5);
            output.WriteLine($"{f} Hz: gain {gainDb:F4} dB, images and distortion {imageDb:F1} dB");
            worstGain = Math.Max(worstGain, Math.Abs(gainDb));
            worstImage = Math.Max(worstImage, imageDb);
        }
        Assert.True(worstGain < 0.005, $"passband deviation {worstGain:F4} dB exceeds 0.005 dB");
        Assert.True(worstImage < -90, $"image rejection only {-worstImage:F1} dB; at least 90 dB wanted");
    }

    [Fact]
    public void Round_trip_keeps_speech_band_tone_and_reports_its_delay()
    {
        var down = new PolyphaseResampler(48000, 16000, 480);
        var up = new PolyphaseResampler(16000, 48000, 160);
        // Three incommensurate speech-band tones: no short period for the delay search to slip by.
        float[] x = SignalMath.Sine(48000, 1000, 48000, 0.5);
        float[] y1 = SignalMath.Sine(48000, 313.7, 48000, 0.2), y2 = SignalMath.Sine(48000, 2903.1, 48000, 0.2);
        var mid = new float[160];
        var y = new float[48000];
        for (int i = 0; i < x.Length; i += 480)
        {
            down.Process(x.AsSpan(i, 480), mid);
            up.Process(mid, y.AsSpan(i, 480));
        }
        var (amp, _) = SignalMath.FitTone(y.AsSpan(4800), 48000, 1000);
        Assert.InRange(SignalMath.Db(amp / 0.5), -0.02, 0.02);
        x = [.. x.Select((v, i) => v + y1[i] + y2[i])];
        down.Reset();
        up.Reset();
        for (int i = 0; i < x.Length; i += 480)
        {
            down.Process(x.AsSpan(i, 480), mid);
            up.Process(mid, y.AsSpan(i, 480));
        }
        double delay48 = (down.DelayOutputSamples * 3) + up.DelayOutputSamples;
        // Cross-check the reported delay against where the round trip best matches the input.
        int best = 0;
        double bestErr = double.MaxValue;
        for (int d = 0; d < 600; d++)
        {
            double e = 0;
            for (int i = 10000; i < 20000; i++)
            {
                double diff = y[i] - x[i - d];
                e += diff * diff;
            }
            if (e < bestErr)
            {
                bestErr = e;
                best = d;
            }
        }
        output.WriteLine($"reported delay {delay48:F1} samples at 48 kHz, measured {best}");
        Assert.InRange(best, delay48 - 3, delay48 + 3);
    }

    [Fact]
    public void Process_allocates_nothing()
    {
        var down = new PolyphaseResampler(48000, 16000, 480);
        var up = new PolyphaseResampler(16000, 48000, 160);
        float[] x = SignalMath.Sine(48000, 440, 480);
        var mid = new float[160];
        var y = new float[480];
        for (int i = 0; i < 50; i++)
        {
            down.Process(x, mid);
            up.Process(mid, y);
        }
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 2000; i++)
        {
            down.Process(x, mid);
            up.Process(mid, y);
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void Unsupported_ratio_and_bad_blocks_are_refused_with_the_reason()
    {
        var e = Assert.Throws<ArgumentException>(() => new PolyphaseResampler(48000, 44100));
        Assert.Contains("44100", e.Message, StringComparison.Ordinal);
        Assert.Contains("one divides the other", e.Message, StringComparison.Ordinal);
        var r = new PolyphaseResampler(48000, 16000, 480);
        var b = Assert.Throws<ArgumentException>(() => r.Process(new float[479], new float[200]));
        Assert.Contains("multiple of the decimation factor 3", b.Message, StringComparison.Ordinal);
        var big = Assert.Throws<ArgumentException>(() => r.Process(new float[960], new float[400]));
        Assert.Contains("at most 480", big.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Equal_rates_copy_unchanged()
    {
        var r = new PolyphaseResampler(48000, 48000, 480);
        float[] x = SignalMath.Sine(48000, 440, 480);
        var y = new float[480];
        Assert.Equal(480, r.Process(x, y));
        Assert.Equal(x, y);
        Assert.Equal(0, r.TapsLength);
    }

    [Theory]
    [InlineData(16000, 48000)]
    [InlineData(48000, 16000)]
    [InlineData(24000, 48000)]
    public void Whole_signals_convert_time_aligned(int from, int to)
    {
        float[] x = SignalMath.Sine(from, 440, from, 0.5);
        float[] y = PolyphaseResampler.ConvertSignal(x, from, to);
        Assert.InRange(y.Length, to - 3, to);
        // Delay compensated: the output matches the same tone sampled at the new rate.
        float[] expected = SignalMath.Sine(to, 440, y.Length, 0.5);
        double worst = 0;
        for (int i = to / 10; i < y.Length - (to / 10); i++)
        {
            worst = Math.Max(worst, Math.Abs(y[i] - expected[i]));
        }
        Assert.True(worst < 0.01, $"largest difference from the ideal {to} Hz tone: {worst}");
    }
}
