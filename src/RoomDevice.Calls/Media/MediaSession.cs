using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using RoomDevice.Audio.Dsp;
using RoomDevice.Audio.Pipeline;
using RoomDevice.Calls.Rtp;
using RoomDevice.Calls.Sdp;
using RoomDevice.Codecs;
using RoomDevice.Codecs.Opus;

namespace RoomDevice.Calls.Media;

/// <summary>Settings of a call's media stream.</summary>
public sealed record MediaSessionSettings
{
    /// <summary>Jitter buffer limits.</summary>
    public JitterBufferSettings JitterBuffer { get; init; } = new();

    /// <summary>Mean interval between RTCP reports, ms.</summary>
    public int RtcpIntervalMs { get; init; } = 2500;

    /// <summary>Length of one DTMF digit, ms.</summary>
    public int DtmfDigitMs { get; init; } = 100;

    /// <summary>Pause between DTMF digits, ms.</summary>
    public int DtmfGapMs { get; init; } = 60;

    /// <summary>RTCP CNAME.</summary>
    public string Cname { get; init; } = "roomdevice@127.0.0.1";
}

/// <summary>
/// One call's audio over RTP/RTCP: reads 10 ms frames from the bridge's uplink, encodes and sends
/// them every packet time; puts received packets into the jitter buffer and writes 10 ms frames to
/// the downlink; sends SR/RR and reads the far end's reports (loss, jitter, RTT), which set the
/// encoder's expected loss and so its FEC. Sends DTMF as RFC 4733 events. Bad datagrams are counted
/// and logged, never thrown. Nothing is allocated per packet once started.
/// </summary>
public sealed class MediaSession : IDisposable
{
    private const int TickMs = 10;
    private readonly CallAudioBridge _bridge;
    private readonly MediaSessionSettings _settings;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly Socket _rtp;
    private readonly Socket _rtcp;
    private readonly Lock _gate = new();
    private readonly byte[] _cname;
    private readonly uint _ssrc;
    private readonly ConcurrentQueue<char> _dtmfQueue = new();
    private readonly byte[] _rtpRx = new byte[4096];
    private readonly byte[] _rtcpRx = new byte[2048];
    private readonly byte[] _txPacket = new byte[RtpHeader.MaxPacketBytes];
    private readonly byte[] _rtcpTx = new byte[512];
    private readonly float[] _bridgeFrame;
    private readonly SocketAddress _rxAddress;
    private readonly SocketAddress _rtcpRxAddress;

    private NegotiatedMedia? _media;
    private IVoiceEncoder? _encoder;
    private IVoiceDecoder? _decoder;
    private JitterBuffer? _jitter;
    private PolyphaseResampler? _upResampler;
    private PolyphaseResampler? _downResampler;
    private float[] _upCodecFrame = [];
    private float[] _upPacket = [];
    private float[] _downCodecFrame = [];
    private int _upFill;
    private SocketAddress? _remoteRtp;
    private SocketAddress? _remoteRtcp;
    private byte[] _remoteIp = [];
    private ushort _seq;
    private uint _timestamp;
    private int _tsPerPacket;
    private readonly RtpReceiverStatistics _rx = new();
    private bool _haveRemoteSsrc;
    private uint _remoteSsrc;
    private uint _lastSrMiddle;
    private long _lastSrAt;
    private long _nextRtcpAt;
    private volatile int _wantedLoss;
    private int _appliedLoss = -1;
    private double _lossEwma;
    private int _dtmfEvent = -1;
    private int _dtmfElapsed;
    private int _dtmfEndSent;
    private uint _dtmfTimestamp;
    private int _dtmfGapLeft;
    private uint _lastDtmfRxTs = uint.MaxValue;
    private long _rejectLogCount;
    private int _emptyTicks;
    private Thread? _tickThread, _rtpThread, _rtcpThread;
    private volatile bool _running;
    private bool _disposed;

