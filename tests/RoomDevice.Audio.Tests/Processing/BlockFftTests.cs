using RoomDevice.Audio.Dsp;
using RoomDevice.Audio.Processing;
using Xunit;

namespace RoomDevice.Audio.Tests.Processing;

public sealed class BlockFftTests
{
    [Theory]
    [InlineData(8)]
    [InlineData(32)]
    [InlineData(256)]
    [InlineData(512)]
    public void Forward_and_inverse_are_bit_identical_to_FftReal(int n)
    {
        var rng = new Random(n + 7);
        var reference = new FftReal(n);
        var fast = new BlockFft(n);
        Assert.Equal(reference.Bins, fast.Bins);
        var x = new float[n];
        var re1 = new float[n / 2 + 1];
        var im1 = new float[n / 2 + 1];
        var re2 = new float[n / 2 + 1];
        var im2 = new float[n / 2 + 1];
        var t1 = new float[n];
        var t2 = new float[n];
        for (int round = 0; round < 20; round++)
        {
            for (int i = 0; i < n; i++)
            {
                // Some exact zeros and a wide level range, as in the canceller's half-zero blocks.
                x[i] = round % 3 == 0 && i < n / 2 ? 0f : (float)((rng.NextDouble() - 0.5) * Math.Pow(10, rng.Next(-6, 2)));
            }

            reference.Forward(x, re1, im1);
            fast.Forward(x, re2, im2);
            AssertBits(re1, re2);
            AssertBits(im1, im2);

            reference.Inverse(re1, im1, t1);
            fast.Inverse(re1, im1, t2);
            AssertBits(t1, t2);
        }
    }

    [Fact]
    public void Rejects_sizes_that_are_not_a_power_of_two_and_short_buffers()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new BlockFft(100));
        Assert.Contains("power of two", e.Message, StringComparison.Ordinal);
        var fft = new BlockFft(16);
        var a = Assert.Throws<ArgumentException>(() => fft.Forward(new float[8], new float[9], new float[9]));
        Assert.Contains("16 input samples", a.Message, StringComparison.Ordinal);
    }

    private static void AssertBits(float[] expected, float[] actual)
    {
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(actual[i]), $"element {i}: {expected[i]:R} != {actual[i]:R}");
        }
    }
}
