using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using RoomDevice.Audio.Dsp;
using RoomDevice.Audio.Pipeline;
using RoomDevice.Audio.Simulation;
using RoomDevice.Benchmarks.Interop;

namespace RoomDevice.Benchmarks;

/// <summary>
/// Short job run in process (no generated project to build on a busy machine), median column and
/// bytes allocated per operation (a 10 ms frame for the audio benchmarks, a packet for the calls ones).
/// </summary>
internal sealed class InProcessShortConfig : ManualConfig
{
    public InProcessShortConfig()
    {
        AddJob(Job.ShortRun.WithWarmupCount(3).WithIterationCount(10).WithToolchain(InProcessEmitToolchain.Instance));
        AddDiagnoser(MemoryDiagnoser.Default);
        AddColumn(StatisticColumn.Median);
    }
}

/// <summary>
/// One 10 ms frame through the engine's polyphase resampler against SpeexDSP's resampler
/// (quality 10 and the usual VoIP quality 5) in the same run. Real-time factor = time / 10 ms.
/// </summary>
[Config(typeof(InProcessShortConfig))]
public class ResamplerBenchmarks
{
    private readonly float[] _in48 = new float[480], _out16 = new float[160], _in16 = new float[160], _out48 = new float[480];
    private PolyphaseResampler _down = null!, _up = null!;
    private SpeexResampler _speexDown10 = null!, _speexUp10 = null!, _speexDown5 = null!, _speexUp5 = null!;

    [GlobalSetup]
    public void Setup()
    {
        var r = new Random(1);
        for (int i = 0; i < _in48.Length; i++)
        {
            _in48[i] = (float)(r.NextDouble() - 0.5);
        }
        for (int i = 0; i < _in16.Length; i++)
        {
            _in16[i] = (float)(r.NextDouble() - 0.5);
        }
        _down = new PolyphaseResampler(48000, 16000, 480);
        _up = new PolyphaseResampler(16000, 48000, 160);
        _speexDown10 = new SpeexResampler(48000, 16000, 10);
        _speexUp10 = new SpeexResampler(16000, 48000, 10);
        _speexDown5 = new SpeexResampler(48000, 16000, 5);
        _speexUp5 = new SpeexResampler(16000, 48000, 5);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _speexDown10.Dispose();
        _speexUp10.Dispose();
        _speexDown5.Dispose();
        _speexUp5.Dispose();
    }

    [Benchmark(Description = "polyphase 48k->16k")]
    public int Down() => _down.Process(_in48, _out16);

    [Benchmark(Description = "speex q10 48k->16k")]
    public int SpeexDown10() => _speexDown10.Process(_in48, _out16);

    [Benchmark(Description = "speex q5 48k->16k")]
    public int SpeexDown5() => _speexDown5.Process(_in48, _out16);

    [Benchmark(Description = "polyphase 16k->48k")]
    public int Up() => _up.Process(_in16, _out48);

    [Benchmark(Description = "speex q10 16k->48k")]
    public int SpeexUp10() => _speexUp10.Process(_in16, _out48);

    [Benchmark(Description = "speex q5 16k->48k")]
    public int SpeexUp5() => _speexUp5.Process(_in16, _out48);
}

/// <summary>
/// One 10 ms tick of the media pipeline without echo cancellation (passthrough processor): a
/// capture frame of N microphone channels at 48 kHz through channel map, mono mix and
/// resampling to the uplink, and a far-end frame through tones, volume, echo reference and
/// resampling to stereo playback. Bytes allocated must be 0.
/// </summary>
[Config(typeof(InProcessShortConfig))]
public class CaptureChainBenchmarks
{
    private MediaPipeline _pipeline = null!;
    private CallAudioBridge _bridge = null!;
    private float[] _capture = null!;
    private readonly float[] _far = new float[160], _sink = new float[160], _speaker = new float[960];

    [Params(4, 8)]
    public int Microphones { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _bridge = new CallAudioBridge(16000, 8);
        var map = new ChannelMap([.. Enumerable.Range(0, Microphones)]);
        _pipeline = new MediaPipeline(new AudioEngineSettings(48000, 16000, Microphones, 2, map, RingFrames: 8), _bridge);
        _pipeline.SetVolume(70);
        var r = new Random(2);
        _capture = new float[480 * Microphones];
        for (int i = 0; i < _capture.Length; i++)
        {
            _capture[i] = (float)(r.NextDouble() - 0.5) * 0.3f;
        }
        for (int i = 0; i < _far.Length; i++)
        {
            _far[i] = (float)(r.NextDouble() - 0.5) * 0.3f;
        }
    }

    [GlobalCleanup]
    public void Cleanup() => _pipeline.Dispose();

    [Benchmark(Description = "media tick (no AEC)")]
    public bool Tick()
    {
        _pipeline.CaptureRing.TryWrite(_capture);
        _bridge.Downlink.TryWrite(_far);
        bool ok = _pipeline.Step();
        _bridge.Uplink.TryRead(_sink);
        _pipeline.PlaybackRing.TryRead(_speaker);
        return ok;
    }
}

/// <summary>One 10 ms frame of the simulated room: loudspeaker and local talker to N microphones through 300 ms image-source responses.</summary>
[Config(typeof(InProcessShortConfig))]
public class SimulatedRoomBenchmarks
{
    private SimulatedRoom _room = null!;
    private readonly float[] _speaker = new float[480];
    private float[] _mics = null!;

    [Params(4, 8)]
    public int Microphones { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var r = new Random(3);
        var talker = new float[48000];
        for (int i = 0; i < talker.Length; i++)
        {
            talker[i] = (float)(r.NextDouble() - 0.5) * 0.2f;
        }
        for (int i = 0; i < _speaker.Length; i++)
        {
            _speaker[i] = (float)(r.NextDouble() - 0.5) * 0.2f;
        }
        _room = new SimulatedRoom(new SimulatedRoomSettings
        {
            Microphones = MicArrayGeometry.Circular(new System.Numerics.Vector3(3f, 0.75f, 1f), 0.0457f, Microphones),
            TalkerSignal = talker,
            ImpulseResponseMs = 300,
        });
        _mics = new float[480 * Microphones];
    }

    [Benchmark(Description = "room frame")]
    public void Frame() => _room.Process(_speaker, _mics, Microphones);
}
