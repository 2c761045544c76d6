using System.Globalization;
using RoomDevice.Codecs.Interop;

namespace RoomDevice.Codecs.Opus;

/// <summary>
/// Opus decoder over libopus with packet-loss concealment and in-band FEC recovery. Output is
/// interleaved float PCM at <see cref="SampleRate"/> with <see cref="Channels"/> channels; a
/// corrupt packet becomes concealment and is counted, never an exception.
/// </summary>
public sealed unsafe class OpusVoiceDecoder : IVoiceDecoder
{
    private readonly OpusDecoderHandle handle;

    /// <summary>Creates a decoder; <paramref name="sampleRate"/> is any Opus rate, <paramref name="channels"/> 1 or 2.</summary>
    public OpusVoiceDecoder(int sampleRate, int channels = 1)
    {
        if (!OpusEncoderSettings.SupportedSampleRates.Contains(sampleRate))
        {
            throw new ArgumentException(Text($"sample rate {sampleRate} Hz is not an Opus rate; accepted: 8000, 12000, 16000, 24000, 48000"), nameof(sampleRate));
        }
        if (channels is not (1 or 2))
        {
            throw new ArgumentException(Text($"channel count {channels} is not supported; accepted: 1 or 2"), nameof(channels));
        }
        SampleRate = sampleRate;
        Channels = channels;
        handle = OpusNative.Load(() =>
        {
            OpusDecoderHandle h = OpusNative.opus_decoder_create(sampleRate, channels, out int error);
            if (error != OpusNative.Ok || h.IsInvalid)
            {
                h.Dispose();
                throw new InvalidOperationException(Text($"opus_decoder_create({sampleRate} Hz, {channels} ch) failed: {OpusNative.ErrorText(error)}"));
            }
            return h;
        });
    }

    /// <inheritdoc />
    public string Name => "opus";

    /// <inheritdoc />
    public int SampleRate { get; }

    /// <summary>Output channels (interleaved).</summary>
    public int Channels { get; }

    /// <summary>Packets decoded normally.</summary>
    public long PacketsDecoded { get; private set; }

    /// <summary>Frames decoded from the FEC (LBRR) data of the following packet.</summary>
    public long FecRecovered { get; private set; }

    /// <summary>Frames produced by concealment (lost, empty, corrupt, or FEC asked of a packet that carries none).</summary>
    public long Concealed { get; private set; }

    /// <summary>Packets libopus rejected as corrupt (each was replaced by concealment).</summary>
    public long CorruptPackets { get; private set; }

    /// <inheritdoc />
    public int Decode(ReadOnlySpan<byte> packet, Span<float> pcm, bool fromFec = false)
    {
        int frameSize = FrameSizeOf(pcm);
        if (packet.IsEmpty)
        {
            return Conceal(pcm);
        }
        int decoded;
        fixed (byte* d = packet)
        fixed (float* p = pcm)
        {
            decoded = OpusNative.opus_decode_float(handle, d, packet.Length, p, frameSize, fromFec ? 1 : 0);
        }
        if (decoded < 0)
        {
            CorruptPackets++;
            return Conceal(pcm);
        }
        if (fromFec)
        {
            // Without LBRR data in the packet libopus conceals instead.
            if (!OpusPacket.HasFec(packet))
            {
                Concealed++;
            }
            else
            {
                FecRecovered++;
            }
        }
        else
        {
            PacketsDecoded++;
        }
        return decoded * Channels;
    }

    /// <inheritdoc />
    public int Conceal(Span<float> pcm)
    {
        int frameSize = FrameSizeOf(pcm);
        int decoded;
        fixed (float* p = pcm)
        {
            decoded = OpusNative.opus_decode_float(handle, null, 0, p, frameSize, 0);
        }
        Concealed++;
        if (decoded < 0)
        {
            // libopus refused even concealment: silence keeps the stream going.
            pcm.Clear();
            return pcm.Length;
        }
        return decoded * Channels;
    }

    /// <summary>Forgets all history, as for a new stream.</summary>
    public void Reset() => OpusNative.Check(OpusNative.opus_decoder_ctl_noarg(handle, OpusNative.ResetStateRequest), "OPUS_RESET_STATE");

    /// <summary>The native decoder pointer, for benchmarks that compare against bare libopus calls.</summary>
    internal IntPtr DangerousNativePointer => handle.DangerousGetHandle();

    /// <inheritdoc />
    public void Dispose() => handle.Dispose();

    private int FrameSizeOf(Span<float> pcm)
    {
        ObjectDisposedException.ThrowIf(handle.IsClosed, this);
        int perChannel = pcm.Length / Channels;
        // Opus frames are multiples of 2.5 ms.
        int quantum = SampleRate / 400;
        if (pcm.Length % Channels != 0 || perChannel == 0 || perChannel % quantum != 0 || perChannel > SampleRate * 120 / 1000)
        {
            throw new ArgumentException(Text($"output buffer of {pcm.Length} samples does not hold whole 2.5 ms steps; accepted: a multiple of {quantum * Channels} samples, up to 120 ms"), nameof(pcm));
        }
        return perChannel;
    }

    private static string Text(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
