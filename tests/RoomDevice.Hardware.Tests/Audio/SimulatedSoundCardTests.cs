using System.Numerics;
using RoomDevice.Audio.Acoustics;
using RoomDevice.Audio.Devices;
using RoomDevice.Audio.Pipeline;
using RoomDevice.Audio.Simulation;
using RoomDevice.Audio.Speech;
using RoomDevice.Core.Room;
using RoomDevice.Hardware.Simulation.Audio;
using Xunit;
using Xunit.Abstractions;

namespace RoomDevice.Hardware.Tests.Audio;

/// <summary>Speech for the simulated room, synthesised once by espeak-ng and sox (cached).</summary>
public sealed class RoomSpeech
{
    public RoomSpeech()
    {
        var material = new SpeechMaterial(SpeechMaterial.DefaultCacheDirectory());
        FarEnd16k = material.Speak("Good morning from the other office. The figures are in the shared folder.", "en-us", 16000);
        Local48k = material.Speak("Can everyone in the room hear me clearly?", "en-gb+f3", 48000);
    }

    public float[] FarEnd16k { get; }

    public float[] Local48k { get; }
}

public sealed class SimulatedSoundCardTests(RoomSpeech speech, ITestOutputHelper output) : IClassFixture<RoomSpeech>
{
    private static SimulatedRoomSettings RoomSettings(float[]? talker, int mics = 4) => new()
    {
        Room = new ShoeboxRoom(5f, 4f, 2.7f, 0.3f),
        Speaker = new Vector3(2.5f, 0.5f, 1.0f),
        Microphones = MicArrayGeometry.Circular(new Vector3(2.5f, 0.8f, 1.0f), 0.0457f, mics),
        Talker = new Vector3(2.0f, 2.8f, 1.2f),
        TalkerSignal = talker,
        NoiseDbfs = -70,
        ImpulseResponseMs = 200,
    };

    private static double Db(IEnumerable<float> x)
    {
        double e = 0;
        int n = 0;
        foreach (float v in x)
        {
            e += v * v;
            n++;
        }
        return 10 * Math.Log10(Math.Max(e / Math.Max(n, 1), 1e-14));
    }

