using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using RoomDevice.Audio.Interop.Speex;
using RoomDevice.Audio.Pipeline;
using RoomDevice.Audio.Processing;
using RoomDevice.Audio.Scenes;
using RoomDevice.Audio.Speech;

namespace RoomDevice.Benchmarks;

/// <summary>Short job plus memory diagnoser: CPU and bytes per 10 ms frame, managed against SpeexDSP in one run.</summary>
internal sealed class VoiceBenchmarkConfig : ManualConfig
{
    public VoiceBenchmarkConfig()
    {
        AddJob(Job.ShortRun.WithWarmupCount(3).WithIterationCount(10));
        AddDiagnoser(MemoryDiagnoser.Default);
        // The generated project builds the whole product; a busy machine needs more than 2 minutes.
        WithBuildTimeout(TimeSpan.FromMinutes(10));
    }
}

/// <summary>
/// One operation = 100 frames (1 s) of a double-talk scene through a capture processor in steady
/// state; divide by 100 for the cost per 10 ms frame.
/// </summary>
[Config(typeof(VoiceBenchmarkConfig))]
public class VoiceBenchmarks
{
    private const int Frames = 100;
    private Scene _scene = null!;
    private ICaptureProcessor _managed = null!, _managedAecOnly = null!, _speex128 = null!, _speex256 = null!;
    private readonly float[] _out = new float[160];
    private int _pos;

    [GlobalSetup]
    public void Setup()
    {
        var gen = new SceneGenerator(new SpeechMaterial(SpeechMaterial.DefaultCacheDirectory()));
        _scene = gen.Generate(new SceneSpec(SceneKind.DoubleTalk, 1, 0.4f, 10));
        _managed = new CaptureChain(16000, new VoiceOptions());
        _managedAecOnly = new CaptureChain(16000, new VoiceOptions { NoiseSuppression = false, Agc = false });
        _speex128 = new SpeexCaptureProcessor(16000, 128);
        _speex256 = new SpeexCaptureProcessor(16000, 256);
        foreach (ICaptureProcessor p in new[] { _managed, _managedAecOnly, _speex128, _speex256 })
        {
            _pos = 0;
            Run(p, 300); // converge
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _managed.Dispose();
        _managedAecOnly.Dispose();
        _speex128.Dispose();
        _speex256.Dispose();
    }

    [Benchmark(Description = "managed chain (AEC+RES+NS+AGC+VAD, 512 ms), 100 frames")]
    public void Managed() => Run(_managed, Frames);

    [Benchmark(Description = "managed AEC+RES (512 ms), 100 frames")]
    public void ManagedAecOnly() => Run(_managedAecOnly, Frames);

    [Benchmark(Baseline = true, Description = "SpeexDSP MDF+preprocess 128 ms, 100 frames")]
    public void Speex128() => Run(_speex128, Frames);

    [Benchmark(Description = "SpeexDSP MDF+preprocess 256 ms, 100 frames")]
    public void Speex256() => Run(_speex256, Frames);

    private void Run(ICaptureProcessor p, int frames)
    {
        int n = _scene.Mic.Length;
        for (int f = 0; f < frames; f++)
        {
            if (_pos + 160 > n)
            {
                _pos = 0;
            }

            p.AnalyzeRender(_scene.Reference.AsSpan(_pos, 160));
            p.ProcessCapture(_scene.Mic.AsSpan(_pos, 160), _out);
            _pos += 160;
        }
    }
}
