using System.Globalization;
using System.Net;
using System.Net.Sockets;
using RoomDevice.Audio.Pipeline;
using RoomDevice.Audio.Wav;
using RoomDevice.Calls;
using RoomDevice.Calls.Media;
using RoomDevice.Calls.Sdp;
using RoomDevice.Calls.Sip;
using RoomDevice.Host.Cli;
using RoomDevice.Host.Codecs;

namespace RoomDevice.Host.Calls;

/// <summary>Raised for a call request that cannot start; the message names the argument and what is accepted.</summary>
internal sealed class CallRunException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>What <c>roomdevice call</c> was asked to do.</summary>
internal sealed record CallRunRequest(string Uri, double? DurationSeconds, string? PlayPath, string? RecordPath, string? Dtmf, string? Codec);

/// <summary>Places one call with its own user agent and audio bridge, feeding a file and recording the far end.</summary>
internal static class CallRun
{
    private const int Rate = 16000;

    public static async Task<int> RunAsync(CallRunRequest request, TextWriter stdout, CancellationToken ct)
    {
        if (!SipUri.TryParse(request.Uri, out var target, out string uriError))
        {
            throw new CallRunException($"--uri '{request.Uri}': {uriError}");
        }
        var remoteIp = target!.ResolveHost() ?? throw new CallRunException($"--uri '{request.Uri}': host '{target.Host}' does not resolve to an IPv4 address");
        if (request.DurationSeconds is double d && (double.IsNaN(d) || d < 1 || d > 3600))
        {
            throw new CallRunException(string.Create(CultureInfo.InvariantCulture, $"--duration {d} is out of range; accepted: 1..3600 seconds"));
        }
        if (request.Dtmf is string digits && (digits.Length == 0 || digits.Any(c => MediaSession.DtmfCode(c) < 0)))
        {
            throw new CallRunException($"--dtmf '{digits}' is not valid; accepted: digits 0-9, *, # and A-D");
        }
        IReadOnlyList<CallCodec> codecs = [CallCodec.Opus, CallCodec.Pcmu, CallCodec.Pcma];
        if (request.Codec is string c)
        {
            codecs = CallsOptions.ParseCodec(c) is CallCodec one ? [one] : throw new CallRunException($"--codec '{c}' is unknown; accepted: opus, PCMU, PCMA");
        }
        float[] source = request.PlayPath is null ? [] : ReadPlay(request.PlayPath);
        if (request.RecordPath is string rec)
        {
            string dir = Path.GetDirectoryName(Path.GetFullPath(rec)) ?? ".";
            if (!Directory.Exists(dir))
            {
                throw new CallRunException($"--record {rec}: folder {dir} does not exist");
            }
        }
        double seconds = request.DurationSeconds ?? (source.Length > 0 ? (source.Length / (double)Rate) + 2 : 10);

        var local = LocalAddressFor(remoteIp);
        var bridge = new CallAudioBridge(Rate, 64);
        var settings = new SipUserAgentSettings
        {
            Address = local, UdpPort = 0, User = "roomdevice", DisplayName = "roomdevice call", AutoAnswer = false, RingTimeoutSeconds = 60,
            Media = new LocalMediaCapabilities { Codecs = codecs },
        };
        using var agent = new SipUserAgent(settings,
            () => new MediaSession(bridge, local, new MediaSessionSettings { Cname = "roomdevice@" + local }, TimeProvider.System,
                Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance));
        agent.Start();
        await stdout.WriteLineAsync($"calling {target} from {agent.LocalEndPoint}").ConfigureAwait(false);
        var call = agent.Dial(request.Uri);
        using (ct.Register(call.Hangup))
        {
            var first = await Task.WhenAny(call.Connected, call.Ended).ConfigureAwait(false);
            if (first != call.Connected)
            {
                var failed = await call.Ended.ConfigureAwait(false);
                await stdout.WriteLineAsync("call failed: " + failed.Reason).ConfigureAwait(false);
                return ExitCodes.Failure;
            }
            var media = call.Media!;
            await stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"connected: {media.CodecName} payload type {media.PayloadType}, ptime {media.PtimeMs} ms, profile {media.Profile}, RTP to {media.RemoteRtp}")).ConfigureAwait(false);
            var recorded = new List<float>();
            var feeder = Task.Run(() => Feed(bridge, source, recorded, TimeSpan.FromSeconds(seconds), call, ct), CancellationToken.None);
            if (request.Dtmf is string dtmf)
            {
                await Task.Delay(500, CancellationToken.None).ConfigureAwait(false);
                if (!call.SendDtmf(dtmf))
                {
                    await stdout.WriteLineAsync("DTMF not sent: the far end accepted no telephone-event payload").ConfigureAwait(false);
                }
            }
            await feeder.ConfigureAwait(false);
            if (call.State != SipCallState.Terminated)
            {
                call.Hangup();
            }
            var end = await call.Ended.WaitAsync(TimeSpan.FromSeconds(10), CancellationToken.None).ConfigureAwait(false);
            await Report(stdout, call, end).ConfigureAwait(false);
            if (request.RecordPath is string path)
            {
                float[] samples;
                lock (recorded)
                {
                    samples = [.. recorded];
                }
                new WavFile(Rate, 1, samples).Write(path);
                await stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"recorded {samples.Length / (double)Rate:F1} s to {path}")).ConfigureAwait(false);
            }
        }
        return ExitCodes.Ok;
    }

    private static float[] ReadPlay(string path)
    {
        if (!File.Exists(path))
        {
            throw new CallRunException($"--play {path}: file not found; accepted: a PCM 16-bit or float 32-bit WAV file");
        }
        WavFile wav;
        try
        {
            wav = WavFile.Read(path);
        }
        catch (WavFormatException e)
        {
            throw new CallRunException($"--play {e.Message}", e);
        }
        var mono = new float[wav.Frames];
        for (int ch = 0; ch < wav.Channels; ch++)
        {
            var x = wav.Channel(ch);
            for (int i = 0; i < mono.Length; i++)
            {
                mono[i] += x[i] / wav.Channels;
            }
        }
        return OfflineResampler.Resample(mono, wav.SampleRate, Rate);
    }

    /// <summary>The local address the system would use to reach <paramref name="remote"/>.</summary>
    internal static IPAddress LocalAddressFor(IPAddress remote)
    {
        if (IPAddress.IsLoopback(remote))
        {
            return IPAddress.Loopback;
        }
        using var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            s.Connect(remote, 9);
            return ((IPEndPoint)s.LocalEndPoint!).Address;
        }
        catch (SocketException)
        {
            return IPAddress.Loopback;
        }
    }

    private static void Feed(CallAudioBridge bridge, float[] source, List<float> recorded, TimeSpan duration, SipCall call, CancellationToken ct)
    {
        var frame = new float[bridge.FrameSamples];
        var rx = new float[bridge.FrameSamples];
        var clock = System.Diagnostics.Stopwatch.StartNew();
        long ticks = 0;
        int pos = 0;
        while (clock.Elapsed < duration && call.State != SipCallState.Terminated && !ct.IsCancellationRequested)
        {
            long wait = (ticks * 10) - clock.ElapsedMilliseconds;
            if (wait > 0)
            {
                Thread.Sleep((int)wait);
            }
            ticks++;
            for (int i = 0; i < frame.Length; i++, pos++)
            {
                frame[i] = pos < source.Length ? source[pos] : 0f;
            }
            bridge.Uplink.TryWrite(frame);
            while (bridge.Downlink.Count > 0 && bridge.Downlink.TryRead(rx))
            {
                lock (recorded)
                {
                    recorded.AddRange(rx);
                }
            }
        }
    }

    private static async Task Report(TextWriter o, SipCall call, SipCallEnd end)
    {
        var st = call.MediaSession.Statistics;
        var jb = call.MediaSession.JitterStatistics;
        var inv = CultureInfo.InvariantCulture;
        await o.WriteLineAsync($"ended: {end.Reason}").ConfigureAwait(false);
        await o.WriteLineAsync(string.Create(inv, $"codec {call.Media?.CodecName}; sent {st.PacketsSent} packets ({st.OctetsSent} bytes), received {st.PacketsReceived} ({st.OctetsReceived} bytes)")).ConfigureAwait(false);
        await o.WriteLineAsync(string.Create(inv, $"lost {st.PacketsLost} ({st.LossPercent:F1} % last interval), far end reports {st.RemoteLossPercent:F1} % loss, jitter {st.JitterMs:F1} ms, RTT {(st.RoundTripMs < 0 ? "n/a" : st.RoundTripMs.ToString("F1", inv) + " ms")}")).ConfigureAwait(false);
        if (jb is not null)
        {
            await o.WriteLineAsync(string.Create(inv, $"jitter buffer: target {jb.TargetDelayMs:F0} ms, mean added delay {jb.MeanAddedDelayMs:F1} ms, concealment {jb.ConcealmentRate * 100:F1} %, FEC {jb.FecRecovered}, late {jb.LatePackets}, discarded {jb.DiscardedPackets}")).ConfigureAwait(false);
        }
        await o.WriteLineAsync(string.Create(inv, $"rejected RTP {st.RejectedTotal}, RTCP sent {st.RtcpSent} received {st.RtcpReceived}, DTMF sent {st.DtmfSent}")).ConfigureAwait(false);
        await o.WriteLineAsync(string.Create(inv, $"encoder: expected loss {st.EncoderExpectedLoss} %, {st.EncoderBitrate / 1000.0:0.#} kbit/s")).ConfigureAwait(false);
    }
}
