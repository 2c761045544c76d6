using System.Buffers.Binary;
using System.Text;

namespace RoomDevice.Calls.Rtp;

/// <summary>One RTCP report block (RFC 3550 §6.4.1).</summary>
public readonly record struct RtcpReportBlock(uint Ssrc, byte FractionLost, int CumulativeLost, uint ExtendedHighest, uint Jitter, uint LastSr, uint DelaySinceLastSr);

/// <summary>What a compound RTCP packet said that the session acts on.</summary>
public struct RtcpSummary
{
    /// <summary>Sender of the packet.</summary>
    public uint SenderSsrc;
    /// <summary>True when a sender report was present.</summary>
    public bool HasSenderReport;
    /// <summary>Middle 32 bits of the SR's NTP timestamp (for LSR in our next report).</summary>
    public uint SenderNtpMiddle;
    /// <summary>The report block about our stream, when present.</summary>
    public RtcpReportBlock? AboutUs;
    /// <summary>The sender said goodbye.</summary>
    public bool Bye;
}

/// <summary>Builds and parses RTCP compound packets: SR/RR, SDES CNAME, BYE. Never throws on input.</summary>
public static class RtcpPacket
{
    /// <summary>RTCP packet types.</summary>
    public const byte SenderReport = 200, ReceiverReport = 201, SourceDescription = 202, Goodbye = 203;

    /// <summary>NTP time (seconds since 1900 as 32.32 fixed point) of <paramref name="utc"/>.</summary>
    public static ulong ToNtp(DateTimeOffset utc)
    {
        double seconds = (utc - new DateTimeOffset(1900, 1, 1, 0, 0, 0, TimeSpan.Zero)).TotalSeconds;
        ulong whole = (ulong)Math.Floor(seconds);
        ulong frac = (ulong)((seconds - Math.Floor(seconds)) * 4294967296.0);
        return (whole << 32) | frac;
    }

    /// <summary>Middle 32 bits of an NTP timestamp (units of 1/65536 s).</summary>
    public static uint Middle(ulong ntp) => (uint)(ntp >> 16);

    /// <summary>
    /// Writes SR (when <paramref name="sent"/> is true) or RR, with at most one report block, then
    /// SDES CNAME, optionally BYE. Returns the length written.
    /// </summary>
    public static int Write(Span<byte> into, uint ssrc, bool sent, ulong ntp, uint rtpTimestamp, uint packetsSent, uint octetsSent,
        RtcpReportBlock? block, ReadOnlySpan<byte> cname, bool bye)
    {
        int pos = 0;
        int rc = block is null ? 0 : 1;
        int words = (sent ? 6 : 1) + (rc * 6); // length in 32-bit words minus one
        into[pos] = (byte)(0x80 | rc);
        into[pos + 1] = sent ? SenderReport : ReceiverReport;
        BinaryPrimitives.WriteUInt16BigEndian(into[(pos + 2)..], (ushort)words);
        BinaryPrimitives.WriteUInt32BigEndian(into[(pos + 4)..], ssrc);
        pos += 8;
        if (sent)
        {
            BinaryPrimitives.WriteUInt64BigEndian(into[pos..], ntp);
            BinaryPrimitives.WriteUInt32BigEndian(into[(pos + 8)..], rtpTimestamp);
            BinaryPrimitives.WriteUInt32BigEndian(into[(pos + 12)..], packetsSent);
            BinaryPrimitives.WriteUInt32BigEndian(into[(pos + 16)..], octetsSent);
            pos += 20;
        }
        if (block is RtcpReportBlock b)
        {
            BinaryPrimitives.WriteUInt32BigEndian(into[pos..], b.Ssrc);
            int lost = Math.Clamp(b.CumulativeLost, -0x800000, 0x7FFFFF);
            BinaryPrimitives.WriteUInt32BigEndian(into[(pos + 4)..], ((uint)b.FractionLost << 24) | ((uint)lost & 0xFFFFFF));
            BinaryPrimitives.WriteUInt32BigEndian(into[(pos + 8)..], b.ExtendedHighest);
            BinaryPrimitives.WriteUInt32BigEndian(into[(pos + 12)..], b.Jitter);
            BinaryPrimitives.WriteUInt32BigEndian(into[(pos + 16)..], b.LastSr);
            BinaryPrimitives.WriteUInt32BigEndian(into[(pos + 20)..], b.DelaySinceLastSr);
            pos += 24;
        }
        // SDES with one chunk: SSRC, CNAME item, END, padded to a word.
        int cnameLen = Math.Min(cname.Length, 255);
        int chunk = 4 + 2 + cnameLen + 1;
        int padded = (chunk + 3) & ~3;
        into[pos] = 0x81;
        into[pos + 1] = SourceDescription;
        BinaryPrimitives.WriteUInt16BigEndian(into[(pos + 2)..], (ushort)(padded / 4));
        BinaryPrimitives.WriteUInt32BigEndian(into[(pos + 4)..], ssrc);
        into[pos + 8] = 1;
        into[pos + 9] = (byte)cnameLen;
        cname[..cnameLen].CopyTo(into[(pos + 10)..]);
        into.Slice(pos + 10 + cnameLen, padded - chunk + 1).Clear();
        pos += 4 + padded;
        if (bye)
        {
            into[pos] = 0x81;
            into[pos + 1] = Goodbye;
            BinaryPrimitives.WriteUInt16BigEndian(into[(pos + 2)..], 1);
            BinaryPrimitives.WriteUInt32BigEndian(into[(pos + 4)..], ssrc);
            pos += 8;
        }
        return pos;
    }

