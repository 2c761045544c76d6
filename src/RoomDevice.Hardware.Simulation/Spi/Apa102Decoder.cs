using RoomDevice.Hardware.Leds;

namespace RoomDevice.Hardware.Simulation.Spi;

/// <summary>One APA102 LED as it appears on the wire.</summary>
public readonly record struct Apa102Led(int Brightness, Rgb Colour);

/// <summary>Reads APA102 frames back from SPI bytes, checking the framing as a real chain would need it.</summary>
public static class Apa102Decoder
{
    /// <summary>
    /// Decodes <paramref name="frame"/> for a chain of <paramref name="count"/> LEDs; false with a
    /// reason when the start frame, an LED header or the end frame is wrong.
    /// </summary>
    public static bool TryDecode(ReadOnlySpan<byte> frame, int count, out Apa102Led[] leds, out string? problem)
    {
        leds = [];
        problem = null;
        int need = 4 + (4 * count) + ((count + 15) / 16);
        if (frame.Length < need)
        {
            problem = $"frame of {frame.Length} bytes is too short for {count} LEDs (needs at least {need})";
            return false;
        }
        if (frame[0] != 0 || frame[1] != 0 || frame[2] != 0 || frame[3] != 0)
        {
            problem = "start frame is not 32 zero bits";
            return false;
        }
        var result = new Apa102Led[count];
        for (int i = 0; i < count; i++)
        {
            int o = 4 + (4 * i);
            if ((frame[o] & 0b1110_0000) != 0b1110_0000)
            {
                problem = $"LED {i} header 0x{frame[o]:x2} lacks the 0b111 marker";
                return false;
            }
            result[i] = new Apa102Led(frame[o] & 0x1F, new Rgb(frame[o + 3], frame[o + 2], frame[o + 1]));
        }
        leds = result;
        return true;
    }
}
