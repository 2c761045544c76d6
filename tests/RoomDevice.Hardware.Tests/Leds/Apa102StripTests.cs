using System.Device.Spi;
using RoomDevice.Hardware.Leds;
using RoomDevice.Hardware.Simulation.Spi;

namespace RoomDevice.Hardware.Tests.Leds;

public class Apa102StripTests
{
    private static SimulatedSpiDevice Spi() => new(Apa102Strip.Settings(0, 1, 4_000_000));

    [Fact]
    public void A_frame_is_start_word_then_brightness_blue_green_red_per_led_then_end_bytes()
    {
        using SimulatedSpiDevice spi = Spi();
        using var strip = new Apa102Strip(spi, 3, 7, ownsDevice: false);
        strip.Show([new Rgb(1, 2, 3), new Rgb(255, 0, 128), Rgb.Black]);
        byte[] sent = Assert.Single(spi.Writes);
        Assert.Equal(
            new byte[] { 0, 0, 0, 0, 0xE7, 3, 2, 1, 0xE7, 128, 0, 255, 0xE7, 0, 0, 0, 0, 0, 0, 0 },
            sent);
    }

    [Theory]
    [InlineData(1, 4)]
    [InlineData(12, 4)]
    [InlineData(64, 4)]
    [InlineData(65, 5)]
    [InlineData(256, 16)]
    public void The_end_frame_clocks_the_whole_chain(int count, int endBytes)
    {
        Assert.Equal(endBytes, Apa102Strip.EndFrameLength(count));
        Assert.True(endBytes * 8 >= count / 2);
        Assert.Equal(4 + (4 * count) + endBytes, Apa102Strip.FrameLength(count));
    }

    [Fact]
    public void Frames_round_trip_through_the_decoder()
    {
        using SimulatedSpiDevice spi = Spi();
        using var strip = new Apa102Strip(spi, 12, 31, ownsDevice: false);
        Rgb[] frame = [.. Enumerable.Range(0, 12).Select(i => new Rgb((byte)(i * 20), (byte)(255 - i), (byte)i))];
        strip.Show(frame);
        Assert.True(Apa102Decoder.TryDecode(spi.LastWrite!, 12, out Apa102Led[] leds, out string? problem), problem);
        Assert.Equal(frame, leds.Select(l => l.Colour));
        Assert.All(leds, l => Assert.Equal(31, l.Brightness));
    }

    [Fact]
    public void The_decoder_names_broken_framing()
    {
        Assert.False(Apa102Decoder.TryDecode([0, 0, 0], 1, out _, out string? p1));
        Assert.Contains("too short", p1, StringComparison.Ordinal);
        Assert.False(Apa102Decoder.TryDecode([1, 0, 0, 0, 0xE1, 0, 0, 0, 0], 1, out _, out string? p2));
        Assert.Contains("start frame", p2, StringComparison.Ordinal);
        Assert.False(Apa102Decoder.TryDecode([0, 0, 0, 0, 0x21, 0, 0, 0, 0], 1, out _, out string? p3));
        Assert.Contains("LED 0", p3, StringComparison.Ordinal);
    }

    [Fact]
    public void A_frame_of_the_wrong_length_is_refused()
    {
        using SimulatedSpiDevice spi = Spi();
        using var strip = new Apa102Strip(spi, 4, 10, ownsDevice: false);
        var ex = Assert.Throws<ArgumentException>(() => strip.Show(new Rgb[3]));
        Assert.Contains("needs 4 colours, got 3", ex.Message, StringComparison.Ordinal);
        Assert.Equal(0, spi.WriteCount);
    }

    [Fact]
    public void Disposing_turns_the_leds_off_and_releases_an_owned_device_once()
    {
        SimulatedSpiDevice spi = Spi();
        var strip = new Apa102Strip(spi, 2, 10);
        strip.Show([new Rgb(9, 9, 9), new Rgb(9, 9, 9)]);
        strip.Dispose();
        strip.Dispose();
        Assert.True(spi.IsDisposed);
        Assert.Equal(2, spi.WriteCount);
        Assert.True(Apa102Decoder.TryDecode(spi.LastWrite!, 2, out Apa102Led[] leds, out _));
        Assert.All(leds, l => Assert.Equal(Rgb.Black, l.Colour));
    }

    [Fact]
    public void Bad_constructor_arguments_are_refused()
    {
        using SimulatedSpiDevice spi = Spi();
        Assert.Throws<ArgumentOutOfRangeException>(() => new Apa102Strip(spi, 0, 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Apa102Strip(spi, 4, 32));
        Assert.Throws<ArgumentNullException>(() => new Apa102Strip(null!, 4, 1));
    }

    [Fact]
    public void Showing_a_frame_allocates_nothing()
    {
        using var spi = new CountingSpi();
        using var strip = new Apa102Strip(spi, 12, 10, ownsDevice: false);
        var frame = new Rgb[12];
        var scene = new LedScene(Core.Room.CallPhase.Joining, false, false, 50, false, false, false);
        for (int i = 0; i < 100; i++)
        {
            LedPatterns.Render(scene, TimeSpan.FromMilliseconds(i * 40), frame);
            strip.Show(frame);
        }
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            LedPatterns.Render(scene, TimeSpan.FromMilliseconds(i * 40), frame);
            strip.Show(frame);
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
        Assert.Equal(1100L * Apa102Strip.FrameLength(12), spi.Bytes);
    }

    /// <summary>An SPI device that only counts bytes, so the allocation count is the strip's own.</summary>
    private sealed class CountingSpi : SpiDevice
    {
        public long Bytes { get; private set; }
        public override SpiConnectionSettings ConnectionSettings { get; } = new(0, 1);
        public override byte ReadByte() => 0;
        public override void Read(Span<byte> buffer) => buffer.Clear();
        public override void WriteByte(byte value) => Bytes++;
        public override void Write(ReadOnlySpan<byte> buffer) => Bytes += buffer.Length;
        public override void TransferFullDuplex(ReadOnlySpan<byte> writeBuffer, Span<byte> readBuffer) => Bytes += writeBuffer.Length;
    }
}
