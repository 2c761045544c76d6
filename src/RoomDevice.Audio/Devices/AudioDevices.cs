using RoomDevice.Audio.Frames;
using RoomDevice.Audio.Pipeline;

namespace RoomDevice.Audio.Devices;

/// <summary>
/// A sound device endpoint on the device clock. Its thread only copies whole 10 ms interleaved
/// frames (<see cref="AudioFormat.FrameLength"/> floats) between the device and a
/// <see cref="FrameRing"/> and counts xruns; all processing happens on the media thread.
/// </summary>
public interface IAudioDevice : IDisposable
{
    /// <summary>Name of the device as configured (ALSA PCM name, or "simulated:…").</summary>
    string Name { get; }

    /// <summary>Rate and channels of the frames in the ring.</summary>
    AudioFormat Format { get; }

    /// <summary>True between <c>Start</c> and <c>Stop</c>.</summary>
    bool Running { get; }

    /// <summary>Device xruns recovered so far (capture overruns or playback underruns at the device).</summary>
    long Xruns { get; }

    /// <summary>Why the device runs degraded (e.g. no real-time priority), or null.</summary>
    string? Warning { get; }

    /// <summary>Stops the device thread; the device can be started again.</summary>
    void Stop();
}

/// <summary>Microphones: writes each captured 10 ms frame into the ring.</summary>
public interface ICaptureDevice : IAudioDevice
{
    /// <summary>Starts capturing into <paramref name="ring"/> (frames of <see cref="AudioFormat.FrameLength"/>).</summary>
    void Start(FrameRing ring);
}

/// <summary>Loudspeaker: plays each 10 ms frame read from the ring, silence when it is empty.</summary>
public interface IPlaybackDevice : IAudioDevice
{
    /// <summary>Starts playing from <paramref name="ring"/> (frames of <see cref="AudioFormat.FrameLength"/>).</summary>
    void Start(FrameRing ring);
}

/// <summary>A sound device could not be opened or configured; the message names the device and what is accepted.</summary>
public sealed class AudioDeviceException : Exception
{
    /// <summary>Creates the exception.</summary>
    public AudioDeviceException(string message) : base(message) { }

    /// <summary>Creates the exception.</summary>
    public AudioDeviceException() { }

    /// <summary>Creates the exception.</summary>
    public AudioDeviceException(string message, Exception inner) : base(message, inner) { }
}
