using RoomDevice.Host.Tests.Support;
using System.CommandLine;
using System.Globalization;
using RoomDevice.Audio.Processing;
using RoomDevice.Audio.Scenes;
using RoomDevice.Audio.Speech;
using RoomDevice.Audio.Wav;
using RoomDevice.Core.Diagnostics;
using RoomDevice.Host.Cli;
using RoomDevice.Host.Voice;

namespace RoomDevice.Host.Tests.Voice;

/// <summary>Two short scenes (double talk, bulk delay) as WAV files, made once.</summary>
public sealed class VoiceVerbFiles : IDisposable
{
    public VoiceVerbFiles()
    {
        Directory.CreateDirectory(Folder);
        var gen = new SceneGenerator(new SpeechMaterial(SpeechMaterial.DefaultCacheDirectory()));
        DoubleTalk = gen.Generate(new SceneSpec(SceneKind.DoubleTalk, 1, 0.4f, 8));
        Delay = gen.Generate(new SceneSpec(SceneKind.BulkDelay, 1, 0.4f, 8, ExtraDelayMs: 120));
        Mic = Path.Combine(Folder, "mic.wav");
        Ref = Path.Combine(Folder, "ref.wav");
        new WavFile(16000, 1, DoubleTalk.Mic).Write(Mic);
        new WavFile(16000, 1, DoubleTalk.Reference).Write(Ref);
        SceneDir = Path.Combine(Folder, "scenes");
        SceneStore.Save(DoubleTalk, SceneDir);
        SceneStore.Save(Delay, SceneDir);
    }

    public string Folder { get; } = Path.Combine(Path.GetTempPath(), "roomdevice-voice-verb-" + Guid.NewGuid().ToString("N"));

    public Scene DoubleTalk { get; }

    public Scene Delay { get; }

    public string Mic { get; }

    public string Ref { get; }

    public string SceneDir { get; }

    public string NewPath(string name) => Path.Combine(Folder, Guid.NewGuid().ToString("N")[..8] + "-" + name);

    public void Dispose() => Directory.Delete(Folder, recursive: true);
}

public sealed class AudioVoiceVerbTests(VoiceVerbFiles files) : IClassFixture<VoiceVerbFiles>
{
    private static (int Exit, string Out, string Err) Invoke(params string[] args) => CliInvoker.Run(args);

    [Theory]
    [InlineData("managed")]
    [InlineData("speex")]
    [InlineData("off")]
    public void Process_writes_a_time_aligned_file_of_the_same_length(string aec)
    {
        string outPath = files.NewPath("out.wav");
        var (exit, stdout, stderr) = Invoke("audio", "process", "--mic", files.Mic, "--ref", files.Ref, "--out", outPath, "--aec", aec);
        Assert.True(exit == 0, stderr);
        Assert.Contains("aec=" + aec, stdout, StringComparison.Ordinal);
        var w = WavFile.Read(outPath);
        Assert.Equal(16000, w.SampleRate);
        Assert.Equal(1, w.Channels);
        Assert.Equal(files.DoubleTalk.Mic.Length, w.Frames);
        if (aec == "managed")
        {
            // AGC off for the measurement: same chain and defaults otherwise.
            string raw = files.NewPath("raw.wav");
            Assert.Equal(0, Invoke("audio", "process", "--mic", files.Mic, "--ref", files.Ref, "--out", raw, "--agc", "off").Exit);
            double erle = SceneMetrics.Erle(files.DoubleTalk, WavFile.Read(raw).Channel(0), 3 * 16000);
            Assert.True(erle > 15, $"ERLE {erle:F1} dB");
        }
    }

