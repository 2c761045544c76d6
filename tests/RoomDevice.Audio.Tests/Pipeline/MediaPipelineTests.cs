using RoomDevice.Audio.Devices;
using RoomDevice.Audio.Dsp;
using RoomDevice.Audio.Pipeline;
using RoomDevice.Audio.Tests.Dsp;
using RoomDevice.Core.Room;
using Xunit;

namespace RoomDevice.Audio.Tests.Pipeline;

/// <summary>A capture processor that records what the pipeline hands it and applies a known gain.</summary>
internal sealed class RecordingProcessor(int rate = 16000, float gain = 1f) : ICaptureProcessor
{
    public List<float> Render { get; } = [];
    public List<float> Mic { get; } = [];
    public bool Record { get; set; } = true;
    public int SampleRate => rate;
    public int FrameSize => rate / 100;
    public bool VoiceActive { get; private set; }
    public void AnalyzeRender(ReadOnlySpan<float> render)
    {
        if (Record)
        {
            Render.AddRange(render);
        }
    }
    public void ProcessCapture(ReadOnlySpan<float> mic, Span<float> output)
    {
        if (Record)
        {
            Mic.AddRange(mic);
        }
        VoiceActive = true;
        for (int i = 0; i < mic.Length; i++)
        {
            output[i] = mic[i] * gain;
        }
    }
    public void Dispose() { }
}

public sealed class MediaPipelineTests
{
    private static AudioEngineSettings Settings(int channels = 4, string mics = "0,1,2,3", int reference = -1, MicMix mix = MicMix.Mono, int playbackChannels = 2) =>
        new(48000, 16000, channels, playbackChannels, ChannelMap.Parse(mics, reference, mix), RingFrames: 16);

    /// <summary>Writes one interleaved 48 kHz frame whose channel c is <paramref name="perChannel"/>[c] at sample offset <paramref name="t"/>.</summary>
    private static void PushCapture(MediaPipeline p, int t, params Func<int, float>[] perChannel)
    {
        int ch = p.Settings.CaptureChannels;
        var frame = new float[480 * ch];
        for (int i = 0; i < 480; i++)
        {
            for (int c = 0; c < ch; c++)
            {
                frame[(i * ch) + c] = c < perChannel.Length ? perChannel[c](t + i) : 0f;
            }
        }
        Assert.True(p.CaptureRing.TryWrite(frame));
    }

    private static Func<int, float> Tone(double f, double a = 0.5) => i => (float)(a * Math.Sin(2 * Math.PI * f * i / 48000));

    private static List<float> DrainUplink(CallAudioBridge bridge)
    {
        var all = new List<float>();
        var f = new float[bridge.FrameSamples];
        while (bridge.Uplink.Count > 0)
        {
            bridge.Uplink.TryRead(f);
            all.AddRange(f);
        }
        return all;
    }

    [Fact]
    public void Capture_frames_reach_the_uplink_as_mono_16k_averaged_over_the_microphones()
    {
        var bridge = new CallAudioBridge(16000, 128);
        using var p = new MediaPipeline(Settings(), bridge);
        for (int k = 0; k < 100; k++)
        {
            // Four microphones hear the same 1 kHz tone; the average equals it.
            PushCapture(p, k * 480, Tone(1000), Tone(1000), Tone(1000), Tone(1000));
            Assert.True(p.Step());
        }
        float[] up = [.. DrainUplink(bridge)];
        Assert.Equal(100 * 160, up.Length);
        var (amp, residual) = SignalMath.FitTone(up.AsSpan(800), 16000, 1000);
        Assert.InRange(amp, 0.49, 0.51);
        Assert.True(residual < 0.005, $"residual {residual}");
        Assert.InRange(p.MicLevel.RmsDb, -9.5, -8.5);  // 0.5 peak sine = -9.03 dBFS
        Assert.Equal(100, p.Ticks);
    }

