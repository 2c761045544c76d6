using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using RoomDevice.Audio.Pipeline;
using RoomDevice.Audio.Speech;
using RoomDevice.Calls.Media;
using RoomDevice.Calls.Rtp;
using RoomDevice.Calls.Sdp;
using RoomDevice.Calls.Sip;
using RoomDevice.Codecs.Opus;

namespace RoomDevice.Benchmarks;

/// <summary>
/// The jitter buffer under 5 % Gilbert-Elliott loss (mean burst 2) and 0..40 ms jitter: the
/// figures (added delay p95, late loss, concealment, SNR) are printed once at setup; the timed
/// part is one packet's insert plus its two 10 ms pulls (Opus decode included), against a bare
/// Opus decode of the same packet in the same run.
/// </summary>
[Config(typeof(InProcessShortConfig))]
public class JitterBufferBenchmarks
{
    private const int Packets = 50;
    private OpusVoiceDecoder _decoder = null!;
    private OpusVoiceDecoder _reference = null!;
    private JitterBuffer _jb = null!;
    private byte[][] _packets = null!;
    private readonly float[] _frame = new float[160];
    private readonly float[] _pcm = new float[320];
    private long _now;
    private int _seq;

    [GlobalSetup]
    public void Setup()
    {
        float[] speech = new SpeechMaterial(SpeechMaterial.DefaultCacheDirectory()).Speak(
            "Good morning everyone. Let us start the weekly planning meeting in the small room. Please check that the microphone picks up your voice.", "en-us", 16000);
        var figures = new StringBuilder("jitter buffer, 5 % bursty loss, 0..40 ms jitter:");
        foreach (int seed in (int[])[1, 2, 3])
        {
            var r = JitterScenario.Run(speech, 5, 40, seed);
            figures.Append(CultureInfo.InvariantCulture,
                $" [seed {seed}: loss {r.LossRate:P1}, added delay mean {r.MeanAddedDelayMs:F1} ms p95 {r.P95AddedDelayMs:F0} ms, late {r.LateRate:P2}, concealment {r.ConcealmentRate:P1}, FEC {r.FecRecovered}, SNR {r.SnrDb:F1} dB]");
        }
        Console.WriteLine(figures.ToString());
        using var enc = new OpusVoiceEncoder(OpusEncoderSettings.ForProfile(CodecProfile.Voice, 16000) with { ExpectedLossPercent = 5 });
        _packets = new byte[Packets][];
        var buf = new byte[1500];
        for (int i = 0; i < Packets; i++)
        {
            int n = enc.Encode(speech.AsSpan(16000 + (i * 320), 320), buf);
            _packets[i] = buf.AsSpan(0, n).ToArray();
        }
        _decoder = new OpusVoiceDecoder(16000);
        _reference = new OpusVoiceDecoder(16000);
        _jb = new JitterBuffer(new JitterBufferSettings(), _decoder, 48000, 20, true);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _decoder.Dispose();
        _reference.Dispose();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Packets, Description = "bare Opus decode, per packet")]
    public int OpusDecode()
    {
        int n = 0;
        for (int i = 0; i < Packets; i++)
        {
            n += _reference.Decode(_packets[i], _pcm);
        }
        return n;
    }

    [Benchmark(OperationsPerInvoke = Packets, Description = "jitter buffer insert + 2 pulls, per packet")]
    public long InsertAndPull()
    {
        for (int i = 0; i < Packets; i++)
        {
            _jb.Insert((ushort)_seq, (uint)(_seq * 960), _packets[i], _now);
            _seq++;
            _jb.Pull(_frame, _now);
            _now += 10_000;
            _jb.Pull(_frame, _now);
            _now += 10_000;
        }
        return _jb.Statistics.PacketsDecoded;
    }
}

