using RoomDevice.Audio.Wav;
using RoomDevice.Calls.Sdp;
using RoomDevice.Calls.Sip;
using Xunit.Abstractions;

namespace RoomDevice.Calls.Tests.Interop;

/// <summary>Calls with a real baresip on 127.0.0.1: both directions, speech both ways, hang-up from either side.</summary>
[Collection("speech")]
public sealed class BaresipInteropTests(SpeechFixture speech, ITestOutputHelper output)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);
    private const double Threshold = 0.7;

    private static async Task WhenConnected(SipCall call, BaresipPeer peer, AgentRig room)
    {
        var done = await Task.WhenAny(call.Connected, call.Ended, Task.Delay(Wait));
        Assert.True(done == call.Connected, $"call did not connect ({call.State}, {(call.Ended.IsCompleted ? call.Ended.Result.Reason : "not ended")}); baresip said:\n{peer.Log}\nthe device said:\n{room.Log.Text}");
    }

    /// <summary>Writes speech with silence around it as a 48 kHz stereo file, which baresip's aufile needs.</summary>
    internal static string StereoWav(float[] speech, double leadSeconds, double tailSeconds)
    {
        var mono = new float[(int)((leadSeconds + tailSeconds) * 48000) + speech.Length];
        speech.CopyTo(mono, (int)(leadSeconds * 48000));
        string wav = Path.Combine(Path.GetTempPath(), "roomdevice-speech48k-" + Environment.ProcessId + "-" + Guid.NewGuid().ToString("N")[..6] + ".wav");
        var st = new float[mono.Length * 2];
        for (int i = 0; i < mono.Length; i++)
        {
            st[2 * i] = st[(2 * i) + 1] = mono[i];
        }
        new WavFile(48000, 2, st).Write(wav);
        return wav;
    }

    private float[] Source16k => speech.Speech16k[..(16000 * 4)];

    private double CorrelationWithSource(float[] received, int rate, string what)
    {
        var src = rate == 16000 ? Source16k : speech.Speech48k[..(48000 * 4)];
        var (c, lag) = Signals.BestCorrelation(Signals.Envelope(src, rate), Signals.Envelope(received, rate), 250);
        output.WriteLine($"{what}: envelope correlation {c:F2} at {lag * 10} ms over {received.Length / (double)rate:F1} s");
        return c;
    }

    private async Task<double> BaresipHeardCorrelation(BaresipPeer peer)
    {
        Assert.True(await peer.WaitForLog("terminated", Wait), peer.Log);
        string? dump = null;
        WavFile? wav = null;
        for (int i = 0; i < 40; i++)
        {
            dump = peer.ReceivedDump();
            if (dump is not null)
            {
                try
                {
                    wav = WavFile.Read(dump);
                    if (wav.Frames > 48000)
                    {
                        break;
                    }
                }
                catch (WavFormatException)
                {
                }
            }
            await Task.Delay(100);
        }
        Assert.True(wav is not null && wav.Frames > 48000, $"baresip wrote no usable dump of what it received ({dump ?? "none"})\n{peer.Log}");
        return CorrelationWithSource(wav!.Channel(0), wav.SampleRate, $"baresip received ({wav.SampleRate} Hz, {wav.Channels} ch)");
    }

    [Fact]
    public async Task Device_calls_baresip_speech_passes_both_ways_and_the_device_hangs_up()
    {
        string wav = StereoWav(speech.Speech48k[..(48000 * 4)], 1.0, 8.0);
        try
        {
            using var peer = new BaresipPeer(wav);
            Assert.True(await peer.WaitForLog("baresip is ready", Wait), peer.Log);
            using var room = new AgentRig();
            var call = room.Agent.Dial(peer.Uri);
            await WhenConnected(call, peer, room);
            Assert.Equal(CallCodec.Opus, call.Media!.Codec);
            Assert.Equal(48000, call.Media.ClockRate);
            using (var pump = new AudioPump(room.Bridge, PadFront(Source16k, 16000)))
            {
                await Task.Delay(6500);
                pump.Dispose();
                Assert.True(CorrelationWithSource(pump.Recorded, 16000, "device received") > Threshold);
            }
            call.Hangup();
            var end = await call.Ended.WaitAsync(Wait);
            Assert.True(end.WasConnected);
            Assert.True(await BaresipHeardCorrelation(peer) > Threshold);
            Assert.True(call.MediaSession.Statistics.RtcpReceived > 0 || call.MediaSession.Statistics.PacketsReceived > 200);
            Assert.Equal(0, call.MediaSession.Statistics.RejectedTotal);
        }
        finally
        {
            File.Delete(wav);
        }
    }

    [Fact]
    public async Task Baresip_calls_the_device_which_answers_and_baresip_hangs_up()
    {
        // A short file: baresip ends the call itself when it reaches the end.
        string wav = StereoWav(speech.Speech48k[..(48000 * 4)], 1.0, 1.5);
        try
        {
            using var room = new AgentRig();
            var incoming = new TaskCompletionSource<SipCall>(TaskCreationOptions.RunContinuationsAsynchronously);
            room.Agent.IncomingCall += (_, c) => incoming.TrySetResult(c);
            using var pump = new AudioPump(room.Bridge, PadFront(Source16k, 16000));
            using var peer = new BaresipPeer(wav, dial: room.Uri);
            var call = await incoming.Task.WaitAsync(Wait);
            await call.Connected.WaitAsync(Wait);
            Assert.Equal(CallCodec.Opus, call.Media!.Codec);
            var end = await call.Ended.WaitAsync(TimeSpan.FromSeconds(30));
            pump.Dispose();
            Assert.True(end.WasConnected);
            Assert.Equal("remote hung up", end.Reason);
            Assert.True(CorrelationWithSource(pump.Recorded, 16000, "device received") > Threshold);
            Assert.True(await BaresipHeardCorrelation(peer) > Threshold);
        }
        finally
        {
            File.Delete(wav);
        }
    }

    private static float[] PadFront(float[] x, int rate)
    {
        var y = new float[x.Length + rate];
        x.CopyTo(y, rate);
        return y;
    }
}
