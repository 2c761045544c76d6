using System.Net;
using System.Text;
using RoomDevice.Audio.Pipeline;
using RoomDevice.Calls.Media;
using RoomDevice.Calls.Rtp;
using RoomDevice.Calls.Sdp;
using RoomDevice.Calls.Sip;
using RoomDevice.Calls.Tests.Sdp;
using RoomDevice.Calls.Tests.Sip;
using RoomDevice.Codecs.Opus;

namespace RoomDevice.Calls.Tests;

/// <summary>Random and mutated input into every parser: refusals, never exceptions.</summary>
public sealed class FuzzTests
{
    private const int Rounds = 5000;

    private static byte[] Mutate(Random rng, byte[] seed)
    {
        var b = (byte[])seed.Clone();
        int edits = rng.Next(1, 8);
        for (int e = 0; e < edits; e++)
        {
            switch (rng.Next(5))
            {
                case 0:
                    b[rng.Next(b.Length)] = (byte)rng.Next(256);
                    break;
                case 1:
                    b = b[..rng.Next(b.Length)];
                    break;
                case 2:
                    {
                        int at = rng.Next(b.Length);
                        b = [.. b[..at], .. "\r\n:;<>\"=,@ \0"u8.ToArray().AsSpan(rng.Next(11), 1), .. b[at..]];
                        break;
                    }
                case 3:
                    {
                        int at = rng.Next(b.Length), len = rng.Next(1, Math.Max(2, b.Length - at));
                        b = [.. b[..at], .. b[Math.Min(b.Length, at + len)..]];
                        break;
                    }
                default:
                    {
                        int at = rng.Next(b.Length);
                        b = [.. b[..at], .. b[at..], .. b[at..Math.Min(b.Length, at + 40)]];
                        break;
                    }
            }
            if (b.Length == 0)
            {
                b = [(byte)rng.Next(256)];
            }
        }
        return b;
    }

    private static byte[] Random(Random rng, int max)
    {
        var b = new byte[rng.Next(0, max)];
        rng.NextBytes(b);
        return b;
    }

    [Fact]
    public void Sip_parser_survives_random_and_mutated_messages()
    {
        var rng = new Random(11);
        byte[] seed = Encoding.UTF8.GetBytes(SipParserTests.Invite);
        int accepted = 0;
        for (int i = 0; i < Rounds; i++)
        {
            byte[] input = i % 3 == 0 ? Random(rng, 600) : Mutate(rng, seed);
            bool ok = SipParser.TryParse(input, out var m, out string error);
            Assert.True(ok == (m is not null) && (ok || error.Length > 0));
            if (ok)
            {
                accepted++;
                _ = m!.ToBytes();
                _ = m.From;
                _ = m.TopVia;
                _ = SessionDescription.TryParse(m.BodyText, out _, out _);
            }
            _ = SipParser.FrameLength(input, out _);
        }
        Assert.InRange(accepted, 1, Rounds - 1);
    }

    [Fact]
    public void Sdp_parser_and_negotiator_survive_mutated_offers()
    {
        var rng = new Random(12);
        byte[] seed = Encoding.UTF8.GetBytes(SdpTests.BaresipOffer);
        var caps = new LocalMediaCapabilities();
        for (int i = 0; i < Rounds; i++)
        {
            string text = Encoding.UTF8.GetString(i % 4 == 0 ? Random(rng, 400) : Mutate(rng, seed));
            if (SessionDescription.TryParse(text, out var sdp, out string error))
            {
                _ = sdp!.ToString();
                if (SdpNegotiator.TryAnswer(sdp, caps, IPAddress.Loopback, 1000, 1001, false, "1", 1, out var answer, out _, out error))
                {
                    Assert.True(SessionDescription.TryParse(answer!.ToString(), out _, out _));
                }
                _ = SdpNegotiator.TryReadAnswer(sdp, caps, out _, out _);
            }
            else
            {
                Assert.NotEmpty(error);
            }
        }
    }