    /// <summary>Parses a compound packet; false when it is not valid RTCP.</summary>
    public static bool TryParse(ReadOnlySpan<byte> data, uint ourSsrc, out RtcpSummary summary)
    {
        summary = default;
        if (data.Length < 8 || data.Length > RtpHeader.MaxPacketBytes)
        {
            return false;
        }
        int pos = 0;
        bool first = true;
        while (pos + 4 <= data.Length)
        {
            byte b0 = data[pos];
            if (b0 >> 6 != 2)
            {
                return false;
            }
            byte pt = data[pos + 1];
            int len = (BinaryPrimitives.ReadUInt16BigEndian(data.Slice(pos + 2, 2)) + 1) * 4;
            if (pos + len > data.Length)
            {
                return false;
            }
            if (first && pt is not (SenderReport or ReceiverReport))
            {
                return false; // RFC 3550: a compound packet starts with SR or RR
            }
            first = false;
            var p = data.Slice(pos, len);
            int rc = b0 & 0x1F;
            if (pt is SenderReport or ReceiverReport)
            {
                if (p.Length < 8)
                {
                    return false;
                }
                summary.SenderSsrc = BinaryPrimitives.ReadUInt32BigEndian(p[4..]);
                int blocks = 8;
                if (pt == SenderReport)
                {
                    if (p.Length < 28)
                    {
                        return false;
                    }
                    summary.HasSenderReport = true;
                    summary.SenderNtpMiddle = Middle(BinaryPrimitives.ReadUInt64BigEndian(p[8..]));
                    blocks = 28;
                }
                for (int i = 0; i < rc; i++)
                {
                    int at = blocks + (24 * i);
                    if (at + 24 > p.Length)
                    {
                        return false;
                    }
                    uint ssrc = BinaryPrimitives.ReadUInt32BigEndian(p[at..]);
                    if (ssrc != ourSsrc)
                    {
                        continue;
                    }
                    uint word = BinaryPrimitives.ReadUInt32BigEndian(p[(at + 4)..]);
                    int lost = (int)(word & 0xFFFFFF);
                    if ((lost & 0x800000) != 0)
                    {
                        lost |= unchecked((int)0xFF000000);
                    }
                    summary.AboutUs = new RtcpReportBlock(ssrc, (byte)(word >> 24), lost,
                        BinaryPrimitives.ReadUInt32BigEndian(p[(at + 8)..]), BinaryPrimitives.ReadUInt32BigEndian(p[(at + 12)..]),
                        BinaryPrimitives.ReadUInt32BigEndian(p[(at + 16)..]), BinaryPrimitives.ReadUInt32BigEndian(p[(at + 20)..]));
                }
            }
            else if (pt == Goodbye)
            {
                summary.Bye = true;
            }
            pos += len;
        }
        return pos == data.Length;
    }

    /// <summary>Bytes of a CNAME.</summary>
    public static byte[] CnameBytes(string cname) => Encoding.ASCII.GetBytes(cname.Length > 255 ? cname[..255] : cname);
}
