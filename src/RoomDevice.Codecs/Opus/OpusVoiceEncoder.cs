using System.Globalization;
using RoomDevice.Codecs.Interop;

namespace RoomDevice.Codecs.Opus;

/// <summary>Mono Opus encoder over libopus, tuned by an <see cref="OpusEncoderSettings"/> profile.</summary>
public sealed unsafe class OpusVoiceEncoder : IVoiceEncoder
{
    /// <summary>Largest packet one call can produce (RFC 6716: 1275 bytes per frame, up to 3 frames of 20 ms in 60 ms).</summary>
    public const int MaxPacketBytes = 1275 * 3;

    private readonly OpusEncoderHandle handle;
    private int expectedLoss;
    private int bitrate;
    private int pendingLoss = -1;
    private int pendingBitrate = -1;

    /// <summary>Creates the encoder; throws <see cref="ArgumentException"/> for invalid settings.</summary>
    public OpusVoiceEncoder(OpusEncoderSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        Settings = settings;
        bool voice = settings.Profile == CodecProfile.Voice;
        int application = voice ? OpusNative.ApplicationVoip : OpusNative.ApplicationAudio;
        handle = OpusNative.Load(() =>
        {
            OpusEncoderHandle h = OpusNative.opus_encoder_create(settings.SampleRate, 1, application, out int error);
            if (error != OpusNative.Ok || h.IsInvalid)
            {
                h.Dispose();
                throw new InvalidOperationException(Text($"opus_encoder_create({settings.SampleRate} Hz, mono) failed: {OpusNative.ErrorText(error)}"));
            }
            return h;
        });
        try
        {
            bitrate = settings.Bitrate;
            Set(OpusNative.SetBitrateRequest, EffectiveBitrate(settings.Bitrate, settings.ExpectedLossPercent), "OPUS_SET_BITRATE");
            Set(OpusNative.SetComplexityRequest, settings.Complexity, "OPUS_SET_COMPLEXITY");
            if (voice)
            {
                Set(OpusNative.SetForceModeRequest, OpusNative.ModeSilkOnly, "OPUS_SET_FORCE_MODE");
                Set(OpusNative.SetBandwidthRequest, OpusNative.BandwidthWideband, "OPUS_SET_BANDWIDTH");
                Set(OpusNative.SetSignalRequest, OpusNative.SignalVoice, "OPUS_SET_SIGNAL");
            }
            else
            {
                Set(OpusNative.SetBandwidthRequest, OpusNative.BandwidthFullband, "OPUS_SET_BANDWIDTH");
            }
            Set(OpusNative.SetInbandFecRequest, settings.InbandFec ? 1 : 0, "OPUS_SET_INBAND_FEC");
            Set(OpusNative.SetDtxRequest, settings.Dtx ? 1 : 0, "OPUS_SET_DTX");
            Set(OpusNative.SetPacketLossPercRequest, settings.ExpectedLossPercent, "OPUS_SET_PACKET_LOSS_PERC");
            expectedLoss = settings.ExpectedLossPercent;
            OpusNative.Check(OpusNative.opus_encoder_ctl(handle, OpusNative.GetLookaheadRequest, out int lookahead), "OPUS_GET_LOOKAHEAD");
            LookaheadSamples = lookahead;
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>The settings this encoder was made with (loss as at creation).</summary>
    public OpusEncoderSettings Settings { get; }

    /// <inheritdoc />
    public string Name => "opus";

    /// <inheritdoc />
    public int SampleRate => Settings.SampleRate;

    /// <inheritdoc />
    public int FrameSamples => Settings.FrameSamples;

    /// <summary>
    /// Algorithmic delay of encoder plus decoder in input samples (OPUS_GET_LOOKAHEAD): decoded
    /// sample n + LookaheadSamples corresponds to input sample n.
    /// </summary>
    public int LookaheadSamples { get; }

    /// <summary>Packet loss assumed, percent (the latest value given to <see cref="SetExpectedLoss"/>).</summary>
    public int ExpectedLossPercent => Volatile.Read(ref expectedLoss);

    /// <summary>Frames encoded so far.</summary>
    public long FramesEncoded { get; private set; }

    /// <summary>Bytes of all packets so far.</summary>
    public long BytesEncoded { get; private set; }

    /// <summary>Packets sent in SILK-only mode.</summary>
    public long SilkPackets { get; private set; }

    /// <summary>Packets sent in hybrid mode.</summary>
    public long HybridPackets { get; private set; }

    /// <summary>Packets sent in CELT-only mode.</summary>
    public long CeltPackets { get; private set; }

    /// <summary>Packets that carry FEC data for the frame before them.</summary>
    public long PacketsWithFec { get; private set; }

    /// <inheritdoc />
    public int Encode(ReadOnlySpan<float> pcm, Span<byte> packet)
    {
        ObjectDisposedException.ThrowIf(handle.IsClosed, this);
        if (pcm.Length != FrameSamples)
        {
            throw new ArgumentException(Text($"frame has {pcm.Length} samples; accepted: exactly {FrameSamples} ({Settings.FrameMs} ms at {SampleRate} Hz)"), nameof(pcm));
        }
        if (packet.IsEmpty)
        {
            throw new ArgumentException("packet buffer is empty; accepted: at least 1 byte, ideally MaxPacketBytes", nameof(packet));
        }
        ApplyPending();
        int written;
        fixed (float* p = pcm)
        fixed (byte* d = packet)
        {
            written = OpusNative.opus_encode_float(handle, p, pcm.Length, d, Math.Min(packet.Length, MaxPacketBytes));
        }
        if (written < 0)
        {
            throw new InvalidOperationException(Text($"opus_encode_float failed: {OpusNative.ErrorText(written)} (packet buffer {packet.Length} bytes)"));
        }
        FramesEncoded++;
        BytesEncoded += written;
        if (written > 2)
        {
            // 1–2 byte packets are DTX or empty frames; the TOC still names a mode, but nothing is coded.
            ReadOnlySpan<byte> sent = packet[..written];
            switch (OpusPacket.Mode(sent[0]))
            {
                case OpusMode.Silk: SilkPackets++; break;
                case OpusMode.Hybrid: HybridPackets++; break;
                default: CeltPackets++; break;
            }
            if (OpusPacket.HasFec(sent))
            {
                PacketsWithFec++;
            }
        }
        return written;
    }

    /// <summary>
    /// Tells the encoder the loss the receiver reports (OPUS_SET_PACKET_LOSS_PERC). Safe to call
    /// from another thread (e.g. RTCP): it takes effect at the next <see cref="Encode"/>.
    /// </summary>
    public void SetExpectedLoss(int percent)
    {
        if (percent is < 0 or > 100)
        {
            throw new ArgumentOutOfRangeException(nameof(percent), percent, "expected loss must be 0..100 percent");
        }
        Volatile.Write(ref expectedLoss, percent);
        Interlocked.Exchange(ref pendingLoss, percent);
        if (Settings.FecBitrateFloor is not null)
        {
            Interlocked.Exchange(ref pendingBitrate, EffectiveBitrate(Volatile.Read(ref bitrate), percent));
        }
    }

    /// <summary>The bitrate the encoder runs at for <paramref name="asked"/> and the expected loss: raised to the FEC floor while loss is reported.</summary>
    private int EffectiveBitrate(int asked, int lossPercent) =>
        lossPercent > 0 && Settings.FecBitrateFloor is int floor ? Math.Max(asked, floor) : asked;

    /// <summary>The bitrate the encoder runs at now, bit/s: <see cref="Bitrate"/>, or the FEC floor while loss is reported.</summary>
    public int RunningBitrate => EffectiveBitrate(Volatile.Read(ref bitrate), Volatile.Read(ref expectedLoss));

    /// <summary>
    /// Changes the target bitrate within the profile's range. Safe to call from another thread:
    /// it takes effect at the next <see cref="Encode"/>.
    /// </summary>
    public void SetBitrate(int bitsPerSecond)
    {
        (int min, int max) = OpusEncoderSettings.BitrateRange(Settings.Profile);
        if (bitsPerSecond < min || bitsPerSecond > max)
        {
            throw new ArgumentOutOfRangeException(nameof(bitsPerSecond), bitsPerSecond, Text($"accepted: {min}..{max} bit/s"));
        }
        Volatile.Write(ref bitrate, bitsPerSecond);
        Interlocked.Exchange(ref pendingBitrate, EffectiveBitrate(bitsPerSecond, Volatile.Read(ref expectedLoss)));
    }

    /// <summary>The bitrate last asked for, bit/s (see <see cref="RunningBitrate"/> for the one in use).</summary>
    public int Bitrate => Volatile.Read(ref bitrate);

    // libopus encoders are not thread-safe: changes from other threads wait for the encoding thread.
    private void ApplyPending()
    {
        int loss = Interlocked.Exchange(ref pendingLoss, -1);
        if (loss >= 0)
        {
            Set(OpusNative.SetPacketLossPercRequest, loss, "OPUS_SET_PACKET_LOSS_PERC");
        }
        int newBitrate = Interlocked.Exchange(ref pendingBitrate, -1);
        if (newBitrate >= 0)
        {
            Set(OpusNative.SetBitrateRequest, newBitrate, "OPUS_SET_BITRATE");
        }
    }

    /// <summary>Forgets all history, as for a new stream.</summary>
    public void Reset() => OpusNative.Check(OpusNative.opus_encoder_ctl_noarg(handle, OpusNative.ResetStateRequest), "OPUS_RESET_STATE");

    /// <summary>The native encoder pointer, for benchmarks that compare against bare libopus calls.</summary>
    internal IntPtr DangerousNativePointer => handle.DangerousGetHandle();

    /// <inheritdoc />
    public void Dispose() => handle.Dispose();

    private void Set(int request, int value, string name)
    {
        ObjectDisposedException.ThrowIf(handle.IsClosed, this);
        OpusNative.Check(OpusNative.opus_encoder_ctl(handle, request, value), Text($"opus_encoder_ctl({name}, {value})"));
    }

    private static string Text(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
