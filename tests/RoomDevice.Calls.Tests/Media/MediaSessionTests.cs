using System.Net;
using System.Net.Sockets;
using RoomDevice.Audio.Pipeline;
using RoomDevice.Calls.Media;
using RoomDevice.Calls.Rtp;
using RoomDevice.Calls.Sdp;
using RoomDevice.Codecs.Opus;

namespace RoomDevice.Calls.Tests.Media;

public sealed class MediaSessionTests
{
    private static NegotiatedMedia Opus(int remotePort, MediaDirection dir = MediaDirection.SendRecv) =>
        new(CallCodec.Opus, 111, 48000, 20, new IPEndPoint(IPAddress.Loopback, remotePort), new IPEndPoint(IPAddress.Loopback, remotePort + 1),
            dir, true, 16000, 101, CodecProfile.Voice);

    private static byte[] Rtp(ushort seq, uint ts, byte pt, byte[] payload, uint ssrc = 0x1234)
    {
        var p = new byte[12 + payload.Length];
        RtpHeader.Write(p, false, pt, seq, ts, ssrc);
        payload.CopyTo(p, 12);
        return p;
    }

    [Fact]
    public async Task Bad_rtp_is_counted_by_reason_and_good_rtp_still_plays()
    {
        using var peer = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        peer.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        using var stranger = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        stranger.Bind(new IPEndPoint(IPAddress.Parse("127.0.0.2"), 0));
        int peerPort = ((IPEndPoint)peer.LocalEndPoint!).Port;
        var log = new TestLogger();
        var bridge = new CallAudioBridge(16000, 64);
        using var session = new MediaSession(bridge, IPAddress.Loopback, new MediaSessionSettings(), TimeProvider.System, log);
        session.Start(Opus(peerPort));
        var to = new IPEndPoint(IPAddress.Loopback, session.RtpPort);
        var v1 = Rtp(1, 0, 111, new byte[20]);
        v1[0] = 0x40;
        peer.SendTo(v1, to);
        peer.SendTo(new byte[7], to);
        peer.SendTo(Rtp(2, 0, 9, new byte[20]), to);
        peer.SendTo(Rtp(3, 0, 111, new byte[1600]), to);
        peer.SendTo(Rtp(4, 0, 111, new byte[3000]), to);
        stranger.SendTo(Rtp(5, 0, 111, new byte[20]), to);
        peer.SendTo(new byte[] { 0x80, 200, 0, 50, 1, 2, 3, 4 }, to); // RTCP claiming more than it carries
        using var enc = new OpusVoiceEncoder(OpusEncoderSettings.ForProfile(CodecProfile.Voice, 16000));
        var pcm = new float[320];
        var buf = new byte[1500];
        for (int i = 0; i < 50; i++)
        {
            for (int k = 0; k < pcm.Length; k++)
            {
                pcm[k] = 0.3f * MathF.Sin(2 * MathF.PI * 440 * ((i * 320) + k) / 16000f);
            }
            int n = enc.Encode(pcm, buf);
            peer.SendTo(Rtp((ushort)(100 + i), (uint)(i * 960), 111, buf[..n]), to);
            await Task.Delay(20);
        }
        await Task.Delay(300);
        var st = session.Statistics;
        Assert.Equal(1, st.Rejected(RtpRejectReason.WrongVersion));
        Assert.Equal(1, st.Rejected(RtpRejectReason.ShortHeader));
        Assert.Equal(1, st.Rejected(RtpRejectReason.UnknownPayloadType));
        Assert.Equal(2, st.Rejected(RtpRejectReason.TooLarge));
        Assert.Equal(1, st.Rejected(RtpRejectReason.WrongSource));
        Assert.Equal(1, st.RtcpRejected);
        Assert.Equal(50, st.PacketsReceived);
        Assert.Contains(log.Lines, l => l.Contains("WrongVersion", StringComparison.Ordinal));
        Assert.True(bridge.Downlink.Count > 0);
        // It also sends: silence keeps the stream up while the engine gives no audio.
        peer.ReceiveTimeout = 2000;
        var rx = new byte[2048];
        int got = peer.Receive(rx);
        Assert.Equal(RtpRejectReason.None, RtpHeader.TryParse(rx.AsSpan(0, got), out var h));
        Assert.Equal(111, h.PayloadType);
        Assert.Equal(session.Ssrc, h.Ssrc);
    }

    [Fact]
    public void Ssrc_change_restarts_the_stream()
    {
        var bridge = new CallAudioBridge(16000, 64);
        using var session = new MediaSession(bridge, IPAddress.Loopback, new MediaSessionSettings(), TimeProvider.System, new TestLogger());
        session.Update(Opus(9));
        var payload = new byte[] { 0xF8, 0xFF, 0xFE };
        for (int i = 0; i < 10; i++)
        {
            session.ReceiveDatagram(Rtp((ushort)i, (uint)(i * 960), 111, payload, ssrc: 1), null, i * 20_000);
        }
        for (int i = 0; i < 10; i++)
        {
            session.ReceiveDatagram(Rtp((ushort)(40000 + i), (uint)(777 + (i * 960)), 111, payload, ssrc: 2), null, 200_000 + (i * 20_000));
        }
        Assert.Equal(1, session.Statistics.SsrcChanges);
        Assert.Equal(20, session.Statistics.PacketsReceived);
        Assert.Equal(0, session.Statistics.PacketsLost);
        Assert.Equal(0, session.JitterStatistics!.LatePackets);
    }

    [Fact]
    public void Receive_and_send_paths_allocate_nothing_per_packet()
    {
        using var sink = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        sink.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var bridge = new CallAudioBridge(16000, 64);
        using var session = new MediaSession(bridge, IPAddress.Loopback, new MediaSessionSettings { RtcpIntervalMs = 500 }, TimeProvider.System, new TestLogger());
        session.Update(Opus(((IPEndPoint)sink.LocalEndPoint!).Port));
        using var enc = new OpusVoiceEncoder(OpusEncoderSettings.ForProfile(CodecProfile.Voice, 16000));
        var pcm = new float[320];
        for (int k = 0; k < pcm.Length; k++)
        {
            pcm[k] = 0.2f * MathF.Sin(k * 0.1f);
        }
        var buf = new byte[1500];
        int n = enc.Encode(pcm, buf);
        var packet = Rtp(0, 0, 111, buf[..n]);
        var frame = new float[bridge.FrameSamples];
        var drain = new float[bridge.FrameSamples];
        long now = 0;
        void Step(int i)
        {
            System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), (ushort)i);
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(4), (uint)(i * 960));
            session.ReceiveDatagram(packet, null, now);
            for (int t = 0; t < 2; t++)
            {
                bridge.Uplink.TryWrite(frame);
                session.Tick(now);
                bridge.Downlink.TryRead(drain);
                now += 10_000;
            }
        }
        for (int i = 0; i < 300; i++)
        {
            Step(i);
        }
        // Three rounds of 300 packets; the runtime may allocate once while it re-compiles a hot method.
        var rounds = new List<long>();
        for (int r = 0; r < 3; r++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 300; i++)
            {
                Step(300 + (r * 300) + i);
            }
            rounds.Add(GC.GetAllocatedBytesForCurrentThread() - before);
        }
        long allocated = rounds.Min();
        Assert.True(session.Statistics.RtcpSent >= 10, "RTCP reports are part of the measured path");
        Assert.True(session.Statistics.PacketsSent >= 900, $"rounds allocated {string.Join(", ", rounds)} bytes");
        Assert.Equal(0, allocated);
    }
}