    [Fact]
    public void Process_rejects_mismatched_lengths_rates_and_channels()
    {
        string shortRef = files.NewPath("short.wav");
        new WavFile(16000, 1, files.DoubleTalk.Reference[..16000]).Write(shortRef);
        var (exit, _, err) = Invoke("audio", "process", "--mic", files.Mic, "--ref", shortRef, "--out", files.NewPath("o.wav"));
        Assert.Equal(2, exit);
        Assert.Contains("same length", err, StringComparison.Ordinal);

        string rate = files.NewPath("48k.wav");
        new WavFile(48000, 1, new float[4800]).Write(rate);
        (exit, _, err) = Invoke("audio", "process", "--mic", rate, "--ref", files.Ref, "--out", files.NewPath("o.wav"));
        Assert.Equal(2, exit);
        Assert.Contains("48000 Hz", err, StringComparison.Ordinal);
        Assert.Contains("accepted: 16000 Hz mono", err, StringComparison.Ordinal);

        string stereo = files.NewPath("stereo.wav");
        new WavFile(16000, 2, new float[32000]).Write(stereo);
        (exit, _, err) = Invoke("audio", "process", "--mic", files.Mic, "--ref", stereo, "--out", files.NewPath("o.wav"));
        Assert.Equal(2, exit);
        Assert.Contains("2 channels", err, StringComparison.Ordinal);

        (exit, _, err) = Invoke("audio", "process", "--mic", files.Mic, "--ref", files.Ref, "--out", files.NewPath("o.wav"), "--aec", "webrtc");
        Assert.Equal(2, exit);
        Assert.Contains("accepted: managed, speex, off", err, StringComparison.Ordinal);

        (exit, _, err) = Invoke("audio", "process", "--mic", files.NewPath("missing.wav"), "--ref", files.Ref, "--out", files.NewPath("o.wav"));
        Assert.Equal(2, exit);
        Assert.Contains("--mic", err, StringComparison.Ordinal);
    }

    [Fact]
    public void Process_survives_NaN_and_Inf_in_float_files_and_silence()
    {
        float[] mic = (float[])files.DoubleTalk.Mic.Clone();
        for (int i = 0; i < mic.Length; i += 97)
        {
            mic[i] = i % 2 == 0 ? float.NaN : float.NegativeInfinity;
        }

        string micPath = files.NewPath("nan.wav");
        new WavFile(16000, 1, mic).Write(micPath, WavSampleFormat.Float32);
        string outPath = files.NewPath("o.wav");
        var (exit, _, err) = Invoke("audio", "process", "--mic", micPath, "--ref", files.Ref, "--out", outPath);
        Assert.Equal(0, exit);
        Assert.Contains("NaN/Inf", err, StringComparison.Ordinal);
        Assert.All(WavFile.Read(outPath).Channel(0), v => Assert.True(float.IsFinite(v)));

        string silence = files.NewPath("silence.wav");
        new WavFile(16000, 1, new float[16000]).Write(silence);
        string o2 = files.NewPath("o2.wav");
        Assert.Equal(0, Invoke("audio", "process", "--mic", silence, "--ref", silence, "--out", o2).Exit);
        Assert.Equal(16000, WavFile.Read(o2).Frames);
    }

    [Fact]
    public void Evaluate_prints_one_table_per_scene_kind_and_writes_the_report()
    {
        string report = files.NewPath("report");
        var (exit, stdout, stderr) = Invoke("audio", "evaluate", "--scenes", files.SceneDir, "--report", report);
        Assert.True(exit == 0, stderr);
        Assert.Contains("read 2 scenes", stdout, StringComparison.Ordinal);
        Assert.Contains("== double talk", stdout, StringComparison.Ordinal);
        Assert.Contains("== bulk delay +120 ms", stdout, StringComparison.Ordinal);
        foreach (string p in new[] { "managed", "speex-128", "speex-256" })
        {
            Assert.Contains(p, stdout, StringComparison.Ordinal);
        }

        Assert.True(File.Exists(Path.Combine(report, "report.html")));
        byte[] png = File.ReadAllBytes(Path.Combine(report, files.DoubleTalk.Spec.Name + ".png"));
        Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47 }, png[..4]);
    }

    [Fact]
    public void Evaluate_rejects_bad_arguments()
    {
        var (exit, _, err) = Invoke("audio", "evaluate", "--seeds", "0");
        Assert.Equal(2, exit);
        Assert.Contains("accepted: 1..10", err, StringComparison.Ordinal);
        (exit, _, err) = Invoke("audio", "evaluate", "--duration", "2");
        Assert.Equal(2, exit);
        Assert.Contains("8..60", err, StringComparison.Ordinal);
    }

    [Fact]
    public void Telemetry_reports_erle_delay_and_drift_of_the_live_chain()
    {
        using var chain = new CaptureChain(16000, new VoiceOptions { Agc = false });
        CaptureFileProcessor.Run(chain, files.Delay.Mic, files.Delay.Reference);
        var figures = new Dictionary<string, double>();
        new VoiceTelemetry(chain).Collect(figures);
        Assert.Equal("voice", new VoiceTelemetry(chain).Name);
        Assert.True(figures["erleDb"] > 5, $"erle {figures["erleDb"]}");
        Assert.InRange(figures["delayMs"], 80, 128);
        Assert.True(figures.ContainsKey("driftPpm"));
    }
}
