using RoomDevice.Codecs.Opus;

namespace RoomDevice.Codecs.Tests;

public sealed class CodecQualityTests
{
    [Fact]
    public void Snr_of_a_known_error_and_of_identical_signals()
    {
        float[] x = Enumerable.Range(0, 1000).Select(i => MathF.Sin(i * 0.1f)).ToArray();
        Assert.Equal(double.PositiveInfinity, CodecQuality.SnrDb(x, x, 0));
        // y = 0.9 x: error is 0.1 x, so 20 dB
        float[] y = x.Select(v => v * 0.9f).ToArray();
        Assert.Equal(20.0, CodecQuality.SnrDb(x, y, 0), 3);
        Assert.Equal(1.0, CodecQuality.Correlation(x, y, 0), 6);
    }

    [Fact]
    public void Delay_is_found_and_removed()
    {
        var random = new Random(3);
        float[] x = Enumerable.Range(0, 4000).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
        float[] delayed = new float[37].Concat(x).ToArray();
        Assert.Equal(37, CodecQuality.FindDelay(x, delayed, 100));
        Assert.Equal(37, CodecQuality.FindDelay(x, delayed, 20, 60));
        Assert.Equal(double.PositiveInfinity, CodecQuality.SnrDb(x, delayed, 37));
        Assert.True(CodecQuality.SnrDb(x, delayed, 0) < 1);
    }

    [Fact]
    public void Disposed_codecs_refuse_work_and_dispose_twice_safely()
    {
        var encoder = new OpusVoiceEncoder(OpusEncoderSettings.ForProfile(CodecProfile.Voice));
        var decoder = new OpusVoiceDecoder(16000);
        encoder.Dispose();
        encoder.Dispose();
        decoder.Dispose();
        decoder.Dispose();
        Assert.Throws<ObjectDisposedException>(() => encoder.Encode(new float[320], new byte[100]));
        Assert.Throws<ObjectDisposedException>(() => decoder.Conceal(new float[320]));
        Assert.Throws<ObjectDisposedException>(() => decoder.Decode([0x48, 0x00], new float[320]));
    }
}
