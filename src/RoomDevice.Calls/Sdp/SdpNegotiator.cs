using System.Globalization;
using System.Net;
using RoomDevice.Codecs.Opus;

namespace RoomDevice.Calls.Sdp;

/// <summary>Audio codecs the device speaks over RTP.</summary>
public enum CallCodec
{
    /// <summary>Opus (RFC 7587), RTP clock 48 kHz.</summary>
    Opus,
    /// <summary>G.711 µ-law, 8 kHz.</summary>
    Pcmu,
    /// <summary>G.711 A-law, 8 kHz.</summary>
    Pcma,
}

/// <summary>What offer/answer settled for the audio stream, seen from this device.</summary>
/// <param name="Codec">Codec both sides use.</param>
/// <param name="PayloadType">RTP payload type of the codec (the answerer uses the offerer's numbers).</param>
/// <param name="ClockRate">RTP clock of the codec (48000 for Opus whatever the audio rate).</param>
/// <param name="PtimeMs">Packet duration we send.</param>
/// <param name="RemoteRtp">Where to send RTP.</param>
/// <param name="RemoteRtcp">Where to send RTCP.</param>
/// <param name="Direction">What we do: send, receive, both or neither.</param>
/// <param name="RemoteUsesFec">The far end asked for in-band FEC (useinbandfec=1).</param>
/// <param name="RemoteMaxPlaybackRate">The far end's maxplaybackrate (48000 when not given).</param>
/// <param name="DtmfPayloadType">telephone-event payload type at the codec's clock, or null.</param>
/// <param name="Profile">Opus profile: voice (SILK) when the far end plays no more than wideband.</param>
public sealed record NegotiatedMedia(
    CallCodec Codec, int PayloadType, int ClockRate, int PtimeMs, IPEndPoint RemoteRtp, IPEndPoint RemoteRtcp,
    MediaDirection Direction, bool RemoteUsesFec, int RemoteMaxPlaybackRate, int? DtmfPayloadType, CodecProfile Profile)
{
    /// <summary>SDP-style name, e.g. "opus/48000/2".</summary>
    public string CodecName => Codec switch
    {
        CallCodec.Opus => "opus/48000/2",
        CallCodec.Pcmu => "PCMU/8000",
        _ => "PCMA/8000",
    };

    /// <summary>True when we send audio.</summary>
    public bool Sends => Direction is MediaDirection.SendRecv or MediaDirection.SendOnly;

    /// <summary>True when we expect audio.</summary>
    public bool Receives => Direction is MediaDirection.SendRecv or MediaDirection.RecvOnly;
}

/// <summary>What this device offers and accepts.</summary>
public sealed record LocalMediaCapabilities
{
    /// <summary>Codecs in preference order.</summary>
    public IReadOnlyList<CallCodec> Codecs { get; init; } = [CallCodec.Opus, CallCodec.Pcmu, CallCodec.Pcma];

    /// <summary>Highest rate we play Opus at; the bridge rate (16 kHz) keeps it wideband.</summary>
    public int MaxPlaybackRate { get; init; } = 16000;

    /// <summary>Packet duration, ms.</summary>
    public int PtimeMs { get; init; } = 20;

    /// <summary>Opus payload type we offer.</summary>
    public int OpusPayloadType { get; init; } = 111;

    /// <summary>telephone-event payload type we offer at 48 kHz (with Opus).</summary>
    public int DtmfPayloadType48k { get; init; } = 101;

    /// <summary>telephone-event payload type we offer at 8 kHz (with G.711).</summary>
    public int DtmfPayloadType8k { get; init; } = 100;
}

