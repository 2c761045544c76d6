using System.Device.Gpio;

namespace RoomDevice.Hardware.Buttons;

/// <summary>
/// One button on a GPIO pin: opens the pin as an input, forwards each edge to a
/// <see cref="ButtonGestureDetector"/>. All gesture logic lives in the detector.
/// </summary>
public sealed class GpioButton : IDisposable
{
    private readonly GpioController _gpio;
    private readonly int _pin;
    private readonly bool _activeLow;
    private readonly PinChangeEventHandler _handler;

    /// <summary>Opens <paramref name="pin"/> and starts listening.</summary>
    public GpioButton(GpioController gpio, int pin, bool activeLow, bool internalPull, ButtonGestureDetector detector)
    {
        ArgumentNullException.ThrowIfNull(gpio);
        ArgumentNullException.ThrowIfNull(detector);
        _gpio = gpio;
        _pin = pin;
        _activeLow = activeLow;
        Detector = detector;
        PinMode mode = !internalPull ? PinMode.Input : activeLow ? PinMode.InputPullUp : PinMode.InputPullDown;
        if (!gpio.IsPinModeSupported(pin, mode))
        {
            mode = PinMode.Input;
        }
        gpio.OpenPin(pin, mode);
        _handler = (_, e) => Detector.OnContact(IsPressedLevel(e.ChangeType == PinEventTypes.Rising ? PinValue.High : PinValue.Low));
        gpio.RegisterCallbackForPinValueChangedEvent(pin, PinEventTypes.Rising | PinEventTypes.Falling, _handler);
        if (IsPressedLevel(gpio.Read(pin)))
        {
            Detector.OnContact(true);
        }
    }

    /// <summary>The gesture logic behind this pin.</summary>
    public ButtonGestureDetector Detector { get; }

    /// <summary>The GPIO number.</summary>
    public int Pin => _pin;

    private bool IsPressedLevel(PinValue v) => _activeLow ? v == PinValue.Low : v == PinValue.High;

    /// <summary>Stops listening and closes the pin.</summary>
    public void Dispose()
    {
        _gpio.UnregisterCallbackForPinValueChangedEvent(_pin, _handler);
        if (_gpio.IsPinOpen(_pin))
        {
            _gpio.ClosePin(_pin);
        }
        Detector.Dispose();
    }
}
