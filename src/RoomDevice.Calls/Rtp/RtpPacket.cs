using System.Buffers.Binary;

namespace RoomDevice.Calls.Rtp;

/// <summary>Why an RTP packet was refused.</summary>
public enum RtpRejectReason
{
    /// <summary>Accepted.</summary>
    None,
    /// <summary>Shorter than the 12-byte fixed header or than its CSRC list, extension or padding claim.</summary>
    ShortHeader,
    /// <summary>Version field not 2.</summary>
    WrongVersion,
    /// <summary>Payload type not negotiated.</summary>
    UnknownPayloadType,
    /// <summary>Larger than any audio packet can be.</summary>
    TooLarge,
    /// <summary>From an address other than the negotiated peer.</summary>
    WrongSource,
}

/// <summary>The parsed fixed header of an RTP packet (RFC 3550 §5.1); the payload is a slice of the datagram.</summary>
public readonly struct RtpHeader
{
    /// <summary>Size of the fixed header.</summary>
    public const int FixedSize = 12;

    /// <summary>Largest datagram accepted as RTP.</summary>
    public const int MaxPacketBytes = 1500;

    /// <summary>Marker bit.</summary>
    public bool Marker { get; init; }

    /// <summary>Payload type.</summary>
    public byte PayloadType { get; init; }

    /// <summary>Sequence number.</summary>
    public ushort Sequence { get; init; }

    /// <summary>Timestamp.</summary>
    public uint Timestamp { get; init; }

    /// <summary>Synchronisation source.</summary>
    public uint Ssrc { get; init; }

    /// <summary>Offset of the payload in the datagram.</summary>
    public int PayloadOffset { get; init; }

    /// <summary>Payload length (padding removed).</summary>
    public int PayloadLength { get; init; }

    /// <summary>Parses the header; never throws. Payload-type checks are the session's job.</summary>
    public static RtpRejectReason TryParse(ReadOnlySpan<byte> packet, out RtpHeader header)
    {
        header = default;
        if (packet.Length > MaxPacketBytes)
        {
            return RtpRejectReason.TooLarge;
        }
        if (packet.Length < FixedSize)
        {
            return RtpRejectReason.ShortHeader;
        }
        byte b0 = packet[0];
        if (b0 >> 6 != 2)
        {
            return RtpRejectReason.WrongVersion;
        }
        int csrc = b0 & 0x0F;
        int offset = FixedSize + (4 * csrc);
        if (packet.Length < offset)
        {
            return RtpRejectReason.ShortHeader;
        }
        if ((b0 & 0x10) != 0)
        {
            if (packet.Length < offset + 4)
            {
                return RtpRejectReason.ShortHeader;
            }
            int words = BinaryPrimitives.ReadUInt16BigEndian(packet.Slice(offset + 2, 2));
            offset += 4 + (4 * words);
            if (packet.Length < offset)
            {
                return RtpRejectReason.ShortHeader;
            }
        }
        int end = packet.Length;
        if ((b0 & 0x20) != 0)
        {
            int pad = packet[^1];
            if (pad == 0 || end - pad < offset)
            {
                return RtpRejectReason.ShortHeader;
            }
            end -= pad;
        }
        header = new RtpHeader
        {
            Marker = (packet[1] & 0x80) != 0,
            PayloadType = (byte)(packet[1] & 0x7F),
            Sequence = BinaryPrimitives.ReadUInt16BigEndian(packet.Slice(2, 2)),
            Timestamp = BinaryPrimitives.ReadUInt32BigEndian(packet.Slice(4, 4)),
            Ssrc = BinaryPrimitives.ReadUInt32BigEndian(packet.Slice(8, 4)),
            PayloadOffset = offset,
            PayloadLength = end - offset,
        };
        return RtpRejectReason.None;
    }

    /// <summary>Writes a 12-byte header without CSRCs or extension.</summary>
    public static void Write(Span<byte> into, bool marker, byte payloadType, ushort sequence, uint timestamp, uint ssrc)
    {
        into[0] = 0x80;
        into[1] = (byte)((marker ? 0x80 : 0) | (payloadType & 0x7F));
        BinaryPrimitives.WriteUInt16BigEndian(into[2..], sequence);
        BinaryPrimitives.WriteUInt32BigEndian(into[4..], timestamp);
        BinaryPrimitives.WriteUInt32BigEndian(into[8..], ssrc);
    }

    /// <summary>True when the datagram looks like RTCP (RFC 5761 demultiplexing: payload type 200–204 in the second byte).</summary>
    public static bool LooksLikeRtcp(ReadOnlySpan<byte> packet) =>
        packet.Length >= 8 && packet[0] >> 6 == 2 && packet[1] is >= 192 and <= 223;
}

