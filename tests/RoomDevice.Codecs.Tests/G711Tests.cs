using System.Globalization;
using RoomDevice.Codecs.G711;
using Xunit.Abstractions;

namespace RoomDevice.Codecs.Tests;

public sealed class G711Tests(ITestOutputHelper output)
{
    private static short Decode16(G711Law law, byte code)
    {
        using var decoder = new G711Decoder(law);
        var pcm = new float[1];
        decoder.Decode([code], pcm);
        return (short)Math.Round(pcm[0] * 32768f);
    }

    private static byte Encode16(G711Law law, short value)
    {
        using var encoder = new G711Encoder(law);
        var packet = new byte[1];
        encoder.Encode([value / 32768f], packet);
        return packet[0];
    }

    [Theory]
    // µ-law: 0xFF and 0x7F are +0 and -0; 0x80/0x00 the largest magnitudes, 8031 in 14-bit units
    [InlineData(G711Law.MuLaw, 0xFF, 0)]
    [InlineData(G711Law.MuLaw, 0x7F, 0)]
    [InlineData(G711Law.MuLaw, 0x80, 32124)]
    [InlineData(G711Law.MuLaw, 0x00, -32124)]
    [InlineData(G711Law.MuLaw, 0xFE, 8)]          // first step: 2 in 14-bit units
    [InlineData(G711Law.MuLaw, 0xEF, 132)]        // first code of segment 1: 33 in 14-bit units
    // A-law: 0xD5/0x55 are the smallest levels (+-1 in 13-bit units, x8), 0xAA/0x2A the largest (4032)
    [InlineData(G711Law.ALaw, 0xD5, 8)]
    [InlineData(G711Law.ALaw, 0x55, -8)]
    [InlineData(G711Law.ALaw, 0xAA, 32256)]
    [InlineData(G711Law.ALaw, 0x2A, -32256)]
    [InlineData(G711Law.ALaw, 0xC5, 264)]         // first code of segment 1: 33 in 13-bit units
    public void Known_codes_decode_to_the_g711_reconstruction_levels(G711Law law, int code, int expected)
    {
        Assert.Equal(expected, Decode16(law, (byte)code));
    }

    [Theory]
    [InlineData(G711Law.MuLaw, 0, 0xFF)]
    [InlineData(G711Law.MuLaw, -16, 0x7D)]
    [InlineData(G711Law.MuLaw, 32767, 0x80)]
    [InlineData(G711Law.MuLaw, -32768, 0x00)]
    [InlineData(G711Law.ALaw, 0, 0xD5)]
    [InlineData(G711Law.ALaw, -1, 0x55)]
    [InlineData(G711Law.ALaw, 32767, 0xAA)]
    [InlineData(G711Law.ALaw, -32768, 0x2A)]
    public void Known_values_encode_to_their_codes(G711Law law, int value, int code)
    {
        Assert.Equal((byte)code, Encode16(law, (short)value));
    }

    [Theory]
    [InlineData(G711Law.MuLaw)]
    [InlineData(G711Law.ALaw)]
    public void Reconstruction_levels_are_monotonic_and_odd_symmetric(G711Law law)
    {
        // order the 256 codes by their level; a law gives 128 distinct positive levels (µ-law shares 0)
        var levels = Enumerable.Range(0, 256).Select(c => (int)Decode16(law, (byte)c)).ToList();
        var positive = levels.Where(v => v > 0).Order().ToList();
        var negative = levels.Where(v => v < 0).Select(v => -v).Order().ToList();
        Assert.Equal(positive, negative);
        Assert.Equal(positive.Count, positive.Distinct().Count());
        Assert.Equal(law == G711Law.MuLaw ? 127 : 128, positive.Count);
        // within each sign the code order is the level order
        int sign = law == G711Law.MuLaw ? 0x80 : 0x80;
        for (int c = 1; c < 128; c++)
        {
            int step = law == G711Law.MuLaw ? -1 : 1;
            int a = law == G711Law.MuLaw ? 0xFF - c + 1 : (((c - 1) ^ 0x55) & 0x7F) | sign;
            int b = law == G711Law.MuLaw ? 0xFF - c : ((c ^ 0x55) & 0x7F) | sign;
            Assert.True(Decode16(law, (byte)b) > Decode16(law, (byte)a), $"code 0x{b:X2} after 0x{a:X2} (step {step})");
        }
    }

