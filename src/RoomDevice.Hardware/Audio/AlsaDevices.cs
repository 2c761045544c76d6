using System.Diagnostics;
using System.Runtime.InteropServices;
using RoomDevice.Audio.Devices;
using RoomDevice.Audio.Frames;
using RoomDevice.Audio.Pipeline;
using RoomDevice.Hardware.Interop.Alsa;

namespace RoomDevice.Hardware.Audio;

/// <summary>
/// Common life of an ALSA capture or playback device: the PCM is opened (and checked) when the
/// device is made, a dedicated thread moves 10 ms frames between the PCM and a
/// <see cref="FrameRing"/>, xruns are recovered with snd_pcm_recover and counted.
/// </summary>
public abstract class AlsaDevice : IAudioDevice
{
    private readonly AlsaPcm _pcm;
    private Thread? _thread;
    private volatile bool _stop;
    private long _xruns;
    private string? _warning;
    private Exception? _fault;

    /// <summary>Opens the PCM; throws <see cref="AudioDeviceException"/> naming the device when it cannot be set up as asked.</summary>
    private protected AlsaDevice(AlsaPcmSettings settings, PcmDirection direction)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var format = new AudioFormat(settings.SampleRate, settings.Channels);
        try
        {
            format.EnsureValid($"ALSA device '{settings.Name}'");
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new AudioDeviceException(e.Message, e);
        }
        _pcm = AlsaPcm.Open(settings, direction);
        Format = format;
        Name = settings.Name;
        Settings = settings;
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public AudioFormat Format { get; }

    /// <summary>What the device was opened with.</summary>
    public AlsaPcmSettings Settings { get; }

    /// <summary>The PCM (period and buffer the device agreed to, sample format).</summary>
    public AlsaPcm Pcm => _pcm;

    /// <inheritdoc />
    public bool Running => _thread is { IsAlive: true };

    /// <inheritdoc />
    public long Xruns => Interlocked.Read(ref _xruns);

    /// <summary>Frames moved between the PCM and the ring.</summary>
    public long Frames => Interlocked.Read(ref _frames);

    private long _frames;

    /// <inheritdoc />
    public string? Warning => Volatile.Read(ref _warning);

    /// <summary>The error that stopped the device thread, if any (e.g. the device was unplugged).</summary>
    public Exception? Fault => Volatile.Read(ref _fault);

    private protected FrameRing? Ring { get; private set; }

    private protected void StartThread(FrameRing ring, string threadName)
    {
        ArgumentNullException.ThrowIfNull(ring);
        if (ring.FrameSamples != Format.FrameLength)
        {
            throw new ArgumentException($"ring carries {ring.FrameSamples}-sample frames; device '{Name}' moves {Format.FrameLength} ({Format})", nameof(ring));
        }
        if (_thread is not null)
        {
            throw new InvalidOperationException($"device '{Name}' is already running");
        }
        Ring = ring;
        _stop = false;
        _fault = null;
        _thread = new Thread(Run) { Name = threadName, IsBackground = true, Priority = ThreadPriority.Highest };
        _thread.Start();
    }

    /// <inheritdoc />
    public void Stop()
    {
        _stop = true;
        _thread?.Join();
        _thread = null;
        _pcm.Stop();
    }

    private void Run()
    {
        if (Settings.RealtimePriority > 0 && !RealtimeScheduling.TryEnable(Settings.RealtimePriority, out string? why))
        {
            Volatile.Write(ref _warning, $"device '{Name}' runs without real-time priority: {why}");
        }
        int frameSamples = Format.FrameSamples;
        var raw = new byte[frameSamples * Format.Channels * _pcm.BytesPerSample];
        var frame = new float[Format.FrameLength];
        long start = Stopwatch.GetTimestamp();
        long tick = 0;
        try
        {
            while (!_stop)
            {
                if (!MoveFrame(raw, frame))
                {
                    continue;
                }
                Interlocked.Increment(ref _frames);
                tick++;
                if (Settings.PaceInRealTime)
                {
                    TimeSpan due = TimeSpan.FromMilliseconds(10 * tick) - Stopwatch.GetElapsedTime(start);
                    if (due > TimeSpan.Zero)
                    {
                        Thread.Sleep(due);
                    }
                }
            }
        }
#pragma warning disable CA1031 // kept for health; the device thread must not take the process down
        catch (Exception e)
#pragma warning restore CA1031
        {
            Volatile.Write(ref _fault, e);
        }
    }

