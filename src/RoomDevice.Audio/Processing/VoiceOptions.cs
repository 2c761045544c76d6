using RoomDevice.Core.Options;

namespace RoomDevice.Audio.Processing;

/// <summary>Which echo canceller runs on the capture path.</summary>
public enum AecKind
{
    /// <summary>The project's own canceller.</summary>
    Managed,

    /// <summary>SpeexDSP's MDF canceller and preprocessor.</summary>
    Speex,

    /// <summary>No echo cancellation.</summary>
    Off,
}

/// <summary>Voice front end settings (section "Voice"): canceller, noise suppression, AGC.</summary>
[ConfigSection("Voice")]
public sealed class VoiceOptions : IDeviceOptions
{
    /// <summary>Echo canceller: Managed, Speex or Off.</summary>
    public AecKind Aec { get; set; } = AecKind.Managed;

    /// <summary>Noise suppression on the capture path.</summary>
    public bool NoiseSuppression { get; set; } = true;

    /// <summary>Automatic gain control with limiter on the capture path.</summary>
    public bool Agc { get; set; } = true;

    /// <summary>Echo tail of the managed canceller, ms.</summary>
    public int TailMs { get; set; } = 512;

    /// <summary>Echo tail of the SpeexDSP canceller, ms.</summary>
    public int SpeexTailMs { get; set; } = 256;

    /// <summary>Largest bulk delay searched between reference and microphone, ms.</summary>
    public int MaxDelayMs { get; set; } = 600;

    /// <inheritdoc />
    public void Validate(OptionsValidator v)
    {
        ArgumentNullException.ThrowIfNull(v);
        v.Check(Enum.IsDefined(Aec), nameof(Aec), Aec, "Managed, Speex or Off");
        v.Check(TailMs is >= 32 and <= 1000, nameof(TailMs), TailMs, "a whole number of milliseconds from 32 to 1000");
        v.Check(SpeexTailMs is >= 16 and <= 2000, nameof(SpeexTailMs), SpeexTailMs, "a whole number of milliseconds from 16 to 2000");
        v.Check(MaxDelayMs is >= 0 and <= 2000, nameof(MaxDelayMs), MaxDelayMs, "a whole number of milliseconds from 0 to 2000");
    }
}
