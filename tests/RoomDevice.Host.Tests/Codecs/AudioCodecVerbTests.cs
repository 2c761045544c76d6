using RoomDevice.Host.Tests.Support;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using RoomDevice.Audio.Speech;
using RoomDevice.Audio.Wav;
using RoomDevice.Codecs.Opus;
using RoomDevice.Host.Cli;
using RoomDevice.Host.Codecs;
using Xunit;

namespace RoomDevice.Host.Tests.Codecs;

/// <summary>Speech WAV files for the codec verb, made once by espeak-ng and sox.</summary>
public sealed class CodecVerbFiles : IDisposable
{
    public CodecVerbFiles()
    {
        Directory.CreateDirectory(Folder);
        var material = new SpeechMaterial(SpeechMaterial.DefaultCacheDirectory());
        float[] speech = material.Speak(
            "Please join the meeting now. The room display shows the agenda, and the camera follows whoever speaks.",
            "en-us", 22050);
        // stereo at 22.05 kHz: the verb must mix down and resample
        var stereo = new float[speech.Length * 2];
        for (int i = 0; i < speech.Length; i++)
        {
            stereo[2 * i] = speech[i];
            stereo[(2 * i) + 1] = speech[i] * 0.8f;
        }
        SpeechStereo = Path.Combine(Folder, "speech-stereo.wav");
        new WavFile(22050, 2, stereo).Write(SpeechStereo, WavSampleFormat.Float32);
        Speech48k = Path.Combine(Folder, "speech-48k.wav");
        new WavFile(48000, 1, material.Speak("The quarterly review starts in five minutes in the large room.", "en-gb+f3", 48000)).Write(Speech48k);
    }

    public string Folder { get; } = Path.Combine(Path.GetTempPath(), "roomdevice-codec-verb-" + Guid.NewGuid().ToString("N"));

    public string SpeechStereo { get; }

    public string Speech48k { get; }

    public string NewPath(string name) => Path.Combine(Folder, Guid.NewGuid().ToString("N")[..8] + "-" + name);

    public void Dispose() => Directory.Delete(Folder, recursive: true);
}

public sealed class AudioCodecVerbTests(CodecVerbFiles files) : IClassFixture<CodecVerbFiles>
{
    private static (int Exit, string Out, string Err) Invoke(params string[] args) => CliInvoker.Run(args);

    private static int Count(string output, string mode) =>
        int.Parse(Regex.Match(output, $@"^{mode}\s+(\d+)", RegexOptions.Multiline).Groups[1].Value, CultureInfo.InvariantCulture);

    private static double Snr(string output) =>
        double.Parse(Regex.Match(output, @"^SNR\s+(-?[\d.]+) dB", RegexOptions.Multiline).Groups[1].Value, CultureInfo.InvariantCulture);

    [Fact]
    public void Voice_profile_sends_only_silk_and_recovers_losses_with_fec()
    {
        string output = files.NewPath("voice.wav");
        var (exit, stdout, stderr) = Invoke("audio", "codec", "--in", files.SpeechStereo, "--out", output, "--profile", "voice", "--loss", "10", "--seed", "3");
        Assert.True(exit == 0, stderr);
        Assert.Equal(0, Count(stdout, "hybrid"));
        Assert.Equal(0, Count(stdout, "CELT"));
        Assert.True(Count(stdout, "SILK") > 100, stdout);
        Match lost = Regex.Match(stdout, @"lost\s+(\d+) .*recovered by FEC (\d+), concealed (\d+)");
        int lostCount = int.Parse(lost.Groups[1].Value, CultureInfo.InvariantCulture);
        int recovered = int.Parse(lost.Groups[2].Value, CultureInfo.InvariantCulture);
        int concealed = int.Parse(lost.Groups[3].Value, CultureInfo.InvariantCulture);
        Assert.True(lostCount > 0, stdout);
        Assert.Equal(lostCount, recovered + concealed);
        Assert.True(recovered > concealed, stdout);
        Assert.True(Snr(stdout) > 2, stdout);
        Assert.Contains("SNR lost ", stdout, StringComparison.Ordinal);
        WavFile written = WavFile.Read(output);
        Assert.Equal((16000, 1), (written.SampleRate, written.Channels));
        Assert.InRange(written.Duration.TotalSeconds, WavFile.Read(files.SpeechStereo).Duration.TotalSeconds - 0.01, WavFile.Read(files.SpeechStereo).Duration.TotalSeconds + 0.01);
    }

