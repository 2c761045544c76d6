using RoomDevice.Hardware.Audio;

namespace RoomDevice.Hardware.Tests.Audio;

/// <summary>
/// PCMs the ALSA tests open. There is no sound card here: everything rides on ALSA's own null,
/// file, multi and share plugins. Share needs its slave by global name, so these are added to
/// the global configuration once per test process.
/// </summary>
internal static class AlsaTestConfig
{
    private static readonly Lazy<string> Dir = new(() =>
    {
        string dir = Directory.CreateTempSubdirectory("roomdevice-alsa-").FullName;
        string conf = Path.Combine(dir, "asound-test.conf");
        File.WriteAllText(conf, """
            pcm.rd_null { type null }
            # share over null never sees its slave advance: every buffer-full of playback is a real xrun
            pcm.rd_xrun { type share slave { pcm "rd_null" channels 2 rate 48000 } bindings [ 0 1 ] }
            # a two-channel device: multi fixes the channel count to its bindings
            pcm.rd_two { type multi slaves.a { pcm "rd_null" channels 2 } bindings.0 { slave a channel 0 } bindings.1 { slave a channel 1 } }
            """);
        AlsaConfiguration.AddConfigFile(conf);
        return dir;
    });

    /// <summary>Makes sure the global test PCMs exist; returns a scratch folder.</summary>
    public static string Ensure() => Dir.Value;

    /// <summary>An in-memory configuration for a capture PCM "mics" that reads interleaved S16 from <paramref name="rawFile"/>.</summary>
    public static string FileCapture(string rawFile) =>
        $$"""pcm.mics { type file slave.pcm { type null } file "/dev/null" infile "{{rawFile}}" format "raw" }""";

    /// <summary>An in-memory configuration for a playback PCM "speaker" that writes a WAV to <paramref name="wavFile"/>.</summary>
    public static string FilePlayback(string wavFile) =>
        $$"""pcm.speaker { type file slave.pcm { type null } file "{{wavFile}}" format "wav" }""";
}
