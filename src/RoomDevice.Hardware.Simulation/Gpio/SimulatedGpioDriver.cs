using System.Device.Gpio;

namespace RoomDevice.Hardware.Simulation.Gpio;

/// <summary>
/// A GPIO chip in memory. Outputs remember what was written; inputs read the level the outside
/// world drives through <see cref="Drive"/> (or their pull resistor when nothing drives them), and
/// every change raises the registered edge callbacks, so the real button and LED classes run on it
/// unchanged.
/// </summary>
public sealed class SimulatedGpioDriver : GpioDriver
{
    private readonly Lock _gate = new();
    private readonly Dictionary<int, PinState> _pins = [];

    /// <summary>Creates a chip with <paramref name="pinCount"/> lines (a Pi header has 28 usable GPIOs; the chip has 54).</summary>
    public SimulatedGpioDriver(int pinCount = 54)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(pinCount, 1);
        PinCount = pinCount;
    }

    /// <summary>Raised after a program writes an output pin: pin number and new level.</summary>
    public event Action<int, PinValue>? OutputWritten;

    /// <inheritdoc />
    protected override int PinCount { get; }

    /// <summary>Pins the program has open.</summary>
    public IReadOnlyCollection<int> OpenPins
    {
        get { lock (_gate) { return [.. _pins.Where(p => p.Value.Open).Select(p => p.Key)]; } }
    }

    /// <summary>The outside world sets the level on <paramref name="pin"/> (a button closing, a sensor line).</summary>
    public void Drive(int pin, PinValue level)
    {
        CheckPin(pin);
        PinChangeEventHandler[] fire;
        PinEventTypes edge;
        lock (_gate)
        {
            PinState s = State(pin);
            PinValue before = s.EffectiveInput;
            s.Driven = level;
            PinValue after = s.EffectiveInput;
            if (before == after || !s.Open || s.Mode is PinMode.Output)
            {
                return;
            }
            edge = after == PinValue.High ? PinEventTypes.Rising : PinEventTypes.Falling;
            fire = [.. s.Callbacks.Where(c => (c.Events & edge) != 0).Select(c => c.Handler)];
        }
        var args = new PinValueChangedEventArgs(edge, pin);
        foreach (PinChangeEventHandler h in fire)
        {
            h(this, args);
        }
    }

    /// <summary>Stops driving <paramref name="pin"/>: it floats back to its pull level.</summary>
    public void Release(int pin)
    {
        CheckPin(pin);
        PinValue pull;
        lock (_gate)
        {
            pull = State(pin).PullLevel;
        }
        Drive(pin, pull);
        lock (_gate)
        {
            State(pin).Driven = null;
        }
    }

    /// <summary>The level a program last wrote to <paramref name="pin"/> (low when never written).</summary>
    public PinValue OutputOf(int pin)
    {
        CheckPin(pin);
        lock (_gate)
        {
            return State(pin).Output;
        }
    }

    /// <summary>The mode <paramref name="pin"/> is open in, or null when closed.</summary>
    public PinMode? ModeOf(int pin)
    {
        lock (_gate)
        {
            return _pins.TryGetValue(pin, out PinState? s) && s.Open ? s.Mode : null;
        }
    }

    /// <inheritdoc />
    protected override void OpenPin(int pinNumber)
    {
        CheckPin(pinNumber);
        lock (_gate)
        {
            State(pinNumber).Open = true;
        }
    }

    /// <inheritdoc />
    protected override void ClosePin(int pinNumber)
    {
        lock (_gate)
        {
            if (_pins.TryGetValue(pinNumber, out PinState? s))
            {
                s.Open = false;
                s.Callbacks.Clear();
            }
        }
    }

    /// <inheritdoc />
    protected override void SetPinMode(int pinNumber, PinMode mode)
    {
        CheckPin(pinNumber);
        lock (_gate)
        {
            State(pinNumber).Mode = mode;
        }
    }

    /// <inheritdoc />
    protected override PinMode GetPinMode(int pinNumber)
    {
        lock (_gate)
        {
            return State(pinNumber).Mode;
        }
    }

    /// <inheritdoc />
    protected override bool IsPinModeSupported(int pinNumber, PinMode mode) =>
        mode is PinMode.Input or PinMode.Output or PinMode.InputPullUp or PinMode.InputPullDown;

    /// <inheritdoc />
    protected override PinValue Read(int pinNumber)
    {
        CheckPin(pinNumber);
        lock (_gate)
        {
            PinState s = State(pinNumber);
            return s.Mode == PinMode.Output ? s.Output : s.EffectiveInput;
        }
    }

    /// <inheritdoc />
    protected override void Toggle(int pinNumber)
    {
        PinValue v;
        lock (_gate)
        {
            v = State(pinNumber).Output == PinValue.High ? PinValue.Low : PinValue.High;
        }
        Write(pinNumber, v);
    }

    /// <inheritdoc />
    protected override void Write(int pinNumber, PinValue value)
    {
        CheckPin(pinNumber);
        lock (_gate)
        {
            PinState s = State(pinNumber);
            if (s.Mode != PinMode.Output)
            {
                throw new InvalidOperationException($"GPIO {pinNumber} is not an output (mode {s.Mode})");
            }
            s.Output = value;
        }
        OutputWritten?.Invoke(pinNumber, value);
    }

    /// <inheritdoc />
    protected override WaitForEventResult WaitForEvent(int pinNumber, PinEventTypes eventTypes, CancellationToken cancellationToken)
    {
        using var got = new ManualResetEventSlim();
        PinEventTypes seen = PinEventTypes.None;
        void Handler(object sender, PinValueChangedEventArgs e)
        {
            seen = e.ChangeType;
            got.Set();
        }
        AddCallbackForPinValueChangedEvent(pinNumber, eventTypes, Handler);
        try
        {
            got.Wait(cancellationToken);
            return new WaitForEventResult { EventTypes = seen, TimedOut = false };
        }
        catch (OperationCanceledException)
        {
            return new WaitForEventResult { EventTypes = PinEventTypes.None, TimedOut = true };
        }
        finally
        {
            RemoveCallbackForPinValueChangedEvent(pinNumber, Handler);
        }
    }

    /// <inheritdoc />
    protected override void AddCallbackForPinValueChangedEvent(int pinNumber, PinEventTypes eventTypes, PinChangeEventHandler callback)
    {
        CheckPin(pinNumber);
        lock (_gate)
        {
            State(pinNumber).Callbacks.Add((eventTypes, callback));
        }
    }

    /// <inheritdoc />
    protected override void RemoveCallbackForPinValueChangedEvent(int pinNumber, PinChangeEventHandler callback)
    {
        lock (_gate)
        {
            if (_pins.TryGetValue(pinNumber, out PinState? s))
            {
                s.Callbacks.RemoveAll(c => c.Handler == callback);
            }
        }
    }

    private void CheckPin(int pin)
    {
        if (pin < 0 || pin >= PinCount)
        {
            throw new ArgumentOutOfRangeException(nameof(pin), pin, $"the simulated chip has GPIO 0 to {PinCount - 1}");
        }
    }

    private PinState State(int pin)
    {
        if (!_pins.TryGetValue(pin, out PinState? s))
        {
            s = new PinState();
            _pins[pin] = s;
        }
        return s;
    }

    private sealed class PinState
    {
        public bool Open { get; set; }
        public PinMode Mode { get; set; } = PinMode.Input;
        public PinValue Output { get; set; } = PinValue.Low;
        public PinValue? Driven { get; set; }
        public List<(PinEventTypes Events, PinChangeEventHandler Handler)> Callbacks { get; } = [];

        public PinValue PullLevel => Mode == PinMode.InputPullUp ? PinValue.High : PinValue.Low;

        public PinValue EffectiveInput => Driven ?? PullLevel;
    }
}