    [Theory]
    [InlineData(G711Law.MuLaw)]
    [InlineData(G711Law.ALaw)]
    public void Every_code_survives_decode_then_encode(G711Law law)
    {
        for (int c = 0; c < 256; c++)
        {
            if (law == G711Law.MuLaw && c == 0x7F)
            {
                continue; // -0 encodes as +0
            }
            Assert.Equal((byte)c, Encode16(law, Decode16(law, (byte)c)));
        }
    }

    [Theory]
    [InlineData(G711Law.MuLaw)]
    [InlineData(G711Law.ALaw)]
    public void Encoding_is_monotonic_over_the_whole_16_bit_range(G711Law law)
    {
        short previous = short.MinValue;
        for (int v = short.MinValue; v <= short.MaxValue; v += 3)
        {
            short level = Decode16(law, Encode16(law, (short)v));
            Assert.True(level >= previous, $"{v} -> {level} after {previous}");
            previous = level;
        }
    }

    [Theory]
    [InlineData(G711Law.MuLaw)]
    [InlineData(G711Law.ALaw)]
    public void A_loud_sine_comes_back_at_about_37_dB_snr(G711Law law)
    {
        using var encoder = new G711Encoder(law);
        using var decoder = new G711Decoder(law);
        Assert.Equal(8000, encoder.SampleRate);
        Assert.Equal(160, encoder.FrameSamples);
        Assert.Equal(law == G711Law.MuLaw ? "PCMU" : "PCMA", encoder.Name);
        Assert.Equal(encoder.Name, decoder.Name);
        var input = new float[8000];
        for (int i = 0; i < input.Length; i++)
        {
            input[i] = 0.5f * MathF.Sin(2 * MathF.PI * 1013 * i / 8000f);
        }
        var decoded = new float[input.Length];
        var packet = new byte[160];
        for (int start = 0; start < input.Length; start += 160)
        {
            Assert.Equal(160, encoder.Encode(input.AsSpan(start, 160), packet));
            Assert.Equal(160, decoder.Decode(packet, decoded.AsSpan(start, 160)));
        }
        double snr = CodecQuality.SnrDb(input, decoded, 0);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{law}: SNR {snr:F2} dB"));
        Assert.InRange(snr, 35, 40);
    }

    [Fact]
    public void Lost_packets_repeat_the_last_one_fading_and_never_throw()
    {
        using var decoder = new G711Decoder(G711Law.ALaw);
        var pcm = new float[160];
        decoder.Conceal(pcm);
        Assert.All(pcm, v => Assert.Equal(0f, v));
        var packet = Enumerable.Repeat((byte)0xAA, 160).ToArray();
        decoder.Decode(packet, pcm);
        float level = pcm[0];
        decoder.Decode([], pcm);
        Assert.Equal(level / 2, pcm[0], 6);
        decoder.Decode(packet, pcm, fromFec: true);
        Assert.Equal(level / 4, pcm[0], 6);
        Assert.Equal(3, decoder.Concealed);
        // a short packet fills what it has
        Assert.Equal(3, decoder.Decode([0xAA, 0xAA, 0xAA], pcm));
    }

    [Fact]
    public void Encoder_rejects_a_packet_buffer_that_is_too_small_and_allocates_nothing()
    {
        using var encoder = new G711Encoder(G711Law.MuLaw);
        using var decoder = new G711Decoder(G711Law.MuLaw);
        var e = Assert.Throws<ArgumentException>(() => encoder.Encode(new float[160], new byte[100]));
        Assert.Contains("100", e.Message, StringComparison.Ordinal);
        var pcm = new float[160];
        var packet = new byte[160];
        encoder.Encode(pcm, packet);
        decoder.Decode(packet, pcm);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            encoder.Encode(pcm, packet);
            decoder.Decode(packet, pcm);
            decoder.Conceal(pcm);
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Contains("MuLaw, ALaw", Assert.Throws<ArgumentException>(() => new G711Encoder((G711Law)5)).Message, StringComparison.Ordinal);
    }
}
