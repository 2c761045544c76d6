using RoomDevice.Audio.Dsp;
using Xunit;

namespace RoomDevice.Audio.Tests.Processing;

public sealed class FftRealTests
{
    [Theory]
    [InlineData(8)]
    [InlineData(32)]
    [InlineData(256)]
    [InlineData(512)]
    [InlineData(2048)]
    public void Forward_matches_a_direct_dft(int n)
    {
        var rng = new Random(n);
        var x = new float[n];
        for (int i = 0; i < n; i++)
        {
            x[i] = (float)(rng.NextDouble() - 0.5);
        }

        var fft = new FftReal(n);
        var re = new float[fft.Bins];
        var im = new float[fft.Bins];
        fft.Forward(x, re, im);
        for (int k = 0; k <= n / 2; k++)
        {
            double sr = 0, si = 0;
            for (int t = 0; t < n; t++)
            {
                double a = -2 * Math.PI * k * t / n;
                sr += x[t] * Math.Cos(a);
                si += x[t] * Math.Sin(a);
            }

            Assert.InRange(re[k], sr - 2e-3, sr + 2e-3);
            Assert.InRange(im[k], si - 2e-3, si + 2e-3);
        }
    }

    [Fact]
    public void Inverse_restores_the_signal()
    {
        var fft = new FftReal(256);
        var x = new float[256];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = MathF.Sin(i * 0.3f) + (0.2f * MathF.Cos(i * 1.7f));
        }

        var re = new float[fft.Bins];
        var im = new float[fft.Bins];
        var y = new float[256];
        fft.Forward(x, re, im);
        fft.Inverse(re, im, y);
        for (int i = 0; i < x.Length; i++)
        {
            Assert.Equal(x[i], y[i], 4);
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(100)]
    [InlineData(4)]
    public void Rejects_sizes_that_are_not_powers_of_two(int n)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new FftReal(n));
        Assert.Contains("power of two", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Short_buffers_are_refused_with_the_sizes_needed()
    {
        var fft = new FftReal(16);
        var a = Assert.Throws<ArgumentException>(() => fft.Forward(new float[8], new float[9], new float[9]));
        Assert.Contains("16 input samples", a.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Transforms_allocate_nothing()
    {
        var fft = new FftReal(256);
        var x = new float[256];
        var re = new float[fft.Bins];
        var im = new float[fft.Bins];
        fft.Forward(x, re, im);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++)
        {
            fft.Forward(x, re, im);
            fft.Inverse(re, im, x);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
