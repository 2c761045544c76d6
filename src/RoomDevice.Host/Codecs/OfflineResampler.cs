namespace RoomDevice.Host.Codecs;

/// <summary>
/// Whole-file sample-rate conversion for any pair of rates (44.1 kHz files included): a
/// Blackman-windowed sinc evaluated at each output instant, low-passed at the lower Nyquist.
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
