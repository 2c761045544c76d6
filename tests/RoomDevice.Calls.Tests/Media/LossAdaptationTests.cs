using System.Net;
using System.Net.Sockets;
using RoomDevice.Audio.Pipeline;
using RoomDevice.Calls.Media;
using RoomDevice.Calls.Rtp;
using RoomDevice.Calls.Sdp;
using RoomDevice.Codecs.Opus;

namespace RoomDevice.Calls.Tests.Media;

/// <summary>The loss the far end reports in RTCP reaches the encoder, and FEC is then really sent.</summary>
[Collection("speech")]
public sealed class LossAdaptationTests(SpeechFixture speech)
{
    [Fact]
    public void Loss_reported_by_the_far_end_raises_the_voice_bitrate_and_the_sent_packets_carry_fec()
    {
        using var far = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        far.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        far.ReceiveTimeout = 2000;
        int farPort = ((IPEndPoint)far.LocalEndPoint!).Port;
        var bridge = new CallAudioBridge(16000, 64);
        using var session = new MediaSession(bridge, IPAddress.Loopback, new MediaSessionSettings { RtcpIntervalMs = 60000 }, TimeProvider.System, new TestLogger());
        session.Update(new NegotiatedMedia(CallCodec.Opus, 111, 48000, 20, new IPEndPoint(IPAddress.Loopback, farPort),
            new IPEndPoint(IPAddress.Loopback, farPort + 1), MediaDirection.SendRecv, true, 16000, 101, CodecProfile.Voice));

        float[] voice = speech.Speech16k;
        int offset = 0;
        long now = 0;
        // Sends two seconds of speech and returns how many of the Opus packets the far end got carry FEC.
        int SendSpeech()
        {
            var frame = new float[bridge.FrameSamples];
            for (int t = 0; t < 200; t++)
            {
                Array.Copy(voice, offset % (voice.Length - frame.Length), frame, 0, frame.Length);
                offset += frame.Length;
                bridge.Uplink.TryWrite(frame);
                session.Tick(now);
                now += 10_000;
            }
            int fec = 0;
            var rx = new byte[2048];
            while (far.Available > 0)
            {
                int n = far.Receive(rx);
                if (RtpHeader.TryParse(rx.AsSpan(0, n), out RtpHeader h) == RtpRejectReason.None && h.PayloadType == 111 && OpusPacket.HasFec(rx.AsSpan(12, n - 12)))
                {
                    fec++;
                }
            }
            return fec;
        }

        Assert.Equal(0, SendSpeech());
        Assert.Equal(0, session.Statistics.EncoderExpectedLoss);

        // The far end reports 3 % of our packets lost (8/256): at 20 kbit/s libopus would send no FEC for that.
        var rr = new byte[256];
        int len = RtcpPacket.Write(rr, 0x5151, false, 0, 0, 0, 0, new RtcpReportBlock(session.Ssrc, 8, 10, 200, 0, 0, 0), RtcpPacket.CnameBytes("far@x"), bye: false);
        session.ReceiveDatagram(rr.AsSpan(0, len), null, now);
        int fecPackets = SendSpeech();
        Assert.True(fecPackets > 20, $"{fecPackets} packets with FEC after the far end reported loss");
        Assert.Equal(4, session.Statistics.EncoderExpectedLoss);
        Assert.Equal(OpusEncoderSettings.VoiceMaxBitrate, session.Statistics.EncoderBitrate);
    }
}
