namespace RoomDevice.Codecs;

/// <summary>Encodes fixed-size frames of mono float PCM into packets (Opus, G.711).</summary>
public interface IVoiceEncoder : IDisposable
{
    /// <summary>Codec name as in SDP rtpmap, e.g. "opus", "PCMU".</summary>
    string Name { get; }

    /// <summary>Input sample rate.</summary>
    int SampleRate { get; }

    /// <summary>Samples per packet frame (e.g. 20 ms).</summary>
    int FrameSamples { get; }

    /// <summary>Encodes one frame; returns the packet length written to <paramref name="packet"/>.</summary>
    int Encode(ReadOnlySpan<float> pcm, Span<byte> packet);

    /// <summary>Tells the encoder the packet loss the receiver reports (0..100), to size FEC.</summary>
    void SetExpectedLoss(int percent);
}

/// <summary>Decodes packets into mono float PCM, with concealment for lost packets.</summary>
public interface IVoiceDecoder : IDisposable
{
    /// <summary>Codec name as in SDP rtpmap.</summary>
    string Name { get; }

    /// <summary>Output sample rate.</summary>
    int SampleRate { get; }

    /// <summary>
    /// Decodes <paramref name="packet"/> into <paramref name="pcm"/>; returns samples written.
    /// With <paramref name="fromFec"/> true, recovers the frame before <paramref name="packet"/>
    /// from its in-band FEC data (Opus). A corrupt packet yields concealment, never an exception.
    /// </summary>
    int Decode(ReadOnlySpan<byte> packet, Span<float> pcm, bool fromFec = false);

    /// <summary>Produces <paramref name="pcm"/>.Length samples of concealment for a lost packet.</summary>
    int Conceal(Span<float> pcm);
}
