using System.Reflection;
using RoomDevice.Core.Diagnostics;
using RoomDevice.Core.Options;
using RoomDevice.Core.Room;

namespace RoomDevice.Management;

/// <summary>Restarts the device process (the service manager starts it again).</summary>
public interface IDeviceRestarter
{
    /// <summary>Asks for a restart; returns at once.</summary>
    void Restart(string reason);
}

/// <summary>What the birth message says about the box.</summary>
/// <param name="Model">Board model, e.g. "Raspberry Pi 5 Model B" or "simulated".</param>
/// <param name="Serial">Board serial, when known.</param>
/// <param name="AppVersion">Software version.</param>
public sealed record DeviceDescription(string Model, string? Serial, string AppVersion)
{
    /// <summary>Reads the model and serial from the device tree where present.</summary>
    public static DeviceDescription Detect(bool simulated)
    {
        string? model = ReadTrimmed("/proc/device-tree/model");
        string? serial = ReadTrimmed("/proc/device-tree/serial-number");
        string version = typeof(DeviceDescription).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";
        int plus = version.IndexOf('+', StringComparison.Ordinal);
        if (plus > 0)
        {
            version = version[..plus];
        }
        return new DeviceDescription(simulated ? "simulated" : model ?? "generic Linux board", serial, version);
    }

    private static string? ReadTrimmed(string path)
    {
        try
        {
            return File.Exists(path) ? File.ReadAllText(path).Trim().TrimEnd('\0') : null;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }
}

/// <summary>The rest of the device that fleet management reports on and steers.</summary>
public sealed class DeviceAgentServices
{
    /// <summary>The room's state machine (state topic, join/leave/mute/volume commands).</summary>
    public required RoomStateMachine Room { get; init; }

    /// <summary>Device events (events topic).</summary>
    public DeviceEventHub? Events { get; init; }

    /// <summary>Health and selftest probes.</summary>
    public IReadOnlyList<IPeripheralProbe> Probes { get; init; } = [];

    /// <summary>Telemetry sources.</summary>
    public IReadOnlyList<ITelemetrySource> Telemetry { get; init; } = [];

    /// <summary>What join dials when the command names no target.</summary>
    public IJoinTargetProvider? JoinTargets { get; init; }

    /// <summary>LEDs (or anything) that make the box findable.</summary>
    public IIdentifyIndicator? Identify { get; init; }

    /// <summary>Validates desired config against every options section.</summary>
    public IConfigDocumentValidator? ConfigValidator { get; init; }

    /// <summary>Restarts the process for the restart command.</summary>
    public IDeviceRestarter? Restarter { get; init; }

    /// <summary>Birth details.</summary>
    public DeviceDescription Description { get; init; } = DeviceDescription.Detect(simulated: false);
}