/// <summary>SDP offer/answer (RFC 3264) for one audio stream.</summary>
public static class SdpNegotiator
{
    /// <summary>Builds our offer.</summary>
    public static SessionDescription CreateOffer(LocalMediaCapabilities caps, IPAddress address, int rtpPort, int rtcpPort,
        MediaDirection direction, string sessionId, long version)
    {
        ArgumentNullException.ThrowIfNull(caps);
        ArgumentNullException.ThrowIfNull(address);
        var sdp = new SessionDescription
        {
            SessionId = sessionId,
            Version = version,
            OriginAddress = address.ToString(),
            ConnectionAddress = address.ToString(),
            SessionName = "RoomDevice",
        };
        var m = new SdpMedia { Port = rtpPort, RtcpPort = rtcpPort, Direction = direction, Ptime = caps.PtimeMs };
        foreach (var c in caps.Codecs)
        {
            switch (c)
            {
                case CallCodec.Opus:
                    m.Formats.Add(caps.OpusPayloadType);
                    m.RtpMaps[caps.OpusPayloadType] = new RtpMap(caps.OpusPayloadType, "opus", 48000, 2);
                    m.Fmtp[caps.OpusPayloadType] = OpusFmtp(caps.MaxPlaybackRate);
                    break;
                case CallCodec.Pcmu:
                    m.Formats.Add(0);
                    m.RtpMaps[0] = new RtpMap(0, "PCMU", 8000, 1);
                    break;
                case CallCodec.Pcma:
                    m.Formats.Add(8);
                    m.RtpMaps[8] = new RtpMap(8, "PCMA", 8000, 1);
                    break;
            }
        }
        if (caps.Codecs.Contains(CallCodec.Opus))
        {
            AddDtmf(m, caps.DtmfPayloadType48k, 48000);
        }
        if (caps.Codecs.Any(c => c != CallCodec.Opus))
        {
            AddDtmf(m, caps.DtmfPayloadType8k, 8000);
        }
        sdp.Media.Add(m);
        return sdp;
    }

    private static string OpusFmtp(int maxPlaybackRate) =>
        string.Create(CultureInfo.InvariantCulture, $"useinbandfec=1;maxplaybackrate={maxPlaybackRate};sprop-maxcapturerate={maxPlaybackRate};stereo=0;sprop-stereo=0");

    private static void AddDtmf(SdpMedia m, int pt, int clock)
    {
        m.Formats.Add(pt);
        m.RtpMaps[pt] = new RtpMap(pt, "telephone-event", clock, 1);
        m.Fmtp[pt] = "0-15";
    }

    /// <summary>
    /// Answers <paramref name="offer"/>: picks the offerer's most preferred codec we support.
    /// Returns false with a reason (for 488 Not Acceptable Here) when nothing matches.
    /// </summary>
    public static bool TryAnswer(SessionDescription offer, LocalMediaCapabilities caps, IPAddress address, int rtpPort, int rtcpPort,
        bool localHold, string sessionId, long version, out SessionDescription? answer, out NegotiatedMedia? media, out string reason)
    {
        ArgumentNullException.ThrowIfNull(offer);
        ArgumentNullException.ThrowIfNull(caps);
        answer = null;
        media = null;
        var audio = offer.Audio;
        if (audio is null || audio.Port == 0)
        {
            reason = "the offer has no active audio stream";
            return false;
        }
        if (!audio.Protocol.StartsWith("RTP/AVP", StringComparison.Ordinal))
        {
            reason = $"audio transport {audio.Protocol} is not supported; accepted: RTP/AVP";
            return false;
        }
        if (!TryPick(offer, audio, caps, out var picked, out reason))
        {
            return false;
        }
        var remoteDir = offer.DirectionOf(audio);
        var ourDir = Reverse(remoteDir);
        if (localHold)
        {
            ourDir = ourDir switch
            {
                MediaDirection.SendRecv => MediaDirection.SendOnly,
                MediaDirection.RecvOnly => MediaDirection.Inactive,
                _ => ourDir,
            };
        }
        var sdp = new SessionDescription
        {
            SessionId = sessionId,
            Version = version,
            OriginAddress = address.ToString(),
            ConnectionAddress = address.ToString(),
            SessionName = "RoomDevice",
        };
        var m = new SdpMedia { Port = rtpPort, RtcpPort = rtcpPort, Direction = ourDir, Ptime = caps.PtimeMs };
        m.Formats.Add(picked!.PayloadType);
        if (picked.Codec == CallCodec.Opus)
        {
            m.RtpMaps[picked.PayloadType] = new RtpMap(picked.PayloadType, "opus", 48000, 2);
            m.Fmtp[picked.PayloadType] = OpusFmtp(caps.MaxPlaybackRate);
        }
        else
        {
            m.RtpMaps[picked.PayloadType] = new RtpMap(picked.PayloadType, picked.Codec == CallCodec.Pcmu ? "PCMU" : "PCMA", 8000, 1);
        }
        if (picked.DtmfPayloadType is int dpt)
        {
            AddDtmf(m, dpt, picked.ClockRate);
        }
        sdp.Media.Add(m);
        answer = sdp;
        media = picked with { Direction = ourDir };
        return true;
    }

