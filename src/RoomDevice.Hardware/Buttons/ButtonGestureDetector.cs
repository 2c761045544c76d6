namespace RoomDevice.Hardware.Buttons;

/// <summary>Debounce, long-press and double-press timings.</summary>
public readonly record struct ButtonTimings(TimeSpan Debounce, TimeSpan LongPress, TimeSpan DoublePress);

/// <summary>A recognised gesture.</summary>
public enum ButtonGesture
{
    /// <summary>Pressed and released.</summary>
    Press,
    /// <summary>Held past the long-press time (reported while still held).</summary>
    LongPress,
    /// <summary>Two presses in quick succession.</summary>
    DoublePress,
}

/// <summary>
/// Turns raw contact levels into gestures: debounce, long press and double press, timed by a
/// <see cref="TimeProvider"/>. No pins: the GPIO class feeds it levels, tests feed it directly.
/// </summary>
public sealed class ButtonGestureDetector : IDisposable
{
    private readonly ButtonTimings _timings;
    private readonly bool _detectDouble;
    private readonly Lock _gate = new();
    private readonly ITimer _debounceTimer;
    private readonly ITimer _longTimer;
    private readonly ITimer _doubleTimer;
    private readonly TimeProvider _time;
    private long _lastEdge;
    private bool _raw;
    private bool _stable;
    private bool _longFired;
    private bool _awaitingSecond;
    private bool _secondPress;

    /// <summary>
    /// Creates the detector. With <paramref name="detectDoublePress"/> false a press is reported at
    /// release; with it true a single press is reported only once the double-press gap has passed.
    /// </summary>
    public ButtonGestureDetector(TimeProvider time, ButtonTimings timings, bool detectDoublePress)
    {
        ArgumentNullException.ThrowIfNull(time);
        _time = time;
        _lastEdge = time.GetTimestamp();
        _timings = timings;
        _detectDouble = detectDoublePress;
        _debounceTimer = time.CreateTimer(_ => OnDebounced(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _longTimer = time.CreateTimer(_ => OnLongElapsed(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _doubleTimer = time.CreateTimer(_ => OnDoubleGapElapsed(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Raised for each gesture, outside the detector's lock, on a timer or GPIO thread.</summary>
    public event Action<ButtonGesture>? Gesture;

    /// <summary>
    /// Raised as soon as a press has settled, before it is known which gesture it becomes, so the
    /// device can acknowledge the touch at once (a single press may wait for the double-press gap).
    /// </summary>
    public event Action? Down;

    /// <summary>True while the (debounced) button is held.</summary>
    public bool IsPressed
    {
        get { lock (_gate) { return _stable; } }
    }

    /// <summary>The contact changed: <paramref name="pressed"/> is the new raw level.</summary>
    public void OnContact(bool pressed)
    {
        ButtonGesture? fire = null;
        bool down = false;
        lock (_gate)
        {
            if (_timings.Debounce > TimeSpan.Zero && _raw != _stable && _time.GetElapsedTime(_lastEdge) >= _timings.Debounce)
            {
                // The level before this edge held still for the debounce time, but its timer has not
                // run yet (a loaded machine runs timers late): it counts now, or the release between
                // two presses would be lost and a double press read as one press.
                fire = Commit(out down);
            }
            _raw = pressed;
            _lastEdge = _time.GetTimestamp();
            if (_timings.Debounce <= TimeSpan.Zero)
            {
                fire = Commit(out down);
            }
            else
            {
                // Every bounce restarts the wait; the level counts once it has held still.
                _debounceTimer.Change(_timings.Debounce, Timeout.InfiniteTimeSpan);
            }
        }
        if (down)
        {
            Down?.Invoke();
        }
        Raise(fire);
    }

    private void OnDebounced()
    {
        ButtonGesture? fire;
        bool down;
        lock (_gate)
        {
            fire = Commit(out down);
        }
        if (down)
        {
            Down?.Invoke();
        }
        Raise(fire);
    }

    private ButtonGesture? Commit(out bool down)
    {
        down = false;
        if (_raw == _stable)
        {
            return null;
        }
        _stable = _raw;
        if (_stable)
        {
            down = true;
            _longFired = false;
            _longTimer.Change(_timings.LongPress, Timeout.InfiniteTimeSpan);
            if (_awaitingSecond)
            {
                _secondPress = true;
                _awaitingSecond = false;
                _doubleTimer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            }
            return null;
        }
        _longTimer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        if (_longFired)
        {
            _secondPress = false;
            return null;
        }
        if (_secondPress)
        {
            _secondPress = false;
            return ButtonGesture.DoublePress;
        }
        if (!_detectDouble)
        {
            return ButtonGesture.Press;
        }
        _awaitingSecond = true;
        _doubleTimer.Change(_timings.DoublePress, Timeout.InfiniteTimeSpan);
        return null;
    }

    private void OnLongElapsed()
    {
        ButtonGesture? fire = null;
        lock (_gate)
        {
            if (_stable && !_longFired)
            {
                _longFired = true;
                fire = ButtonGesture.LongPress;
            }
        }
        Raise(fire);
    }

    private void OnDoubleGapElapsed()
    {
        ButtonGesture? fire = null;
        lock (_gate)
        {
            if (_awaitingSecond)
            {
                _awaitingSecond = false;
                fire = ButtonGesture.Press;
            }
        }
        Raise(fire);
    }

    private void Raise(ButtonGesture? g)
    {
        if (g is { } gesture)
        {
            Gesture?.Invoke(gesture);
        }
    }

    /// <summary>Stops the timers.</summary>
    public void Dispose()
    {
        _debounceTimer.Dispose();
        _longTimer.Dispose();
        _doubleTimer.Dispose();
    }
}
