namespace RoomDevice.Codecs.Opus;

/// <summary>The coding mode of an Opus frame, from its TOC byte (RFC 6716 §3.1).</summary>
public enum OpusMode
{
    /// <summary>SILK only (speech codec, up to wideband).</summary>
    Silk,

    /// <summary>SILK for the low band plus CELT above 8 kHz.</summary>
    Hybrid,

    /// <summary>CELT only (transform codec).</summary>
    Celt,
}

/// <summary>Audio bandwidth signalled in the TOC byte.</summary>
public enum OpusBandwidth
{
    /// <summary>4 kHz (8 kHz sampling).</summary>
    Narrowband,

    /// <summary>6 kHz (12 kHz sampling).</summary>
    Mediumband,

    /// <summary>8 kHz (16 kHz sampling).</summary>
    Wideband,

    /// <summary>12 kHz (24 kHz sampling).</summary>
    SuperWideband,

    /// <summary>20 kHz (48 kHz sampling).</summary>
    Fullband,
}

/// <summary>What the TOC byte (and, for code 3, the frame-count byte) of an Opus packet says.</summary>
/// <param name="Config">TOC configuration number 0..31.</param>
/// <param name="Mode">SILK, hybrid or CELT.</param>
/// <param name="Bandwidth">Coded audio bandwidth.</param>
/// <param name="FrameSamples48k">Samples per frame at 48 kHz (120 = 2.5 ms … 2880 = 60 ms).</param>
/// <param name="FrameCount">Frames in the packet.</param>
/// <param name="Stereo">Whether the stereo flag is set.</param>
public readonly record struct OpusPacketInfo(int Config, OpusMode Mode, OpusBandwidth Bandwidth, int FrameSamples48k, int FrameCount, bool Stereo)
{
    /// <summary>Frame duration in milliseconds.</summary>
    public double FrameMs => FrameSamples48k / 48.0;

    /// <summary>Packet duration in milliseconds.</summary>
    public double DurationMs => FrameMs * FrameCount;
}

/// <summary>Reads the TOC byte of Opus packets without decoding them.</summary>
public static class OpusPacket
{
    /// <summary>Mode of a TOC byte.</summary>
    public static OpusMode Mode(byte toc)
    {
        int config = toc >> 3;
        return config < 12 ? OpusMode.Silk : config < 16 ? OpusMode.Hybrid : OpusMode.Celt;
    }

    /// <summary>Bandwidth of a TOC byte.</summary>
    public static OpusBandwidth Bandwidth(byte toc)
    {
        int config = toc >> 3;
        return config switch
        {
            < 12 => (OpusBandwidth)(config / 4),                       // NB, MB, WB
            < 16 => config < 14 ? OpusBandwidth.SuperWideband : OpusBandwidth.Fullband,
            < 20 => OpusBandwidth.Narrowband,
            < 24 => OpusBandwidth.Wideband,
            < 28 => OpusBandwidth.SuperWideband,
            _ => OpusBandwidth.Fullband,
        };
    }

    /// <summary>Samples per frame at 48 kHz of a TOC byte.</summary>
    public static int FrameSamples48k(byte toc)
    {
        int config = toc >> 3;
        int sizeIndex = config & 3;
        return config switch
        {
            < 12 => sizeIndex switch { 0 => 480, 1 => 960, 2 => 1920, _ => 2880 },
            < 16 => (sizeIndex & 1) == 0 ? 480 : 960,
            _ => 120 << sizeIndex,
        };
    }

    /// <summary>
    /// Reads the packet header; false for an empty packet, a code-3 packet without its count byte,
    /// a zero frame count or more than 120 ms of audio (RFC 6716 §3.2.5).
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> packet, out OpusPacketInfo info)
    {
        info = default;
        if (packet.IsEmpty)
        {
            return false;
        }
        byte toc = packet[0];
        int frames;
        switch (toc & 3)
        {
            case 0:
                frames = 1;
                break;
            case 1:
            case 2:
                frames = 2;
                break;
            default:
                if (packet.Length < 2)
                {
                    return false;
                }
                frames = packet[1] & 0x3F;
                break;
        }
        int frame48 = FrameSamples48k(toc);
        if (frames == 0 || frames * frame48 > 5760)
        {
            return false;
        }
        info = new OpusPacketInfo(toc >> 3, Mode(toc), Bandwidth(toc), frame48, frames, (toc & 4) != 0);
        return true;
    }

    /// <summary>
    /// Whether the first frame of the packet carries in-band FEC (SILK LBRR data for the frame
    /// before it). The SILK layer opens with one VAD flag per 20 ms SILK frame and then the LBRR
    /// flag, each an equiprobable range-coder symbol, so they are the leading bits of the frame's
    /// first byte (RFC 6716 §4.2.3). CELT-only and malformed packets carry none.
    /// </summary>
    public static bool HasFec(ReadOnlySpan<byte> packet)
    {
        if (!TryParse(packet, out OpusPacketInfo info) || info.Mode == OpusMode.Celt)
        {
            return false;
        }
        int offset = FirstFrameOffset(packet);
        if (offset < 0 || offset >= packet.Length)
        {
            return false;
        }
        // 10 and 20 ms frames hold one SILK frame; 40 and 60 ms hold two and three.
        int silkFrames = Math.Max(1, info.FrameSamples48k / 960);
        return (packet[offset] & (0x80 >> silkFrames)) != 0;
    }

    private static int FirstFrameOffset(ReadOnlySpan<byte> packet)
    {
        switch (packet[0] & 3)
        {
            case 0:
            case 1:
                return 1;
            case 2:
                // one length for the first frame: 1 byte below 252, else 2
                return packet.Length < 2 ? -1 : packet[1] < 252 ? 2 : 3;
            default:
                if (packet.Length < 2)
                {
                    return -1;
                }
                int count = packet[1] & 0x3F;
                bool vbr = (packet[1] & 0x80) != 0, padded = (packet[1] & 0x40) != 0;
                int pos = 2;
                if (padded)
                {
                    while (pos < packet.Length && packet[pos] == 255)
                    {
                        pos++;
                    }
                    pos++;
                }
                if (vbr)
                {
                    for (int i = 0; i < count - 1; i++)
                    {
                        if (pos >= packet.Length)
                        {
                            return -1;
                        }
                        pos += packet[pos] < 252 ? 1 : 2;
                    }
                }
                return pos;
        }
    }

    /// <summary>Reads the packet header; throws <see cref="ArgumentException"/> for a malformed one.</summary>
    public static OpusPacketInfo Parse(ReadOnlySpan<byte> packet)
    {
        if (!TryParse(packet, out OpusPacketInfo info))
        {
            throw new ArgumentException(packet.IsEmpty
                ? "Opus packet is empty; accepted: a packet starting with a TOC byte"
                : $"Opus packet header 0x{packet[0]:X2} (length {packet.Length}) is malformed; accepted: code 0-2, or code 3 with 1..48 frames of at most 120 ms in total",
                nameof(packet));
        }
        return info;
    }
}
