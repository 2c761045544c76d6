using System.Device.Gpio;

namespace RoomDevice.Hardware.Leds;

/// <summary>
/// Single-colour LEDs, one GPIO each: an LED is lit when its frame colour is at least half
/// bright, so breathing shows as a slow blink and a spinner as a running light.
/// </summary>
public sealed class GpioLedStrip : ILedStrip
{
    /// <summary>Frame brightness (brightest channel) at which an LED is on.</summary>
    public const byte OnThreshold = 128;

    private readonly GpioController _gpio;
    private readonly int[] _pins;
    private readonly bool[] _lit;
    private readonly PinValue _on, _off;

    /// <summary>Opens <paramref name="pins"/> as outputs, all off.</summary>
    public GpioLedStrip(GpioController gpio, IReadOnlyList<int> pins, bool activeLow)
    {
        ArgumentNullException.ThrowIfNull(gpio);
        ArgumentNullException.ThrowIfNull(pins);
        _gpio = gpio;
        _pins = [.. pins];
        _lit = new bool[_pins.Length];
        _on = activeLow ? PinValue.Low : PinValue.High;
        _off = activeLow ? PinValue.High : PinValue.Low;
        foreach (int p in _pins)
        {
            gpio.OpenPin(p, PinMode.Output, _off);
        }
    }

    /// <inheritdoc />
    public int Count => _pins.Length;

    /// <inheritdoc />
    public void Show(ReadOnlySpan<Rgb> frame)
    {
        if (frame.Length != Count)
        {
            throw new ArgumentException($"a frame needs {Count} colours, got {frame.Length}", nameof(frame));
        }
        for (int i = 0; i < _pins.Length; i++)
        {
            bool lit = frame[i].Peak >= OnThreshold;
            if (lit != _lit[i])
            {
                _gpio.Write(_pins[i], lit ? _on : _off);
                _lit[i] = lit;
            }
        }
    }

    /// <summary>Turns the LEDs off and closes their pins.</summary>
    public void Dispose()
    {
        foreach (int p in _pins)
        {
            if (_gpio.IsPinOpen(p))
            {
                _gpio.Write(p, _off);
                _gpio.ClosePin(p);
            }
        }
    }
}
