using RoomDevice.Audio.Pipeline;
using RoomDevice.Audio.Wav;
using RoomDevice.Hardware.Audio;
using Xunit;

namespace RoomDevice.Hardware.Tests.Audio;

public sealed class AlsaEngineTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("roomdevice-alsa-engine-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Loopback_sound_check_runs_the_whole_chain_from_a_four_mic_file_to_a_speaker_wav()
    {
        // Four microphones hear a 1 kHz tone at 0.25; channel 3 also carries a 3 kHz hum that the
        // channel map leaves out (it lists microphones 0, 1 and 2 only).
        const int channels = 4, seconds = 3;
        string raw = Path.Combine(_dir, "mics.raw");
        var bytes = new byte[48000 * seconds * channels * 2];
        for (int i = 0; i < 48000 * seconds; i++)
        {
            double tone = 0.25 * Math.Sin(2 * Math.PI * 1000 * i / 48000.0);
            for (int c = 0; c < channels; c++)
            {
                double v = c == 3 ? tone + (0.25 * Math.Sin(2 * Math.PI * 3000 * i / 48000.0)) : tone;
                BitConverter.TryWriteBytes(bytes.AsSpan(((i * channels) + c) * 2), (short)Math.Round(v * 32767));
            }
        }
        File.WriteAllBytes(raw, bytes);
        string wav = Path.Combine(_dir, "speaker.wav");

        var settings = new AudioEngineSettings(48000, 16000, channels, 2, ChannelMap.Parse("0,1,2"));
        var cap = new AlsaCaptureDevice(new AlsaPcmSettings { Name = "mics", Channels = channels, PaceInRealTime = true, ConfigText = AlsaTestConfig.FileCapture(raw) });
        var play = new AlsaPlaybackDevice(new AlsaPcmSettings { Name = "speaker", Channels = 2, PaceInRealTime = true, ConfigText = AlsaTestConfig.FilePlayback(wav) });
        var bridge = new CallAudioBridge(16000);
        var loop = new BridgeLoopback(bridge);
        using (var engine = new AudioEngine(settings, cap, play, bridge))
        {
            engine.Start();
            var sw = System.Diagnostics.Stopwatch.StartNew();
            while (engine.Pipeline.Ticks < 150 && sw.Elapsed < TimeSpan.FromSeconds(60))
            {
                loop.Pump();
                Thread.Sleep(2);
            }
            engine.Stop();
            Assert.Null(engine.Fault);
            Assert.Null(cap.Fault);
            Assert.Null(play.Fault);
            Assert.True(engine.Pipeline.Ticks >= 150, $"only {engine.Pipeline.Ticks} ticks");
            var figures = new Dictionary<string, double>();
            engine.Collect(figures);
            Assert.InRange(figures["mic_db"], -16, -14);   // 0.25 peak sine = -15.05 dBFS
            Assert.Equal(0, figures["capture_xruns"]);
        }
        cap.Dispose();
        play.Dispose();

        var file = WavFile.Read(wav);
        float[] left = file.Channel(0);
        Assert.True(left.Length > 100 * 480, $"{left.Length} samples played");
        // Frames where the loop had delivered the far end (a thread hiccup on a busy machine may
        // leave a frame of silence; that is an underrun, counted, not a fault of the chain).
        int good = 0;
        for (int f = 10; f + 1 < left.Length / 480; f++)
        {
            ReadOnlySpan<float> frame = left.AsSpan(f * 480, 480);
            var (amp1k, _) = Fit(frame, 1000);
            if (amp1k is > 0.23 and < 0.27)
            {
                good++;
                var (amp3k, _) = Fit(frame, 3000);
                Assert.True(amp3k < 0.005, $"the unlisted channel leaked into the microphones in frame {f}: {amp3k}");
            }
        }
        Assert.True(good >= 50, $"only {good} frames carried the microphone tone at its level");
    }

    private static (double, double) Fit(ReadOnlySpan<float> x, double f)
    {
        double c = 0, s = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double w = 2 * Math.PI * f * i / 48000;
            c += x[i] * Math.Cos(w);
            s += x[i] * Math.Sin(w);
        }
        return (2 * Math.Sqrt((c * c) + (s * s)) / x.Length, 0);
    }

    /// <summary>A voice front end that stalls once, as a descheduled media thread would.</summary>
    private sealed class StallingProcessor(int stallAtFrame, TimeSpan stall) : ICaptureProcessor
    {
        private int _frames;

        public int SampleRate => 16000;

        public int FrameSize => 160;

        public bool VoiceActive => false;

        public void AnalyzeRender(ReadOnlySpan<float> render) { }

        public void ProcessCapture(ReadOnlySpan<float> mic, Span<float> output)
        {
            if (++_frames == stallAtFrame)
            {
                Thread.Sleep(stall);
            }
            mic.CopyTo(output);
        }

        public void Dispose() { }
    }

    [Fact]
    public void A_stalled_media_thread_overruns_capture_and_underruns_playback_then_recovers()
    {
        var settings = new AudioEngineSettings(48000, 16000, 4, 2, ChannelMap.Parse("0,1,2,3"), RingFrames: 8);
        using var cap = new AlsaCaptureDevice(new AlsaPcmSettings { Name = "null", Channels = 4, PaceInRealTime = true });
        using var play = new AlsaPlaybackDevice(new AlsaPcmSettings { Name = "null", Channels = 2, PaceInRealTime = true });
        using var engine = new AudioEngine(settings, cap, play, new CallAudioBridge(16000), new StallingProcessor(20, TimeSpan.FromMilliseconds(400)));
        engine.Start();
        var sw = System.Diagnostics.Stopwatch.StartNew();
        while ((engine.Pipeline.CaptureRing.Overruns == 0 || engine.Pipeline.Ticks < 80) && sw.Elapsed < TimeSpan.FromSeconds(60))
        {
            Thread.Sleep(10);
        }
        long ticksAfterStall = engine.Pipeline.Ticks;
        while (engine.Pipeline.Ticks < ticksAfterStall + 20 && sw.Elapsed < TimeSpan.FromSeconds(60))
        {
            Thread.Sleep(10);
        }
        engine.Stop();
        Assert.Null(engine.Fault);
        // 400 ms of stall against an 80 ms ring: the capture thread drops what does not fit and
        // the loudspeaker thread plays silence for what never came; both are counted.
        Assert.True(engine.Pipeline.CaptureRing.Overruns >= 10, $"{engine.Pipeline.CaptureRing.Overruns} capture overruns");
        Assert.True(engine.Pipeline.PlaybackRing.Underruns >= 10, $"{engine.Pipeline.PlaybackRing.Underruns} playback underruns");
        Assert.True(engine.Pipeline.Ticks >= ticksAfterStall + 20, "the engine goes on after the stall");
        var figures = new Dictionary<string, double>();
        engine.Collect(figures);
        Assert.Equal(engine.Pipeline.CaptureRing.Overruns, figures["overruns"]);
    }
}