    [Fact]
    public void Rtp_rtcp_and_the_media_path_survive_random_datagrams()
    {
        var rng = new Random(13);
        var bridge = new CallAudioBridge(16000, 64);
        using var session = new MediaSession(bridge, IPAddress.Loopback, new MediaSessionSettings(), TimeProvider.System, new TestLogger());
        session.Update(new NegotiatedMedia(CallCodec.Opus, 111, 48000, 20, new IPEndPoint(IPAddress.Loopback, 9), new IPEndPoint(IPAddress.Loopback, 10),
            MediaDirection.SendRecv, true, 16000, 101, CodecProfile.Voice));
        var good = new byte[40];
        RtpHeader.Write(good, false, 111, 1, 960, 7);
        var rtcp = new byte[200];
        int rtcpLen = RtcpPacket.Write(rtcp, 5, true, 1, 2, 3, 4, new RtcpReportBlock(session.Ssrc, 1, 2, 3, 4, 5, 6), "x"u8, true);
        var frame = new float[bridge.FrameSamples];
        long now = 0;
        for (int i = 0; i < Rounds; i++)
        {
            byte[] d = (i % 3) switch
            {
                0 => Random(rng, 1700),
                1 => Mutate(rng, good),
                _ => Mutate(rng, rtcp[..rtcpLen]),
            };
            if (i % 2 == 0 && d.Length >= 2)
            {
                d[0] = (byte)((d[0] & 0x3F) | 0x80); // mostly version 2, to get past the first check
            }
            _ = RtpHeader.TryParse(d, out _);
            _ = RtcpPacket.TryParse(d, session.Ssrc, out _);
            session.ReceiveDatagram(d, null, now);
            if (i % 5 == 0)
            {
                session.Tick(now);
                bridge.Downlink.TryRead(frame);
                now += 10_000;
            }
        }
        Assert.True(session.Statistics.RejectedTotal + session.Statistics.RtcpRejected > Rounds / 4);
    }

    [Fact]
    public void Jitter_buffer_survives_random_sequence_numbers_timestamps_and_sizes()
    {
        var rng = new Random(14);
        using var dec = new OpusVoiceDecoder(16000);
        var jb = new JitterBuffer(new JitterBufferSettings(), dec, 48000, 20, true);
        var frame = new float[jb.FrameSamples];
        long now = 0;
        for (int i = 0; i < Rounds; i++)
        {
            var payload = Random(rng, rng.Next(10) == 0 ? 2000 : 200);
            jb.Insert((ushort)rng.Next(65536), (uint)rng.NextInt64(0, uint.MaxValue), payload, now + rng.Next(-50_000, 50_000));
            jb.Pull(frame, now);
            now += 10_000;
            Assert.All(frame, s => Assert.True(float.IsFinite(s)));
        }
        Assert.True(jb.Statistics.SamplesOut > 0);
    }

    [Fact]
    public async Task Live_agent_survives_mutated_datagrams_and_still_answers_options()
    {
        using var room = new AgentRig();
        using var peer = new RawSipPeer();
        var rng = new Random(15);
        byte[] seed = Encoding.UTF8.GetBytes(SipParserTests.Invite.Replace("127.0.0.1:5070", "127.0.0.1:" + peer.Port, StringComparison.Ordinal));
        var to = room.Agent.LocalEndPoint;
        for (int i = 0; i < 1500; i++)
        {
            peer.Send(i % 3 == 0 ? Random(rng, 1400) : Mutate(rng, seed), to);
        }
        await Task.Delay(500);
        while (peer.Receive(200) is not null)
        {
        }
        string options = "OPTIONS sip:room@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:" + peer.Port + ";branch=z9hG4bKfuzzcheck\r\n" +
            "From: <sip:fuzz@127.0.0.1>;tag=f\r\nTo: <sip:room@127.0.0.1>\r\nCall-ID: fuzz-check\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";
        peer.Send(options, to);
        SipMessage? reply = null;
        for (int i = 0; i < 20 && reply?.CallId != "fuzz-check"; i++)
        {
            reply = peer.Receive(2000);
        }
        Assert.NotNull(reply);
        Assert.Equal(200, reply!.StatusCode);
        Assert.True(room.Agent.Transport.Rejected > 100);
        foreach (var c in room.Agent.ActiveCalls)
        {
            c.Hangup();
        }
    }

    [Fact]
    public async Task A_tcp_stream_that_is_not_sip_is_closed_and_counted()
    {
        using var room = new AgentRig(tcpPort: 0);
        var tcp = room.Agent.Transport.TcpEndPoint!;
        using (var client = new System.Net.Sockets.TcpClient())
        {
            await client.ConnectAsync(tcp.Address, tcp.Port);
            var stream = client.GetStream();
            await stream.WriteAsync(Encoding.ASCII.GetBytes("INVITE sip:x@y SIP/2.0\r\nContent-Length: 99999999\r\n\r\n"));
            var buf = new byte[16];
            stream.ReadTimeout = 5000;
            int n = await stream.ReadAsync(buf).AsTask().WaitAsync(TimeSpan.FromSeconds(5));
            Assert.Equal(0, n); // the device hung up on it
        }
        Assert.True(room.Agent.Transport.Rejected >= 1);
        Assert.Contains("Content-Length", room.Agent.Transport.LastRejection, StringComparison.Ordinal);
        using var caller = new AgentRig(user: "caller", tcpPort: 0);
        var call = caller.Agent.Dial($"sip:room@127.0.0.1:{tcp.Port};transport=tcp");
        await call.Connected.WaitAsync(TimeSpan.FromSeconds(15));
        call.Hangup();
    }
}