    /// <summary>Reads the answer to our offer.</summary>
    public static bool TryReadAnswer(SessionDescription answer, LocalMediaCapabilities caps, out NegotiatedMedia? media, out string reason)
    {
        ArgumentNullException.ThrowIfNull(answer);
        ArgumentNullException.ThrowIfNull(caps);
        media = null;
        var audio = answer.Audio;
        if (audio is null || audio.Port == 0)
        {
            reason = "the answer rejected the audio stream";
            return false;
        }
        if (!TryPick(answer, audio, caps, out var picked, out reason))
        {
            return false;
        }
        media = picked! with { Direction = Reverse(answer.DirectionOf(audio)) };
        return true;
    }

    private static MediaDirection Reverse(MediaDirection d) => d switch
    {
        MediaDirection.SendOnly => MediaDirection.RecvOnly,
        MediaDirection.RecvOnly => MediaDirection.SendOnly,
        _ => d,
    };

    private static bool TryPick(SessionDescription sdp, SdpMedia audio, LocalMediaCapabilities caps, out NegotiatedMedia? media, out string reason)
    {
        media = null;
        string? addrText = audio.ConnectionAddress ?? sdp.ConnectionAddress;
        if (addrText is null || !IPAddress.TryParse(addrText, out var addr))
        {
            reason = $"audio connection address '{addrText ?? "(none)"}' is not an IP address";
            return false;
        }
        foreach (int pt in audio.Formats)
        {
            var map = audio.MapOf(pt);
            if (map is null)
            {
                continue;
            }
            CallCodec? codec = null;
            if (string.Equals(map.Encoding, "opus", StringComparison.OrdinalIgnoreCase) && map.ClockRate == 48000 && map.Channels == 2)
            {
                codec = CallCodec.Opus;
            }
            else if (string.Equals(map.Encoding, "PCMU", StringComparison.OrdinalIgnoreCase) && map.ClockRate == 8000)
            {
                codec = CallCodec.Pcmu;
            }
            else if (string.Equals(map.Encoding, "PCMA", StringComparison.OrdinalIgnoreCase) && map.ClockRate == 8000)
            {
                codec = CallCodec.Pcma;
            }
            if (codec is not CallCodec c || !caps.Codecs.Contains(c))
            {
                continue;
            }
            var fmtp = audio.FmtpOf(pt);
            bool fec = fmtp.TryGetValue("useinbandfec", out string? f) && f == "1";
            int maxRate = fmtp.TryGetValue("maxplaybackrate", out string? mr)
                && int.TryParse(mr, NumberStyles.None, CultureInfo.InvariantCulture, out int r) && r is >= 8000 and <= 48000 ? r : 48000;
            int? dtmf = null;
            foreach (int other in audio.Formats)
            {
                var om = audio.MapOf(other);
                if (om is not null && string.Equals(om.Encoding, "telephone-event", StringComparison.OrdinalIgnoreCase) && om.ClockRate == map.ClockRate)
                {
                    dtmf = other;
                    break;
                }
            }
            int ptime = audio.Ptime is int p && p is 10 or 20 or 40 or 60 ? p : caps.PtimeMs;
            if (c != CallCodec.Opus && ptime > 40)
            {
                ptime = 20;
            }
            int rtcpPort = audio.RtcpPort ?? (audio.RtcpMux ? audio.Port : audio.Port + 1);
            var profile = maxRate <= 16000 ? CodecProfile.Voice : CodecProfile.Meeting;
            media = new NegotiatedMedia(c, pt, map.ClockRate, ptime, new IPEndPoint(addr, audio.Port), new IPEndPoint(addr, rtcpPort),
                MediaDirection.SendRecv, fec, maxRate, dtmf, profile);
            reason = "";
            return true;
        }
        string offered = string.Join(", ", audio.Formats.Select(pt => audio.MapOf(pt) is { } m ? $"{m.Encoding}/{m.ClockRate}" : pt.ToString(CultureInfo.InvariantCulture)));
        reason = $"no common audio codec: offered {offered}; accepted: {string.Join(", ", caps.Codecs.Select(c => c switch { CallCodec.Opus => "opus/48000/2", CallCodec.Pcmu => "PCMU/8000", _ => "PCMA/8000" }))}";
        return false;
    }
}
