using RoomDevice.Core.Options;

namespace RoomDevice.Hardware.Leds;

/// <summary>Which LED hardware the board has.</summary>
public enum LedDriverKind
{
    /// <summary>No LEDs.</summary>
    None,
    /// <summary>A chain of APA102 RGB LEDs on SPI (e.g. the ReSpeaker ring).</summary>
    Apa102,
    /// <summary>Single-colour LEDs, one GPIO pin each.</summary>
    Gpio,
}

/// <summary>The board's LEDs and the animation rate (section "Leds"; hardware details come from the board profile).</summary>
[ConfigSection("Leds")]
public sealed class LedOptions : IDeviceOptions
{
    /// <summary>LED hardware.</summary>
    public LedDriverKind Driver { get; set; } = LedDriverKind.Apa102;

    /// <summary>Number of APA102 LEDs in the chain.</summary>
    public int Count { get; set; } = 12;

    /// <summary>SPI bus of the APA102 chain (0 = SPI0).</summary>
    public int SpiBus { get; set; }

    /// <summary>SPI chip-select line of the APA102 chain (1 = CE1).</summary>
    public int SpiChipSelect { get; set; } = 1;

    /// <summary>SPI clock, Hz.</summary>
    public int SpiClockHz { get; set; } = 4_000_000;

    /// <summary>GPIO that switches the LED supply on (high), or -1 when always powered.</summary>
    public int PowerPin { get; set; } = 5;

    /// <summary>APA102 global brightness, 1..31 (current limit of every LED).</summary>
    public int Brightness { get; set; } = 10;

    /// <summary>Pins of single-colour LEDs, in ring order (Driver = Gpio).</summary>
    public List<int> GpioPins { get; set; } = [];

    /// <summary>True when a GPIO LED lights on a low level.</summary>
    public bool GpioActiveLow { get; set; }

    /// <summary>Animation frames per second.</summary>
    public int FrameRateHz { get; set; } = 25;

    /// <summary>How long an error pattern (e.g. nothing to dial, call failed) blinks.</summary>
    public int ErrorMs { get; set; } = 3000;

    /// <summary>The number of LEDs the patterns draw.</summary>
    public int PixelCount => Driver switch
    {
        LedDriverKind.Apa102 => Count,
        LedDriverKind.Gpio => GpioPins.Count,
        _ => 0,
    };

    /// <inheritdoc />
    public void Validate(OptionsValidator v)
    {
        ArgumentNullException.ThrowIfNull(v);
        v.Range(nameof(Count), Count, 1, 256);
        v.Range(nameof(SpiBus), SpiBus, 0, 6);
        v.Range(nameof(SpiChipSelect), SpiChipSelect, 0, 3);
        v.Range(nameof(SpiClockHz), SpiClockHz, 100_000, 32_000_000);
        v.Check(PowerPin >= -1 && PowerPin <= 63, nameof(PowerPin), PowerPin, "-1 (always powered) or a GPIO number 0 to 63");
        v.Range(nameof(Brightness), Brightness, 1, 31);
        v.Range(nameof(FrameRateHz), FrameRateHz, 1, 100);
        v.Range(nameof(ErrorMs), ErrorMs, 100, 60000);
        for (int i = 0; i < GpioPins.Count; i++)
        {
            string key = nameof(GpioPins) + ":" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            v.Check(GpioPins[i] is >= 0 and <= 63, key, GpioPins[i], "a GPIO number 0 to 63");
            v.Check(GpioPins.IndexOf(GpioPins[i]) == i, key, GpioPins[i], "each pin once", "listed twice");
            v.Check(GpioPins[i] != PowerPin, key, GpioPins[i], $"a pin other than PowerPin ({PowerPin})", "also the LED power pin");
        }
        v.Check(Driver != LedDriverKind.Gpio || GpioPins.Count > 0, nameof(GpioPins), GpioPins.Count, "at least one pin when Driver is Gpio", "empty");
    }
}