    [Fact]
    public void Meeting_profile_sends_hybrid_or_celt_at_48_kHz()
    {
        string output = files.NewPath("meeting.wav");
        var (exit, stdout, stderr) = Invoke("audio", "codec", "--in", files.Speech48k, "--out", output, "--profile", "meeting", "--bitrate", "48000");
        Assert.True(exit == 0, stderr);
        Assert.Equal(0, Count(stdout, "SILK"));
        Assert.True(Count(stdout, "hybrid") + Count(stdout, "CELT") > 100, stdout);
        Assert.Contains("lost     0 ", stdout, StringComparison.Ordinal);
        Assert.True(Snr(stdout) > 8, stdout);
        Assert.Equal(48000, WavFile.Read(output).SampleRate);
    }

    [Fact]
    public void Fec_gives_a_better_result_than_concealment_alone_for_the_same_losses()
    {
        var on = CodecFileRun.Run(new CodecRunRequest(files.SpeechStereo, files.NewPath("on.wav"), "voice", null, 20, true, 11), TextWriter.Null);
        var off = CodecFileRun.Run(new CodecRunRequest(files.SpeechStereo, files.NewPath("off.wav"), "voice", null, 20, false, 11), TextWriter.Null);
        Assert.Equal(on.Lost, off.Lost);
        Assert.True(on.Lost > 10, $"{on.Lost} lost");
        Assert.Equal(0, off.RecoveredByFec);
        Assert.Equal(off.Lost, off.Concealed);
        Assert.True(on.RecoveredByFec > 0);
        // FEC costs bits (and, at 20 kbit/s, bandwidth) in every packet, so it is judged where it
        // matters: on the frames that were lost.
        Assert.True(on.LostFramesSnrDb > off.LostFramesSnrDb, $"lost frames: FEC on {on.LostFramesSnrDb:F2} dB, off {off.LostFramesSnrDb:F2} dB");
        Assert.All(on.Modes.Where(m => m.Mode != OpusMode.Silk), m => Assert.Equal(0, m.Packets));
    }

