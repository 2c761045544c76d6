using RoomDevice.Calls.Sdp;
using RoomDevice.Codecs;
using RoomDevice.Codecs.G711;
using RoomDevice.Codecs.Opus;

namespace RoomDevice.Calls.Media;

/// <summary>Creates the encoder and decoder for a negotiated stream.</summary>
public static class CallCodecs
{
    /// <summary>
    /// Encoder for <paramref name="media"/>: Opus runs at <paramref name="audioRate"/> (the bridge's
    /// rate) in the profile the far end's maxplaybackrate allows; G.711 runs at 8 kHz.
    /// </summary>
    public static IVoiceEncoder CreateEncoder(NegotiatedMedia media, int audioRate, int expectedLossPercent = 0)
    {
        ArgumentNullException.ThrowIfNull(media);
        return media.Codec switch
        {
            CallCodec.Opus => new OpusVoiceEncoder(OpusEncoderSettings.ForProfile(media.Profile, audioRate) with
            {
                FrameMs = media.PtimeMs,
                InbandFec = true,
                ExpectedLossPercent = expectedLossPercent,
                // With loss reported, the voice profile goes to its top rate so that FEC is really sent.
                FecBitrateFloor = media.Profile == CodecProfile.Voice ? OpusEncoderSettings.VoiceMaxBitrate : null,
            }),
            CallCodec.Pcmu => new G711Encoder(G711Law.MuLaw),
            _ => new G711Encoder(G711Law.ALaw),
        };
    }

    /// <summary>Decoder for <paramref name="media"/>: Opus decodes straight to <paramref name="audioRate"/>.</summary>
    public static IVoiceDecoder CreateDecoder(NegotiatedMedia media, int audioRate)
    {
        ArgumentNullException.ThrowIfNull(media);
        return media.Codec switch
        {
            CallCodec.Opus => new OpusVoiceDecoder(audioRate, 1),
            CallCodec.Pcmu => new G711Decoder(G711Law.MuLaw),
            _ => new G711Decoder(G711Law.ALaw),
        };
    }

    /// <summary>True when the codec can rebuild a lost frame from the next packet.</summary>
    public static bool HasInbandFec(CallCodec codec) => codec == CallCodec.Opus;
}
