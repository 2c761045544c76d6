namespace RoomDevice.Audio.Tests.Processing;

/// <summary>Seeded test signals for the voice-processing tests.</summary>
internal static class TestSignals
{
    /// <summary><paramref name="n"/> samples of uniform white noise in ±<paramref name="level"/>, the same for the same seed.</summary>
    public static float[] UniformNoise(int n, int seed, float level)
    {
        var rng = new Random(seed);
        var x = new float[n];
        for (int i = 0; i < n; i++)
        {
            x[i] = level * (float)((rng.NextDouble() * 2) - 1);
        }
        return x;
    }
}
