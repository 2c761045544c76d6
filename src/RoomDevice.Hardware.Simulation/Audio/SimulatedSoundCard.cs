using System.Diagnostics;
using RoomDevice.Audio.Devices;
using RoomDevice.Audio.Frames;
using RoomDevice.Audio.Pipeline;
using RoomDevice.Audio.Simulation;

namespace RoomDevice.Hardware.Simulation.Audio;

/// <summary>
/// The simulated twin of the sound card: one clock drives both a capture and a playback device.
/// Each 10 ms tick takes the frame the engine queued for the loudspeaker, plays it into the
/// <see cref="SimulatedRoom"/> and delivers what the microphones heard (placed on the channel
/// map's microphone channels, the loudspeaker signal on its reference channel if it has one).
/// In real-time mode a thread ticks on the wall clock (<c>run --simulate</c>); otherwise the owner
/// calls <see cref="Tick"/> as fast as it likes (tests).
/// </summary>
public sealed class SimulatedSoundCard : IDisposable
{
    private readonly SimulatedRoom _room;
    private readonly ChannelMap _map;
    private readonly float[] _playFrame, _speaker, _mics, _capFrame;
    private readonly int _rate;
    private readonly bool _realTime;
    private FrameRing? _captureRing, _playbackRing;
    private Thread? _clock;
    private volatile bool _stop;
    private long _lateTicks;
    private readonly Lock _gate = new();

    /// <summary>Creates the card: <paramref name="captureChannels"/> capture channels laid out by <paramref name="map"/>, stereo or mono playback.</summary>
    public SimulatedSoundCard(SimulatedRoom room, int captureChannels, int playbackChannels, ChannelMap map, bool realTime)
    {
        ArgumentNullException.ThrowIfNull(room);
        ArgumentNullException.ThrowIfNull(map);
        map.EnsureFits("simulated:mics", captureChannels);
        if (map.Microphones.Count != room.Microphones)
        {
            throw new AudioDeviceException(
                $"capture device 'simulated:mics': the channel map lists {map.Microphones.Count} microphone(s) but the simulated room has {room.Microphones}");
        }
        _room = room;
        _map = map;
        _rate = room.Settings.SampleRate;
        _realTime = realTime;
        Capture = new SimulatedCaptureDevice(this, new AudioFormat(_rate, captureChannels));
        Playback = new SimulatedPlaybackDevice(this, new AudioFormat(_rate, playbackChannels));
        int n = _rate / 100;
        _playFrame = new float[n * playbackChannels];
        _speaker = new float[n];
        _mics = new float[n * room.Microphones];
        _capFrame = new float[n * captureChannels];
    }

    /// <summary>The room.</summary>
    public SimulatedRoom Room => _room;

    /// <summary>The microphone twin.</summary>
    public SimulatedCaptureDevice Capture { get; }

    /// <summary>The loudspeaker twin.</summary>
    public SimulatedPlaybackDevice Playback { get; }

    /// <summary>Ticks run.</summary>
    public long Ticks { get; private set; }

    /// <summary>Real-time ticks that came more than one frame late (the simulated device's xruns).</summary>
    public long LateTicks => Interlocked.Read(ref _lateTicks);

    /// <summary>Runs one 10 ms tick of the card.</summary>
    public void Tick()
    {
        FrameRing? play = Volatile.Read(ref _playbackRing), cap = Volatile.Read(ref _captureRing);
        int n = _speaker.Length, pch = Playback.Format.Channels, cch = Capture.Format.Channels, mics = _room.Microphones;
        if (play is null || !play.TryRead(_playFrame))
        {
            Array.Clear(_playFrame);
        }
        for (int i = 0; i < n; i++)
        {
            float s = 0;
            for (int c = 0; c < pch; c++)
            {
                s += _playFrame[(i * pch) + c];
            }
            _speaker[i] = s / pch;
        }
        _room.Process(_speaker, _mics, mics);
        Array.Clear(_capFrame);
        for (int m = 0; m < mics; m++)
        {
            int ch = _map.Microphones[m];
            for (int i = 0; i < n; i++)
            {
                _capFrame[(i * cch) + ch] = _mics[(i * mics) + m];
            }
        }
        if (_map.HasReference)
        {
            for (int i = 0; i < n; i++)
            {
                _capFrame[(i * cch) + _map.ReferenceChannel] = _speaker[i];
            }
        }
        cap?.TryWrite(_capFrame);
        Ticks++;
    }

