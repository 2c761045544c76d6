using RoomDevice.Audio.Dsp;

namespace RoomDevice.Host.Codecs;

/// <summary>
/// Whole-file sample-rate conversion for any pair of rates. Integer ratios (48 kHz ↔ 16 kHz)
/// go through the engine's <see cref="PolyphaseResampler"/> with its delay removed; other pairs
/// (44.1 kHz files) through a Blackman-windowed sinc evaluated at each output instant,
/// low-passed below the lower Nyquist frequency.
/// </summary>
internal static class OfflineResampler
{
    private const int ZeroCrossings = 16;

    public static float[] Resample(ReadOnlySpan<float> input, int inputRate, int outputRate)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(inputRate, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(outputRate, 1);
        if (inputRate == outputRate)
        {
            return input.ToArray();
        }
        return inputRate % outputRate == 0 || outputRate % inputRate == 0
            ? Polyphase(input, inputRate, outputRate)
            : WindowedSinc(input, inputRate, outputRate);
    }

    private static float[] Polyphase(ReadOnlySpan<float> input, int inputRate, int outputRate)
    {
        int factor = inputRate > outputRate ? inputRate / outputRate : 1;
        int block = 4800 / factor * factor;
        var converter = new PolyphaseResampler(inputRate, outputRate, block);
        int delay = (int)Math.Round(converter.DelayOutputSamples);
        int wanted = (int)((long)input.Length * outputRate / inputRate);
        // Feed zeros after the file so the delayed tail comes out too, in whole blocks.
        int inputDelay = (int)Math.Ceiling((double)delay * inputRate / outputRate);
        int total = (input.Length + inputDelay + block - 1) / block * block;
        var padded = new float[total];
        input.CopyTo(padded);
        var converted = new float[converter.OutputLength(total)];
        int written = 0;
        for (int start = 0; start < total; start += block)
        {
            written += converter.Process(padded.AsSpan(start, block), converted.AsSpan(written));
        }
        return converted.AsSpan(delay, Math.Min(wanted, written - delay)).ToArray();
    }

    private static float[] WindowedSinc(ReadOnlySpan<float> input, int inputRate, int outputRate)
    {
        double step = (double)inputRate / outputRate;
        // Cutoff relative to the input Nyquist frequency: below the lower of the two rates.
        double cutoff = Math.Min(1.0, (double)outputRate / inputRate) * 0.95;
        double halfWidth = ZeroCrossings / cutoff;
        var output = new float[(int)((long)input.Length * outputRate / inputRate)];
        for (int n = 0; n < output.Length; n++)
        {
            double t = n * step;
            int first = Math.Max(0, (int)Math.Ceiling(t - halfWidth));
            int last = Math.Min(input.Length - 1, (int)Math.Floor(t + halfWidth));
            double sum = 0;
            for (int k = first; k <= last; k++)
            {
                double x = k - t;
                double w = 0.42 + (0.5 * Math.Cos(Math.PI * x / halfWidth)) + (0.08 * Math.Cos(2 * Math.PI * x / halfWidth));
                double arg = Math.PI * cutoff * x;
                double sinc = Math.Abs(arg) < 1e-12 ? 1 : Math.Sin(arg) / arg;
                sum += input[k] * cutoff * sinc * w;
            }
            output[n] = (float)sum;
        }
        return output;
    }
}