    [Fact]
    public void Dtx_sends_near_empty_packets_in_the_silence_around_speech()
    {
        string input = files.NewPath("pauses.wav");
        float[] speech = WavFile.Read(files.Speech48k).Samples;
        // two seconds of silence, the speech, two seconds of silence
        var padded = new float[speech.Length + (4 * 48000)];
        speech.CopyTo(padded, 2 * 48000);
        new WavFile(48000, 1, padded).Write(input);
        var (exit, stdout, stderr) = Invoke("audio", "codec", "--in", input, "--out", files.NewPath("dtx.wav"), "--dtx", "on");
        Assert.True(exit == 0, stderr);
        Assert.Contains("DTX on", stdout, StringComparison.Ordinal);
        int silent = int.Parse(Regex.Match(stdout, @"^DTX\s+(\d+) packets", RegexOptions.Multiline).Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.True(silent > 100, stdout);
        Assert.Equal(0, Count(stdout, "hybrid") + Count(stdout, "CELT"));
        Assert.True(Snr(stdout) > 2, stdout);
    }

    [Fact]
    public void The_same_seed_drops_the_same_packets()
    {
        var a = CodecFileRun.Run(new CodecRunRequest(files.Speech48k, files.NewPath("a.wav"), "voice", 24000, 15, true, 5), TextWriter.Null);
        var b = CodecFileRun.Run(new CodecRunRequest(files.Speech48k, files.NewPath("b.wav"), "voice", 24000, 15, true, 5), TextWriter.Null);
        Assert.Equal((a.Lost, a.RecoveredByFec, a.Concealed), (b.Lost, b.RecoveredByFec, b.Concealed));
        Assert.Equal(24000, a.Bitrate);
        Assert.Equal(104, a.DelaySamples);
    }

    [Theory]
    [InlineData("--profile", "studio", "--profile 'studio' is unknown; accepted: voice, meeting")]
    [InlineData("--bitrate", "64000", "--bitrate 64000 is out of range for the voice profile; accepted: 16000..24000")]
    [InlineData("--bitrate", "8000", "accepted: 16000..24000")]
    [InlineData("--loss", "101", "--loss 101 is out of range; accepted: 0..100")]
    [InlineData("--loss", "-1", "--loss -1 is out of range; accepted: 0..100")]
    [InlineData("--fec", "maybe", "--fec 'maybe' is not valid; accepted: on, off")]
    [InlineData("--dtx", "yes", "--dtx 'yes' is not valid; accepted: on, off")]
    public void Bad_arguments_are_named_with_what_is_accepted_and_write_nothing(string option, string value, string message)
    {
        string output = files.NewPath("bad.wav");
        var (exit, _, stderr) = Invoke("audio", "codec", "--in", files.SpeechStereo, "--out", output, option, value);
        Assert.NotEqual(0, exit);
        Assert.Contains(message, stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(output));
    }

    [Fact]
    public void Meeting_bitrate_range_is_its_own()
    {
        var (exit, _, stderr) = Invoke("audio", "codec", "--in", files.Speech48k, "--out", files.NewPath("m.wav"), "--profile", "meeting", "--bitrate", "600000");
        Assert.NotEqual(0, exit);
        Assert.Contains("for the meeting profile; accepted: 16000..256000", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_non_wav_truncated_and_unsupported_inputs_are_named()
    {
        string missing = files.NewPath("missing.wav");
        var (exit, _, stderr) = Invoke("audio", "codec", "--in", missing, "--out", files.NewPath("o.wav"));
        Assert.Equal(2, exit);
        Assert.Contains($"{missing}: file not found", stderr, StringComparison.Ordinal);

        string text = files.NewPath("notes.wav");
        File.WriteAllText(text, "these are meeting notes, not audio");
        (exit, _, stderr) = Invoke("audio", "codec", "--in", text, "--out", files.NewPath("o.wav"));
        Assert.Equal(2, exit);
        Assert.Contains($"{text}: not a WAV file", stderr, StringComparison.Ordinal);

        string truncated = files.NewPath("truncated.wav");
        File.WriteAllBytes(truncated, File.ReadAllBytes(files.Speech48k)[..30]);
        (exit, _, stderr) = Invoke("audio", "codec", "--in", truncated, "--out", files.NewPath("o.wav"));
        Assert.Equal(2, exit);
        Assert.Contains(truncated, stderr, StringComparison.Ordinal);
        Assert.Contains("truncated", stderr, StringComparison.Ordinal);

        string empty = files.NewPath("empty.wav");
        new WavFile(16000, 1, []).Write(empty);
        (exit, _, stderr) = Invoke("audio", "codec", "--in", empty, "--out", files.NewPath("o.wav"));
        Assert.Equal(2, exit);
        Assert.Contains($"{empty}: the WAV file holds no samples", stderr, StringComparison.Ordinal);

        string pcm8 = files.NewPath("pcm8.wav");
        byte[] bytes = new WavFile(8000, 1, new float[800]).ToBytes();
        bytes[34] = 8; // bits per sample: 8-bit PCM is not read
        File.WriteAllBytes(pcm8, bytes);
        (exit, _, stderr) = Invoke("audio", "codec", "--in", pcm8, "--out", files.NewPath("o.wav"));
        Assert.Equal(2, exit);
        Assert.Contains("unsupported sample format", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Output_folder_that_does_not_exist_is_named()
    {
        string output = Path.Combine(files.Folder, "no-such-folder", "o.wav");
        var (exit, _, stderr) = Invoke("audio", "codec", "--in", files.Speech48k, "--out", output);
        Assert.Equal(2, exit);
        Assert.Contains("does not exist", stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--bitrate", "fast")]
    [InlineData("--loss", "some")]
    [InlineData("--seed", "1.5")]
    public void Values_that_are_not_numbers_fail_the_parse_naming_the_option(string option, string value)
    {
        string output = files.NewPath("nan.wav");
        var (exit, _, stderr) = Invoke("audio", "codec", "--in", files.Speech48k, "--out", output, option, value);
        Assert.NotEqual(0, exit);
        Assert.Contains(option, stderr, StringComparison.Ordinal);
        Assert.Contains(value, stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(output));
    }

    [Fact]
    public void Missing_required_options_fail_the_parse()
    {
        var (exit, _, stderr) = Invoke("audio", "codec", "--out", files.NewPath("o.wav"));
        Assert.NotEqual(0, exit);
        Assert.Contains("--in", stderr, StringComparison.Ordinal);
    }

    private static async Task<(int Exit, string Out, string Err)> SpawnAsync(params string[] args)
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "roomdevice.dll");
        Assert.True(File.Exists(dll), $"{dll} is missing");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(dll);
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }
        using Process p = Process.Start(psi)!;
        Task<string> stdout = p.StandardOutput.ReadToEndAsync();
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        try
        {
            await p.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException("roomdevice did not finish within 120 s");
        }
        return (p.ExitCode, await stdout, await stderr);
    }

    [Fact]
    public async Task The_roomdevice_executable_runs_the_verb()
    {
        string output = files.NewPath("spawned.wav");
        var (exit, stdout, stderr) = await SpawnAsync("audio", "codec", "--in", files.Speech48k, "--out", output, "--profile", "voice", "--loss", "5");
        Assert.True(exit == 0, stderr);
        Assert.Contains("SILK", stdout, StringComparison.Ordinal);
        Assert.True(File.Exists(output));

        (exit, _, stderr) = await SpawnAsync("audio", "codec", "--in", files.Speech48k, "--out", output, "--loss", "250");
        Assert.Equal(2, exit);
        Assert.Contains("--loss 250 is out of range", stderr, StringComparison.Ordinal);
    }
}
