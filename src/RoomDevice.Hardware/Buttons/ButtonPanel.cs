using System.Device.Gpio;
using RoomDevice.Core.Diagnostics;
using RoomDevice.Core.Room;

namespace RoomDevice.Hardware.Buttons;

/// <summary>
/// The board's buttons wired to the room: each gesture becomes a room event for the state machine
/// and a device event (e.g. "button.join.long") for the fleet.
/// </summary>
public sealed class ButtonPanel : IDisposable
{
    private readonly List<(string Name, GpioButton Button)> _buttons = [];
    private readonly RoomStateMachine _room;
    private readonly DeviceEventHub _events;
    private readonly TimeProvider _time;
    private readonly Func<IJoinTargetProvider?> _joinTargets;

    /// <summary>Opens every configured button (pin &gt;= 0) on <paramref name="gpio"/>.</summary>
    public ButtonPanel(GpioController gpio, ButtonOptions options, RoomStateMachine room, DeviceEventHub events, TimeProvider time, Func<IJoinTargetProvider?> joinTargets)
    {
        ArgumentNullException.ThrowIfNull(gpio);
        ArgumentNullException.ThrowIfNull(options);
        _room = room ?? throw new ArgumentNullException(nameof(room));
        _events = events ?? throw new ArgumentNullException(nameof(events));
        _time = time ?? throw new ArgumentNullException(nameof(time));
        _joinTargets = joinTargets ?? throw new ArgumentNullException(nameof(joinTargets));
        try
        {
            foreach (var (name, b) in options.All())
            {
                if (b.Pin < 0)
                {
                    continue;
                }
                var detector = new ButtonGestureDetector(time, options.Timings(), b.DoublePress != ButtonAction.None);
                ButtonBinding binding = b;
                string buttonName = name;
                detector.Gesture += g => OnGesture(buttonName, binding, g);
                detector.Down += () => Touched?.Invoke(buttonName);
                _buttons.Add((name, new GpioButton(gpio, b.Pin, options.ActiveLow, options.InternalPull, detector)));
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>Raised with the button's name the moment a press settles (the LEDs acknowledge it).</summary>
    public event Action<string>? Touched;

    /// <summary>Raised when join was pressed but nothing can be dialled (the LEDs show an error).</summary>
    public event Action<string>? JoinImpossible;

    /// <summary>The opened buttons' pins by name.</summary>
    public IReadOnlyDictionary<string, int> Pins => _buttons.ToDictionary(b => b.Name, b => b.Button.Pin, StringComparer.Ordinal);

    private void OnGesture(string button, ButtonBinding b, ButtonGesture g)
    {
        (ButtonAction action, string kind) = g switch
        {
            ButtonGesture.LongPress => (b.LongPress, "long"),
            ButtonGesture.DoublePress => (b.DoublePress, "double"),
            _ => (b.Press, "press"),
        };
        string result = Perform(action, out string? detail);
        var data = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["action"] = action.ToString(),
            ["result"] = result,
        };
        if (detail is not null)
        {
            data["detail"] = detail;
        }
        _events.Publish(new DeviceEvent($"button.{button}.{kind}", _time.GetUtcNow(), data));
    }

    /// <summary>Does <paramref name="action"/>; returns "accepted", "refused", "nothing-to-dial" or "none".</summary>
    public string Perform(ButtonAction action, out string? detail)
    {
        detail = null;
        RoomEvent? e;
        switch (action)
        {
            case ButtonAction.None:
                return "none";
            case ButtonAction.JoinOrLeave when _room.State.Phase != CallPhase.Idle:
            case ButtonAction.Leave:
                e = new LeaveRequested { Origin = "button" };
                break;
            case ButtonAction.Join:
            case ButtonAction.JoinOrLeave:
                if (_room.State.Phase != CallPhase.Idle)
                {
                    detail = "the room is already " + _room.State.Phase.ToString().ToLowerInvariant();
                    return "refused";
                }
                var target = _joinTargets()?.Current(_time.GetUtcNow());
                if (target is not { } t || string.IsNullOrWhiteSpace(t.Target))
                {
                    detail = "nothing to dial: no meeting now and no default target";
                    _events.Publish(new DeviceEvent("join.nothing-to-dial", _time.GetUtcNow()));
                    JoinImpossible?.Invoke(detail);
                    return "nothing-to-dial";
                }
                e = new JoinRequested(t.Target, t.Meeting) { Origin = "button" };
                break;
            case ButtonAction.ToggleMute:
                e = new MuteToggled { Origin = "button" };
                break;
            case ButtonAction.VolumeUp:
                e = new VolumeStepped(1) { Origin = "button" };
                break;
            case ButtonAction.VolumeDown:
                e = new VolumeStepped(-1) { Origin = "button" };
                break;
            default:
                return "none";
        }
        TransitionResult r = _room.Handle(e);
        detail = r.Reason;
        return r.Accepted ? "accepted" : "refused";
    }

    /// <summary>Closes every button pin.</summary>
    public void Dispose()
    {
        foreach (var (_, b) in _buttons)
        {
            b.Dispose();
        }
        _buttons.Clear();
    }
}