    /// <summary>Moves one 10 ms frame; false when it was interrupted by a recovered error.</summary>
    private protected abstract bool MoveFrame(byte[] raw, float[] frame);

    /// <summary>Handles a negative ALSA return code: recovers xruns, throws on anything else.</summary>
    private protected void Recover(long error)
    {
        int err = (int)error;
        if (err == -LibAsound.Eagain)
        {
            return;
        }
        if (err is -LibAsound.Epipe or -LibAsound.Estrpipe)
        {
            Interlocked.Increment(ref _xruns);
        }
        if (err is -LibAsound.Epipe or -LibAsound.Estrpipe or -LibAsound.Eintr && _pcm.TryRecover(err))
        {
            return;
        }
        throw new AudioDeviceException($"ALSA device '{Name}': {(this is AlsaCaptureDevice ? "snd_pcm_readi" : "snd_pcm_writei")} failed: {AlsaPcm.ErrorText(err)} ({err})");
    }

    /// <summary>Stops the device and closes the PCM.</summary>
    public void Dispose()
    {
        Stop();
        _pcm.Dispose();
        GC.SuppressFinalize(this);
    }
}

/// <summary>ALSA microphones: reads 10 ms interleaved frames and writes them into the capture ring.</summary>
public sealed class AlsaCaptureDevice(AlsaPcmSettings settings) : AlsaDevice(settings, PcmDirection.Capture), ICaptureDevice
{
    /// <inheritdoc />
    public void Start(FrameRing ring)
    {
        StartThread(ring, "audio-capture");
    }

    private protected override bool MoveFrame(byte[] raw, float[] frame)
    {
        int need = Format.FrameSamples, got = 0, bytesPerFrame = Format.Channels * Pcm.BytesPerSample;
        while (got < need)
        {
            long n = Pcm.Read(raw.AsSpan(got * bytesPerFrame), need - got);
            if (n < 0)
            {
                Recover(n);
                return false;
            }
            got += (int)n;
        }
        SampleConversion.ToFloat(raw, Pcm.SampleFormat, frame);
        Ring!.TryWrite(frame);   // a full ring counts an overrun: the media thread fell behind
        return true;
    }
}

/// <summary>ALSA loudspeaker: reads 10 ms frames from the playback ring (silence when empty) and writes them.</summary>
public sealed class AlsaPlaybackDevice(AlsaPcmSettings settings) : AlsaDevice(settings, PcmDirection.Playback), IPlaybackDevice
{
    /// <inheritdoc />
    public void Start(FrameRing ring)
    {
        StartThread(ring, "audio-playback");
    }

    private protected override bool MoveFrame(byte[] raw, float[] frame)
    {
        if (!Ring!.TryRead(frame))
        {
            Array.Clear(frame);   // the ring counted the underrun
        }
        SampleConversion.FromFloat(frame, Pcm.SampleFormat, raw);
        int need = Format.FrameSamples, done = 0, bytesPerFrame = Format.Channels * Pcm.BytesPerSample;
        while (done < need)
        {
            long n = Pcm.Write(raw.AsSpan(done * bytesPerFrame), need - done);
            if (n < 0)
            {
                Recover(n);
                continue;   // after recovery the rest of the frame is written to the prepared stream
            }
            done += (int)n;
        }
        return true;
    }
}

/// <summary>Interleaved device samples to and from floats in [-1, 1]. Little-endian devices (x64, arm64).</summary>
public static class SampleConversion
{
    /// <summary>Decodes <paramref name="raw"/> into <paramref name="samples"/>.</summary>
    public static void ToFloat(ReadOnlySpan<byte> raw, PcmSampleFormat format, Span<float> samples)
    {
        switch (format)
        {
            case PcmSampleFormat.S16:
                ReadOnlySpan<short> s16 = MemoryMarshal.Cast<byte, short>(raw);
                for (int i = 0; i < samples.Length; i++)
                {
                    samples[i] = s16[i] * (1f / 32768f);
                }
                break;
            case PcmSampleFormat.S32:
                ReadOnlySpan<int> s32 = MemoryMarshal.Cast<byte, int>(raw);
                for (int i = 0; i < samples.Length; i++)
                {
                    samples[i] = s32[i] * (1f / 2147483648f);
                }
                break;
            default:
                MemoryMarshal.Cast<byte, float>(raw)[..samples.Length].CopyTo(samples);
                break;
        }
    }

