using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using RoomDevice.Core.Diagnostics;
using RoomDevice.Core.Identity;
using RoomDevice.Core.Options;
using RoomDevice.Core.Room;
using RoomDevice.Host.Configuration;

namespace RoomDevice.Host.Composition;

/// <summary>The shared services every area builds on: room, events, identity, time, configuration.</summary>
internal sealed class CoreModule : IHostModule
{
    /// <summary>Where a Raspberry Pi keeps its board serial.</summary>
    public const string BoardSerialPath = "/proc/device-tree/serial-number";

    /// <summary>The systemd machine id.</summary>
    public const string MachineIdPath = "/etc/machine-id";

    public int Order => 0;

    public void Register(IServiceCollection services, HostModuleContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        RoomOptions room = context.Options<RoomOptions>();
        IdentityOptions identity = context.Options<IdentityOptions>();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(new RoomStateMachine(room.InitialVolume, room.VolumeStep));
        services.AddSingleton<DeviceEventHub>();
        services.AddSingleton(_ => ResolveIdentity(identity));
        services.AddSingleton(sp => sp.GetRequiredService<DeviceConfiguration>().Schema);
        services.AddSingleton<IConfigDocumentValidator>(sp => new ConfigDocumentValidator(sp.GetRequiredService<OptionsSchema>()));
        services.AddSingleton<IPeripheralProbe, ConfigurationProbe>();
        services.AddSingleton<IPeripheralProbe, StateDirectoryProbe>();
        services.AddSingleton<ITelemetrySource, HostTelemetry>();
        services.AddHostedService<FleetLayerFaultService>();
    }

    /// <summary>The device id: configured, else from the board serial, else from the machine id.</summary>
    internal static DeviceIdentity ResolveIdentity(IdentityOptions identity) =>
        DeviceIdentity.Resolve(identity.DeviceId, ReadSmallFile(BoardSerialPath), ReadSmallFile(MachineIdPath));

    /// <summary>The trimmed text of a small system file, or null when it is absent or unreadable.</summary>
    internal static string? ReadSmallFile(string path)
    {
        try
        {
            return File.Exists(path) ? File.ReadAllText(path).Trim('\0', ' ', '\n', '\r', '\t') : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}

/// <summary>
/// Selftest and health row: the layered configuration is acceptable; degraded, with the reason,
/// when the fleet layer was refused and the device runs on its last good copy or without it.
/// </summary>
internal sealed class ConfigurationProbe(DeviceConfiguration config) : IPeripheralProbe
{
    public ProbeResult Probe() => !config.IsValid
        ? new ProbeResult("configuration", true, ProbeStatus.Missing, DeviceConfiguration.Redact(config.Issues[0]).ToString())
        : config.FleetFallback is { } fallback
            ? new ProbeResult("configuration", true, ProbeStatus.Degraded, fallback.Describe())
            : new ProbeResult("configuration", true, ProbeStatus.Ok, $"{config.Layers.Count} layers, board {config.Evaluation.Get<DeviceOptions>().Board}");
}

/// <summary>Selftest row: the state folder exists and is writable.</summary>
internal sealed class StateDirectoryProbe(DeviceConfiguration config) : IPeripheralProbe
{
    public ProbeResult Probe()
    {
        string dir = config.StateDirectory;
        try
        {
            Directory.CreateDirectory(dir);
            string probe = Path.Combine(dir, ".selftest-" + Environment.ProcessId);
            File.WriteAllText(probe, "ok");
            File.Delete(probe);
            return new ProbeResult("state-directory", true, ProbeStatus.Ok, dir + " is writable");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return new ProbeResult("state-directory", true, ProbeStatus.Missing, $"{dir}: {ex.Message}");
        }
    }
}

/// <summary>Figures about the process itself.</summary>
internal sealed class HostTelemetry(TimeProvider time) : ITelemetrySource
{
    private readonly long _started = time.GetTimestamp();

    public string Name => "host";

    public void Collect(IDictionary<string, double> into)
    {
        ArgumentNullException.ThrowIfNull(into);
        into["uptime_s"] = Math.Round(time.GetElapsedTime(_started).TotalSeconds);
        into["heap_mb"] = Math.Round(GC.GetTotalMemory(false) / 1048576.0, 1);
        into["pool_threads"] = ThreadPool.ThreadCount;
    }
}
