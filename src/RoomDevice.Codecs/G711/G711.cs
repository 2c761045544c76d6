namespace RoomDevice.Codecs.G711;

/// <summary>The two companding laws of ITU-T G.711.</summary>
public enum G711Law
{
    /// <summary>µ-law (PCMU, payload type 0), North America and Japan.</summary>
    MuLaw,

    /// <summary>A-law (PCMA, payload type 8), elsewhere.</summary>
    ALaw,
}

/// <summary>
/// G.711 companding tables. Codes are made from the segment/step structure of the
/// recommendation: µ-law works on 14-bit magnitudes with a bias of 33 and inverts all bits,
/// A-law works on 13-bit magnitudes and inverts the even bits (XOR 0x55).
/// </summary>
internal static class G711Tables
{
    /// <summary>µ-law code for each 14-bit sample (index = sample + 8192).</summary>
    internal static readonly byte[] MuLawEncode = BuildMuLawEncode();

    /// <summary>A-law code for each 13-bit sample (index = sample + 4096).</summary>
    internal static readonly byte[] ALawEncode = BuildALawEncode();

    /// <summary>16-bit linear value of each µ-law code.</summary>
    internal static readonly short[] MuLawDecode16 = BuildDecode16(MuLawToLinear16);

    /// <summary>16-bit linear value of each A-law code.</summary>
    internal static readonly short[] ALawDecode16 = BuildDecode16(ALawToLinear16);

    /// <summary>Float value of each µ-law code.</summary>
    internal static readonly float[] MuLawDecode = ToFloat(MuLawDecode16);

    /// <summary>Float value of each A-law code.</summary>
    internal static readonly float[] ALawDecode = ToFloat(ALawDecode16);

    /// <summary>µ-law code of a 14-bit sample (-8192..8191).</summary>
    internal static byte MuLawFromLinear14(int sample)
    {
        int sign = sample < 0 ? 0x80 : 0;
        int magnitude = Math.Min(Math.Abs(sample), 8159) + 33; // 33..8192
        if (magnitude >= 8192)
        {
            return (byte)~(sign | 0x7F); // the clipped magnitude is the top step
        }
        int segment = 0;
        while (magnitude >= (64 << segment))
        {
            segment++;
        }
        int step = (magnitude >> (segment + 1)) & 0x0F;
        return (byte)~(sign | (segment << 4) | step);
    }

    /// <summary>16-bit value of a µ-law code (the 14-bit reconstruction value times 4).</summary>
    internal static short MuLawToLinear16(byte code)
    {
        int c = ~code & 0xFF;
        int segment = (c >> 4) & 7;
        int step = c & 0x0F;
        int magnitude14 = ((((step << 1) + 33) << segment) - 33);
        return (short)((c & 0x80) != 0 ? -magnitude14 * 4 : magnitude14 * 4);
    }

    /// <summary>A-law code of a 13-bit sample (-4096..4095).</summary>
    internal static byte ALawFromLinear13(int sample)
    {
        // Negative samples use the one's complement, so -1 and 0 share the smallest step.
        bool negative = sample < 0;
        int magnitude = negative ? -sample - 1 : sample; // 0..4095
        int segment = 0;
        while (segment < 7 && magnitude >= (32 << segment))
        {
            segment++;
        }
        int step = segment == 0 ? (magnitude >> 1) & 0x0F : (magnitude >> segment) & 0x0F;
        int code = (segment << 4) | step;
        return (byte)((negative ? code : code | 0x80) ^ 0x55);
    }

    /// <summary>16-bit value of an A-law code (the 13-bit reconstruction value times 8).</summary>
    internal static short ALawToLinear16(byte code)
    {
        int c = code ^ 0x55;
        int segment = (c >> 4) & 7;
        int step = c & 0x0F;
        // Reconstruction at the middle of each step, in 13-bit units times 2.
        int magnitude13x2 = segment == 0 ? (step << 2) + 2 : ((step << 2) + 66) << (segment - 1);
        int magnitude16 = magnitude13x2 * 4;
        return (short)((c & 0x80) != 0 ? magnitude16 : -magnitude16);
    }

    private static byte[] BuildMuLawEncode()
    {
        var t = new byte[16384];
        for (int i = 0; i < t.Length; i++)
        {
            t[i] = MuLawFromLinear14(i - 8192);
        }
        return t;
    }

    private static byte[] BuildALawEncode()
    {
        var t = new byte[8192];
        for (int i = 0; i < t.Length; i++)
        {
            t[i] = ALawFromLinear13(i - 4096);
        }
        return t;
    }

    private static short[] BuildDecode16(Func<byte, short> decode)
    {
        var t = new short[256];
        for (int i = 0; i < 256; i++)
        {
            t[i] = decode((byte)i);
        }
        return t;
    }

    private static float[] ToFloat(short[] values)
    {
        var t = new float[values.Length];
        for (int i = 0; i < t.Length; i++)
        {
            t[i] = values[i] / 32768f;
        }
        return t;
    }
}