    internal void Attach(bool capture, FrameRing? ring)
    {
        lock (_gate)
        {
            AttachLocked(capture, ring);
        }
    }

    private void AttachLocked(bool capture, FrameRing? ring)
    {
        if (capture)
        {
            Volatile.Write(ref _captureRing, ring);
        }
        else
        {
            Volatile.Write(ref _playbackRing, ring);
        }
        bool any = Volatile.Read(ref _captureRing) is not null || Volatile.Read(ref _playbackRing) is not null;
        if (_realTime && any && _clock is null)
        {
            _stop = false;
            _clock = new Thread(ClockLoop) { Name = "simulated-sound-card", IsBackground = true, Priority = ThreadPriority.Highest };
            _clock.Start();
        }
        else if (!any && _clock is not null)
        {
            _stop = true;
            _clock.Join();
            _clock = null;
        }
    }

    private void ClockLoop()
    {
        long start = Stopwatch.GetTimestamp();
        long tick = 0;
        while (!_stop)
        {
            Tick();
            tick++;
            TimeSpan due = TimeSpan.FromMilliseconds(10 * tick) - Stopwatch.GetElapsedTime(start);
            if (due > TimeSpan.Zero)
            {
                Thread.Sleep(due);
            }
            else if (due < TimeSpan.FromMilliseconds(-10))
            {
                // Too far behind to catch up: count it and resynchronise, as a sound card would xrun.
                Interlocked.Increment(ref _lateTicks);
                start = Stopwatch.GetTimestamp();
                tick = 0;
            }
        }
    }

    /// <summary>Stops the clock.</summary>
    public void Dispose()
    {
        Capture.Stop();
        Playback.Stop();
    }
}

/// <summary>One end of the simulated sound card: attaches a ring to the card's clock.</summary>
public abstract class SimulatedCardEndpoint : IDisposable
{
    private readonly SimulatedSoundCard _card;
    private readonly bool _capture;

    private protected SimulatedCardEndpoint(SimulatedSoundCard card, AudioFormat format, bool capture, string name)
    {
        _card = card;
        _capture = capture;
        Format = format;
        Name = name;
    }

    /// <summary>Device name, as the ALSA devices print theirs.</summary>
    public string Name { get; }

    /// <summary>Rate, channels and frame length.</summary>
    public AudioFormat Format { get; }

    /// <summary>True between <see cref="Start"/> and <see cref="Stop"/>.</summary>
    public bool Running { get; private set; }

    /// <summary>Ticks the card's clock ran late (the simulated xruns).</summary>
    public long Xruns => _card.LateTicks;

    /// <summary>The simulated card has nothing to warn about.</summary>
    public string? Warning => null;

    /// <summary>Attaches <paramref name="ring"/> to the card's clock.</summary>
    public void Start(FrameRing ring)
    {
        ArgumentNullException.ThrowIfNull(ring);
        if (ring.FrameSamples != Format.FrameLength)
        {
            throw new ArgumentException($"ring carries {ring.FrameSamples}-sample frames; '{Name}' {(_capture ? "delivers" : "plays")} {Format.FrameLength} ({Format})", nameof(ring));
        }
        Running = true;
        _card.Attach(_capture, ring);
    }

    /// <summary>Detaches the ring.</summary>
    public void Stop()
    {
        if (Running)
        {
            Running = false;
            _card.Attach(_capture, null);
        }
    }

    /// <summary>Stops.</summary>
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Stops when <paramref name="disposing"/>.</summary>
    protected virtual void Dispose(bool disposing)
    {
        if (disposing)
        {
            Stop();
        }
    }
}

/// <summary>The simulated microphone array: frames come from the <see cref="SimulatedSoundCard"/>'s room.</summary>
public sealed class SimulatedCaptureDevice : SimulatedCardEndpoint, ICaptureDevice
{
    internal SimulatedCaptureDevice(SimulatedSoundCard card, AudioFormat format)
        : base(card, format, capture: true, "simulated:mics")
    {
    }
}

/// <summary>The simulated loudspeaker: frames go into the <see cref="SimulatedSoundCard"/>'s room.</summary>
public sealed class SimulatedPlaybackDevice : SimulatedCardEndpoint, IPlaybackDevice
{
    internal SimulatedPlaybackDevice(SimulatedSoundCard card, AudioFormat format)
        : base(card, format, capture: false, "simulated:speaker")
    {
    }
}
