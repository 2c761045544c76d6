using System.Text;
using RoomDevice.Audio.Devices;
using RoomDevice.Hardware.Interop.Alsa;

namespace RoomDevice.Hardware.Audio;

/// <summary>Which way a PCM moves sound.</summary>
public enum PcmDirection
{
    /// <summary>Microphones to the program.</summary>
    Capture,
    /// <summary>The program to the loudspeaker.</summary>
    Playback,
}

/// <summary>Sample encoding negotiated with the device.</summary>
public enum PcmSampleFormat
{
    /// <summary>Signed 16-bit little endian.</summary>
    S16,
    /// <summary>Signed 32-bit little endian.</summary>
    S32,
    /// <summary>32-bit float little endian.</summary>
    Float32,
}

/// <summary>How to open and set up one ALSA PCM.</summary>
public sealed record AlsaPcmSettings
{
    /// <summary>PCM name: "hw:CARD=x,DEV=0", "plughw:1", "default", "null" or one defined in <see cref="ConfigText"/>.</summary>
    public required string Name { get; init; }

    /// <summary>Rate, Hz.</summary>
    public int SampleRate { get; init; } = 48000;

    /// <summary>Interleaved channels.</summary>
    public int Channels { get; init; } = 2;

    /// <summary>Period size wanted, frames (the device may pick the nearest it supports).</summary>
    public int PeriodFrames { get; init; } = 480;

    /// <summary>Buffer size wanted, frames.</summary>
    public int BufferFrames { get; init; } = 1920;

    /// <summary>SCHED_FIFO priority for the device thread (1..99) or 0 for none.</summary>
    public int RealtimePriority { get; init; }

    /// <summary>
    /// Let ALSA's plug layer convert the rate. Off by default: the engine resamples itself with a
    /// better filter, and a device that cannot run at the rate natively gets a clear error.
    /// </summary>
    public bool AllowAlsaResampling { get; init; }

    /// <summary>
    /// Pace the device thread to the wall clock. Hardware paces itself; ALSA's null and file
    /// plugins do not, so they need this to behave like a sound card.
    /// </summary>
    public bool PaceInRealTime { get; init; }

    /// <summary>
    /// An ALSA configuration in text that replaces the global one for this PCM (opened with
    /// snd_pcm_open_lconf), e.g. <c>pcm.mics { type file slave.pcm { type null } infile "x.raw" format raw }</c>.
    /// Null to use the system configuration.
    /// </summary>
    public string? ConfigText { get; init; }
}

/// <summary>
/// Thin proxy over one ALSA PCM: each libasound call's error code becomes an
/// <see cref="AudioDeviceException"/> that names the device and the call; read and write return
/// ALSA's codes so the device threads can recover xruns without exceptions.
/// </summary>
public sealed class AlsaPcm : IDisposable
{
    private readonly SafePcmHandle _pcm;
    private readonly string _what;

    private AlsaPcm(SafePcmHandle pcm, AlsaPcmSettings settings, PcmDirection direction)
    {
        _pcm = pcm;
        Settings = settings;
        Direction = direction;
        _what = $"ALSA {(direction == PcmDirection.Capture ? "capture" : "playback")} device '{settings.Name}'";
    }

    /// <summary>What was asked for.</summary>
    public AlsaPcmSettings Settings { get; }

    /// <summary>Capture or playback.</summary>
    public PcmDirection Direction { get; }

    /// <summary>Sample encoding agreed with the device.</summary>
    public PcmSampleFormat SampleFormat { get; private set; }

    /// <summary>Bytes per sample of <see cref="SampleFormat"/>.</summary>
    public int BytesPerSample => SampleFormat == PcmSampleFormat.S16 ? 2 : 4;

    /// <summary>Period the device agreed to, frames.</summary>
    public int PeriodFrames { get; private set; }

    /// <summary>Buffer the device agreed to, frames.</summary>
    public int BufferFrames { get; private set; }

