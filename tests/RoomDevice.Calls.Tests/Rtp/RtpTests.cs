using System.Buffers.Binary;
using RoomDevice.Calls.Rtp;

namespace RoomDevice.Calls.Tests.Rtp;

public sealed class RtpTests
{
    private static byte[] Packet(ushort seq, uint ts, uint ssrc, int payload = 20, byte pt = 111)
    {
        var p = new byte[RtpHeader.FixedSize + payload];
        RtpHeader.Write(p, false, pt, seq, ts, ssrc);
        return p;
    }

    [Fact]
    public void Header_round_trips()
    {
        var p = Packet(65535, 0xFFFFFF00, 0xDEADBEEF);
        Assert.Equal(RtpRejectReason.None, RtpHeader.TryParse(p, out var h));
        Assert.Equal(65535, h.Sequence);
        Assert.Equal(0xFFFFFF00, h.Timestamp);
        Assert.Equal(0xDEADBEEF, h.Ssrc);
        Assert.Equal(111, h.PayloadType);
        Assert.Equal(12, h.PayloadOffset);
        Assert.Equal(20, h.PayloadLength);
    }

    [Fact]
    public void Csrc_extension_and_padding_are_skipped()
    {
        var p = new byte[12 + 8 + 8 + 10 + 4];
        RtpHeader.Write(p, true, 0, 1, 2, 3);
        p[0] = 0x80 | 0x20 | 0x10 | 2; // padding, extension, 2 CSRCs
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(20 + 2), 1); // one extension word
        p[^1] = 4;
        Assert.Equal(RtpRejectReason.None, RtpHeader.TryParse(p, out var h));
        Assert.True(h.Marker);
        Assert.Equal(12 + 8 + 8, h.PayloadOffset);
        Assert.Equal(10, h.PayloadLength);
    }

    [Fact]
    public void Bad_packets_are_classified()
    {
        Assert.Equal(RtpRejectReason.ShortHeader, RtpHeader.TryParse(new byte[11], out _));
        var v1 = Packet(1, 1, 1);
        v1[0] = 0x40;
        Assert.Equal(RtpRejectReason.WrongVersion, RtpHeader.TryParse(v1, out _));
        var csrc = Packet(1, 1, 1, payload: 4);
        csrc[0] = 0x80 | 15;
        Assert.Equal(RtpRejectReason.ShortHeader, RtpHeader.TryParse(csrc, out _));
        var pad = Packet(1, 1, 1, payload: 4);
        pad[0] |= 0x20;
        pad[^1] = 200;
        Assert.Equal(RtpRejectReason.ShortHeader, RtpHeader.TryParse(pad, out _));
        Assert.Equal(RtpRejectReason.TooLarge, RtpHeader.TryParse(new byte[RtpHeader.MaxPacketBytes + 1], out _));
    }

    [Fact]
    public void Statistics_follow_the_sequence_wrap_and_count_loss()
    {
        var s = new RtpReceiverStatistics();
        ushort seq = 65530;
        int received = 0;
        for (int i = 0; i < 20; i++, seq++)
        {
            if (i is 3 or 8)
            {
                continue; // lost, one of them across the wrap
            }
            s.Update(42, seq, (uint)(i * 960), i * 960);
            received++;
        }
        Assert.Equal(20, s.Expected);
        Assert.Equal(received, s.Received);
        Assert.Equal(2, s.CumulativeLost);
        Assert.Equal(65530 + 19, s.ExtendedHighest);
        Assert.Equal((byte)(2 * 256 / 20), s.TakeFractionLost());
        Assert.Equal(0, s.TakeFractionLost());
        Assert.Equal(0, s.JitterTimestampUnits, 3);
    }

    [Fact]
    public void Jitter_grows_with_uneven_arrival()
    {
        var s = new RtpReceiverStatistics();
        for (int i = 0; i < 200; i++)
        {
            double arrival = (i * 960) + (i % 2 == 0 ? 0 : 960); // every other packet 20 ms late
            s.Update(1, (ushort)i, (uint)(i * 960), arrival);
        }
        Assert.InRange(s.JitterTimestampUnits, 800, 1000);
    }

    [Fact]
    public void New_ssrc_restarts_the_statistics()
    {
        var s = new RtpReceiverStatistics();
        for (int i = 0; i < 10; i++)
        {
            s.Update(1, (ushort)(100 + i), 0, 0);
        }
        s.Update(2, 5000, 0, 0);
        Assert.Equal(2u, s.Ssrc);
        Assert.Equal(1, s.Received);
        Assert.Equal(0, s.CumulativeLost);
    }

    [Fact]
    public void Rtcp_report_round_trips_and_gives_round_trip_time()
    {
        var buf = new byte[512];
        var block = new RtcpReportBlock(0xAABBCCDD, 25, 7, 70000, 123, 0x12345678, 0x00010000);
        int n = RtcpPacket.Write(buf, 0x11111111, true, 0x0102030405060708UL, 960, 50, 4000, block, RtcpPacket.CnameBytes("room@x"), bye: true);
        Assert.Equal(0, n % 4);
        Assert.True(RtpHeader.LooksLikeRtcp(buf.AsSpan(0, n)));
        Assert.True(RtcpPacket.TryParse(buf.AsSpan(0, n), 0xAABBCCDD, out var s));
        Assert.Equal(0x11111111u, s.SenderSsrc);
        Assert.True(s.HasSenderReport);
        Assert.Equal(0x03040506u, s.SenderNtpMiddle);
        Assert.True(s.Bye);
        var b = s.AboutUs!.Value;
        Assert.Equal(25, b.FractionLost);
        Assert.Equal(7, b.CumulativeLost);
        Assert.Equal(70000u, b.ExtendedHighest);
        Assert.Equal(0x12345678u, b.LastSr);
        // RTT = now - LSR - DLSR, in 1/65536 s.
        uint now = 0x12345678u + 0x00010000u + 0x2000u;
        Assert.Equal(125.0, (now - b.LastSr - b.DelaySinceLastSr) * 1000.0 / 65536.0, 3);
    }

    [Fact]
    public void Malformed_rtcp_is_refused()
    {
        Assert.False(RtcpPacket.TryParse(new byte[4], 1, out _));
        var buf = new byte[64];
        int n = RtcpPacket.Write(buf, 1, false, 0, 0, 0, 0, null, "x"u8, false);
        buf[3] = 200; // length beyond the datagram
        Assert.False(RtcpPacket.TryParse(buf.AsSpan(0, n), 1, out _));
        buf[3] = 1;
        buf[1] = 202; // compound must start with SR/RR
        Assert.False(RtcpPacket.TryParse(buf.AsSpan(0, n), 1, out _));
    }
}
