using RoomDevice.Calls.Rtp;

namespace RoomDevice.Calls.Media;

/// <summary>Counters and estimates of one call's media stream; read by telemetry and the call verb.</summary>
public sealed class MediaStatistics
{
    private readonly long[] _rejected = new long[Enum.GetValues<RtpRejectReason>().Length];

    /// <summary>RTP packets sent.</summary>
    public long PacketsSent { get; internal set; }
    /// <summary>RTP payload bytes sent.</summary>
    public long OctetsSent { get; internal set; }
    /// <summary>RTP packets received and accepted.</summary>
    public long PacketsReceived { get; internal set; }
    /// <summary>RTP payload bytes received.</summary>
    public long OctetsReceived { get; internal set; }
    /// <summary>RTCP packets sent.</summary>
    public long RtcpSent { get; internal set; }
    /// <summary>RTCP packets received and understood.</summary>
    public long RtcpReceived { get; internal set; }
    /// <summary>RTCP packets refused as malformed.</summary>
    public long RtcpRejected { get; internal set; }
    /// <summary>Times the far end's SSRC changed.</summary>
    public long SsrcChanges { get; internal set; }
    /// <summary>DTMF digits sent (RFC 4733).</summary>
    public long DtmfSent { get; internal set; }
    /// <summary>DTMF digits received.</summary>
    public string DtmfReceived { get; internal set; } = "";
    /// <summary>Cumulative packets the far end did not deliver to us.</summary>
    public long PacketsLost { get; internal set; }
    /// <summary>Our receive loss over the last report interval, percent.</summary>
    public double LossPercent { get; internal set; }
    /// <summary>Loss the far end reports about our stream, percent.</summary>
    public double RemoteLossPercent { get; internal set; }
    /// <summary>Interarrival jitter of the received stream (RFC 3550), ms.</summary>
    public double JitterMs { get; internal set; }
    /// <summary>Jitter the far end reports about our stream, ms.</summary>
    public double RemoteJitterMs { get; internal set; }
    /// <summary>Round-trip time from RTCP (LSR/DLSR), ms; -1 until measured.</summary>
    public double RoundTripMs { get; internal set; } = -1;
    /// <summary>Expected-loss figure given to the encoder, percent.</summary>
    public int EncoderExpectedLoss { get; internal set; }
    /// <summary>Bitrate the Opus encoder runs at, bit/s (raised for FEC while loss is reported); 64000 for G.711.</summary>
    public int EncoderBitrate { get; internal set; }
    /// <summary>10 ms frames of silence sent because the audio engine gave no uplink audio.</summary>
    public long UplinkStarvedFrames { get; internal set; }
    /// <summary>Downlink frames the audio engine had not taken yet when a new one was ready.</summary>
    public long DownlinkOverruns { get; internal set; }

    /// <summary>Packets refused for <paramref name="reason"/>.</summary>
    public long Rejected(RtpRejectReason reason) => Interlocked.Read(ref _rejected[(int)reason]);

    /// <summary>All refused RTP packets.</summary>
    public long RejectedTotal
    {
        get
        {
            long n = 0;
            for (int i = 1; i < _rejected.Length; i++)
            {
                n += Interlocked.Read(ref _rejected[i]);
            }
            return n;
        }
    }

    internal long CountRejected(RtpRejectReason reason) => Interlocked.Increment(ref _rejected[(int)reason]);
}
