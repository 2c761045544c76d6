using RoomDevice.Host.Tests.Support;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using RoomDevice.Audio.Wav;
using RoomDevice.Host.Cli;
using Xunit;

namespace RoomDevice.Host.Tests.Audio;

public sealed class AudioVerbsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("roomdevice-audio-verbs-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static (int Exit, string Out, string Err) Invoke(params string[] args) => CliInvoker.Run(args);

    /// <summary>
    /// Runs roomdevice in a child process. Used for ALSA's share plugin, which keeps process-wide
    /// state that must not leak into the test host.
    /// </summary>
    private static (int Exit, string Out, string Err) RunChild(params string[] args)
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "roomdevice.dll");
        string dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } h ? h : "dotnet";
        var psi = new ProcessStartInfo(dotnet) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(dll);
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }
        using var p = Process.Start(psi)!;
        Task<string> err = p.StandardError.ReadToEndAsync();
        string stdout = p.StandardOutput.ReadToEnd();
        Assert.True(p.WaitForExit(120_000), "roomdevice did not finish within 120 s");
        return (p.ExitCode, stdout, err.Result);
    }

    private string ShareConfig()
    {
        string conf = Path.Combine(_dir, "asound-share.conf");
        File.WriteAllText(conf, """
            pcm.rd_null { type null }
            # share over null: its slave never advances, so every buffer-full of playback is a real xrun
            pcm.rd_xrun { type share slave { pcm "rd_null" channels 2 rate 48000 } bindings [ 0 1 ] }
            """);
        return conf;
    }

    [Fact]
    public void Devices_lists_the_alsa_pcms()
    {
        var (exit, stdout, stderr) = Invoke("audio", "devices");
        Assert.True(exit == 0, stderr);
        Assert.Matches(new Regex(@"^null\s+capture\+playback\s+Discard", RegexOptions.Multiline), stdout);
    }

    [Fact]
    public void Loopback_on_null_devices_runs_and_prints_levels_and_counters()
    {
        var (exit, stdout, stderr) = Invoke("audio", "loopback", "--capture", "null", "--playback", "null", "--channels", "4", "--pace", "--seconds", "1.3");
        Assert.True(exit == 0, stderr + stdout);
        Assert.Contains("capture 'null' 48000 Hz x 4 ch", stdout, StringComparison.Ordinal);
        Assert.Matches(new Regex(@"1\.\d s  mic\s+-?\d"), stdout);
        int frames = int.Parse(Regex.Match(stdout, @"done: (\d+) frames").Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.True(frames >= 60, stdout);
    }

    [Fact]
    public void Loopback_from_a_file_array_to_a_file_speaker_plays_what_the_microphones_heard()
    {
        string raw = Path.Combine(_dir, "mics.raw");
        var bytes = new byte[48000 * 3 * 2 * 2];
        for (int i = 0; i < 48000 * 3; i++)
        {
            short v = (short)Math.Round(0.4 * 32767 * Math.Sin(2 * Math.PI * 500 * i / 48000.0));
            BitConverter.TryWriteBytes(bytes.AsSpan(i * 4), v);
            BitConverter.TryWriteBytes(bytes.AsSpan((i * 4) + 2), v);
        }
        File.WriteAllBytes(raw, bytes);
        string wav = Path.Combine(_dir, "speaker.wav");
        string conf = Path.Combine(_dir, "asound-files.conf");
        File.WriteAllText(conf, $$"""
            pcm.rd_mics { type file slave.pcm "null" file "/dev/null" infile "{{raw}}" format "raw" }
            pcm.rd_speaker { type file slave.pcm "null" file "{{wav}}" format "wav" }
            """);
        var (exit, stdout, stderr) = RunChild("audio", "loopback", "--capture", "rd_mics", "--playback", "rd_speaker", "--channels", "2",
            "--alsa-config", conf, "--pace", "--seconds", "1.5", "--gain", "0.5");
        Assert.True(exit == 0, stderr + stdout);
        float[] played = WavFile.Read(wav).Channel(0);
        // The loop halves the microphones' 0.4 tone; find the frames where it is playing.
        int loud = 0;
        for (int f = 0; f + 1 < played.Length / 480; f++)
        {
            double peak = 0;
            for (int i = 0; i < 480; i++)
            {
                peak = Math.Max(peak, Math.Abs(played[(f * 480) + i]));
            }
            if (peak is > 0.18 and < 0.22)
            {
                loud++;
            }
        }
        Assert.True(loud >= 50, $"{loud} frames of the looped tone; {stdout}");
    }

    [Fact]
    public void Forced_playback_xruns_are_recovered_counted_and_reported()
    {
        // ALSA's share plugin over null reports a real xrun (-EPIPE) every few periods. It runs in a
        // child process because ALSA 1.2.8's share plugin writes to freed memory when its last
        // client closes (pcm_share.c frees the slave, then unlinks the client from the slave's
        // list); the child may therefore abort after it has printed its summary.
        var (exit, stdout, stderr) = RunChild("audio", "loopback", "--capture", "null", "--playback", "rd_xrun", "--channels", "2",
            "--alsa-config", ShareConfig(), "--pace", "--seconds", "1.5");
        Match done = Regex.Match(stdout, @"done: (\d+) frames, capture xruns (\d+), playback xruns (\d+)");
        Assert.True(done.Success, $"exit {exit}: {stderr}{stdout}");
        Assert.True(exit == 0 || stderr.Contains("corrupted", StringComparison.Ordinal), $"exit {exit}: {stderr}");
        int frames = int.Parse(done.Groups[1].Value, CultureInfo.InvariantCulture);
        int xruns = int.Parse(done.Groups[3].Value, CultureInfo.InvariantCulture);
        Assert.True(xruns >= 3, stdout);
        Assert.True(frames >= 60, stdout);
        Assert.Matches(new Regex(@"xruns 0/[1-9]\d*"), stdout);   // the per-second line shows them as they happen
    }

    [Fact]
    public void An_unknown_pcm_names_the_device()
    {
        var (exit, _, stderr) = Invoke("audio", "loopback", "--capture", "rd_missing_array", "--playback", "null", "--seconds", "1");
        Assert.Equal(1, exit);
        Assert.Contains("ALSA capture device 'rd_missing_array': cannot open", stderr, StringComparison.Ordinal);
        Assert.Contains("roomdevice audio devices", stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--channels", "9", "--channels 9 is not valid; accepted: 1 to 8")]
    [InlineData("--playback-channels", "6", "--playback-channels 6 is not valid; accepted: 1 or 2")]
    [InlineData("--rate", "44100", "--rate 44100 is not valid; accepted: 16000 or 48000")]
    [InlineData("--gain", "3", "--gain 3 is not valid; accepted: 0 to 1")]
    [InlineData("--mics", "0,1,5", "capture device 'null' has 2 channel(s)")]
    [InlineData("--mics", "0,x", "'x' is not a channel index")]
    [InlineData("--buffer", "100", "at least two periods (960)")]
    public void Bad_loopback_arguments_say_what_is_accepted(string option, string value, string expected)
    {
        string[] args = option == "--channels"
            ? ["audio", "loopback", "--capture", "null", "--playback", "null", option, value]
            : ["audio", "loopback", "--capture", "null", "--playback", "null", "--channels", "2", option, value];
        var (exit, _, stderr) = Invoke(args);
        Assert.Equal(2, exit);
        Assert.Contains(expected, stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Loopback_needs_both_devices()
    {
        var (exit, _, stderr) = Invoke("audio", "loopback", "--capture", "null");
        Assert.NotEqual(0, exit);
        Assert.Contains("--playback", stderr, StringComparison.Ordinal);
    }
}
