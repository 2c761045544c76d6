namespace RoomDevice.Codecs;

/// <summary>Waveform comparisons between a codec's input and its decoded output, with the codec delay removed.</summary>
public static class CodecQuality
{
    /// <summary>
    /// Signal-to-noise ratio in dB of <paramref name="decoded"/> against <paramref name="reference"/>,
    /// where decoded sample n + <paramref name="delay"/> corresponds to reference sample n.
    /// Samples beyond either end are ignored. Returns +∞ for identical signals.
    /// </summary>
    public static double SnrDb(ReadOnlySpan<float> reference, ReadOnlySpan<float> decoded, int delay)
    {
        (double signal, double noise, _, _) = Sums(reference, decoded, delay);
        return noise <= 0 ? double.PositiveInfinity : 10 * Math.Log10(signal / noise);
    }

    /// <summary>Normalised cross-correlation (−1..1) of the two signals at <paramref name="delay"/>.</summary>
    public static double Correlation(ReadOnlySpan<float> reference, ReadOnlySpan<float> decoded, int delay)
    {
        (double signal, _, double cross, double decodedEnergy) = Sums(reference, decoded, delay);
        double denominator = Math.Sqrt(signal * decodedEnergy);
        return denominator <= 0 ? 0 : cross / denominator;
    }

    /// <summary>
    /// The delay in 0..<paramref name="maxDelay"/> at which <paramref name="decoded"/> best matches
    /// <paramref name="reference"/> (highest correlation).
    /// </summary>
    public static int FindDelay(ReadOnlySpan<float> reference, ReadOnlySpan<float> decoded, int maxDelay) =>
        FindDelay(reference, decoded, 0, maxDelay);

    /// <summary>The delay in <paramref name="minDelay"/>..<paramref name="maxDelay"/> with the highest correlation.</summary>
    public static int FindDelay(ReadOnlySpan<float> reference, ReadOnlySpan<float> decoded, int minDelay, int maxDelay)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(minDelay);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxDelay, minDelay);
        int best = minDelay;
        double bestCorrelation = double.NegativeInfinity;
        for (int d = minDelay; d <= maxDelay; d++)
        {
            double c = Correlation(reference, decoded, d);
            if (c > bestCorrelation)
            {
                bestCorrelation = c;
                best = d;
            }
        }
        return best;
    }

    private static (double Signal, double Noise, double Cross, double DecodedEnergy) Sums(ReadOnlySpan<float> reference, ReadOnlySpan<float> decoded, int delay)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(delay);
        int n = Math.Min(reference.Length, decoded.Length - delay);
        double signal = 0, noise = 0, cross = 0, decodedEnergy = 0;
        for (int i = 0; i < n; i++)
        {
            double r = reference[i], d = decoded[i + delay];
            signal += r * r;
            noise += (r - d) * (r - d);
            cross += r * d;
            decodedEnergy += d * d;
        }
        return (signal, noise, cross, decodedEnergy);
    }
}
