using RoomDevice.Codecs;
using RoomDevice.Host.Codecs;
using Xunit;

namespace RoomDevice.Host.Tests.Codecs;

public sealed class OfflineResamplerTests
{
    private static float[] Tone(double hz, int rate, int length)
    {
        var x = new float[length];
        for (int i = 0; i < length; i++)
        {
            x[i] = (float)(0.5 * Math.Sin(2 * Math.PI * hz * i / rate));
        }
        return x;
    }

    private static double Rms(ReadOnlySpan<float> x)
    {
        double s = 0;
        foreach (float v in x) { s += v * v; }
        return Math.Sqrt(s / x.Length);
    }

    [Theory]
    [InlineData(44100, 16000)]   // windowed sinc
    [InlineData(22050, 48000)]   // windowed sinc, upwards
    [InlineData(48000, 16000)]   // polyphase
    [InlineData(16000, 48000)]   // polyphase, upwards
    public void A_tone_in_the_pass_band_keeps_its_level_and_its_time(int from, int to)
    {
        const double hz = 1000;
        float[] converted = OfflineResampler.Resample(Tone(hz, from, from), from, to);
        Assert.InRange(converted.Length, to - 1, to);
        // Fit a·sin + b·cos at the tone's frequency away from the edges: the residual is distortion,
        // the amplitude is the gain, the phase the time offset left after delay removal.
        double sinSum = 0, cosSum = 0;
        int first = 200, count = to - 400;
        for (int i = first; i < first + count; i++)
        {
            double w = 2 * Math.PI * hz * i / to;
            sinSum += converted[i] * Math.Sin(w);
            cosSum += converted[i] * Math.Cos(w);
        }
        double a = 2 * sinSum / count, b = 2 * cosSum / count;
        var fit = new float[count];
        for (int i = 0; i < count; i++)
        {
            double w = 2 * Math.PI * hz * (i + first) / to;
            fit[i] = (float)((a * Math.Sin(w)) + (b * Math.Cos(w)));
        }
        double snr = CodecQuality.SnrDb(fit, converted.AsSpan(first, count), 0);
        double amplitude = Math.Sqrt((a * a) + (b * b));
        double offsetSamples = Math.Atan2(b, a) / (2 * Math.PI * hz) * to;
        Assert.True(snr > 50, $"{from} -> {to}: tone SNR {snr:F1} dB");
        Assert.InRange(amplitude, 0.5 * 0.97, 0.5 * 1.03);
        Assert.InRange(Math.Abs(offsetSamples), 0, 0.51);
    }

    [Theory]
    [InlineData(44100, 16000, 11000)]
    [InlineData(48000, 16000, 10000)]
    public void A_tone_above_the_new_nyquist_frequency_is_removed(int from, int to, double hz)
    {
        float[] converted = OfflineResampler.Resample(Tone(hz, from, from), from, to);
        double level = Rms(converted.AsSpan(200, converted.Length - 400));
        Assert.True(level < 0.5 / Math.Sqrt(2) * 0.01, $"alias at {20 * Math.Log10(level / (0.5 / Math.Sqrt(2))):F1} dB");
    }
}