    [Fact]
    public void Mono_mix_averages_and_first_picks_the_first_listed_microphone()
    {
        var bridgeMix = new CallAudioBridge(16000, 128);
        var bridgeFirst = new CallAudioBridge(16000, 128);
        using var mix = new MediaPipeline(Settings(2, "0,1"), bridgeMix);
        using var first = new MediaPipeline(Settings(2, "1,0", mix: MicMix.First), bridgeFirst);
        for (int k = 0; k < 50; k++)
        {
            PushCapture(mix, k * 480, Tone(500, 0.4), Tone(500, 0.2));
            PushCapture(first, k * 480, Tone(500, 0.4), Tone(500, 0.2));
            mix.Step();
            first.Step();
        }
        Assert.InRange(SignalMath.FitTone([.. DrainUplink(bridgeMix).Skip(800)], 16000, 500).Amplitude, 0.295, 0.305);
        Assert.InRange(SignalMath.FitTone([.. DrainUplink(bridgeFirst).Skip(800)], 16000, 500).Amplitude, 0.195, 0.205);
    }

    [Fact]
    public void Reference_channel_feeds_the_echo_canceller_and_is_not_mixed_into_the_microphones()
    {
        var bridge = new CallAudioBridge(16000, 128);
        var proc = new RecordingProcessor();
        using var p = new MediaPipeline(Settings(4, "0,1,2", reference: 3), bridge, proc);
        for (int k = 0; k < 50; k++)
        {
            PushCapture(p, k * 480, Tone(700), Tone(700), Tone(700), Tone(2000, 0.3));
            p.Step();
        }
        var (micAmp700, _) = SignalMath.FitTone([.. proc.Mic.Skip(800)], 16000, 700);
        var (micAmp2k, _) = SignalMath.FitTone([.. proc.Mic.Skip(800)], 16000, 2000);
        var (refAmp, _) = SignalMath.FitTone([.. proc.Render.Skip(800)], 16000, 2000);
        Assert.InRange(micAmp700, 0.49, 0.51);
        Assert.True(micAmp2k < 1e-3, $"reference leaked into the microphones: {micAmp2k}");
        Assert.InRange(refAmp, 0.29, 0.31);
    }

    [Fact]
    public void Downlink_goes_to_the_loudspeaker_and_to_the_echo_reference_and_underrun_plays_silence()
    {
        var bridge = new CallAudioBridge(16000, 128);
        var proc = new RecordingProcessor();
        using var p = new MediaPipeline(Settings(playbackChannels: 2), bridge, proc);
        p.SetVolume(100);
        float[] far = SignalMath.Sine(16000, 1000, 16000, 0.3);
        var speaker = new List<float>();
        var f = new float[960];
        void Drain()
        {
            while (p.PlaybackRing.TryRead(f))
            {
                for (int i = 0; i < 480; i++)
                {
                    Assert.Equal(f[2 * i], f[(2 * i) + 1]);  // stereo: both channels carry the mono mix
                    speaker.Add(f[2 * i]);
                }
            }
        }
        for (int k = 0; k < 50; k++)
        {
            Assert.True(bridge.Downlink.TryWrite(far.AsSpan(k * 160, 160)));
            PushCapture(p, k * 480);
            p.Step();
            Drain();
        }
        // Without a call: the downlink underruns and the loudspeaker gets silence.
        for (int k = 0; k < 10; k++)
        {
            PushCapture(p, k * 480);
            p.Step();
            Drain();
        }
        Assert.Equal(10, bridge.Downlink.Underruns);
        Assert.Equal(60 * 480, speaker.Count);
        var (amp, _) = SignalMath.FitTone([.. speaker.Skip(4800).Take(40 * 480)], 48000, 1000);
        Assert.InRange(amp, 0.295, 0.305);
        Assert.True(SignalMath.Rms([.. speaker.Skip(51 * 480)]) < 1e-4, "an underrun must play silence");
        var (refAmp, _) = SignalMath.FitTone([.. proc.Render.Skip(160).Take(40 * 160)], 16000, 1000);
        Assert.InRange(refAmp, 0.295, 0.305);
    }