/// <summary>
/// The RTP path of a call per 20 ms packet: receive (parse, statistics, jitter buffer insert) and
/// the media tick (uplink read, Opus encode, RTP send over a real loopback socket, downlink pull
/// with decode); against bare Opus encode + decode of one packet in the same run.
/// </summary>
[Config(typeof(InProcessShortConfig))]
public class RtpPathBenchmarks
{
    private const int Packets = 50;
    private Socket _sink = null!;
    private CallAudioBridge _bridge = null!;
    private MediaSession _session = null!;
    private OpusVoiceEncoder _encoder = null!;
    private OpusVoiceDecoder _decoder = null!;
    private byte[] _rtp = null!;
    private readonly float[] _frame = new float[160];
    private readonly float[] _uplink = new float[160];
    private readonly float[] _pcm = new float[320];
    private readonly float[] _decoded = new float[320];
    private readonly byte[] _out = new byte[1500];
    private long _now;
    private int _seq;

    [GlobalSetup]
    public void Setup()
    {
        _sink = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        _sink.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _sink.ReceiveBufferSize = 1 << 16;
        _bridge = new CallAudioBridge(16000, 64);
        _session = new MediaSession(_bridge, IPAddress.Loopback, new MediaSessionSettings(), TimeProvider.System,
            Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        int port = ((IPEndPoint)_sink.LocalEndPoint!).Port;
        _session.Update(new NegotiatedMedia(CallCodec.Opus, 111, 48000, 20, new IPEndPoint(IPAddress.Loopback, port),
            new IPEndPoint(IPAddress.Loopback, port + 1), MediaDirection.SendRecv, true, 16000, 101, CodecProfile.Voice));
        _encoder = new OpusVoiceEncoder(OpusEncoderSettings.ForProfile(CodecProfile.Voice, 16000));
        _decoder = new OpusVoiceDecoder(16000);
        for (int i = 0; i < _pcm.Length; i++)
        {
            _pcm[i] = 0.3f * MathF.Sin(i * 0.17f);
        }
        _pcm.AsSpan(0, 160).CopyTo(_uplink);
        int n = _encoder.Encode(_pcm, _out);
        _rtp = new byte[12 + n];
        _out.AsSpan(0, n).CopyTo(_rtp.AsSpan(12));
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _session.Dispose();
        _sink.Dispose();
        _encoder.Dispose();
        _decoder.Dispose();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Packets, Description = "bare Opus encode + decode, per packet")]
    public int OpusEncodeDecode()
    {
        int total = 0;
        for (int i = 0; i < Packets; i++)
        {
            int n = _encoder.Encode(_pcm, _out);
            total += _decoder.Decode(_out.AsSpan(0, n), _decoded);
        }
        return total;
    }

    [Benchmark(OperationsPerInvoke = Packets, Description = "RTP receive + send path, per packet")]
    public long ReceiveAndSend()
    {
        for (int i = 0; i < Packets; i++)
        {
            RtpHeader.Write(_rtp, false, 111, (ushort)_seq, (uint)(_seq * 960), 0x5151);
            _seq++;
            _session.ReceiveDatagram(_rtp, null, _now);
            for (int t = 0; t < 2; t++)
            {
                _bridge.Uplink.TryWrite(_uplink);
                _session.Tick(_now);
                _bridge.Downlink.TryRead(_frame);
                _now += 10_000;
            }
        }
        while (_sink.Available > 0)
        {
            _sink.Receive(_out);
        }
        return _session.Statistics.PacketsSent;
    }

    [Benchmark(Description = "SIP INVITE parse (one message)")]
    public int ParseInvite() => SipParser.TryParse(Invite, out var m, out _) ? m!.Headers.Count : 0;

    private static readonly byte[] Invite = Encoding.UTF8.GetBytes(
        "INVITE sip:room@127.0.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK776asdhds;rport\r\nMax-Forwards: 70\r\n" +
        "To: Room <sip:room@127.0.0.1>\r\nFrom: \"Alice\" <sip:alice@127.0.0.1>;tag=1928301774\r\nCall-ID: a84b4c76e66710@pc33\r\nCSeq: 314159 INVITE\r\n" +
        "Contact: <sip:alice@127.0.0.1:5070>\r\nContent-Type: application/sdp\r\nContent-Length: 0\r\n\r\n");
}
