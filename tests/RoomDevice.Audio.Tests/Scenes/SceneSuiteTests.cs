using RoomDevice.Audio.Interop.Speex;
using RoomDevice.Audio.Processing;
using RoomDevice.Audio.Scenes;
using RoomDevice.Audio.Speech;
using Xunit;

namespace RoomDevice.Audio.Tests.Scenes;

/// <summary>Generates a short (10 s) scene of every kind once and runs the managed chain and SpeexDSP over it.</summary>
public sealed class SceneSuiteFixture
{
    public SceneSuiteFixture()
    {
        var gen = new SceneGenerator(new SpeechMaterial(SpeechMaterial.DefaultCacheDirectory()));
        foreach (SceneSpec spec in SceneGenerator.StandardSuite(seeds: 1, durationSeconds: 10))
        {
            Scene scene = gen.Generate(spec);
            Scenes[spec.Name] = scene;
            using var chain = new CaptureChain(16000, new VoiceOptions { Agc = false });
            var (output, us) = CaptureFileProcessor.Run(chain, scene.Mic, scene.Reference);
            Managed[spec.Name] = SceneMetrics.Evaluate(scene, output, "managed", us);
            Outputs[spec.Name] = output;
            DelayMs[spec.Name] = chain.Canceller!.BulkDelaySamples / 16.0;
            DriftPpm[spec.Name] = chain.Canceller.DriftPpm;
        }

        Scene dt = Scenes["doubletalk-s1"];
        using var speex = new SpeexCaptureProcessor(16000, 256);
        var (so, sus) = CaptureFileProcessor.Run(speex, dt.Mic, dt.Reference);
        SpeexDoubleTalk = SceneMetrics.Evaluate(dt, so, "speex-256", sus);
    }

    public Dictionary<string, Scene> Scenes { get; } = [];

    public Dictionary<string, SceneResult> Managed { get; } = [];

    public Dictionary<string, float[]> Outputs { get; } = [];

    public Dictionary<string, double> DelayMs { get; } = [];

    public Dictionary<string, double> DriftPpm { get; } = [];

    public SceneResult SpeexDoubleTalk { get; }
}

public sealed class SceneSuiteTests(SceneSuiteFixture suite) : IClassFixture<SceneSuiteFixture>
{
    [Theory]
    [InlineData("far-rt0.2-s1", 30)]
    [InlineData("far-rt0.4-s1", 25)]
    [InlineData("far-rt0.6-s1", 18)]
    [InlineData("delay120-s1", 20)]
    [InlineData("delay240-s1", 20)]
    [InlineData("drift50-s1", 20)]
    [InlineData("drift100-s1", 20)]
    [InlineData("clipping-s1", 12)]
    [InlineData("noise-s1", 15)]
    [InlineData("loudecho-s1", 20)]
    [InlineData("doubletalk-s1", 18)]
    [InlineData("pathchange-s1", 15)]
    public void Erle_stays_above_a_conservative_floor(string scene, double floorDb)
    {
        double erle = suite.Managed[scene].ErleDb;
        Assert.True(erle >= floorDb, $"{scene}: ERLE {erle:F1} dB, floor {floorDb} dB");
    }

    [Theory]
    [InlineData("doubletalk-s1")]
    [InlineData("noise-s1")]
    [InlineData("loudecho-s1")]
    public void Local_talker_is_kept_in_double_talk_and_alone(string scene)
    {
        SceneResult r = suite.Managed[scene];
        Assert.True(r.NearAttenuationDoubleTalkDb <= 6, $"{scene}: double-talk attenuation {r.NearAttenuationDoubleTalkDb:F1} dB");
        Assert.True(r.NearAttenuationSingleTalkDb <= 2, $"{scene}: near-end single talk attenuation {r.NearAttenuationSingleTalkDb:F1} dB");
    }

    [Fact]
    public void Double_talk_does_not_make_the_filter_diverge()
    {
        SceneResult r = suite.Managed["doubletalk-s1"];
        // The issue's target: the ERLE after double talk within 3 dB of the figure before it
        // (processing is deterministic, so no margin for machine load is needed).
        Assert.True(r.ErleAfterDoubleTalkDb >= r.ErleBeforeDoubleTalkDb - 3, $"before {r.ErleBeforeDoubleTalkDb:F1} dB, after {r.ErleAfterDoubleTalkDb:F1} dB");
        Assert.True(r.ErleAfterDoubleTalkDb >= 18, $"after double talk {r.ErleAfterDoubleTalkDb:F1} dB");
    }

    [Fact]
    public void Converges_from_cold_and_after_an_echo_path_change()
    {
        Assert.True(suite.Managed["far-rt0.4-s1"].ConvergenceSeconds <= 1.5, $"cold start {suite.Managed["far-rt0.4-s1"].ConvergenceSeconds:F2} s");
        double re = suite.Managed["pathchange-s1"].ReconvergenceSeconds;
        Assert.True(re <= 1.0, $"after the path change {re:F2} s");
    }

    [Theory]
    [InlineData("delay120-s1", 120)]
    [InlineData("delay240-s1", 240)]
    public void Bulk_delay_is_found(string scene, double delayMs)
    {
        // Applied delay keeps two 8 ms blocks of margin before the direct path.
        Assert.InRange(suite.DelayMs[scene], delayMs - 40, delayMs + 8);
    }

    [Theory]
    [InlineData("drift50-s1", 50)]
    [InlineData("drift100-s1", 100)]
    public void Clock_drift_is_estimated(string scene, double ppm) =>
        Assert.InRange(suite.DriftPpm[scene], ppm - 30, ppm + 30);

    [Fact]
    public void Outputs_are_finite_and_within_full_scale()
    {
        foreach (var (name, o) in suite.Outputs)
        {
            Assert.All(o, v => Assert.True(float.IsFinite(v) && Math.Abs(v) <= 1f, name));
        }
    }

    [Fact]
    public void Speex_baseline_runs_on_the_same_scene()
    {
        Assert.True(suite.SpeexDoubleTalk.ErleDb > 5, $"SpeexDSP ERLE {suite.SpeexDoubleTalk.ErleDb:F1} dB");
    }
}
