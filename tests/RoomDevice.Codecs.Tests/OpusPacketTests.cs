using RoomDevice.Codecs.Opus;

namespace RoomDevice.Codecs.Tests;

public sealed class OpusPacketTests
{
    [Theory]
    // config 9 = SILK wideband 20 ms (what the voice profile sends), code 0
    [InlineData(0x48, OpusMode.Silk, OpusBandwidth.Wideband, 960, 1)]
    // config 1 = SILK narrowband 20 ms, code 1 (two equal frames)
    [InlineData(0x09, OpusMode.Silk, OpusBandwidth.Narrowband, 960, 2)]
    // config 11 = SILK wideband 60 ms
    [InlineData(0x58, OpusMode.Silk, OpusBandwidth.Wideband, 2880, 1)]
    // config 15 = hybrid fullband 20 ms
    [InlineData(0x78, OpusMode.Hybrid, OpusBandwidth.Fullband, 960, 1)]
    // config 13 = hybrid super-wideband 20 ms, code 2
    [InlineData(0x6A, OpusMode.Hybrid, OpusBandwidth.SuperWideband, 960, 2)]
    // config 31 = CELT fullband 20 ms
    [InlineData(0xF8, OpusMode.Celt, OpusBandwidth.Fullband, 960, 1)]
    // config 16 = CELT narrowband 2.5 ms
    [InlineData(0x80, OpusMode.Celt, OpusBandwidth.Narrowband, 120, 1)]
    // config 22 = CELT wideband 10 ms
    [InlineData(0xB0, OpusMode.Celt, OpusBandwidth.Wideband, 480, 1)]
    public void Toc_byte_gives_mode_bandwidth_frame_size_and_count(int toc, OpusMode mode, OpusBandwidth bandwidth, int frame48k, int frames)
    {
        OpusPacketInfo info = OpusPacket.Parse([(byte)toc, 0x00, 0x00]);
        Assert.Equal(mode, info.Mode);
        Assert.Equal(bandwidth, info.Bandwidth);
        Assert.Equal(frame48k, info.FrameSamples48k);
        Assert.Equal(frames, info.FrameCount);
        Assert.Equal(toc >> 3, info.Config);
        Assert.False(info.Stereo);
    }

    [Fact]
    public void Code_3_packet_reads_its_frame_count_and_stereo_flag()
    {
        // config 1 (SILK NB 20 ms), stereo, code 3, three frames
        OpusPacketInfo info = OpusPacket.Parse([0x0F, 0x03, 0x00]);
        Assert.Equal(3, info.FrameCount);
        Assert.True(info.Stereo);
        Assert.Equal(60.0, info.DurationMs, 6);
    }

    [Fact]
    public void Malformed_headers_are_rejected_with_the_reason()
    {
        Assert.False(OpusPacket.TryParse([], out _));
        Assert.False(OpusPacket.TryParse([0x4B], out _));            // code 3 without count byte
        Assert.False(OpusPacket.TryParse([0x4B, 0x00], out _));      // zero frames
        Assert.False(OpusPacket.TryParse([0x5B, 0x03], out _));      // 3 x 60 ms > 120 ms
        var e = Assert.Throws<ArgumentException>(() => OpusPacket.Parse([0x4B]));
        Assert.Contains("0x4B", e.Message, StringComparison.Ordinal);
        Assert.Contains("accepted", e.Message, StringComparison.Ordinal);
        var empty = Assert.Throws<ArgumentException>(() => OpusPacket.Parse([]));
        Assert.Contains("empty", empty.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_config_maps_to_the_rfc_6716_table()
    {
        int silk = 0, hybrid = 0, celt = 0;
        for (int config = 0; config < 32; config++)
        {
            OpusPacketInfo info = OpusPacket.Parse([(byte)(config << 3)]);
            switch (info.Mode)
            {
                case OpusMode.Silk: silk++; Assert.Contains(info.FrameSamples48k, new[] { 480, 960, 1920, 2880 }); break;
                case OpusMode.Hybrid: hybrid++; Assert.Contains(info.FrameSamples48k, new[] { 480, 960 }); break;
                default: celt++; Assert.Contains(info.FrameSamples48k, new[] { 120, 240, 480, 960 }); break;
            }
        }
        Assert.Equal((12, 4, 16), (silk, hybrid, celt));
    }

    [Theory]
    // SILK WB 20 ms: VAD flag then LBRR flag are the two leading bits of the frame
    [InlineData(new byte[] { 0x48, 0x40 }, true)]
    [InlineData(new byte[] { 0x48, 0xC0 }, true)]
    [InlineData(new byte[] { 0x48, 0x80 }, false)]
    // SILK WB 40 ms: two VAD flags, then LBRR
    [InlineData(new byte[] { 0x50, 0x20 }, true)]
    [InlineData(new byte[] { 0x50, 0xC0 }, false)]
    // SILK WB 60 ms: three VAD flags, then LBRR
    [InlineData(new byte[] { 0x58, 0x10 }, true)]
    // hybrid FB 20 ms carries SILK first
    [InlineData(new byte[] { 0x78, 0x40 }, true)]
    // CELT never carries FEC
    [InlineData(new byte[] { 0xF8, 0xFF }, false)]
    // code 2: one length byte (3) before the first frame
    [InlineData(new byte[] { 0x4A, 0x03, 0x40, 0x00, 0x00, 0x00 }, true)]
    // code 3, CBR, 2 frames, no padding: frame data after the count byte
    [InlineData(new byte[] { 0x4B, 0x02, 0x40, 0x00 }, true)]
    // code 3, VBR + padding: count byte, one padding length byte, one frame length, then frame
    [InlineData(new byte[] { 0x4B, 0xC2, 0x01, 0x01, 0x40, 0x00, 0x00 }, true)]
    // header only, or malformed
    [InlineData(new byte[] { 0x48 }, false)]
    [InlineData(new byte[] { 0x4B }, false)]
    public void Fec_flag_is_read_from_the_first_silk_frame(byte[] packet, bool hasFec)
    {
        Assert.Equal(hasFec, OpusPacket.HasFec(packet));
    }
}
