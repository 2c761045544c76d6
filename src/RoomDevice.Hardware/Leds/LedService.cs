using System.Device.Gpio;
using RoomDevice.Core.Diagnostics;
using RoomDevice.Core.Room;

namespace RoomDevice.Hardware.Leds;

/// <summary>
/// Shows the room on the LEDs: a fixed-rate animation loop on a <see cref="TimeProvider"/> draws
/// the pattern of the current state plus transient overlays (identify, error, volume) and sends
/// each frame to the strip. A state change is drawn at once, not at the next tick.
/// </summary>
public sealed class LedService : IIdentifyIndicator, IDisposable
{
    /// <summary>How long a press acknowledgement shows.</summary>
    public static readonly TimeSpan AcknowledgeOverlay = TimeSpan.FromMilliseconds(150);

    /// <summary>How long the volume bar stays after a volume change.</summary>
    public static readonly TimeSpan VolumeOverlay = TimeSpan.FromMilliseconds(1500);

    private readonly ILedStrip _strip;
    private readonly RoomStateMachine _room;
    private readonly TimeProvider _time;
    private readonly TimeSpan _framePeriod;
    private readonly TimeSpan _errorDuration;
    private readonly Lock _gate = new();
    private readonly Rgb[] _frame;
    private readonly long _origin;
    private ITimer? _timer;
    private TimeSpan _identifyUntil, _errorUntil, _volumeUntil, _ackUntil;
    private LedPattern _pattern = LedPattern.Off;
    private long _frames;
    private long _lastFrameTimestamp;
    private bool _disposed;
    private long _failed;
    private string? _lastError;

    /// <summary>Creates the service; call <see cref="Start"/> to begin animating.</summary>
    public LedService(ILedStrip strip, RoomStateMachine room, TimeProvider time, LedOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _strip = strip ?? throw new ArgumentNullException(nameof(strip));
        _room = room ?? throw new ArgumentNullException(nameof(room));
        _time = time ?? throw new ArgumentNullException(nameof(time));
        _framePeriod = TimeSpan.FromSeconds(1.0 / options.FrameRateHz);
        _errorDuration = TimeSpan.FromMilliseconds(options.ErrorMs);
        _frame = new Rgb[strip.Count];
        _origin = time.GetTimestamp();
        _room.Changed += OnRoomChanged;
    }

    /// <summary>Time between frames.</summary>
    public TimeSpan FramePeriod => _framePeriod;

    /// <summary>Frames sent to the strip so far.</summary>
    public long FramesShown => Interlocked.Read(ref _frames);

    /// <summary>The pattern of the last frame.</summary>
    public LedPattern Pattern
    {
        get { lock (_gate) { return _pattern; } }
    }

    /// <summary>A copy of the last frame.</summary>
    public Rgb[] LastFrame()
    {
        lock (_gate)
        {
            return [.. _frame];
        }
    }

    /// <summary>When the animation loop last drew a frame (for the watchdog: a stuck loop stops feeding it).</summary>
    public TimeSpan SinceLastFrame => _time.GetElapsedTime(Interlocked.Read(ref _lastFrameTimestamp));

    /// <summary>True while the animation loop runs.</summary>
    public bool IsRunning
    {
        get { lock (_gate) { return _timer is not null; } }
    }

    /// <summary>Frames the strip refused (e.g. an SPI write error) since start.</summary>
    public long FailedFrames => Interlocked.Read(ref _failed);

    /// <summary>The last error of the strip, or null.</summary>
    public string? LastError
    {
        get { lock (_gate) { return _lastError; } }
    }

