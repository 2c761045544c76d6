using RoomDevice.Audio.Scenes;
using RoomDevice.Audio.Speech;
using Xunit;

namespace RoomDevice.Audio.Tests.Scenes;

public sealed class SceneMetricsTests
{
    private static Scene Synthetic()
    {
        int n = 16000 * 8;
        var rng = new Random(1);
        var mic = new float[n];
        var reference = new float[n];
        var near = new float[n];
        var echo = new float[n];
        for (int i = 0; i < n; i++)
        {
            reference[i] = (float)(rng.NextDouble() - 0.5);
            echo[i] = 0.3f * reference[i];
            near[i] = i >= n / 2 ? 0.2f * (float)(rng.NextDouble() - 0.5) : 0f;
            mic[i] = echo[i] + near[i];
        }

        return new Scene(new SceneSpec(SceneKind.DoubleTalk, 1, DurationSeconds: 8), mic, reference, near, echo,
            [(0, n)], [(n / 2, n)], -1);
    }

    [Fact]
    public void Erle_of_a_scaled_microphone_is_the_scale()
    {
        Scene s = Synthetic();
        float[] o = [.. s.Mic.Select(v => v * 0.01f)];
        Assert.Equal(40, SceneMetrics.Erle(s, o, 3 * 16000), 1);
    }

    [Fact]
    public void Near_end_attenuation_sees_gain_but_not_delay()
    {
        Scene s = Synthetic();
        float[] delayed = new float[s.NearEnd.Length];
        for (int i = 40; i < delayed.Length; i++)
        {
            delayed[i] = 0.5f * s.NearEnd[i - 40];
        }

        var (attDt, _, sdrDt, _) = SceneMetrics.NearEnd(s, delayed);
        Assert.InRange(attDt, 5.5, 6.5);
        Assert.True(sdrDt > 20, $"SDR {sdrDt:F1} dB");
    }

    [Fact]
    public void Convergence_time_is_the_first_window_over_20_dB()
    {
        var curve = new List<(double, double)> { (0.5, 5), (1.0, 15), (1.5, 22), (2.0, 30) };
        Assert.Equal(1.5, SceneMetrics.ConvergenceTime(curve, 0), 6);
        Assert.True(double.IsPositiveInfinity(SceneMetrics.ConvergenceTime([(0.5, 3.0)], 0)));
    }

    [Fact]
    public void Scenes_are_deterministic_and_survive_a_round_trip_on_disk()
    {
        var gen = new SceneGenerator(new SpeechMaterial(SpeechMaterial.DefaultCacheDirectory()));
        var spec = new SceneSpec(SceneKind.ClockDrift, 2, 0.2f, 8, DriftPpm: 50);
        Scene a = gen.Generate(spec);
        Scene b = new SceneGenerator(new SpeechMaterial(SpeechMaterial.DefaultCacheDirectory())).Generate(spec);
        Assert.Equal(a.Mic, b.Mic);
        string dir = Path.Combine(Path.GetTempPath(), "roomdevice-scenes-" + Guid.NewGuid().ToString("N"));
        try
        {
            SceneStore.Save(a, dir);
            Scene c = Assert.Single(SceneStore.LoadAll(dir));
            Assert.Equal(a.Spec, c.Spec);
            Assert.Equal(a.Mic, c.Mic);
            Assert.Equal(a.FarActive, c.FarActive);
            Assert.Equal(a.NearActive, c.NearActive);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Mismatched_lengths_are_rejected()
    {
        Scene s = Synthetic();
        Assert.Throws<ArgumentException>(() => SceneMetrics.Erle(s, new float[10], 0));
        Assert.Throws<ArgumentException>(() => RoomDevice.Audio.Processing.CaptureFileProcessor.Run(
            new RoomDevice.Audio.Processing.CaptureChain(16000, new RoomDevice.Audio.Processing.VoiceOptions()), new float[1600], new float[800]));
    }
}
