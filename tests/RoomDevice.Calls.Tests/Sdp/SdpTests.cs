using System.Net;
using RoomDevice.Calls.Sdp;
using RoomDevice.Codecs.Opus;

namespace RoomDevice.Calls.Tests.Sdp;

public sealed class SdpTests
{
    // What baresip 1.0 offers on loopback.
    internal const string BaresipOffer =
        "v=0\r\no=- 1234 5678 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n" +
        "m=audio 10000 RTP/AVP 96 0 8 101\r\n" +
        "a=rtpmap:96 opus/48000/2\r\na=fmtp:96 stereo=1;sprop-stereo=1\r\n" +
        "a=rtpmap:101 telephone-event/48000\r\na=fmtp:101 0-15\r\n" +
        "a=rtcp:10001\r\na=sendrecv\r\na=label:1\r\na=ptime:20\r\n";

    private static readonly LocalMediaCapabilities Caps = new();

    [Fact]
    public void Answer_picks_opus_with_the_offerers_payload_type_and_fmtp()
    {
        Assert.True(SessionDescription.TryParse(BaresipOffer, out var offer, out string e), e);
        Assert.True(SdpNegotiator.TryAnswer(offer!, Caps, IPAddress.Loopback, 20000, 20001, false, "1", 1, out var answer, out var media, out e), e);
        Assert.Equal(CallCodec.Opus, media!.Codec);
        Assert.Equal(96, media.PayloadType);
        Assert.Equal(48000, media.ClockRate);
        Assert.Equal(101, media.DtmfPayloadType);
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 10000), media.RemoteRtp);
        Assert.Equal(10001, media.RemoteRtcp.Port);
        Assert.Equal(CodecProfile.Meeting, media.Profile);
        string text = answer!.ToString();
        Assert.Contains("m=audio 20000 RTP/AVP 96 101", text, StringComparison.Ordinal);
        Assert.Contains("a=rtpmap:96 opus/48000/2", text, StringComparison.Ordinal);
        Assert.Contains("useinbandfec=1", text, StringComparison.Ordinal);
        Assert.Contains("stereo=0", text, StringComparison.Ordinal);
        Assert.Contains("maxplaybackrate=16000", text, StringComparison.Ordinal);
        Assert.Contains("a=ptime:20", text, StringComparison.Ordinal);
        Assert.Contains("a=sendrecv", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Wideband_limited_far_end_gets_the_voice_profile()
    {
        string offer = BaresipOffer.Replace("stereo=1;sprop-stereo=1", "maxplaybackrate=16000;useinbandfec=1", StringComparison.Ordinal);
        Assert.True(SessionDescription.TryParse(offer, out var o, out _));
        Assert.True(SdpNegotiator.TryAnswer(o!, Caps, IPAddress.Loopback, 1, 2, false, "1", 1, out _, out var media, out _));
        Assert.Equal(CodecProfile.Voice, media!.Profile);
        Assert.True(media.RemoteUsesFec);
        Assert.Equal(16000, media.RemoteMaxPlaybackRate);
    }

    [Fact]
    public void G711_is_the_fallback_and_static_types_need_no_rtpmap()
    {
        string offer = "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 9 8 0\r\na=rtpmap:9 G722/8000\r\n";
        Assert.True(SessionDescription.TryParse(offer, out var o, out _));
        Assert.True(SdpNegotiator.TryAnswer(o!, Caps, IPAddress.Loopback, 1, 2, false, "1", 1, out var answer, out var media, out string e), e);
        Assert.Equal(CallCodec.Pcma, media!.Codec);
        Assert.Equal(8, media.PayloadType);
        Assert.Null(media.DtmfPayloadType);
        Assert.Contains("m=audio 1 RTP/AVP 8", answer!.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void No_common_codec_gives_a_reason_naming_both_sides()
    {
        string offer = "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 9 18\r\na=rtpmap:9 G722/8000\r\na=rtpmap:18 G729/8000\r\n";
        Assert.True(SessionDescription.TryParse(offer, out var o, out _));
        Assert.False(SdpNegotiator.TryAnswer(o!, Caps, IPAddress.Loopback, 1, 2, false, "1", 1, out _, out _, out string reason));
        Assert.Contains("no common audio codec", reason, StringComparison.Ordinal);
        Assert.Contains("G729/8000", reason, StringComparison.Ordinal);
        Assert.Contains("opus/48000/2", reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("sendonly", MediaDirection.RecvOnly)]
    [InlineData("recvonly", MediaDirection.SendOnly)]
    [InlineData("inactive", MediaDirection.Inactive)]
    [InlineData("sendrecv", MediaDirection.SendRecv)]
    public void Direction_is_mirrored_in_the_answer(string offered, MediaDirection ours)
    {
        string offer = BaresipOffer.Replace("a=sendrecv", "a=" + offered, StringComparison.Ordinal);
        Assert.True(SessionDescription.TryParse(offer, out var o, out _));
        Assert.True(SdpNegotiator.TryAnswer(o!, Caps, IPAddress.Loopback, 1, 2, false, "1", 1, out var answer, out var media, out _));
        Assert.Equal(ours, media!.Direction);
        Assert.Equal(ours, answer!.Audio!.Direction);
    }

    [Fact]
    public void Our_offer_round_trips_and_reads_back_as_an_answer()
    {
        var offer = SdpNegotiator.CreateOffer(Caps, IPAddress.Loopback, 30000, 30001, MediaDirection.SendOnly, "77", 3);
        string text = offer.ToString();
        Assert.Contains("a=rtpmap:111 opus/48000/2", text, StringComparison.Ordinal);
        Assert.Contains("a=rtpmap:0 PCMU/8000", text, StringComparison.Ordinal);
        Assert.Contains("a=rtpmap:101 telephone-event/48000", text, StringComparison.Ordinal);
        Assert.Contains("a=rtpmap:100 telephone-event/8000", text, StringComparison.Ordinal);
        Assert.Contains("a=sendonly", text, StringComparison.Ordinal);
        Assert.True(SessionDescription.TryParse(text, out var back, out _));
        Assert.True(SdpNegotiator.TryReadAnswer(back!, Caps, out var media, out string e), e);
        Assert.Equal(CallCodec.Opus, media!.Codec);
        Assert.Equal(MediaDirection.RecvOnly, media.Direction);
        Assert.Equal(30001, media.RemoteRtcp.Port);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("v=1\r\n", "version")]
    [InlineData("v=0\r\nc=IN XX 1.2.3.4\r\n", "connection")]
    [InlineData("v=0\r\nm=audio notaport RTP/AVP 0\r\n", "media port")]
    [InlineData("v=0\r\nthis is not sdp\r\n", "bad SDP line")]
    [InlineData("o=- 1 1 IN IP4 x\r\n", "v=0")]
    public void Malformed_sdp_is_refused_with_a_reason(string text, string expected)
    {
        Assert.False(SessionDescription.TryParse(text, out _, out string e));
        Assert.Contains(expected, e, StringComparison.Ordinal);
    }

    [Fact]
    public void Rejected_or_missing_audio_stream_is_not_answerable()
    {
        string offer = BaresipOffer.Replace("m=audio 10000", "m=audio 0", StringComparison.Ordinal);
        Assert.True(SessionDescription.TryParse(offer, out var o, out _));
        Assert.False(SdpNegotiator.TryAnswer(o!, Caps, IPAddress.Loopback, 1, 2, false, "1", 1, out _, out _, out string reason));
        Assert.Contains("no active audio", reason, StringComparison.Ordinal);
    }
}