/// <summary>G.711 encoder (PCMU or PCMA): 8 kHz mono, one byte per sample, 20 ms = 160 samples per packet.</summary>
public sealed class G711Encoder(G711Law law) : IVoiceEncoder
{
    /// <summary>The only rate G.711 has.</summary>
    public const int Rate = 8000;

    /// <summary>Samples in a 20 ms packet.</summary>
    public const int Samples20Ms = 160;

    private readonly byte[] table = law == G711Law.MuLaw ? G711Tables.MuLawEncode
        : law == G711Law.ALaw ? G711Tables.ALawEncode
        : throw new ArgumentException($"G.711 law {(int)law} is unknown; accepted: MuLaw, ALaw", nameof(law));

    /// <summary>The companding law.</summary>
    public G711Law Law { get; } = law;

    /// <inheritdoc />
    public string Name => Law == G711Law.MuLaw ? "PCMU" : "PCMA";

    /// <inheritdoc />
    public int SampleRate => Rate;

    /// <inheritdoc />
    public int FrameSamples => Samples20Ms;

    /// <summary>
    /// Encodes any number of samples (one code each); returns the count. <see cref="FrameSamples"/>
    /// is the usual packet size.
    /// </summary>
    public int Encode(ReadOnlySpan<float> pcm, Span<byte> packet)
    {
        if (packet.Length < pcm.Length)
        {
            throw new ArgumentException($"packet buffer holds {packet.Length} bytes but {pcm.Length} samples need {pcm.Length}; accepted: one byte per sample", nameof(packet));
        }
        byte[] t = table;
        // µ-law tables are 14-bit (shift 2 from 16-bit), A-law 13-bit (shift 3).
        int shift = Law == G711Law.MuLaw ? 2 : 3;
        int offset = t.Length / 2;
        for (int i = 0; i < pcm.Length; i++)
        {
            float x = pcm[i] * 32768f;
            int s16 = x >= 32767f ? 32767 : x <= -32768f ? -32768 : float.IsNaN(x) ? 0 : (int)MathF.Round(x);
            packet[i] = t[(s16 >> shift) + offset];
        }
        return pcm.Length;
    }

    /// <summary>G.711 has no FEC; nothing to tune.</summary>
    public void SetExpectedLoss(int percent)
    {
        if (percent is < 0 or > 100)
        {
            throw new ArgumentOutOfRangeException(nameof(percent), percent, "expected loss must be 0..100 percent");
        }
    }

    /// <inheritdoc />
    public void Dispose() { }
}

/// <summary>G.711 decoder (PCMU or PCMA) with a simple concealment that repeats the last packet, fading out.</summary>
public sealed class G711Decoder : IVoiceDecoder
{
    private readonly float[] table;
    private readonly float[] last = new float[G711Encoder.Samples20Ms * 6];
    private int lastLength;
    private float concealGain = 1f;

    /// <summary>Creates a decoder for <paramref name="law"/>.</summary>
    public G711Decoder(G711Law law)
    {
        table = law switch
        {
            G711Law.MuLaw => G711Tables.MuLawDecode,
            G711Law.ALaw => G711Tables.ALawDecode,
            _ => throw new ArgumentException($"G.711 law {(int)law} is unknown; accepted: MuLaw, ALaw", nameof(law)),
        };
        Law = law;
    }

    /// <summary>The companding law.</summary>
    public G711Law Law { get; }

    /// <inheritdoc />
    public string Name => Law == G711Law.MuLaw ? "PCMU" : "PCMA";

    /// <inheritdoc />
    public int SampleRate => G711Encoder.Rate;

    /// <summary>Packets decoded.</summary>
    public long PacketsDecoded { get; private set; }

    /// <summary>Frames produced by concealment.</summary>
    public long Concealed { get; private set; }

    /// <summary>
    /// Decodes one code per sample, up to <paramref name="pcm"/>.Length; every byte is a valid
    /// code, so nothing is corrupt. G.711 has no FEC: <paramref name="fromFec"/> conceals.
    /// </summary>
    public int Decode(ReadOnlySpan<byte> packet, Span<float> pcm, bool fromFec = false)
    {
        if (fromFec || packet.IsEmpty)
        {
            return Conceal(pcm);
        }
        int n = Math.Min(packet.Length, pcm.Length);
        float[] t = table;
        for (int i = 0; i < n; i++)
        {
            pcm[i] = t[packet[i]];
        }
        lastLength = Math.Min(n, last.Length);
        pcm[..lastLength].CopyTo(last);
        concealGain = 1f;
        PacketsDecoded++;
        return n;
    }

    /// <summary>Repeats the last packet at falling gain (−6 dB per lost packet); silence when nothing came before.</summary>
    public int Conceal(Span<float> pcm)
    {
        Concealed++;
        concealGain *= 0.5f;
        if (lastLength == 0)
        {
            pcm.Clear();
            return pcm.Length;
        }
        for (int i = 0; i < pcm.Length; i++)
        {
            pcm[i] = last[i % lastLength] * concealGain;
        }
        return pcm.Length;
    }

    /// <inheritdoc />
    public void Dispose() { }
}