    /// <summary>Starts the animation loop.</summary>
    public void Start()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_timer is null)
            {
                Interlocked.Exchange(ref _lastFrameTimestamp, _time.GetTimestamp());
            }
            _timer ??= _time.CreateTimer(_ => TickIfRunning(), null, TimeSpan.Zero, _framePeriod);
        }
    }

    /// <summary>Stops the loop and turns the LEDs off.</summary>
    public void Stop()
    {
        lock (_gate)
        {
            _timer?.Dispose();
            _timer = null;
            Array.Clear(_frame);
            _pattern = LedPattern.Off;
            _strip.Show(_frame);
        }
    }

    /// <inheritdoc />
    public void Identify(TimeSpan duration)
    {
        lock (_gate)
        {
            _identifyUntil = Now() + (duration < TimeSpan.Zero ? TimeSpan.Zero : duration);
        }
        TickIfRunning();
    }

    /// <summary>Acknowledges a button press at once (within one frame), before its gesture is known.</summary>
    public void Acknowledge()
    {
        lock (_gate)
        {
            _ackUntil = Now() + AcknowledgeOverlay;
        }
        TickIfRunning();
    }

    /// <summary>Blinks the error pattern for the configured time (e.g. join with nothing to dial).</summary>
    public void ShowError()
    {
        lock (_gate)
        {
            _errorUntil = Now() + _errorDuration;
        }
        TickIfRunning();
    }

    /// <summary>Draws and sends one frame for the current instant.</summary>
    public void Tick() => Render(requireRunning: false);

    /// <summary>
    /// Draws now when the loop runs, so a change shows without waiting for the next tick. A strip
    /// error is counted, not thrown: this runs on timer and button threads. A loop that keeps
    /// failing stops drawing frames, which the service watchdog notices.
    /// </summary>
    private void TickIfRunning()
    {
        try
        {
            Render(requireRunning: true);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException or UnauthorizedAccessException)
        {
            Interlocked.Increment(ref _failed);
            lock (_gate)
            {
                _lastError = ex.Message;
            }
        }
    }

    private void Render(bool requireRunning)
    {
        RoomSnapshot s = _room.State;
        lock (_gate)
        {
            if (_disposed || (requireRunning && _timer is null))
            {
                return;
            }
            TimeSpan t = Now();
            var scene = new LedScene(s.Phase, s.Muted, s.Privacy, s.Volume, t < _identifyUntil, t < _errorUntil, t < _volumeUntil, t < _ackUntil);
            LedPatterns.Render(scene, t, _frame);
            _pattern = scene.Pattern;
            _strip.Show(_frame);
            _frames++;
            Interlocked.Exchange(ref _lastFrameTimestamp, _time.GetTimestamp());
        }
    }

    private TimeSpan Now() => _time.GetElapsedTime(_origin);

    private void OnRoomChanged(object? sender, RoomStateChangedEventArgs e)
    {
        lock (_gate)
        {
            _ackUntil = TimeSpan.Zero; // the change itself is the feedback now
            if (e.Current.Volume != e.Previous.Volume)
            {
                _volumeUntil = Now() + VolumeOverlay;
            }
            if (e.Current.LastError is not null && e.Current.LastError != e.Previous.LastError)
            {
                _errorUntil = Now() + _errorDuration;
            }
        }
        TickIfRunning();
    }

    /// <summary>Stops the loop. The strip belongs to whoever made it.</summary>
    public void Dispose()
    {
        _room.Changed -= OnRoomChanged;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
            _timer?.Dispose();
            _timer = null;
        }
    }
}

/// <summary>The switch of the LED supply (GPIO 5 on the ReSpeaker 4-Mic HAT): on while open.</summary>
public sealed class LedPower : IDisposable
{
    private readonly GpioController _gpio;
    private readonly int _pin;

    /// <summary>Opens <paramref name="pin"/> as an output and switches the LEDs on.</summary>
    public LedPower(GpioController gpio, int pin)
    {
        _gpio = gpio ?? throw new ArgumentNullException(nameof(gpio));
        _pin = pin;
        gpio.OpenPin(pin, PinMode.Output, PinValue.High);
    }

    /// <summary>Switches the LEDs off and closes the pin.</summary>
    public void Dispose()
    {
        if (_gpio.IsPinOpen(_pin))
        {
            _gpio.Write(_pin, PinValue.Low);
            _gpio.ClosePin(_pin);
        }
    }
}
