using System.Device.Gpio;
using RoomDevice.Hardware.Buttons;
using RoomDevice.Hardware.Leds;
using RoomDevice.Hardware.Simulation.Gpio;
using RoomDevice.Hardware.Simulation.Spi;

namespace RoomDevice.Host.Simulation;

/// <summary>
/// The simulated board as a person handles it: fingers on the buttons (levels on the simulated GPIO
/// pins, held for real time) and eyes on the LEDs (decoded from what the LED driver sent).
/// </summary>
internal sealed class SimulatedBoard(SimulatedGpioDriver gpio, SimulatedSpiDevice spi, ButtonOptions buttons, LedOptions leds, TimeProvider time)
{
    /// <summary>Button names accepted by <see cref="PressAsync"/>.</summary>
    public const string ButtonNames = "join, mute, up, down";

    /// <summary>How long a short press is held.</summary>
    public static readonly TimeSpan ShortHold = TimeSpan.FromMilliseconds(120);

    /// <summary>How long a long press is held.</summary>
    public TimeSpan LongHold => TimeSpan.FromMilliseconds(buttons.LongPressMs + 250);

    /// <summary>The pin of button <paramref name="name"/>; false when the name is unknown or the board has no such button.</summary>
    public bool TryPin(string name, out int pin, out string? problem)
    {
        pin = -1;
        problem = null;
        ButtonBinding? b = buttons.All().Where(x => x.Name.Equals(name, StringComparison.OrdinalIgnoreCase)).Select(x => x.Binding).FirstOrDefault();
        if (b is null)
        {
            problem = $"unknown button '{name}'; accepted: {ButtonNames}";
            return false;
        }
        if (b.Pin < 0)
        {
            problem = $"this board profile has no {name} button (Buttons:{name}:Pin is -1)";
            return false;
        }
        pin = b.Pin;
        return true;
    }

    /// <summary>Presses <paramref name="pin"/> for <paramref name="hold"/>, then lets go.</summary>
    public async Task PressAsync(int pin, TimeSpan hold, CancellationToken ct)
    {
        gpio.Drive(pin, buttons.ActiveLow ? PinValue.Low : PinValue.High);
        try
        {
            await Task.Delay(hold, time, ct).ConfigureAwait(false);
        }
        finally
        {
            gpio.Drive(pin, buttons.ActiveLow ? PinValue.High : PinValue.Low);
        }
    }

    /// <summary>Two short presses well inside the double-press gap.</summary>
    public async Task DoublePressAsync(int pin, CancellationToken ct)
    {
        TimeSpan gap = TimeSpan.FromMilliseconds(Math.Max(buttons.DebounceMs * 2, Math.Min(80, buttons.DoublePressMs / 3)));
        await PressAsync(pin, ShortHold, ct).ConfigureAwait(false);
        await Task.Delay(gap, time, ct).ConfigureAwait(false);
        await PressAsync(pin, ShortHold, ct).ConfigureAwait(false);
    }

    /// <summary>The colours the LEDs show now, read from the simulated hardware.</summary>
    public Rgb[] Leds()
    {
        switch (leds.Driver)
        {
            case LedDriverKind.Apa102:
                byte[]? last = spi.LastWrite;
                if (last is not null && Apa102Decoder.TryDecode(last, leds.Count, out Apa102Led[] decoded, out _))
                {
                    bool powered = leds.PowerPin < 0 || gpio.OutputOf(leds.PowerPin) == PinValue.High;
                    return [.. decoded.Select(d => powered ? d.Colour : Rgb.Black)];
                }
                return new Rgb[leds.Count];
            case LedDriverKind.Gpio:
                PinValue on = leds.GpioActiveLow ? PinValue.Low : PinValue.High;
                return [.. leds.GpioPins.Select(p => gpio.ModeOf(p) == PinMode.Output && gpio.OutputOf(p) == on ? new Rgb(255, 200, 0) : Rgb.Black)];
            default:
                return [];
        }
    }
}
