using System.CommandLine;
using System.Globalization;
using RoomDevice.Audio.Speech;
using RoomDevice.Audio.Wav;
using RoomDevice.Calls;
using RoomDevice.Host.Cli;
using RoomDevice.Host.Tests.Support;

namespace RoomDevice.Host.Tests.Calls;

public sealed class CallVerbTests
{
    private static Task<(int Exit, string Out, string Err)> Invoke(params string[] args) => CliInvoker.RunAsync(args);

    [Theory]
    [InlineData(new[] { "call", "--uri", "http://example.com" }, "scheme 'http'")]
    [InlineData(new[] { "call", "--uri", "sip:a@127.0.0.1", "--duration", "0" }, "--duration 0 is out of range")]
    [InlineData(new[] { "call", "--uri", "sip:a@127.0.0.1", "--dtmf", "12x" }, "--dtmf '12x' is not valid")]
    [InlineData(new[] { "call", "--uri", "sip:a@127.0.0.1", "--codec", "G729" }, "--codec 'G729' is unknown")]
    [InlineData(new[] { "call", "--uri", "sip:a@127.0.0.1", "--play", "/nonexistent/x.wav" }, "file not found")]
    [InlineData(new[] { "call", "--uri", "sip:a@127.0.0.1", "--record", "/nonexistent/dir/out.wav" }, "does not exist")]
    public async Task Bad_arguments_name_the_option_and_what_is_accepted(string[] args, string expected)
    {
        var (exit, _, err) = await Invoke(args);
        Assert.Equal(ExitCodes.Usage, exit);
        Assert.Contains(expected, err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_file_that_is_not_wav_is_refused()
    {
        using var t = new TempFolder();
        string bad = t.Write("not.wav", "hello");
        var (exit, _, err) = await Invoke("call", "--uri", "sip:a@127.0.0.1", "--play", bad);
        Assert.Equal(ExitCodes.Usage, exit);
        Assert.Contains("not a WAV file", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Call_to_the_echo_service_plays_records_sends_dtmf_and_reports()
    {
        using var t = new TempFolder();
        float[] speech = new SpeechMaterial(SpeechMaterial.DefaultCacheDirectory()).Speak("Testing the room, one two three.", "en-us", 22050);
        string play = Path.Combine(t.Path, "speech.wav");
        new WavFile(22050, 1, speech).Write(play);
        string rec = Path.Combine(t.Path, "rec.wav");
        using var echo = new EchoService(16000, 300);
        var (exit, output, err) = await Invoke("call", "--uri", echo.Uri, "--play", play, "--record", rec, "--dtmf", "12#");
        Assert.True(exit == 0, output + err);
        Assert.Contains("connected: opus/48000/2", output, StringComparison.Ordinal);
        Assert.Contains("ended: local hangup", output, StringComparison.Ordinal);
        Assert.Contains("DTMF sent 3", output, StringComparison.Ordinal);
        Assert.Contains("jitter buffer: target", output, StringComparison.Ordinal);
        Assert.Matches(@"encoder: expected loss (0 %, 20|[1-9][0-9]* %, 24) kbit/s", output); // 20 kbit/s without loss, 24 with
        var recorded = WavFile.Read(rec);
        Assert.Equal(16000, recorded.SampleRate);
        Assert.True(recorded.Duration.TotalSeconds > speech.Length / 22050.0, $"recorded {recorded.Duration}");
        double energy = recorded.Samples.Sum(s => (double)s * s);
        Assert.True(energy > 1, $"the echo came back silent (energy {energy})");
    }
}
