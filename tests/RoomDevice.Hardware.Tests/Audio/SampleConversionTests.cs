using RoomDevice.Hardware.Audio;
using Xunit;

namespace RoomDevice.Hardware.Tests.Audio;

public sealed class SampleConversionTests
{
    private static readonly float[] Samples = [0f, 0.5f, -0.5f, 0.999f, -1f, 1.5f, -1.5f, 1e-5f];

    [Theory]
    [InlineData(PcmSampleFormat.S16, 2, 1.0 / 32768)]   // one step: +1.0 lands on 32767/32768
    [InlineData(PcmSampleFormat.S32, 4, 1e-7)]
    [InlineData(PcmSampleFormat.Float32, 4, 0)]
    public void Device_formats_round_trip_and_integer_formats_clip_at_full_scale(PcmSampleFormat format, int bytes, double tolerance)
    {
        var raw = new byte[Samples.Length * bytes];
        SampleConversion.FromFloat(Samples, format, raw);
        var back = new float[Samples.Length];
        SampleConversion.ToFloat(raw, format, back);
        for (int i = 0; i < Samples.Length; i++)
        {
            float expected = format == PcmSampleFormat.Float32 ? Samples[i] : Math.Clamp(Samples[i], -1f, 1f);
            Assert.True(Math.Abs(back[i] - expected) <= tolerance + 1e-9, $"{format} sample {i}: {Samples[i]} -> {back[i]}");
        }
    }

    [Fact]
    public void S16_uses_the_whole_range()
    {
        var raw = new byte[4];
        SampleConversion.FromFloat([1f, -1f], PcmSampleFormat.S16, raw);
        Assert.Equal(short.MaxValue, BitConverter.ToInt16(raw, 0));
        Assert.Equal(short.MinValue, BitConverter.ToInt16(raw, 2));
    }
}