    /// <summary>Binds RTP and RTCP sockets on <paramref name="localAddress"/> (ports chosen by the system).</summary>
    public MediaSession(CallAudioBridge bridge, IPAddress localAddress, MediaSessionSettings settings, TimeProvider time, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(bridge);
        ArgumentNullException.ThrowIfNull(localAddress);
        _bridge = bridge;
        _settings = settings ?? new MediaSessionSettings();
        _settings.JitterBuffer.Validate();
        _time = time ?? TimeProvider.System;
        _log = logger ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
        LocalAddress = localAddress;
        _rtp = Bind(localAddress);
        _rtcp = Bind(localAddress);
        RtpPort = ((IPEndPoint)_rtp.LocalEndPoint!).Port;
        RtcpPort = ((IPEndPoint)_rtcp.LocalEndPoint!).Port;
        _cname = RtcpPacket.CnameBytes(_settings.Cname);
        _ssrc = (uint)Random.Shared.NextInt64(1, uint.MaxValue);
        _seq = (ushort)Random.Shared.Next(0, 65536);
        _timestamp = (uint)Random.Shared.NextInt64(0, uint.MaxValue);
        _bridgeFrame = new float[bridge.FrameSamples];
        _rxAddress = new SocketAddress(localAddress.AddressFamily);
        _rtcpRxAddress = new SocketAddress(localAddress.AddressFamily);
    }

    private static Socket Bind(IPAddress address)
    {
        var s = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        s.Bind(new IPEndPoint(address, 0));
        s.ReceiveTimeout = 200;
        return s;
    }

    /// <summary>Local address in SDP.</summary>
    public IPAddress LocalAddress { get; }

    /// <summary>Local RTP port.</summary>
    public int RtpPort { get; }

    /// <summary>Local RTCP port.</summary>
    public int RtcpPort { get; }

    /// <summary>Our SSRC.</summary>
    public uint Ssrc => _ssrc;

    /// <summary>Counters.</summary>
    public MediaStatistics Statistics { get; } = new();

    /// <summary>The jitter buffer's counters (null until started).</summary>
    public JitterBufferStatistics? JitterStatistics => _jitter?.Statistics;

    /// <summary>What was negotiated (null until started).</summary>
    public NegotiatedMedia? Media => _media;

