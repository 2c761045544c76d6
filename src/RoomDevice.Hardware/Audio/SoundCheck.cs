using System.Globalization;
using RoomDevice.Audio.Devices;
using RoomDevice.Audio.Pipeline;

namespace RoomDevice.Hardware.Audio;

/// <summary>What a sound check runs on.</summary>
public sealed record SoundCheckSettings
{
    /// <summary>Capture PCM (e.g. the microphone array).</summary>
    public required AlsaPcmSettings Capture { get; init; }

    /// <summary>Playback PCM (the loudspeaker).</summary>
    public required AlsaPcmSettings Playback { get; init; }

    /// <summary>Which capture channels are microphones and the reference.</summary>
    public required ChannelMap Map { get; init; }

    /// <summary>Rate of the processing chain.</summary>
    public int ProcessingRate { get; init; } = 16000;

    /// <summary>How long to run.</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Gain of the microphone-to-loudspeaker loop (below 1 keeps a live room from howling).</summary>
    public float LoopGain { get; init; } = 0.5f;
}

/// <summary>Result of a sound check.</summary>
/// <param name="Ticks">10 ms frames processed.</param>
/// <param name="CaptureXruns">Capture xruns recovered.</param>
/// <param name="PlaybackXruns">Playback xruns recovered.</param>
/// <param name="CaptureOverruns">Capture frames the media thread was too slow for.</param>
/// <param name="PlaybackUnderruns">Loudspeaker frames that had to be silence.</param>
/// <param name="MicPeakDb">Loudest microphone frame, dBFS.</param>
public sealed record SoundCheckResult(long Ticks, long CaptureXruns, long PlaybackXruns, long CaptureOverruns, long PlaybackUnderruns, double MicPeakDb);

/// <summary>
/// <c>roomdevice audio loopback</c>: the whole engine on real ALSA devices, with the call replaced by
/// a loop that sends the processed microphones straight back to the loudspeaker. Prints levels and
/// counters once a second.
/// </summary>
public static class SoundCheck
{
    /// <summary>Runs the check; throws <see cref="AudioDeviceException"/> naming the device when one cannot be opened as asked.</summary>
    public static SoundCheckResult Run(SoundCheckSettings settings, TextWriter output, CancellationToken cancel)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(output);
        settings.Map.EnsureFits(settings.Capture.Name, settings.Capture.Channels);
        using var capture = new AlsaCaptureDevice(settings.Capture);
        using var playback = new AlsaPlaybackDevice(settings.Playback);
        var engineSettings = new AudioEngineSettings(settings.Capture.SampleRate, settings.ProcessingRate,
            settings.Capture.Channels, settings.Playback.Channels, settings.Map);
        var bridge = new CallAudioBridge(settings.ProcessingRate);
        var loop = new BridgeLoopback(bridge, settings.LoopGain);
        using var engine = new AudioEngine(engineSettings, capture, playback, bridge);
        engine.Pipeline.SetVolume(100);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"capture '{capture.Name}' {capture.Format} (period {capture.Pcm.PeriodFrames}, buffer {capture.Pcm.BufferFrames}, {capture.Pcm.SampleFormat}), " +
            $"playback '{playback.Name}' {playback.Format} (period {playback.Pcm.PeriodFrames}, buffer {playback.Pcm.BufferFrames}), {settings.Map}"));
        engine.Start();
        var figures = new Dictionary<string, double>();
        double peak = -120;
        var started = System.Diagnostics.Stopwatch.StartNew();
        TimeSpan nextReport = TimeSpan.FromSeconds(1);
        try
        {
            while (started.Elapsed < settings.Duration && !cancel.IsCancellationRequested && engine.Fault is null)
            {
                loop.Pump();
                peak = Math.Max(peak, engine.Pipeline.MicLevel.PeakDb);
                if (started.Elapsed >= nextReport)
                {
                    nextReport += TimeSpan.FromSeconds(1);
                    engine.Collect(figures);
                    output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{started.Elapsed.TotalSeconds,5:F1} s  mic {figures["mic_db"],6:F1} dBFS (peak {figures["mic_peak_db"],6:F1})  speaker {figures["speaker_db"],6:F1} dBFS  " +
                        $"xruns {figures["capture_xruns"]}/{figures["playback_xruns"]}  overruns {figures["overruns"]}  underruns {figures["underruns"]}"));
                }
                Thread.Sleep(2);
            }
        }
        finally
        {
            engine.Stop();
        }
        Exception? fault = engine.Fault ?? capture.Fault ?? playback.Fault;
        if (fault is not null)
        {
            throw new AudioDeviceException($"sound check stopped: {fault.Message}", fault);
        }
        var result = new SoundCheckResult(engine.Pipeline.Ticks, capture.Xruns, playback.Xruns,
            engine.Pipeline.CaptureRing.Overruns, engine.Pipeline.PlaybackRing.Underruns, peak);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"done: {result.Ticks} frames, capture xruns {result.CaptureXruns}, playback xruns {result.PlaybackXruns}, capture overruns {result.CaptureOverruns}, playback underruns {result.PlaybackUnderruns}, mic peak {result.MicPeakDb:F1} dBFS"));
        return result;
    }

    /// <summary>The PCM list as a table for <c>roomdevice audio devices</c>.</summary>
    public static string FormatDeviceList(IReadOnlyList<AlsaPcmInfo> pcms)
    {
        ArgumentNullException.ThrowIfNull(pcms);
        var sb = new System.Text.StringBuilder();
        int width = Math.Max(4, pcms.Count == 0 ? 4 : pcms.Max(p => p.Name.Length));
        sb.Append("NAME".PadRight(width)).Append("  DIRECTION         DESCRIPTION").AppendLine();
        foreach (AlsaPcmInfo p in pcms)
        {
            string dir = p.Capture && p.Playback ? "capture+playback" : p.Capture ? "capture" : "playback";
            string desc = p.Description.Replace('\n', ' ').Trim();
            sb.Append(p.Name.PadRight(width)).Append("  ").Append(dir.PadRight(18)).Append(desc).AppendLine();
        }
        if (pcms.Count == 0)
        {
            sb.AppendLine("(no PCMs: libasound found no sound card and no configured PCM)");
        }
        return sb.ToString();
    }
}