    [Fact]
    public void Far_end_speech_goes_out_of_the_simulated_speaker_and_comes_back_through_four_mics_with_the_local_talker()
    {
        var room = new RoomStateMachine(initialVolume: 100);
        var map = ChannelMap.Parse("0,1,2,3", referenceChannel: 4);
        using var card = new SimulatedSoundCard(new SimulatedRoom(RoomSettings(speech.Local48k)), 5, 2, map, realTime: false);
        var settings = new AudioEngineSettings(48000, 16000, 5, 2, map);
        var bridge = new CallAudioBridge(16000, 1024);
        using var engine = new AudioEngine(settings, card.Capture, card.Playback, bridge, null, room);
        var farEnd = new FarEndTalker(speech.FarEnd16k, 0.5f, room);
        engine.Pipeline.AddRenderSource(farEnd);
        engine.Pipeline.PrimePlayback(2);
        card.Capture.Start(engine.Pipeline.CaptureRing);
        card.Playback.Start(engine.Pipeline.PlaybackRing);

        // As fast as possible: one card tick, one pipeline tick.
        int ticks = (speech.FarEnd16k.Length / 160) + 50;
        var uplink = new List<float>();
        var frame = new float[160];
        for (int t = 0; t < ticks; t++)
        {
            card.Tick();
            Assert.True(engine.Pipeline.Step(), $"tick {t} found no capture frame");
            while (bridge.Uplink.TryRead(frame))
            {
                uplink.AddRange(frame);
            }
        }
        Assert.Equal(ticks, card.Room.Frames);
        Assert.Equal(0, engine.Pipeline.CaptureMissing);
        Assert.Equal(0, engine.Pipeline.CaptureRing.Overruns);
        Assert.True(farEnd.Played >= speech.FarEnd16k.Length);

        // The uplink carries the far end's echo: it correlates with what was played, after the
        // loop's delay (two primed frames, resamplers, acoustic path).
        float[] up = [.. uplink];
        float[] far = speech.FarEnd16k;
        double bestCorr = 0;
        int bestLag = 0;
        for (int lag = 0; lag < 1600; lag += 2)
        {
            double xy = 0, xx = 0, yy = 0;
            for (int i = 0; i + lag < up.Length && i < far.Length; i += 3)
            {
                double a = far[i] * 0.5, b = up[i + lag];
                xy += a * b;
                xx += a * a;
                yy += b * b;
            }
            double c = xy / Math.Sqrt((xx * yy) + 1e-30);
            if (c > bestCorr)
            {
                bestCorr = c;
                bestLag = lag;
            }
        }
        output.WriteLine($"echo correlation {bestCorr:F2} at {bestLag / 16.0:F1} ms; uplink {Db(up):F1} dB, mic {engine.Pipeline.MicLevel.RmsDb:F1} dBFS");
        Assert.True(bestCorr > 0.3, $"uplink hardly correlates with the far end: {bestCorr:F2}");
        Assert.InRange(bestLag / 16.0, 20, 60);
        Assert.True(Db(up) > -60, "the microphones hear the room");

        // Mute keeps the engine running and silences the uplink.
        room.Handle(new MuteSet(true));
        for (int t = 0; t < 20; t++)
        {
            card.Tick();
            engine.Pipeline.Step();
        }
        var muted = new List<float>();
        while (bridge.Uplink.TryRead(frame))
        {
            muted.AddRange(frame);
        }
        Assert.All(muted.Skip(muted.Count - 1600), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void Real_time_simulation_paces_the_engine_on_its_own_clock()
    {
        var map = ChannelMap.Parse("0,1,2,3,4,5");
        using var card = new SimulatedSoundCard(new SimulatedRoom(RoomSettings(speech.Local48k, mics: 6)), 6, 2, map, realTime: true);
        var bridge = new CallAudioBridge(16000);
        using var engine = new AudioEngine(new AudioEngineSettings(48000, 16000, 6, 2, map), card.Capture, card.Playback, bridge);
        engine.Pipeline.AddRenderSource(new FarEndTalker(speech.FarEnd16k));
        engine.Start();
        var sw = System.Diagnostics.Stopwatch.StartNew();
        while (engine.Pipeline.Ticks < 50 && sw.Elapsed < TimeSpan.FromSeconds(30))
        {
            Thread.Sleep(10);
        }
        engine.Stop();
        Assert.Null(engine.Fault);
        Assert.True(engine.Pipeline.Ticks >= 50, $"{engine.Pipeline.Ticks} ticks");
        // The card's own clock thread fed every tick: nothing was ticked by hand here.
        Assert.True(card.Ticks >= engine.Pipeline.Ticks - engine.Pipeline.CaptureMissing, $"card {card.Ticks}, engine {engine.Pipeline.Ticks}");
        var figures = new Dictionary<string, double>();
        engine.Collect(figures);
        Assert.True(figures["mic_db"] > -80, $"mic {figures["mic_db"]} dBFS");
        Assert.True(figures["frames"] >= 50);
        Assert.False(card.Capture.Running);
    }

    [Fact]
    public void A_channel_map_that_disagrees_with_the_simulated_array_names_the_device()
    {
        var room = new SimulatedRoom(RoomSettings(null, mics: 4));
        var e = Assert.Throws<AudioDeviceException>(() => new SimulatedSoundCard(room, 4, 2, ChannelMap.Parse("0,1"), realTime: false));
        Assert.Contains("'simulated:mics'", e.Message, StringComparison.Ordinal);
        Assert.Contains("lists 2 microphone(s) but the simulated room has 4", e.Message, StringComparison.Ordinal);
        var wide = Assert.Throws<AudioDeviceException>(() => new SimulatedSoundCard(room, 4, 2, ChannelMap.Parse("0,1,2,3", 4), realTime: false));
        Assert.Contains("'simulated:mics' has 4 channel(s)", wide.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Card_and_pipeline_together_allocate_nothing_per_frame()
    {
        var map = ChannelMap.Parse("0,1,2,3", referenceChannel: 4);
        var room = new RoomStateMachine();
        var sim = new SimulatedRoom(RoomSettings(speech.Local48k) with { ClockDriftPpm = 80, SpeakerClipLevel = 0.6f });
        using var card = new SimulatedSoundCard(sim, 5, 2, map, realTime: false);
        var bridge = new CallAudioBridge(16000, 8);
        using var pipeline = new MediaPipeline(new AudioEngineSettings(48000, 16000, 5, 2, map), bridge, null, room);
        pipeline.AddRenderSource(new FarEndTalker(speech.FarEnd16k, 0.5f, room));
        card.Capture.Start(pipeline.CaptureRing);
        card.Playback.Start(pipeline.PlaybackRing);
        var sink = new float[160];
        for (int i = 0; i < 100; i++)
        {
            card.Tick();
            pipeline.Step();
            bridge.Uplink.TryRead(sink);
        }
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            card.Tick();
            pipeline.Step();
            bridge.Uplink.TryRead(sink);
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
