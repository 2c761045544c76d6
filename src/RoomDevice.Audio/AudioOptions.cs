using RoomDevice.Audio.Pipeline;
using RoomDevice.Core.Options;

namespace RoomDevice.Audio;

/// <summary>Sound devices, channel map and rates of the audio engine (config section "Audio").</summary>
[ConfigSection("Audio")]
public sealed class AudioOptions : IDeviceOptions
{
    /// <summary>ALSA PCM name of the microphone array, e.g. "hw:CARD=seeed4micvoicec,DEV=0" or "default".</summary>
    public string CaptureDevice { get; set; } = "default";

    /// <summary>ALSA PCM name of the loudspeaker.</summary>
    public string PlaybackDevice { get; set; } = "default";

    /// <summary>Rate both devices run at, Hz.</summary>
    public int DeviceSampleRate { get; set; } = 48000;

    /// <summary>Rate of the voice front end and the call, Hz (16000 for wideband voice).</summary>
    public int ProcessingSampleRate { get; set; } = 16000;

    /// <summary>Channels the capture device delivers (microphones plus any loopback channel).</summary>
    public int CaptureChannels { get; set; } = 2;

    /// <summary>Loudspeaker channels: 1 or 2.</summary>
    public int PlaybackChannels { get; set; } = 2;

    /// <summary>Capture channels that are microphones, comma-separated, e.g. "0,1,2,3".</summary>
    public string MicChannels { get; set; } = "0,1";

    /// <summary>Capture channel carrying the hardware playback loopback (echo reference), or -1 for none.</summary>
    public int ReferenceChannel { get; set; } = -1;

    /// <summary>"mono" (average of the microphones) or "first" (first listed microphone).</summary>
    public string MicMix { get; set; } = "mono";

    /// <summary>ALSA period size in frames (480 = 10 ms at 48 kHz).</summary>
    public int PeriodFrames { get; set; } = 480;

    /// <summary>ALSA buffer size in frames; at least two periods.</summary>
    public int BufferFrames { get; set; } = 1920;

    /// <summary>Let ALSA's plug layer convert rates the device cannot run natively (off: the engine resamples itself).</summary>
    public bool AlsaResampling { get; set; }

    /// <summary>SCHED_FIFO priority of the device threads (1..99), or 0 to keep normal scheduling.</summary>
    public int RealtimePriority { get; set; } = 60;

    /// <summary>10 ms frames each ring between the device threads and the media thread holds.</summary>
    public int RingFrames { get; set; } = 16;

    /// <summary>Frames of silence queued before playback starts (latency margin against underruns).</summary>
    public int PlaybackPrimeFrames { get; set; } = 2;

    /// <inheritdoc />
    public void Validate(OptionsValidator v)
    {
        ArgumentNullException.ThrowIfNull(v);
        v.Check(!string.IsNullOrWhiteSpace(CaptureDevice), nameof(CaptureDevice), CaptureDevice, "an ALSA PCM name such as hw:CARD=x,DEV=0 or default", "empty");
        v.Check(!string.IsNullOrWhiteSpace(PlaybackDevice), nameof(PlaybackDevice), PlaybackDevice, "an ALSA PCM name such as hw:CARD=x,DEV=0 or default", "empty");
        v.Check(DeviceSampleRate is 16000 or 48000, nameof(DeviceSampleRate), DeviceSampleRate, "16000 or 48000");
        v.Check(ProcessingSampleRate is 16000 or 48000, nameof(ProcessingSampleRate), ProcessingSampleRate, "16000 or 48000");
        v.Check(ProcessingSampleRate <= DeviceSampleRate, nameof(ProcessingSampleRate), ProcessingSampleRate,
            $"a rate no higher than DeviceSampleRate ({DeviceSampleRate})", "higher than the device rate");
        v.Check(CaptureChannels is >= 1 and <= 8, nameof(CaptureChannels), CaptureChannels, "1 to 8");
        v.Check(PlaybackChannels is 1 or 2, nameof(PlaybackChannels), PlaybackChannels, "1 (mono) or 2 (stereo)");
        v.Check(MicMix is "mono" or "first", nameof(MicMix), MicMix, "mono or first");
        v.Check(ReferenceChannel >= -1 && ReferenceChannel < CaptureChannels, nameof(ReferenceChannel), ReferenceChannel,
            $"-1 (none) or a capture channel 0 to {CaptureChannels - 1}");
        try
        {
            ChannelMap map = BuildChannelMap();
            v.Check(map.HighestChannel < CaptureChannels, nameof(MicChannels), MicChannels,
                $"channel indices 0 to {CaptureChannels - 1} (CaptureChannels is {CaptureChannels})", "uses a channel the capture device does not have");
        }
        catch (Exception e) when (e is FormatException or ArgumentException)
        {
            v.Report(nameof(MicChannels), MicChannels, e.Message, "comma-separated distinct channel indices such as 0,1,2,3, not including ReferenceChannel");
        }
        v.Range(nameof(PeriodFrames), PeriodFrames, 32, 8192);
        v.Check(BufferFrames >= 2 * PeriodFrames && BufferFrames <= 65536, nameof(BufferFrames), BufferFrames,
            $"at least two periods ({2 * PeriodFrames}) and at most 65536 frames");
        v.Range(nameof(RealtimePriority), RealtimePriority, 0, 99);
        v.Range(nameof(RingFrames), RingFrames, 4, 256);
        v.Check(PlaybackPrimeFrames >= 0 && PlaybackPrimeFrames < RingFrames, nameof(PlaybackPrimeFrames), PlaybackPrimeFrames,
            $"0 to {RingFrames - 1} (fewer than RingFrames)");
    }

    /// <summary>The channel map these options describe.</summary>
    public ChannelMap BuildChannelMap() =>
        ChannelMap.Parse(MicChannels, ReferenceChannel, MicMix == "first" ? Pipeline.MicMix.First : Pipeline.MicMix.Mono);

    /// <summary>The engine settings these options describe.</summary>
    public AudioEngineSettings ToSettings() =>
        new(DeviceSampleRate, ProcessingSampleRate, CaptureChannels, PlaybackChannels, BuildChannelMap(), RingFrames, PlaybackPrimeFrames);
}
