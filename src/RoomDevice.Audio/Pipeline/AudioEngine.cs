using RoomDevice.Audio.Devices;
using RoomDevice.Core.Room;

namespace RoomDevice.Audio.Pipeline;

/// <summary>
/// The running audio path: a capture device, a playback device and a <see cref="MediaPipeline"/>
/// on its own media thread. The media thread paces itself on the capture ring (one tick per
/// captured 10 ms frame); when capture stalls for 60 ms it ticks on silence so the
/// loudspeaker keeps playing the far end.
/// </summary>
public sealed class AudioEngine : IDisposable
{
    private readonly ICaptureDevice _capture;
    private readonly IPlaybackDevice _playback;
    private readonly CallAudioBridge _bridge;
    private Thread? _media;
    private volatile bool _stop;
    private Exception? _fault;

    /// <summary>
    /// Checks that the devices match <paramref name="settings"/> (rates, channels, channel map) and
    /// builds the pipeline. Throws <see cref="AudioDeviceException"/> naming the device on a mismatch.
    /// </summary>
    public AudioEngine(AudioEngineSettings settings, ICaptureDevice capture, IPlaybackDevice playback,
        CallAudioBridge bridge, ICaptureProcessor? processor = null, RoomStateMachine? room = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(capture);
        ArgumentNullException.ThrowIfNull(playback);
        if (capture.Format != settings.CaptureFormat)
        {
            throw new AudioDeviceException($"capture device '{capture.Name}' delivers {capture.Format}; the engine is configured for {settings.CaptureFormat}");
        }
        if (playback.Format != settings.PlaybackFormat)
        {
            throw new AudioDeviceException($"playback device '{playback.Name}' takes {playback.Format}; the engine is configured for {settings.PlaybackFormat}");
        }
        settings.Map.EnsureFits(capture.Name, capture.Format.Channels);
        _capture = capture;
        _playback = playback;
        _bridge = bridge;
        Pipeline = new MediaPipeline(settings, bridge, processor, room);
    }

    /// <summary>The pipeline the media thread runs.</summary>
    public MediaPipeline Pipeline { get; }

    /// <summary>The microphones.</summary>
    public ICaptureDevice Capture => _capture;

    /// <summary>The loudspeaker.</summary>
    public IPlaybackDevice Playback => _playback;

    /// <summary>True while the media thread runs.</summary>
    public bool Running => _media is { IsAlive: true };

    /// <summary>The exception that stopped the media thread, if one did.</summary>
    public Exception? Fault => Volatile.Read(ref _fault);

    /// <summary>Ticks where capture delivered nothing for 60 ms and silence was processed.</summary>
    public long CaptureStalls { get; private set; }

    /// <summary>Starts playback, capture and the media thread.</summary>
    public void Start()
    {
        if (_media is not null)
        {
            throw new InvalidOperationException("audio engine already started");
        }
        _stop = false;
        Pipeline.PrimePlayback(Pipeline.Settings.PlaybackPrimeFrames);
        _playback.Start(Pipeline.PlaybackRing);
        try
        {
            _capture.Start(Pipeline.CaptureRing);
        }
        catch
        {
            _playback.Stop();
            throw;
        }
        _media = new Thread(MediaLoop) { Name = "audio-media", IsBackground = true, Priority = ThreadPriority.Highest };
        _media.Start();
    }

    /// <summary>Stops the media thread and both devices.</summary>
    public void Stop()
    {
        _stop = true;
        _media?.Join();
        _media = null;
        _capture.Stop();
        _playback.Stop();
    }

    /// <summary>Adds the engine's figures (levels in dBFS, counters) to <paramref name="into"/>.</summary>
    public void Collect(IDictionary<string, double> into)
    {
        ArgumentNullException.ThrowIfNull(into);
        MediaPipeline p = Pipeline;
        into["mic_db"] = p.MicLevel.RmsDb;
        into["mic_peak_db"] = p.MicLevel.PeakDb;
        into["uplink_db"] = p.UplinkLevel.RmsDb;
        into["speaker_db"] = p.SpeakerLevel.RmsDb;
        into["capture_xruns"] = _capture.Xruns;
        into["playback_xruns"] = _playback.Xruns;
        into["overruns"] = p.CaptureRing.Overruns;
        into["underruns"] = p.PlaybackRing.Underruns;
        into["downlink_underruns"] = _bridge.Downlink.Underruns;
        into["uplink_dropped"] = p.UplinkDropped;
        into["capture_missing"] = p.CaptureMissing;
        into["frames"] = p.Ticks;
        into["muted"] = p.Muted ? 1 : 0;
        into["running"] = Running ? 1 : 0;
    }

    private void MediaLoop()
    {
        try
        {
            while (!_stop)
            {
                if (Pipeline.CaptureRing.WaitForData(60))
                {
                    Pipeline.Step();
                }
                else if (!_stop)
                {
                    CaptureStalls++;
                    Pipeline.Step();
                }
            }
        }
#pragma warning disable CA1031 // the fault is kept for health reporting; the engine must not take the process down
        catch (Exception e)
#pragma warning restore CA1031
        {
            Volatile.Write(ref _fault, e);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Stop();
        Pipeline.Dispose();
    }
}
