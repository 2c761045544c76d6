using RoomDevice.Audio.Devices;
using RoomDevice.Audio.Pipeline;
using RoomDevice.Audio.Wav;
using RoomDevice.Hardware.Audio;
using Xunit;
using Xunit.Abstractions;

namespace RoomDevice.Hardware.Tests.Audio;

public sealed class AlsaDeviceTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("roomdevice-alsa-test-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private static void WaitUntil(Func<bool> condition, string what)
    {
        var sw = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            if (sw.Elapsed > Patience)
            {
                throw new TimeoutException($"waited {Patience.TotalSeconds} s for {what}");
            }
            Thread.Sleep(5);
        }
    }

    /// <summary>Channel c of frame i holds (c + 1) * 1000 + i % 700, as S16.</summary>
    private string WriteRawCapture(int channels, int frames)
    {
        string path = Path.Combine(_dir, $"capture-{channels}ch.raw");
        var bytes = new byte[frames * channels * 2];
        for (int i = 0; i < frames; i++)
        {
            for (int c = 0; c < channels; c++)
            {
                short v = (short)(((c + 1) * 1000) + (i % 700));
                BitConverter.TryWriteBytes(bytes.AsSpan(((i * channels) + c) * 2), v);
            }
        }
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [Theory]
    [InlineData(4)]
    [InlineData(6)]
    [InlineData(8)]
    public void Multichannel_capture_from_a_raw_file_reaches_the_ring_sample_exact(int channels)
    {
        string raw = WriteRawCapture(channels, 48000);
        using var dev = new AlsaCaptureDevice(new AlsaPcmSettings
        {
            Name = "mics", Channels = channels, SampleRate = 48000, PaceInRealTime = true,
            ConfigText = AlsaTestConfig.FileCapture(raw),
        });
        Assert.Equal(PcmSampleFormat.S16, dev.Pcm.SampleFormat);
        var ring = new FrameRing(480 * channels, 64);
        dev.Start(ring);
        var frame = new float[480 * channels];
        for (int f = 0; f < 20; f++)
        {
            WaitUntil(() => ring.Count > 0, $"capture frame {f}");
            Assert.True(ring.TryRead(frame));
            for (int i = 0; i < 480; i++)
            {
                int n = (f * 480) + i;
                for (int c = 0; c < channels; c++)
                {
                    float expected = (((c + 1) * 1000) + (n % 700)) / 32768f;
                    Assert.Equal(expected, frame[(i * channels) + c]);
                }
            }
        }
        dev.Stop();
        Assert.Null(dev.Fault);
        Assert.Equal(0, ring.Overruns);
        Assert.Equal(0, dev.Xruns);
        output.WriteLine($"period {dev.Pcm.PeriodFrames}, buffer {dev.Pcm.BufferFrames} frames");
    }

    [Fact]
    public void Playback_through_the_file_plugin_writes_a_wav_with_what_was_played()
    {
        string wav = Path.Combine(_dir, "speaker.wav");
        var dev = new AlsaPlaybackDevice(new AlsaPcmSettings
        {
            Name = "speaker", Channels = 2, SampleRate = 48000, PaceInRealTime = true, PeriodFrames = 480, BufferFrames = 1920,
            ConfigText = AlsaTestConfig.FilePlayback(wav),
        });
        var ring = new FrameRing(960, 16);
        var frame = new float[960];
        int written = 0;
        for (; written < 8; written++)
        {
            FillTone(frame, written);
            ring.TryWrite(frame);
        }
        dev.Start(ring);
        while (written < 50)
        {
            if (ring.Count < 12)
            {
                FillTone(frame, written++);
                ring.TryWrite(frame);
            }
            else
            {
                Thread.Sleep(2);
            }
        }
        WaitUntil(() => ring.Count == 0, "playback to drain the ring");
        dev.Dispose();
        Assert.Null(dev.Fault);

        var file = WavFile.Read(wav);
        Assert.Equal(48000, file.SampleRate);
        Assert.Equal(2, file.Channels);
        Assert.True(file.Frames >= 50 * 480, $"{file.Frames} frames in the WAV");
        float[] left = file.Channel(0), right = file.Channel(1);
        for (int i = 0; i < 50 * 480; i++)
        {
            float expected = Tone(i);
            Assert.True(Math.Abs(left[i] - expected) < 1.5f / 32768, $"left sample {i}: {left[i]} vs {expected}");
            Assert.True(Math.Abs(right[i] + expected) < 1.5f / 32768, $"right sample {i}");
        }
    }

    private static float Tone(int i) => (float)(0.5 * Math.Sin(2 * Math.PI * 1000 * i / 48000.0));

    private static void FillTone(float[] frame, int index)
    {
        for (int i = 0; i < 480; i++)
        {
            float v = Tone((index * 480) + i);
            frame[2 * i] = v;
            frame[(2 * i) + 1] = -v;
        }
    }

    [Fact]
    public void Null_pcm_captures_and_plays_with_the_requested_shape_and_can_restart()
    {
        using var cap = new AlsaCaptureDevice(new AlsaPcmSettings { Name = "null", Channels = 6, SampleRate = 48000, PaceInRealTime = true, PeriodFrames = 240, BufferFrames = 960 });
        using var play = new AlsaPlaybackDevice(new AlsaPcmSettings { Name = "null", Channels = 1, SampleRate = 16000, PaceInRealTime = true });
        Assert.Equal(240, cap.Pcm.PeriodFrames);
        Assert.Equal(960, cap.Pcm.BufferFrames);
        var capRing = new FrameRing(480 * 6, 8);
        var playRing = new FrameRing(160, 8);
        for (int round = 0; round < 2; round++)
        {
            long before = cap.Frames;
            cap.Start(capRing);
            play.Start(playRing);
            Assert.True(cap.Running);
            WaitUntil(() => cap.Frames >= before + 5 && play.Frames >= 5, "null devices to move frames");
            cap.Stop();
            play.Stop();
            Assert.False(cap.Running);
        }
        Assert.Null(cap.Fault);
        Assert.Null(play.Fault);
    }

    [Fact]
    public void Realtime_priority_is_granted_or_the_device_says_why_not()
    {
        using var cap = new AlsaCaptureDevice(new AlsaPcmSettings { Name = "null", Channels = 2, PaceInRealTime = true, RealtimePriority = 10 });
        var ring = new FrameRing(960, 8);
        cap.Start(ring);
        WaitUntil(() => cap.Frames > 2, "capture to run");
        cap.Stop();
        bool granted = false;
        string? reason = null;
        var probe = new Thread(() => granted = RealtimeScheduling.TryEnable(10, out reason));
        probe.Start();
        probe.Join();
        if (granted)
        {
            Assert.Null(cap.Warning);
        }
        else
        {
            Assert.NotNull(reason);
            Assert.Contains("without real-time priority", cap.Warning, StringComparison.Ordinal);
            Assert.Contains("SCHED_FIFO", cap.Warning, StringComparison.Ordinal);
        }
        output.WriteLine(cap.Warning ?? "SCHED_FIFO granted");
    }

    [Fact]
    public void Unknown_pcm_names_the_device_and_where_to_find_valid_names()
    {
        var e = Assert.Throws<AudioDeviceException>(() => new AlsaCaptureDevice(new AlsaPcmSettings { Name = "rd_no_such_pcm" }));
        Assert.Contains("capture device 'rd_no_such_pcm'", e.Message, StringComparison.Ordinal);
        Assert.Contains("roomdevice audio devices", e.Message, StringComparison.Ordinal);
        var p = Assert.Throws<AudioDeviceException>(() => new AlsaPlaybackDevice(new AlsaPcmSettings { Name = "default" }));
        Assert.Contains("playback device 'default'", p.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unsupported_channel_count_names_the_device_and_what_it_accepts()
    {
        var e = Assert.Throws<AudioDeviceException>(() => new AlsaCaptureDevice(new AlsaPcmSettings { Name = "two", Channels = 4, ConfigText = AlsaTestConfig.TwoChannels }));
        Assert.Contains("'two' does not support 4 channel(s)", e.Message, StringComparison.Ordinal);
        Assert.Contains("accepted: 2 channels", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unsupported_rate_names_the_device_and_what_it_accepts()
    {
        var e = Assert.Throws<AudioDeviceException>(() => new AlsaPlaybackDevice(new AlsaPcmSettings { Name = "fixed48k", SampleRate = 16000, ConfigText = AlsaTestConfig.Fixed48k }));
        Assert.Contains("ALSA playback device 'fixed48k' does not support 16000 Hz", e.Message, StringComparison.Ordinal);
        Assert.Contains("accepted: 48000 Hz", e.Message, StringComparison.Ordinal);
        // With ALSA's own rate conversion allowed the same device opens.
        using var converted = new AlsaPlaybackDevice(new AlsaPcmSettings { Name = "fixed48k", SampleRate = 16000, ConfigText = AlsaTestConfig.Fixed48k, AllowAlsaResampling = true });
        Assert.Equal(16000, converted.Format.SampleRate);
    }

    [Fact]
    public void A_channel_map_wider_than_the_capture_device_names_the_device()
    {
        using var cap = new AlsaCaptureDevice(new AlsaPcmSettings { Name = "null", Channels = 2 });
        using var play = new AlsaPlaybackDevice(new AlsaPcmSettings { Name = "null", Channels = 2 });
        var settings = new AudioEngineSettings(48000, 16000, 2, 2, ChannelMap.Parse("0,1,2,3"));
        var e = Assert.Throws<AudioDeviceException>(() => new AudioEngine(settings, cap, play, new CallAudioBridge()));
        Assert.Contains("capture device 'null' has 2 channel(s)", e.Message, StringComparison.Ordinal);
        Assert.Contains("channel 3", e.Message, StringComparison.Ordinal);
        var wrongShape = new AudioEngineSettings(48000, 16000, 4, 2, ChannelMap.Parse("0,1,2,3"));
        var s = Assert.Throws<AudioDeviceException>(() => new AudioEngine(wrongShape, cap, play, new CallAudioBridge()));
        Assert.Contains("capture device 'null' delivers 48000 Hz x 2 ch", s.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_configuration_text_that_does_not_parse_is_reported()
    {
        var e = Assert.Throws<AudioDeviceException>(() => new AlsaCaptureDevice(new AlsaPcmSettings { Name = "mics", ConfigText = "pcm.mics { type " }));
        Assert.Contains("'mics'", e.Message, StringComparison.Ordinal);
        Assert.Contains("does not parse", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Device_list_comes_from_alsa_name_hints()
    {
        IReadOnlyList<AlsaPcmInfo> pcms = AlsaDeviceList.Pcms();
        AlsaPcmInfo nul = Assert.Single(pcms, p => p.Name == "null");
        Assert.True(nul.Capture && nul.Playback);
        Assert.Contains("Discard", nul.Description, StringComparison.OrdinalIgnoreCase);
    }
}
