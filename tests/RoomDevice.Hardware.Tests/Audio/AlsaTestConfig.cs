namespace RoomDevice.Hardware.Tests.Audio;

/// <summary>
/// PCMs the ALSA tests open. There is no sound card here: everything rides on ALSA's own null,
/// file and multi plugins, declared in in-memory configurations (snd_pcm_open_lconf), so this
/// test process never touches the global ALSA configuration.
/// </summary>
internal static class AlsaTestConfig
{
    /// <summary>A capture PCM "mics" that reads interleaved S16 from <paramref name="rawFile"/>.</summary>
    public static string FileCapture(string rawFile) =>
        $$"""pcm.mics { type file slave.pcm { type null } file "/dev/null" infile "{{rawFile}}" format "raw" }""";

    /// <summary>A playback PCM "speaker" that writes a WAV to <paramref name="wavFile"/>.</summary>
    public static string FilePlayback(string wavFile) =>
        $$"""pcm.speaker { type file slave.pcm { type null } file "{{wavFile}}" format "wav" }""";

    /// <summary>A two-channel PCM "two": multi fixes the channel count to its bindings.</summary>
    public const string TwoChannels =
        "pcm.two { type multi slaves.a { pcm { type null } channels 2 } bindings.0 { slave a channel 0 } bindings.1 { slave a channel 1 } }";

    /// <summary>A PCM "fixed48k" whose device runs at 48 kHz only (plug in front of a fixed-rate slave).</summary>
    public const string Fixed48k = "pcm.fixed48k { type plug slave { pcm { type null } rate 48000 } }";
}
