using System.Device.Spi;

namespace RoomDevice.Hardware.Leds;

/// <summary>
/// A chain of APA102 ("DotStar") LEDs on SPI. Each frame is a start frame of 32 zero bits, one
/// 32-bit word per LED (0b111 + 5-bit global brightness, then blue, green, red), and an end frame
/// of zero bytes that clocks the data through the whole chain (one extra clock edge per two LEDs).
/// The frame buffer is made once; showing a frame allocates nothing.
/// </summary>
public sealed class Apa102Strip : ILedStrip
{
    /// <summary>SPI settings for an APA102 chain on <paramref name="bus"/>/<paramref name="chipSelect"/>.</summary>
    public static SpiConnectionSettings Settings(int bus, int chipSelect, int clockHz) => new(bus, chipSelect)
    {
        ClockFrequency = clockHz,
        Mode = SpiMode.Mode0,
        DataBitLength = 8,
    };

    private readonly SpiDevice _spi;
    private readonly byte[] _buffer;
    private readonly byte _header;
    private readonly bool _ownsDevice;
    private bool _disposed;

    /// <summary>Drives <paramref name="count"/> LEDs through <paramref name="spi"/> at global brightness 1..31; disposes the device with itself when <paramref name="ownsDevice"/>.</summary>
    public Apa102Strip(SpiDevice spi, int count, int brightness, bool ownsDevice = true)
    {
        ArgumentNullException.ThrowIfNull(spi);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(brightness, 0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(brightness, 31);
        _spi = spi;
        _ownsDevice = ownsDevice;
        Count = count;
        _header = (byte)(0b1110_0000 | brightness);
        _buffer = new byte[FrameLength(count)];
    }

    /// <summary>Bytes of one SPI frame for <paramref name="count"/> LEDs.</summary>
    public static int FrameLength(int count) => 4 + (4 * count) + EndFrameLength(count);

    /// <summary>Zero bytes after the LED words: at least count/2 clock edges, and at least four bytes.</summary>
    public static int EndFrameLength(int count) => Math.Max(4, (count + 15) / 16);

    /// <inheritdoc />
    public int Count { get; }

    /// <inheritdoc />
    public void Show(ReadOnlySpan<Rgb> frame)
    {
        if (frame.Length != Count)
        {
            throw new ArgumentException($"a frame needs {Count} colours, got {frame.Length}", nameof(frame));
        }
        Span<byte> b = _buffer;
        b[..4].Clear();
        for (int i = 0; i < frame.Length; i++)
        {
            int o = 4 + (4 * i);
            b[o] = _header;
            b[o + 1] = frame[i].B;
            b[o + 2] = frame[i].G;
            b[o + 3] = frame[i].R;
        }
        b[(4 + (4 * Count))..].Clear();
        _spi.Write(b);
    }

    /// <summary>Turns every LED off, then releases the device.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        Span<Rgb> off = Count <= 256 ? stackalloc Rgb[Count] : new Rgb[Count];
        off.Clear();
        try
        {
            Show(off);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
            // The bus is gone already; nothing left to switch off.
        }
        if (_ownsDevice)
        {
            _spi.Dispose();
        }
    }
}
