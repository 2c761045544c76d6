using RoomDevice.Core.Options;

namespace RoomDevice.Hardware.Buttons;

/// <summary>What a button gesture does in the room.</summary>
public enum ButtonAction
{
    /// <summary>Nothing.</summary>
    None,
    /// <summary>Dial the current meeting or the default target.</summary>
    Join,
    /// <summary>Hang up.</summary>
    Leave,
    /// <summary>Join when idle, leave otherwise.</summary>
    JoinOrLeave,
    /// <summary>Flip mute.</summary>
    ToggleMute,
    /// <summary>One volume step up.</summary>
    VolumeUp,
    /// <summary>One volume step down.</summary>
    VolumeDown,
}

/// <summary>One physical button: its pin and what each gesture does.</summary>
public sealed class ButtonBinding
{
    /// <summary>GPIO number (BCM), or -1 when the board has no such button.</summary>
    public int Pin { get; set; } = -1;

    /// <summary>A short press.</summary>
    public ButtonAction Press { get; set; } = ButtonAction.None;

    /// <summary>Held for at least <see cref="ButtonOptions.LongPressMs"/>.</summary>
    public ButtonAction LongPress { get; set; } = ButtonAction.None;

    /// <summary>Two presses within <see cref="ButtonOptions.DoublePressMs"/>. When set, a single press waits that long before it counts.</summary>
    public ButtonAction DoublePress { get; set; } = ButtonAction.None;
}

/// <summary>The buttons of the board and their timings (section "Buttons"; pins usually come from the board profile).</summary>
[ConfigSection("Buttons")]
public sealed class ButtonOptions : IDeviceOptions
{
    /// <summary>Highest GPIO number accepted.</summary>
    public const int MaxPin = 63;

    /// <summary>A level change must hold this long to count (contact bounce).</summary>
    public int DebounceMs { get; set; } = 30;

    /// <summary>Held this long, a press becomes a long press (fires while still held).</summary>
    public int LongPressMs { get; set; } = 1500;

    /// <summary>Longest gap between the two presses of a double press.</summary>
    public int DoublePressMs { get; set; } = 350;

    /// <summary>True when a pressed button reads low (button to ground, pull-up on).</summary>
    public bool ActiveLow { get; set; } = true;

    /// <summary>Turn on the SoC's internal pull resistor (up when active-low, down otherwise).</summary>
    public bool InternalPull { get; set; } = true;

    /// <summary>The join button.</summary>
    public ButtonBinding Join { get; set; } = new() { Pin = 17, Press = ButtonAction.Join, LongPress = ButtonAction.Leave };

    /// <summary>The mute button.</summary>
    public ButtonBinding Mute { get; set; } = new() { Press = ButtonAction.ToggleMute };

    /// <summary>The volume-up button.</summary>
    public ButtonBinding VolumeUp { get; set; } = new() { Press = ButtonAction.VolumeUp };

    /// <summary>The volume-down button.</summary>
    public ButtonBinding VolumeDown { get; set; } = new() { Press = ButtonAction.VolumeDown };

    /// <summary>Each button by its short name ("join", "mute", "up", "down").</summary>
    public IEnumerable<(string Name, ButtonBinding Binding)> All()
    {
        yield return ("join", Join);
        yield return ("mute", Mute);
        yield return ("up", VolumeUp);
        yield return ("down", VolumeDown);
    }

    /// <summary>The timings as one value for the gesture logic.</summary>
    public ButtonTimings Timings() => new(TimeSpan.FromMilliseconds(DebounceMs), TimeSpan.FromMilliseconds(LongPressMs), TimeSpan.FromMilliseconds(DoublePressMs));

    /// <inheritdoc />
    public void Validate(OptionsValidator v)
    {
        ArgumentNullException.ThrowIfNull(v);
        v.Range(nameof(DebounceMs), DebounceMs, 0, 500);
        v.Range(nameof(DoublePressMs), DoublePressMs, 100, 2000);
        v.Check(LongPressMs >= 300 && LongPressMs <= 10000 && LongPressMs > DoublePressMs, nameof(LongPressMs), LongPressMs,
            $"a whole number from 300 to 10000, larger than DoublePressMs ({DoublePressMs})");
        v.Check(DebounceMs < DoublePressMs, nameof(DebounceMs), DebounceMs, $"less than DoublePressMs ({DoublePressMs})");
        var seen = new Dictionary<int, string>();
        foreach (var (name, b) in All())
        {
            string key = name switch { "join" => nameof(Join), "mute" => nameof(Mute), "up" => nameof(VolumeUp), _ => nameof(VolumeDown) };
            v.Check(b.Pin >= -1 && b.Pin <= MaxPin, key + ":Pin", b.Pin, $"-1 (no such button) or a GPIO number 0 to {MaxPin}");
            if (b.Pin >= 0 && !seen.TryAdd(b.Pin, key))
            {
                v.Report(key + ":Pin", b.Pin, $"GPIO {b.Pin} is already the {seen[b.Pin]} button", "a pin no other button uses");
            }
        }
    }
}