/// <summary>
/// Receive statistics of one RTP source (RFC 3550 appendix A.1, A.3, A.8): extended highest
/// sequence, cumulative and interval loss, interarrival jitter.
/// </summary>
public sealed class RtpReceiverStatistics
{
    private const int SeqMod = 1 << 16, MaxDropout = 3000, MaxMisorder = 100;
    private ushort _maxSeq;
    private uint _cycles;
    private uint _baseSeq;
    private uint _badSeq;
    private long _received;
    private long _expectedPrior;
    private long _receivedPrior;
    private double _transit;
    private double _jitter;
    private bool _started;

    /// <summary>SSRC being tracked.</summary>
    public uint Ssrc { get; private set; }

    /// <summary>Packets received.</summary>
    public long Received => _received;

    /// <summary>Extended highest sequence number received.</summary>
    public long ExtendedHighest => _cycles + (long)_maxSeq;

    /// <summary>Packets expected so far.</summary>
    public long Expected => _started ? ExtendedHighest - _baseSeq + 1 : 0;

    /// <summary>Cumulative packets lost (may be negative with duplicates).</summary>
    public long CumulativeLost => Expected - _received;

    /// <summary>Interarrival jitter in timestamp units.</summary>
    public double JitterTimestampUnits => _jitter;

    /// <summary>Starts over for a new source.</summary>
    public void Reset(uint ssrc, ushort seq)
    {
        Ssrc = ssrc;
        _baseSeq = seq;
        _maxSeq = seq;
        _badSeq = SeqMod + 1;
        _cycles = 0;
        _received = 0;
        _expectedPrior = 0;
        _receivedPrior = 0;
        _transit = 0;
        _jitter = 0;
        _started = true;
    }

    /// <summary>
    /// Counts one packet. <paramref name="arrivalTimestampUnits"/> is the arrival time in the
    /// payload's clock. Returns false when the sequence jump is too large to be this stream (the
    /// caller treats a repeated such jump as a restarted sender).
    /// </summary>
    public bool Update(uint ssrc, ushort seq, uint rtpTimestamp, double arrivalTimestampUnits)
    {
        if (!_started || ssrc != Ssrc)
        {
            Reset(ssrc, seq);
            _received = 1;
            _transit = arrivalTimestampUnits - rtpTimestamp;
            return true;
        }
        int udelta = (ushort)(seq - _maxSeq);
        if (udelta < MaxDropout)
        {
            if (seq < _maxSeq)
            {
                _cycles += SeqMod;
            }
            _maxSeq = seq;
        }
        else if (udelta <= SeqMod - MaxMisorder)
        {
            if (seq == _badSeq)
            {
                Reset(ssrc, seq);
            }
            else
            {
                _badSeq = (uint)((seq + 1) & (SeqMod - 1));
                return false;
            }
        }
        _received++;
        double transit = arrivalTimestampUnits - rtpTimestamp;
        double d = Math.Abs(transit - _transit);
        _transit = transit;
        _jitter += (d - _jitter) / 16.0;
        return true;
    }

    /// <summary>Fraction lost since the previous report (0..255) and the interval counts, and starts a new interval.</summary>
    public byte TakeFractionLost()
    {
        long expected = Expected;
        long expectedInterval = expected - _expectedPrior;
        _expectedPrior = expected;
        long receivedInterval = _received - _receivedPrior;
        _receivedPrior = _received;
        long lostInterval = expectedInterval - receivedInterval;
        if (expectedInterval == 0 || lostInterval <= 0)
        {
            return 0;
        }
        return (byte)Math.Min(255, (lostInterval << 8) / expectedInterval);
    }
}
