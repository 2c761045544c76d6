using System.Device.Gpio;
using Microsoft.Extensions.Time.Testing;
using RoomDevice.Core.Diagnostics;
using RoomDevice.Core.Options;
using RoomDevice.Core.Room;
using RoomDevice.Hardware.Buttons;
using RoomDevice.Hardware.Simulation.Gpio;

namespace RoomDevice.Hardware.Tests.Buttons;

public class ButtonPanelTests
{
    private sealed class FixedTarget(string? target) : IJoinTargetProvider
    {
        public (string Target, Meeting? Meeting)? Current(DateTimeOffset now) => target is null ? null : (target, null);
    }

    private sealed class Rig : IDisposable
    {
        public FakeTimeProvider Time { get; } = new();
        public SimulatedGpioDriver Driver { get; } = new();
        public GpioController Gpio { get; }
        public RoomStateMachine Room { get; } = new(50, 5);
        public DeviceEventHub Hub { get; } = new();
        public List<DeviceEvent> Events { get; } = [];
        public List<string> Impossible { get; } = [];
        public ButtonPanel Panel { get; }
        public ButtonOptions Options { get; }

        public Rig(ButtonOptions options, IJoinTargetProvider? targets)
        {
            Options = options;
            Gpio = new GpioController(Driver);
            Hub.Subscribe(Events.Add);
            Panel = new ButtonPanel(Gpio, options, Room, Hub, Time, () => targets);
            Panel.JoinImpossible += Impossible.Add;
        }

        public void Ms(int ms)
        {
            for (int i = 0; i < ms; i++)
            {
                Time.Advance(TimeSpan.FromMilliseconds(1));
            }
        }

        public void Press(int pin, int holdMs)
        {
            Driver.Drive(pin, PinValue.Low);
            Ms(holdMs);
            Driver.Drive(pin, PinValue.High);
            Ms(Options.DebounceMs + Options.DoublePressMs + 10);
        }

        public void Dispose()
        {
            Panel.Dispose();
            Gpio.Dispose();
        }
    }

    private static ButtonOptions Generic() => new()
    {
        Join = new ButtonBinding { Pin = 17, Press = ButtonAction.Join, LongPress = ButtonAction.Leave },
        Mute = new ButtonBinding { Pin = 27, Press = ButtonAction.ToggleMute },
        VolumeUp = new ButtonBinding { Pin = 22, Press = ButtonAction.VolumeUp },
        VolumeDown = new ButtonBinding { Pin = 23, Press = ButtonAction.VolumeDown },
    };

    [Fact]
    public void Buttons_open_their_pins_as_pulled_up_inputs()
    {
        using var r = new Rig(Generic(), null);
        Assert.Equal(PinMode.InputPullUp, r.Driver.ModeOf(17));
        Assert.Equal(PinMode.InputPullUp, r.Driver.ModeOf(23));
        Assert.Equal(new Dictionary<string, int> { ["join"] = 17, ["mute"] = 27, ["up"] = 22, ["down"] = 23 }, r.Panel.Pins);
        r.Dispose();
        Assert.Empty(r.Driver.OpenPins);
    }

    [Fact]
    public void Join_press_dials_the_current_target_and_long_press_leaves()
    {
        using var r = new Rig(Generic(), new FixedTarget("sip:standup@example.org"));
        r.Press(17, 100);
        Assert.Equal(CallPhase.Joining, r.Room.State.Phase);
        Assert.Equal("sip:standup@example.org", r.Room.State.CallTarget);
        r.Room.Handle(new CallConnected());
        r.Press(17, 1600);
        Assert.Equal(CallPhase.Leaving, r.Room.State.Phase);
        Assert.Equal(["button.join.press", "button.join.long"], r.Events.Select(e => e.Kind));
        Assert.All(r.Events, e => Assert.Equal("accepted", e.Data!["result"]));
        Assert.Equal("Leave", r.Events[1].Data!["action"]);
    }

    [Fact]
    public void Join_with_nothing_to_dial_reports_it_and_changes_nothing()
    {
        using var r = new Rig(Generic(), null);
        r.Press(17, 100);
        Assert.Equal(CallPhase.Idle, r.Room.State.Phase);
        Assert.Single(r.Impossible);
        Assert.Contains(r.Events, e => e.Kind == "join.nothing-to-dial");
        DeviceEvent press = Assert.Single(r.Events, e => e.Kind == "button.join.press");
        Assert.Equal("nothing-to-dial", press.Data!["result"]);
    }

    [Fact]
    public void A_provider_without_a_target_is_nothing_to_dial_too()
    {
        using var r = new Rig(Generic(), new FixedTarget(null));
        r.Press(17, 100);
        Assert.Equal(CallPhase.Idle, r.Room.State.Phase);
        Assert.Single(r.Impossible);
    }