    /// <summary>Starts sending and receiving with <paramref name="media"/>.</summary>
    public void Start(NegotiatedMedia media)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        Update(media);
        if (_running)
        {
            return;
        }
        _running = true;
        _bridge.Uplink.Clear(); // what the engine captured before the call is stale; don't send it in a burst
        _nextRtcpAt = NowUs() + (_settings.RtcpIntervalMs * 500L);
        _rtpThread = new Thread(RtpLoop) { IsBackground = true, Name = "rtp-rx" };
        _rtcpThread = new Thread(RtcpLoop) { IsBackground = true, Name = "rtcp-rx" };
        _tickThread = new Thread(TickLoop) { IsBackground = true, Name = "media", Priority = ThreadPriority.AboveNormal };
        _rtpThread.Start();
        _rtcpThread.Start();
        _tickThread.Start();
    }

    /// <summary>Applies a renegotiation (re-INVITE): direction, remote address, codec.</summary>
    public void Update(NegotiatedMedia media)
    {
        ArgumentNullException.ThrowIfNull(media);
        lock (_gate)
        {
            bool codecChanged = _media is null || _media.Codec != media.Codec || _media.PtimeMs != media.PtimeMs || _media.Profile != media.Profile;
            _media = media;
            _remoteRtp = media.RemoteRtp.Serialize();
            _remoteRtcp = media.RemoteRtcp.Serialize();
            _remoteIp = media.RemoteRtp.Address.GetAddressBytes();
            if (!codecChanged)
            {
                return;
            }
            _encoder?.Dispose();
            _decoder?.Dispose();
            _encoder = CallCodecs.CreateEncoder(media, CodecRateFor(media), _appliedLoss < 0 ? 0 : _appliedLoss);
            _decoder = CallCodecs.CreateDecoder(media, CodecRateFor(media));
            _jitter = new JitterBuffer(_settings.JitterBuffer, _decoder, media.ClockRate, media.PtimeMs, CallCodecs.HasInbandFec(media.Codec));
            int codecRate = _encoder.SampleRate;
            _upResampler = codecRate == _bridge.SampleRate ? null : new PolyphaseResampler(_bridge.SampleRate, codecRate, _bridge.FrameSamples);
            _downResampler = codecRate == _bridge.SampleRate ? null : new PolyphaseResampler(codecRate, _bridge.SampleRate, codecRate / 100);
            _upCodecFrame = new float[codecRate / 100];
            _downCodecFrame = new float[codecRate / 100];
            _upPacket = new float[_encoder.FrameSamples];
            _upFill = 0;
            _tsPerPacket = media.ClockRate * media.PtimeMs / 1000;
            _appliedLoss = -1;
        }
    }

    private int CodecRateFor(NegotiatedMedia media) => media.Codec == CallCodec.Opus ? _bridge.SampleRate : 8000;

    /// <summary>Queues DTMF digits (0-9, *, #, A-D); false when the far end did not accept telephone-event or a digit is invalid.</summary>
    public bool SendDtmf(string digits)
    {
        ArgumentNullException.ThrowIfNull(digits);
        if (_media?.DtmfPayloadType is null || digits.Any(c => DtmfCode(c) < 0))
        {
            return false;
        }
        foreach (char c in digits)
        {
            _dtmfQueue.Enqueue(c);
        }
        return true;
    }

    /// <summary>True while DTMF digits are still being sent.</summary>
    public bool DtmfPending => !_dtmfQueue.IsEmpty || _dtmfEvent >= 0;

    /// <summary>RFC 4733 event code of a DTMF character, or -1 when it is not one.</summary>
    public static int DtmfCode(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        '*' => 10,
        '#' => 11,
        >= 'A' and <= 'D' => 12 + (c - 'A'),
        >= 'a' and <= 'd' => 12 + (c - 'a'),
        _ => -1,
    };

    private static char DtmfChar(int code) => code switch
    {
        <= 9 => (char)('0' + code),
        10 => '*',
        11 => '#',
        _ => (char)('A' + code - 12),
    };

    private long NowUs() => (long)(_time.GetTimestamp() * (1_000_000.0 / _time.TimestampFrequency));

    private void TickLoop()
    {
        long next = NowUs();
        while (_running)
        {
            next += TickMs * 1000;
            long now = NowUs();
            long wait = next - now;
            if (wait > 0)
            {
                Thread.Sleep(TimeSpan.FromTicks(wait * 10));
            }
            else if (wait < -200_000)
            {
                next = now; // the machine stalled; don't try to catch up a backlog
            }
            try
            {
                Tick(NowUs());
            }
#pragma warning disable CA1031 // the media thread must keep running; faults are logged
            catch (Exception e)
#pragma warning restore CA1031
            {
                _log.LogError(e, "media tick failed");
            }
        }
    }

    /// <summary>One 10 ms step: send what the uplink has, pull one frame to the downlink, RTCP when due.</summary>
    internal void Tick(long nowUs)
    {
        lock (_gate)
        {
            if (_media is null || _encoder is null || _jitter is null)
            {
                return;
            }
            if (_bridge.Uplink.Count == 0)
            {
                // No audio from the engine: after 30 ms keep the stream (and DTMF) going with silence.
                if (++_emptyTicks >= 3)
                {
                    Array.Clear(_bridgeFrame);
                    SendFrame(_bridgeFrame);
                    Statistics.UplinkStarvedFrames++;
                }
            }
            else
            {
                _emptyTicks = 0;
            }
            while (_bridge.Uplink.Count > 0 && _bridge.Uplink.TryRead(_bridgeFrame))
            {
                SendFrame(_bridgeFrame);
            }
            PullFrame(nowUs);
            if (nowUs >= _nextRtcpAt)
            {
                SendRtcp(bye: false);
                _nextRtcpAt = nowUs + (long)(_settings.RtcpIntervalMs * 1000L * (0.5 + Random.Shared.NextDouble()));
            }
        }
    }

    private void SendFrame(ReadOnlySpan<float> bridgeFrame)
    {
        ReadOnlySpan<float> codecFrame = bridgeFrame;
        if (_upResampler is not null)
        {
            int n = _upResampler.Process(bridgeFrame, _upCodecFrame);
            codecFrame = _upCodecFrame.AsSpan(0, n);
        }
        int take = Math.Min(codecFrame.Length, _upPacket.Length - _upFill);
        codecFrame[..take].CopyTo(_upPacket.AsSpan(_upFill));
        _upFill += take;
        if (_upFill < _upPacket.Length)
        {
            return;
        }
        _upFill = 0;
        var media = _media!;
        if (_appliedLoss != _wantedLoss)
        {
            _appliedLoss = _wantedLoss;
            _encoder!.SetExpectedLoss(_appliedLoss);
            Statistics.EncoderExpectedLoss = _appliedLoss;
            Statistics.EncoderBitrate = _encoder is OpusVoiceEncoder opus ? opus.RunningBitrate : 64000;
        }
        if (SendDtmfStep(media))
        {
            _timestamp += (uint)_tsPerPacket;
            return;
        }
        int len = _encoder!.Encode(_upPacket, _txPacket.AsSpan(RtpHeader.FixedSize));
        if (media.Sends && len > 0 && _remoteRtp is not null)
        {
            RtpHeader.Write(_txPacket, false, (byte)media.PayloadType, _seq++, _timestamp, _ssrc);
            Transmit(_rtp, _txPacket.AsSpan(0, RtpHeader.FixedSize + len), _remoteRtp);
            Statistics.PacketsSent++;
            Statistics.OctetsSent += len;
        }
        _timestamp += (uint)_tsPerPacket;
    }

    private bool SendDtmfStep(NegotiatedMedia media)
    {
        if (media.DtmfPayloadType is not int pt || _remoteRtp is null)
        {
            return false;
        }
        if (_dtmfEvent < 0)
        {
            if (_dtmfGapLeft > 0)
            {
                _dtmfGapLeft -= media.PtimeMs;
                return false;
            }
            if (!_dtmfQueue.TryDequeue(out char c))
            {
                return false;
            }
            _dtmfEvent = DtmfCode(c);
            _dtmfElapsed = 0;
            _dtmfEndSent = 0;
            _dtmfTimestamp = _timestamp;
        }
        _dtmfElapsed += _tsPerPacket;
        int digitTs = media.ClockRate * _settings.DtmfDigitMs / 1000;
        bool end = _dtmfElapsed >= digitTs;
        var payload = _txPacket.AsSpan(RtpHeader.FixedSize, 4);
        payload[0] = (byte)_dtmfEvent;
        payload[1] = (byte)((end ? 0x80 : 0) | 10);
        BinaryPrimitives.WriteUInt16BigEndian(payload[2..], (ushort)Math.Min(_dtmfElapsed, digitTs));
        bool first = _dtmfElapsed == _tsPerPacket;
        RtpHeader.Write(_txPacket, first, (byte)pt, _seq++, _dtmfTimestamp, _ssrc);
        Transmit(_rtp, _txPacket.AsSpan(0, RtpHeader.FixedSize + 4), _remoteRtp);
        Statistics.PacketsSent++;
        if (end && ++_dtmfEndSent >= 3)
        {
            _dtmfEvent = -1;
            _dtmfGapLeft = _settings.DtmfGapMs;
            Statistics.DtmfSent++;
        }
        else if (end)
        {
            _dtmfElapsed -= _tsPerPacket; // the end packet is sent three times with the same duration
        }
        return true;
    }

    private void PullFrame(long nowUs)
    {
        var jb = _jitter!;
        jb.Pull(_downCodecFrame, nowUs);
        ReadOnlySpan<float> frame = _downCodecFrame;
        if (_downResampler is not null)
        {
            int n = _downResampler.Process(_downCodecFrame, _bridgeFrame);
            frame = _bridgeFrame.AsSpan(0, n);
        }
        if (frame.Length == _bridge.FrameSamples && _media!.Receives && !_bridge.Downlink.TryWrite(frame))
        {
            Statistics.DownlinkOverruns++;
        }
    }

    private void Transmit(Socket socket, ReadOnlySpan<byte> data, SocketAddress to)
    {
        try
        {
            socket.SendTo(data, SocketFlags.None, to);
        }
        catch (SocketException e)
        {
            // ICMP port unreachable and the like: the far end is gone or not yet listening.
            if (_rejectLogCount++ < 5)
            {
                _log.LogDebug("RTP send failed: {Error}", e.SocketErrorCode);
            }
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private void RtpLoop()
    {
        while (_running)
        {
            int n;
            try
            {
                n = _rtp.ReceiveFrom(_rtpRx, SocketFlags.None, _rxAddress);
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.TimedOut or SocketError.ConnectionReset or SocketError.Interrupted)
            {
                continue;
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.MessageSize)
            {
                lock (_gate)
                {
                    Reject(RtpRejectReason.TooLarge, _rtpRx.Length);
                }
                continue;
            }
            catch (SocketException e)
            {
                if (_running)
                {
                    _log.LogWarning("RTP socket error {Error}", e.SocketErrorCode);
                }
                continue;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            ReceiveDatagram(_rtpRx.AsSpan(0, n), _rxAddress, NowUs());
        }
    }

    private void RtcpLoop()
    {
        while (_running)
        {
            int n;
            try
            {
                n = _rtcp.ReceiveFrom(_rtcpRx, SocketFlags.None, _rtcpRxAddress);
            }
            catch (SocketException)
            {
                continue;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            lock (_gate)
            {
                ReceiveRtcp(_rtcpRx.AsSpan(0, n), NowUs());
            }
        }
    }

    /// <summary>Handles one datagram from the RTP port (RTCP multiplexed there too). Never throws.</summary>
    internal void ReceiveDatagram(ReadOnlySpan<byte> data, SocketAddress? from, long nowUs)
    {
        if (RtpHeader.LooksLikeRtcp(data))
        {
            lock (_gate)
            {
                ReceiveRtcp(data, nowUs);
            }
            return;
        }
        var reason = RtpHeader.TryParse(data, out var h);
        lock (_gate)
        {
            var media = _media;
            if (reason == RtpRejectReason.None && media is not null && from is not null && !FromRemote(from))
            {
                reason = RtpRejectReason.WrongSource;
            }
            if (reason == RtpRejectReason.None && media is not null && h.PayloadType != media.PayloadType && h.PayloadType != media.DtmfPayloadType)
            {
                reason = RtpRejectReason.UnknownPayloadType;
            }
            if (reason != RtpRejectReason.None || media is null)
            {
                Reject(reason == RtpRejectReason.None ? RtpRejectReason.UnknownPayloadType : reason, data.Length);
                return;
            }
            if (!_haveRemoteSsrc || h.Ssrc != _remoteSsrc)
            {
                if (_haveRemoteSsrc)
                {
                    Statistics.SsrcChanges++;
                    _jitter?.Reset();
                    if (_decoder is OpusVoiceDecoder od)
                    {
                        od.Reset();
                    }
                }
                _haveRemoteSsrc = true;
                _remoteSsrc = h.Ssrc;
            }
            double arrivalTs = nowUs * (media.ClockRate / 1_000_000.0);
            _rx.Update(h.Ssrc, h.Sequence, h.Timestamp, arrivalTs);
            Statistics.JitterMs = _rx.JitterTimestampUnits * 1000.0 / media.ClockRate;
            Statistics.PacketsLost = Math.Max(0, _rx.CumulativeLost);
            var payload = data.Slice(h.PayloadOffset, h.PayloadLength);
            if (h.PayloadType == media.DtmfPayloadType && h.PayloadType != media.PayloadType)
            {
                ReceiveDtmf(h, payload);
                return;
            }
            Statistics.PacketsReceived++;
            Statistics.OctetsReceived += payload.Length;
            if (media.Receives)
            {
                _jitter!.Insert(h.Sequence, h.Timestamp, payload, nowUs);
            }
        }
    }

    private bool FromRemote(SocketAddress from)
    {
        // IPv4 sockaddr: family (2), port (2), address (4). Any port of the negotiated host is accepted.
        var buf = from.Buffer.Span;
        if (_remoteIp.Length != 4 || from.Size < 8)
        {
            return true;
        }
        return buf.Slice(4, 4).SequenceEqual(_remoteIp);
    }

    private void ReceiveDtmf(RtpHeader h, ReadOnlySpan<byte> payload)
    {
        if (payload.Length < 4)
        {
            Reject(RtpRejectReason.ShortHeader, payload.Length);
            return;
        }
        bool end = (payload[1] & 0x80) != 0;
        if (end && h.Timestamp != _lastDtmfRxTs && payload[0] <= 15)
        {
            _lastDtmfRxTs = h.Timestamp;
            Statistics.DtmfReceived += DtmfChar(payload[0]);
        }
    }

    private void Reject(RtpRejectReason reason, int length)
    {
        long n = Statistics.CountRejected(reason);
        if (n <= 3 || n % 1000 == 0)
        {
            _log.LogWarning("RTP packet of {Length} bytes rejected ({Reason}); {Count} so far for this reason", length, reason, n);
        }
    }

    private void ReceiveRtcp(ReadOnlySpan<byte> data, long nowUs)
    {
        if (!RtcpPacket.TryParse(data, _ssrc, out var s))
        {
            Statistics.RtcpRejected++;
            if (Statistics.RtcpRejected <= 3)
            {
                _log.LogWarning("RTCP packet of {Length} bytes rejected (malformed)", data.Length);
            }
            return;
        }
        Statistics.RtcpReceived++;
        if (s.HasSenderReport)
        {
            _lastSrMiddle = s.SenderNtpMiddle;
            _lastSrAt = nowUs;
        }
        if (s.AboutUs is RtcpReportBlock b)
        {
            double percent = b.FractionLost * 100.0 / 256.0;
            Statistics.RemoteLossPercent = percent;
            if (_media is not null)
            {
                Statistics.RemoteJitterMs = b.Jitter * 1000.0 / _media.ClockRate;
            }
            if (b.LastSr != 0)
            {
                uint nowMid = RtcpPacket.Middle(RtcpPacket.ToNtp(_time.GetUtcNow()));
                uint rtt = nowMid - b.LastSr - b.DelaySinceLastSr;
                if (rtt < 65536u * 10)
                {
                    Statistics.RoundTripMs = rtt * 1000.0 / 65536.0;
                }
            }
            // Size FEC for the loss the far end sees, with a little headroom; decay slowly.
            _lossEwma = percent > _lossEwma ? percent : (0.7 * _lossEwma) + (0.3 * percent);
            _wantedLoss = (int)Math.Clamp(Math.Ceiling(_lossEwma), 0, 30);
        }
    }

    private void SendRtcp(bool bye)
    {
        if (_remoteRtcp is null || _media is null)
        {
            return;
        }
        RtcpReportBlock? block = null;
        long now = NowUs();
        if (_haveRemoteSsrc)
        {
            byte fraction = _rx.TakeFractionLost();
            Statistics.LossPercent = fraction * 100.0 / 256.0;
            uint dlsr = _lastSrMiddle == 0 ? 0 : (uint)((now - _lastSrAt) * 65536 / 1_000_000);
            block = new RtcpReportBlock(_rx.Ssrc, fraction, (int)Math.Clamp(_rx.CumulativeLost, int.MinValue, int.MaxValue),
                (uint)_rx.ExtendedHighest, (uint)_rx.JitterTimestampUnits, _lastSrMiddle, dlsr);
        }
        bool sent = Statistics.PacketsSent > 0;
        int len = RtcpPacket.Write(_rtcpTx, _ssrc, sent, RtcpPacket.ToNtp(_time.GetUtcNow()), _timestamp,
            (uint)Statistics.PacketsSent, (uint)Statistics.OctetsSent, block, _cname, bye);
        Transmit(_rtcp, _rtcpTx.AsSpan(0, len), _remoteRtcp);
        Statistics.RtcpSent++;
    }

    /// <summary>Stops the threads and sends RTCP BYE.</summary>
    public void Stop()
    {
        if (!_running)
        {
            return;
        }
        _running = false;
        _tickThread?.Join(2000);
        lock (_gate)
        {
            SendRtcp(bye: true);
        }
        _rtpThread?.Join(1000);
        _rtcpThread?.Join(1000);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        Stop();
        _disposed = true;
        _rtp.Dispose();
        _rtcp.Dispose();
        lock (_gate)
        {
            _encoder?.Dispose();
            _decoder?.Dispose();
        }
    }
}
