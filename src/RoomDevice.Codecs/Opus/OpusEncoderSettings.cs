using System.Globalization;

namespace RoomDevice.Codecs.Opus;

/// <summary>What the Opus encoder is tuned for.</summary>
public enum CodecProfile
{
    /// <summary>Speech: SILK-only, wideband (16 kHz), 16–24 kbit/s, VoIP application.</summary>
    Voice,

    /// <summary>Meeting audio: fullband (48 kHz), hybrid or CELT as libopus chooses.</summary>
    Meeting,
}

/// <summary>Settings of an <see cref="OpusVoiceEncoder"/>; <see cref="ForProfile"/> gives the defaults of a profile.</summary>
public sealed record OpusEncoderSettings
{
    /// <summary>Input sample rates Opus accepts.</summary>
    public static IReadOnlyList<int> SupportedSampleRates { get; } = [8000, 12000, 16000, 24000, 48000];

    /// <summary>Frame durations this encoder produces, in milliseconds.</summary>
    public static IReadOnlyList<int> SupportedFrameMs { get; } = [10, 20, 40, 60];

    /// <summary>Lowest and highest bitrate of the voice profile, bit/s.</summary>
    public const int VoiceMinBitrate = 16000, VoiceMaxBitrate = 24000;

    /// <summary>Lowest and highest bitrate of the meeting profile, bit/s.</summary>
    public const int MeetingMinBitrate = 16000, MeetingMaxBitrate = 256000;

    /// <summary>The profile.</summary>
    public CodecProfile Profile { get; init; }

    /// <summary>Input sample rate, Hz (8000, 12000, 16000, 24000 or 48000).</summary>
    public int SampleRate { get; init; } = 16000;

    /// <summary>Target bitrate, bit/s.</summary>
    public int Bitrate { get; init; } = 20000;

    /// <summary>Frame duration, ms (10, 20, 40 or 60).</summary>
    public int FrameMs { get; init; } = 20;

    /// <summary>Whether SILK frames carry in-band FEC (a low-rate copy of the previous frame).</summary>
    public bool InbandFec { get; init; } = true;

    /// <summary>
    /// Packet loss the receiver reports, 0..100. libopus only adds FEC data when this is above zero;
    /// <see cref="OpusVoiceEncoder.SetExpectedLoss"/> updates it during a call.
    /// </summary>
    public int ExpectedLossPercent { get; init; }

    /// <summary>
    /// While the expected loss is above zero, the encoder runs at least at this bitrate (bit/s), so
    /// libopus can afford the in-band FEC it is asked for: at 20 kbit/s SILK wideband carries no FEC
    /// below about 10 % loss, at 24 kbit/s it does at any loss. Null (the default) keeps the bitrate
    /// as set. Calls use <see cref="VoiceMaxBitrate"/> for the voice profile.
    /// </summary>
    public int? FecBitrateFloor { get; init; }

    /// <summary>Discontinuous transmission: near-empty packets during silence.</summary>
    public bool Dtx { get; init; }

    /// <summary>Encoder complexity 0..10.</summary>
    public int Complexity { get; init; } = 10;

    /// <summary>Samples per frame at <see cref="SampleRate"/>.</summary>
    public int FrameSamples => SampleRate / 1000 * FrameMs;

    /// <summary>Defaults of <paramref name="profile"/>: voice 16 kHz at 20 kbit/s, meeting 48 kHz at 32 kbit/s; 20 ms frames, FEC on.</summary>
    public static OpusEncoderSettings ForProfile(CodecProfile profile, int? sampleRate = null) => profile switch
    {
        CodecProfile.Voice => new OpusEncoderSettings { Profile = profile, SampleRate = sampleRate ?? 16000, Bitrate = 20000 },
        CodecProfile.Meeting => new OpusEncoderSettings { Profile = profile, SampleRate = sampleRate ?? 48000, Bitrate = 32000 },
        _ => throw new ArgumentException(
            string.Create(CultureInfo.InvariantCulture, $"codec profile {(int)profile} is unknown; accepted: voice, meeting"), nameof(profile)),
    };

    /// <summary>Bitrates accepted for <paramref name="profile"/>, bit/s.</summary>
    public static (int Min, int Max) BitrateRange(CodecProfile profile) =>
        profile == CodecProfile.Voice ? (VoiceMinBitrate, VoiceMaxBitrate) : (MeetingMinBitrate, MeetingMaxBitrate);

    /// <summary>Throws <see cref="ArgumentException"/> naming the setting, its value and what is accepted.</summary>
    public void Validate()
    {
        if (!Enum.IsDefined(Profile))
        {
            throw new ArgumentException(Msg($"Profile {(int)Profile} is unknown; accepted: Voice, Meeting"), nameof(Profile));
        }
        if (!SupportedSampleRates.Contains(SampleRate))
        {
            throw new ArgumentException(Msg($"SampleRate {SampleRate} Hz is not an Opus rate; accepted: 8000, 12000, 16000, 24000, 48000"), nameof(SampleRate));
        }
        (int min, int max) = BitrateRange(Profile);
        if (Bitrate < min || Bitrate > max)
        {
            throw new ArgumentException(Msg($"Bitrate {Bitrate} bit/s is out of range for the {Profile.ToString().ToLowerInvariant()} profile; accepted: {min}..{max}"), nameof(Bitrate));
        }
        if (FecBitrateFloor is int floor && (floor < min || floor > max))
        {
            throw new ArgumentException(Msg($"FecBitrateFloor {floor} bit/s is out of range for the {Profile.ToString().ToLowerInvariant()} profile; accepted: {min}..{max}, or none"), nameof(FecBitrateFloor));
        }
        if (!SupportedFrameMs.Contains(FrameMs))
        {
            throw new ArgumentException(Msg($"FrameMs {FrameMs} ms is not supported; accepted: 10, 20, 40, 60"), nameof(FrameMs));
        }
        if (ExpectedLossPercent is < 0 or > 100)
        {
            throw new ArgumentException(Msg($"ExpectedLossPercent {ExpectedLossPercent} is out of range; accepted: 0..100"), nameof(ExpectedLossPercent));
        }
        if (Complexity is < 0 or > 10)
        {
            throw new ArgumentException(Msg($"Complexity {Complexity} is out of range; accepted: 0..10"), nameof(Complexity));
        }
    }

    private static string Msg(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
