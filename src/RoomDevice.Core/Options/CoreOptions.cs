using RoomDevice.Core.Identity;
using RoomDevice.Core.Room;

namespace RoomDevice.Core.Options;

/// <summary>How the room behaves: starting volume and how far one volume press moves it.</summary>
[ConfigSection("Room")]
public sealed class RoomOptions : IDeviceOptions
{
    /// <summary>Volume after start-up, 0..100.</summary>
    public int InitialVolume { get; set; } = 50;

    /// <summary>Volume change of one press of volume up/down.</summary>
    public int VolumeStep { get; set; } = 5;

    /// <inheritdoc />
    public void Validate(OptionsValidator v)
    {
        ArgumentNullException.ThrowIfNull(v);
        v.Check(InitialVolume is >= RoomStateMachine.MinVolume and <= RoomStateMachine.MaxVolume, nameof(InitialVolume), InitialVolume, "a whole number from 0 to 100");
        v.Check(VolumeStep is >= 1 and <= 50, nameof(VolumeStep), VolumeStep, "a whole number from 1 to 50");
    }
}

/// <summary>The device's id; empty means derived from the board serial or machine id.</summary>
[ConfigSection("Identity")]
public sealed class IdentityOptions : IDeviceOptions
{
    /// <summary>Overrides the derived id (e.g. "rd-meeting-3a").</summary>
    public string DeviceId { get; set; } = string.Empty;

    /// <inheritdoc />
    public void Validate(OptionsValidator v)
    {
        ArgumentNullException.ThrowIfNull(v);
        v.Check(DeviceId.Length == 0 || DeviceIdentity.IsValid(DeviceId), nameof(DeviceId), DeviceId, DeviceIdentity.Accepted + ", or empty to derive it", "not a valid device id");
    }
}

/// <summary>Where the device keeps state, and which board profile it runs on.</summary>
[ConfigSection("Device")]
public sealed class DeviceOptions : IDeviceOptions
{
    /// <summary>Accepted spelling of a board profile name.</summary>
    public const string BoardNameAccepted = "a profile name of a-z, 0-9 and '-' (a file boards/<name>.json in the config folder)";

    /// <summary>Board profile: the file <c>boards/&lt;Board&gt;.json</c> in the config folder.</summary>
    public string Board { get; set; } = "respeaker-4mic-hat";

    /// <summary>
    /// Writable folder for state that survives restarts. Empty: $STATE_DIRECTORY (systemd), else
    /// /var/lib/roomdevice, or a per-user folder with --simulate.
    /// </summary>
    public string StateDirectory { get; set; } = string.Empty;

    /// <summary>A friendly name shown in the terminal and reported to the fleet.</summary>
    public string Name { get; set; } = "RoomDevice";

    /// <inheritdoc />
    public void Validate(OptionsValidator v)
    {
        ArgumentNullException.ThrowIfNull(v);
        v.Check(DeviceIdentity.IsValid(Board), nameof(Board), Board, BoardNameAccepted, "not a valid board profile name");
        v.Check(StateDirectory.Length == 0 || Path.IsPathFullyQualified(StateDirectory), nameof(StateDirectory), StateDirectory, "an absolute path, or empty for the default", "not an absolute path");
        v.Check(Name.Length is >= 1 and <= 64, nameof(Name), Name, "1 to 64 characters", "wrong length");
    }
}

/// <summary>How much the device logs.</summary>
[ConfigSection("Logging")]
public sealed class LoggingOptions : IDeviceOptions
{
    /// <summary>Lowest level written.</summary>
    public LogLevelName Level { get; set; } = LogLevelName.Information;

    /// <inheritdoc />
    public void Validate(OptionsValidator v) => ArgumentNullException.ThrowIfNull(v);
}

/// <summary>Log levels as written in configuration.</summary>
public enum LogLevelName
{
    /// <summary>Everything.</summary>
    Trace,
    /// <summary>Diagnostics.</summary>
    Debug,
    /// <summary>Normal operation.</summary>
    Information,
    /// <summary>Something unexpected that the device survives.</summary>
    Warning,
    /// <summary>A failure.</summary>
    Error,
    /// <summary>The device cannot go on.</summary>
    Critical,
    /// <summary>Nothing.</summary>
    None,
}