    /// <summary>Encodes <paramref name="samples"/> into <paramref name="raw"/>, clipping to full scale.</summary>
    public static void FromFloat(ReadOnlySpan<float> samples, PcmSampleFormat format, Span<byte> raw)
    {
        switch (format)
        {
            case PcmSampleFormat.S16:
                Span<short> s16 = MemoryMarshal.Cast<byte, short>(raw);
                for (int i = 0; i < samples.Length; i++)
                {
                    s16[i] = (short)Math.Clamp(MathF.Round(samples[i] * 32768f), short.MinValue, short.MaxValue);
                }
                break;
            case PcmSampleFormat.S32:
                Span<int> s32 = MemoryMarshal.Cast<byte, int>(raw);
                for (int i = 0; i < samples.Length; i++)
                {
                    s32[i] = (int)Math.Clamp(Math.Round(samples[i] * 2147483648.0), int.MinValue, int.MaxValue);
                }
                break;
            default:
                samples.CopyTo(MemoryMarshal.Cast<byte, float>(raw));
                break;
        }
    }
}

/// <summary>SCHED_FIFO for the calling device thread.</summary>
public static class RealtimeScheduling
{
    /// <summary>Tries SCHED_FIFO at <paramref name="priority"/>; false with the reason when the system refuses (e.g. no CAP_SYS_NICE / rtprio limit).</summary>
    public static bool TryEnable(int priority, out string? reason)
    {
        if (!OperatingSystem.IsLinux())
        {
            reason = "real-time scheduling is only set on Linux";
            return false;
        }
        var p = new LibC.SchedParam { Priority = Math.Clamp(priority, 1, 99) };
        if (LibC.sched_setscheduler(0, LibC.SchedFifo, in p) == 0)
        {
            reason = null;
            return true;
        }
        int errno = Marshal.GetLastPInvokeError();
        reason = errno == 1
            ? $"sched_setscheduler(SCHED_FIFO, {p.Priority}) not permitted (EPERM); grant CAP_SYS_NICE or LimitRTPRIO in the systemd unit"
            : $"sched_setscheduler(SCHED_FIFO, {p.Priority}) failed with errno {errno}";
        return false;
    }
}

/// <summary>One PCM the system offers.</summary>
/// <param name="Name">Name to open it by.</param>
/// <param name="Description">ALSA's description (may span lines).</param>
/// <param name="Capture">Usable for capture.</param>
/// <param name="Playback">Usable for playback.</param>
public sealed record AlsaPcmInfo(string Name, string Description, bool Capture, bool Playback);

/// <summary>Lists PCMs through snd_device_name_hint.</summary>
public static class AlsaDeviceList
{
    /// <summary>True when libasound.so.2 loads; <paramref name="detail"/> gives its version or what is missing.</summary>
    public static bool TryLoadLibrary(out string detail) => AlsaResolver.TryLoad(out detail);

    /// <summary>Every PCM hint on every card and in the configuration. Throws <see cref="AudioDeviceException"/> when libasound is missing.</summary>
    public static IReadOnlyList<AlsaPcmInfo> Pcms()
    {
        if (!AlsaResolver.TryLoad(out string detail))
        {
            throw new AudioDeviceException(detail);
        }
        int err = LibAsound.snd_device_name_hint(-1, "pcm", out IntPtr hints);
        if (err < 0)
        {
            throw new AudioDeviceException($"snd_device_name_hint failed: {LibAsound.ErrorText(err)} ({err})");
        }
        var list = new List<AlsaPcmInfo>();
        try
        {
            for (int i = 0; ; i++)
            {
                IntPtr hint = Marshal.ReadIntPtr(hints, i * IntPtr.Size);
                if (hint == IntPtr.Zero)
                {
                    break;
                }
                string? name = TakeString(LibAsound.snd_device_name_get_hint(hint, "NAME"));
                string desc = TakeString(LibAsound.snd_device_name_get_hint(hint, "DESC")) ?? "";
                string? ioid = TakeString(LibAsound.snd_device_name_get_hint(hint, "IOID"));
                if (name is not null)
                {
                    list.Add(new AlsaPcmInfo(name, desc, ioid is null or "Input", ioid is null or "Output"));
                }
            }
        }
        finally
        {
            LibAsound.snd_device_name_free_hint(hints);
        }
        return list;
    }

    private static string? TakeString(IntPtr p)
    {
        if (p == IntPtr.Zero)
        {
            return null;
        }
        string? s = Marshal.PtrToStringUTF8(p);
        LibC.free(p);
        return s;
    }
}