    /// <summary>
    /// Opens and configures the PCM (interleaved access; S16, else S32, else float; the exact rate
    /// and channel count asked for). Throws <see cref="AudioDeviceException"/> naming the device and
    /// what it accepts when it cannot.
    /// </summary>
    public static AlsaPcm Open(AlsaPcmSettings settings, PcmDirection direction)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentException.ThrowIfNullOrWhiteSpace(settings.Name);
        string what = $"ALSA {(direction == PcmDirection.Capture ? "capture" : "playback")} device '{settings.Name}'";
        if (!AlsaResolver.TryLoad(out string detail))
        {
            throw new AudioDeviceException($"{what}: {detail}");
        }
        int stream = direction == PcmDirection.Capture ? LibAsound.StreamCapture : LibAsound.StreamPlayback;
        IntPtr raw;
        int err;
        SafeAlsaConfigHandle? config = null;
        if (settings.ConfigText is null)
        {
            err = LibAsound.snd_pcm_open(out raw, settings.Name, stream, 0);
        }
        else
        {
            config = LoadConfig(settings.ConfigText, what);
            err = LibAsound.snd_pcm_open_lconf(out raw, settings.Name, stream, 0, config);
        }
        if (err < 0)
        {
            config?.Dispose();
            string hint = err == -LibAsound.Enoent
                ? "no such PCM; accepted: a name listed by 'roomdevice audio devices'"
                : "the device may be busy or missing";
            throw new AudioDeviceException($"{what}: cannot open: {LibAsound.ErrorText(err)} ({err}); {hint}");
        }
        var pcm = new AlsaPcm(new SafePcmHandle(raw, config), settings, direction);
        try
        {
            pcm.Configure();
        }
        catch
        {
            pcm.Dispose();
            throw;
        }
        return pcm;
    }

    private static SafeAlsaConfigHandle LoadConfig(string text, string what)
    {
        Check(LibAsound.snd_config_top(out IntPtr top), what, "snd_config_top");
        var config = new SafeAlsaConfigHandle(top);
        byte[] bytes = Encoding.UTF8.GetBytes(text);
        int err = LibAsound.snd_input_buffer_open(out IntPtr input, bytes, bytes.Length);
        if (err < 0)
        {
            config.Dispose();
            throw new AudioDeviceException($"{what}: snd_input_buffer_open failed: {LibAsound.ErrorText(err)}");
        }
        err = LibAsound.snd_config_load(config, input);
        LibAsound.snd_input_close(input);
        if (err < 0)
        {
            config.Dispose();
            throw new AudioDeviceException($"{what}: the ALSA configuration text does not parse: {LibAsound.ErrorText(err)} ({err})");
        }
        return config;
    }

    private void Configure()
    {
        AlsaPcmSettings s = Settings;
        Check(LibAsound.snd_pcm_hw_params_malloc(out IntPtr hwRaw), _what, "snd_pcm_hw_params_malloc");
        using var hw = new SafeHwParamsHandle(hwRaw);
        Check(LibAsound.snd_pcm_hw_params_any(_pcm, hw), _what, "snd_pcm_hw_params_any");
        Check(LibAsound.snd_pcm_hw_params_set_access(_pcm, hw, LibAsound.AccessRwInterleaved), _what, "snd_pcm_hw_params_set_access (interleaved)");

        if (LibAsound.snd_pcm_hw_params_test_channels(_pcm, hw, (uint)s.Channels) < 0)
        {
            LibAsound.snd_pcm_hw_params_get_channels_min(hw, out uint min);
            LibAsound.snd_pcm_hw_params_get_channels_max(hw, out uint max);
            throw new AudioDeviceException($"{_what} does not support {s.Channels} channel(s); accepted: {Range(min, max)} channels");
        }
        Check(LibAsound.snd_pcm_hw_params_set_channels(_pcm, hw, (uint)s.Channels), _what, "snd_pcm_hw_params_set_channels");

        Check(LibAsound.snd_pcm_hw_params_set_rate_resample(_pcm, hw, s.AllowAlsaResampling ? 1u : 0u), _what, "snd_pcm_hw_params_set_rate_resample");
        if (LibAsound.snd_pcm_hw_params_test_rate(_pcm, hw, (uint)s.SampleRate, 0) < 0)
        {
            LibAsound.snd_pcm_hw_params_get_rate_min(hw, out uint min, out int minDir);
            LibAsound.snd_pcm_hw_params_get_rate_max(hw, out uint max, out int maxDir);
            // An open interval end (dir != 0) means the bound itself is excluded.
            min = minDir > 0 ? min + 1 : min;
            max = maxDir < 0 ? max - 1 : max;
            throw new AudioDeviceException($"{_what} does not support {s.SampleRate} Hz; accepted: {Range(min, max)} Hz");
        }
        Check(LibAsound.snd_pcm_hw_params_set_rate(_pcm, hw, (uint)s.SampleRate, 0), _what, "snd_pcm_hw_params_set_rate");

        (int code, PcmSampleFormat fmt)[] formats =
            [(LibAsound.FormatS16Le, PcmSampleFormat.S16), (LibAsound.FormatS32Le, PcmSampleFormat.S32), (LibAsound.FormatFloatLe, PcmSampleFormat.Float32)];
        bool formatSet = false;
        foreach (var (code, fmt) in formats)
        {
            if (LibAsound.snd_pcm_hw_params_test_format(_pcm, hw, code) == 0)
            {
                Check(LibAsound.snd_pcm_hw_params_set_format(_pcm, hw, code), _what, "snd_pcm_hw_params_set_format");
                SampleFormat = fmt;
                formatSet = true;
                break;
            }
        }
        if (!formatSet)
        {
            throw new AudioDeviceException($"{_what} offers none of the sample formats the engine reads; accepted: S16_LE, S32_LE or FLOAT_LE");
        }

        nuint period = (nuint)s.PeriodFrames;
        int dir = 0;
        Check(LibAsound.snd_pcm_hw_params_set_period_size_near(_pcm, hw, ref period, ref dir), _what, $"snd_pcm_hw_params_set_period_size_near ({s.PeriodFrames})");
        nuint buffer = (nuint)Math.Max(s.BufferFrames, 2 * (int)period);
        Check(LibAsound.snd_pcm_hw_params_set_buffer_size_near(_pcm, hw, ref buffer), _what, $"snd_pcm_hw_params_set_buffer_size_near ({s.BufferFrames})");
        Check(LibAsound.snd_pcm_hw_params(_pcm, hw), _what, "snd_pcm_hw_params");
        PeriodFrames = (int)period;
        BufferFrames = (int)buffer;

        Check(LibAsound.snd_pcm_sw_params_malloc(out IntPtr swRaw), _what, "snd_pcm_sw_params_malloc");
        using var sw = new SafeSwParamsHandle(swRaw);
        Check(LibAsound.snd_pcm_sw_params_current(_pcm, sw), _what, "snd_pcm_sw_params_current");
        // Playback starts once half the buffer is queued: a margin against the first underrun.
        nuint start = Direction == PcmDirection.Playback ? buffer / 2 : 1;
        Check(LibAsound.snd_pcm_sw_params_set_start_threshold(_pcm, sw, start), _what, "snd_pcm_sw_params_set_start_threshold");
        Check(LibAsound.snd_pcm_sw_params_set_avail_min(_pcm, sw, period), _what, "snd_pcm_sw_params_set_avail_min");
        Check(LibAsound.snd_pcm_sw_params(_pcm, sw), _what, "snd_pcm_sw_params");
        Check(LibAsound.snd_pcm_prepare(_pcm), _what, "snd_pcm_prepare");
    }

    private static string Range(uint min, uint max) => min == max ? min.ToString(System.Globalization.CultureInfo.InvariantCulture) : $"{min} to {max}";

    /// <summary>Reads up to <paramref name="frames"/> interleaved frames into <paramref name="buffer"/>; ALSA's frame count or negative error.</summary>
    public unsafe long Read(Span<byte> buffer, int frames)
    {
        EnsureSize(buffer.Length, frames);
        fixed (byte* p = buffer)
        {
            return LibAsound.snd_pcm_readi(_pcm, p, (nuint)frames);
        }
    }

    /// <summary>Writes up to <paramref name="frames"/> interleaved frames from <paramref name="buffer"/>; ALSA's frame count or negative error.</summary>
    public unsafe long Write(ReadOnlySpan<byte> buffer, int frames)
    {
        EnsureSize(buffer.Length, frames);
        fixed (byte* p = buffer)
        {
            return LibAsound.snd_pcm_writei(_pcm, p, (nuint)frames);
        }
    }

    private void EnsureSize(int bytes, int frames)
    {
        if (bytes < frames * Settings.Channels * BytesPerSample)
        {
            throw new ArgumentException($"{frames} frames need {frames * Settings.Channels * BytesPerSample} bytes; the buffer has {bytes}");
        }
    }

    /// <summary>
    /// Recovers from an xrun (-EPIPE), a suspend (-ESTRPIPE) or an interrupted call (-EINTR) with
    /// snd_pcm_recover; returns false when <paramref name="error"/> is something else or recovery failed.
    /// </summary>
    public bool TryRecover(int error) => LibAsound.snd_pcm_recover(_pcm, error, 1) >= 0;

    /// <summary>Starts the stream explicitly (capture).</summary>
    public void Start()
    {
        int err = LibAsound.snd_pcm_start(_pcm);
        if (err < 0 && err != -77)   // -EBADFD: already running
        {
            Check(err, _what, "snd_pcm_start");
        }
    }

    /// <summary>Stops the stream at once, dropping queued frames, and prepares it for a restart.</summary>
    public void Stop()
    {
        LibAsound.snd_pcm_drop(_pcm);
        LibAsound.snd_pcm_prepare(_pcm);
    }

    /// <summary>ALSA's text for an error code.</summary>
    public static string ErrorText(int error) => LibAsound.ErrorText(error);

    /// <summary>Closes the PCM.</summary>
    public void Dispose() => _pcm.Dispose();

    private static void Check(int err, string what, string call)
    {
        if (err < 0)
        {
            throw new AudioDeviceException($"{what}: {call} failed: {LibAsound.ErrorText(err)} ({err})");
        }
    }
}