    [Fact]
    public void Room_mute_and_privacy_zero_the_uplink_and_volume_scales_the_loudspeaker()
    {
        var room = new RoomStateMachine(initialVolume: 100);
        var bridge = new CallAudioBridge(16000, 256);
        using var p = new MediaPipeline(Settings(), bridge, null, room);
        float[] far = SignalMath.Sine(16000, 1000, 160 * 40, 0.5);
        double RunAndMeasureSpeaker()
        {
            var speaker = new List<float>();
            var f = new float[960];
            for (int k = 0; k < 20; k++)
            {
                bridge.Downlink.TryWrite(far.AsSpan(k * 160, 160));
                PushCapture(p, k * 480, Tone(800), Tone(800), Tone(800), Tone(800));
                p.Step();
                while (p.PlaybackRing.TryRead(f))
                {
                    for (int i = 0; i < 480; i++)
                    {
                        speaker.Add(f[2 * i]);
                    }
                }
            }
            return SignalMath.Rms([.. speaker.Skip(5 * 480)]);
        }
        double loud = RunAndMeasureSpeaker();
        Assert.True(SignalMath.Rms([.. DrainUplink(bridge).Skip(800)]) > 0.3);

        room.Handle(new MuteSet(true));
        RunAndMeasureSpeaker();
        List<float> muted = DrainUplink(bridge);
        Assert.Equal(20 * 160, muted.Count);
        Assert.All(muted.Skip(160), v => Assert.Equal(0f, v));
        Assert.True(p.MicLevel.RmsDb > -12, "muting must not stop the microphones being measured");
        Assert.Equal(LevelMeter.FloorDb, p.UplinkLevel.RmsDb);

        room.Handle(new MuteSet(false));
        room.Handle(new VolumeSet(50));
        RunAndMeasureSpeaker();   // lets the unmute beep and the volume ramp finish
        DrainUplink(bridge);
        double quieter = RunAndMeasureSpeaker();
        // 50 steps of 0.4 dB = -20 dB (the unmute beep is over by the measured window).
        Assert.InRange(SignalMath.Db(quieter / loud), -20.5, -19.5);
        Assert.True(SignalMath.Rms([.. DrainUplink(bridge).Skip(800)]) > 0.3);

        room.Handle(new PrivacySet(true));
        RunAndMeasureSpeaker();
        Assert.All(DrainUplink(bridge).Skip(160), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void Joining_a_call_plays_a_chime_on_the_loudspeaker_only()
    {
        var room = new RoomStateMachine(initialVolume: 100);
        var bridge = new CallAudioBridge(16000, 256);
        using var p = new MediaPipeline(Settings(), bridge, null, room);
        room.Handle(new JoinRequested("sip:room@example.org"));
        room.Handle(new CallConnected());
        var speaker = new List<float>();
        var f = new float[960];
        for (int k = 0; k < 30; k++)
        {
            PushCapture(p, k * 480);
            p.Step();
            p.PlaybackRing.TryRead(f);
            for (int i = 0; i < 480; i++)
            {
                speaker.Add(f[2 * i]);
            }
        }
        Assert.True(SignalMath.FitTone([.. speaker.Take(5000)], 48000, 660).Amplitude > 0.05, "first note of the join chime");
        Assert.True(SignalMath.FitTone([.. speaker.Skip(5760).Take(5000)], 48000, 880).Amplitude > 0.05, "second note of the join chime");
        Assert.True(SignalMath.Rms([.. speaker.Skip(25 * 480)]) < 1e-4, "the chime ends");
        Assert.True(SignalMath.Rms([.. DrainUplink(bridge)]) < 1e-6, "tones are not sent to the far end");
    }

    [Fact]
    public void Missing_capture_frames_are_counted_and_processed_as_silence()
    {
        var bridge = new CallAudioBridge(16000);
        using var p = new MediaPipeline(Settings(), bridge);
        Assert.False(p.Step());
        Assert.False(p.Step());
        Assert.Equal(2, p.CaptureMissing);
        Assert.Equal(2, bridge.Uplink.Count);
    }

    [Fact]
    public void Ticks_without_capture_feed_a_dry_loudspeaker_but_do_not_add_latency()
    {
        var bridge = new CallAudioBridge(16000, 64);
        using var p = new MediaPipeline(Settings() with { PlaybackPrimeFrames = 2 }, bridge);
        for (int i = 0; i < 10; i++)
        {
            bridge.Downlink.TryWrite(new float[160]);
        }
        for (int i = 0; i < 6; i++)
        {
            Assert.False(p.Step());   // capture stalled
        }
        Assert.Equal(2, p.PlaybackRing.Count);           // topped up to the prime level, no further
        Assert.Equal(8, bridge.Downlink.Count);          // the far end waits for the loudspeaker
        PushCapture(p, 0);
        Assert.True(p.Step());
        Assert.Equal(3, p.PlaybackRing.Count);           // a captured frame always plays one frame
    }

    [Fact]
    public void Steady_state_allocates_nothing_per_frame()
    {
        var room = new RoomStateMachine(initialVolume: 70);
        var bridge = new CallAudioBridge(16000, 8);
        using var p = new MediaPipeline(Settings(6, "0,1,2,3,4", reference: 5), bridge, new PassthroughCaptureProcessor(), room);
        var capture = new float[480 * 6];
        var far = new float[160];
        var sink = new float[160];
        var speaker = new float[960];
        var rng = new Random(7);
        for (int i = 0; i < capture.Length; i++)
        {
            capture[i] = (float)(rng.NextDouble() - 0.5);
        }
        for (int i = 0; i < far.Length; i++)
        {
            far[i] = (float)(rng.NextDouble() - 0.5);
        }
        void Frame()
        {
            p.CaptureRing.TryWrite(capture);
            bridge.Downlink.TryWrite(far);
            p.Step();
            bridge.Uplink.TryRead(sink);
            p.PlaybackRing.TryRead(speaker);
        }
        for (int i = 0; i < 200; i++)
        {
            Frame();
        }
        room.Handle(new MuteSet(true));   // allocates on this thread; done before measuring
        p.Tones.Request(LocalTone.Muted);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 5000; i++)
        {
            Frame();
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
        Assert.Equal(5200, p.Ticks);
    }

    [Fact]
    public void A_channel_map_that_does_not_fit_names_the_device()
    {
        var e = Assert.Throws<AudioDeviceException>(() => new MediaPipeline(Settings(2, "0,1,2,3"), new CallAudioBridge()));
        Assert.Contains("'capture'", e.Message, StringComparison.Ordinal);
        Assert.Contains("channel 3", e.Message, StringComparison.Ordinal);
        Assert.Contains("0 to 1", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Rate_mismatches_between_bridge_processor_and_settings_are_refused()
    {
        var b = Assert.Throws<ArgumentException>(() => new MediaPipeline(Settings(), new CallAudioBridge(48000)));
        Assert.Contains("48000", b.Message, StringComparison.Ordinal);
        var pr = Assert.Throws<ArgumentException>(() => new MediaPipeline(Settings(), new CallAudioBridge(16000), new RecordingProcessor(48000)));
        Assert.Contains("capture processor runs at 48000 Hz", pr.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(16000, 16000)]
    [InlineData(48000, 48000)]
    public void Equal_device_and_processing_rates_pass_frames_straight_through(int deviceRate, int processingRate)
    {
        var bridge = new CallAudioBridge(processingRate, 64);
        using var p = new MediaPipeline(new AudioEngineSettings(deviceRate, processingRate, 2, 1, ChannelMap.Parse("1")), bridge);
        p.SetVolume(100);
        int n = deviceRate / 100;
        var capture = new float[n * 2];
        var far = new float[n];
        for (int i = 0; i < n; i++)
        {
            capture[(2 * i) + 1] = i / (float)n;
            far[i] = -i / (float)n;
        }
        p.CaptureRing.TryWrite(capture);
        bridge.Downlink.TryWrite(far);
        p.Step();
        var up = new float[n];
        var speaker = new float[n];
        Assert.True(bridge.Uplink.TryRead(up));
        Assert.True(p.PlaybackRing.TryRead(speaker));
        for (int i = 0; i < n; i++)
        {
            Assert.Equal(capture[(2 * i) + 1], up[i]);
            Assert.Equal(far[i], speaker[i]);
        }
    }
}
