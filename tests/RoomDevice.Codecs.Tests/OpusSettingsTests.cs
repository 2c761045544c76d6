using RoomDevice.Codecs.Opus;

namespace RoomDevice.Codecs.Tests;

public sealed class OpusSettingsTests
{
    [Fact]
    public void Profiles_have_their_defaults()
    {
        OpusEncoderSettings voice = OpusEncoderSettings.ForProfile(CodecProfile.Voice);
        Assert.Equal((16000, 20000, 20, true, false), (voice.SampleRate, voice.Bitrate, voice.FrameMs, voice.InbandFec, voice.Dtx));
        OpusEncoderSettings meeting = OpusEncoderSettings.ForProfile(CodecProfile.Meeting);
        Assert.Equal((48000, 32000, 20), (meeting.SampleRate, meeting.Bitrate, meeting.FrameMs));
        Assert.Equal(24000, OpusEncoderSettings.ForProfile(CodecProfile.Meeting, 24000).SampleRate);
        Assert.Equal(960, meeting.FrameSamples);
    }

    [Theory]
    [InlineData(44100, 20000, 20, 0, "SampleRate 44100", "8000, 12000, 16000, 24000, 48000")]
    [InlineData(16000, 32000, 20, 0, "Bitrate 32000", "16000..24000")]
    [InlineData(16000, 8000, 20, 0, "Bitrate 8000", "16000..24000")]
    [InlineData(16000, 20000, 7, 0, "FrameMs 7", "10, 20, 40, 60")]
    [InlineData(16000, 20000, 20, 101, "ExpectedLossPercent 101", "0..100")]
    public void Invalid_voice_settings_name_the_value_and_what_is_accepted(int rate, int bitrate, int frameMs, int loss, string named, string accepted)
    {
        var settings = OpusEncoderSettings.ForProfile(CodecProfile.Voice) with
        {
            SampleRate = rate, Bitrate = bitrate, FrameMs = frameMs, ExpectedLossPercent = loss,
        };
        var e = Assert.Throws<ArgumentException>(() => new OpusVoiceEncoder(settings));
        Assert.Contains(named, e.Message, StringComparison.Ordinal);
        Assert.Contains(accepted, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Meeting_bitrate_outside_its_range_is_rejected()
    {
        var e = Assert.Throws<ArgumentException>(() => new OpusVoiceEncoder(OpusEncoderSettings.ForProfile(CodecProfile.Meeting) with { Bitrate = 600000 }));
        Assert.Contains("600000", e.Message, StringComparison.Ordinal);
        Assert.Contains("meeting", e.Message, StringComparison.Ordinal);
        Assert.Contains("16000..256000", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_profile_and_decoder_formats_are_rejected()
    {
        Assert.Contains("voice, meeting", Assert.Throws<ArgumentException>(() => OpusEncoderSettings.ForProfile((CodecProfile)9)).Message, StringComparison.Ordinal);
        Assert.Contains("44100", Assert.Throws<ArgumentException>(() => new OpusVoiceDecoder(44100)).Message, StringComparison.Ordinal);
        Assert.Contains("1 or 2", Assert.Throws<ArgumentException>(() => new OpusVoiceDecoder(16000, 3)).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(8000)]
    [InlineData(12000)]
    [InlineData(24000)]
    public void Every_opus_rate_makes_an_encoder(int rate)
    {
        using var encoder = new OpusVoiceEncoder(OpusEncoderSettings.ForProfile(CodecProfile.Voice, rate));
        Assert.Equal(rate / 50, encoder.FrameSamples);
        var packet = new byte[OpusVoiceEncoder.MaxPacketBytes];
        int n = encoder.Encode(new float[encoder.FrameSamples], packet);
        Assert.Equal(OpusMode.Silk, OpusPacket.Mode(packet[0]));
        Assert.True(n > 0);
    }
}