    [Fact]
    public void Mute_and_volume_buttons_drive_the_room()
    {
        using var r = new Rig(Generic(), null);
        r.Press(27, 80);
        Assert.True(r.Room.State.Muted);
        r.Press(22, 80);
        r.Press(22, 80);
        Assert.Equal(60, r.Room.State.Volume);
        r.Press(23, 80);
        Assert.Equal(55, r.Room.State.Volume);
        Assert.Equal(["button.mute.press", "button.up.press", "button.up.press", "button.down.press"], r.Events.Select(e => e.Kind));
    }

    [Fact]
    public void A_refused_action_is_reported_with_the_reason()
    {
        using var r = new Rig(Generic(), null);
        r.Press(17, 1600); // leave while idle
        DeviceEvent e = Assert.Single(r.Events);
        Assert.Equal("button.join.long", e.Kind);
        Assert.Equal("refused", e.Data!["result"]);
        Assert.Contains("idle", e.Data["detail"], StringComparison.Ordinal);
    }

    [Fact]
    public void One_button_board_double_press_mutes()
    {
        var o = new ButtonOptions
        {
            Join = new ButtonBinding { Pin = 17, Press = ButtonAction.Join, LongPress = ButtonAction.Leave, DoublePress = ButtonAction.ToggleMute },
            Mute = new ButtonBinding { Pin = -1 },
            VolumeUp = new ButtonBinding { Pin = -1 },
            VolumeDown = new ButtonBinding { Pin = -1 },
        };
        using var r = new Rig(o, new FixedTarget("sip:a@b"));
        r.Driver.Drive(17, PinValue.Low);
        r.Ms(80);
        r.Driver.Drive(17, PinValue.High);
        r.Ms(120);
        r.Press(17, 80);
        Assert.True(r.Room.State.Muted);
        Assert.Equal(CallPhase.Idle, r.Room.State.Phase);
        Assert.Equal(["button.join.double"], r.Events.Select(e => e.Kind));
        Assert.Equal([17], r.Panel.Pins.Values);
    }

    [Fact]
    public void JoinOrLeave_joins_when_idle_and_leaves_otherwise()
    {
        var o = Generic();
        o.Join.Press = ButtonAction.JoinOrLeave;
        using var r = new Rig(o, new FixedTarget("sip:a@b"));
        r.Press(17, 80);
        Assert.Equal(CallPhase.Joining, r.Room.State.Phase);
        r.Press(17, 80);
        Assert.Equal(CallPhase.Leaving, r.Room.State.Phase);
    }

    [Fact]
    public void Active_high_buttons_press_on_a_high_level()
    {
        var o = Generic();
        o.ActiveLow = false;
        using var r = new Rig(o, null);
        Assert.Equal(PinMode.InputPullDown, r.Driver.ModeOf(27));
        r.Driver.Drive(27, PinValue.High);
        r.Ms(100);
        r.Driver.Drive(27, PinValue.Low);
        r.Ms(100);
        Assert.True(r.Room.State.Muted);
    }

    [Fact]
    public void Button_options_reject_clashing_pins_and_bad_timings()
    {
        var o = Generic();
        o.Mute.Pin = 17;
        o.VolumeUp.Pin = 99;
        o.LongPressMs = 300;
        o.DoublePressMs = 400;
        o.DebounceMs = 600;
        var v = new OptionsValidator("Buttons", _ => "board.json");
        o.Validate(v);
        Assert.Equal(["Buttons:DebounceMs", "Buttons:DebounceMs", "Buttons:LongPressMs", "Buttons:Mute:Pin", "Buttons:VolumeUp:Pin"],
            v.Issues.Select(i => i.Key).Order(StringComparer.Ordinal));
        Assert.Contains(v.Issues, i => i.Key == "Buttons:Mute:Pin" && i.Problem.Contains("join", StringComparison.OrdinalIgnoreCase));
        Assert.All(v.Issues, i => Assert.Equal("board.json", i.Source));
    }

    [Fact]
    public void Default_button_options_are_valid()
    {
        var v = new OptionsValidator("Buttons", _ => "default");
        new ButtonOptions().Validate(v);
        Assert.Empty(v.Issues);
    }

    [Fact]
    public void Every_settled_press_is_reported_as_a_touch_of_its_button()
    {
        using var r = new Rig(Generic(), null);
        var touched = new List<string>();
        r.Panel.Touched += touched.Add;
        r.Press(27, 80);
        r.Press(22, 80);
        Assert.Equal(["mute", "up"], touched);
    }
}
