using System.Globalization;
using System.Net;
using System.Net.Sockets;
using RoomDevice.Host.Configuration;

namespace RoomDevice.Host.Tests.Support;

/// <summary>Command-line settings that keep a simulated device inside its test: own folders, own ports.</summary>
public static class SimulationArgs
{
    public static string FreeTcpPort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>--config and --set for <paramref name="t"/>, plus a free port for the embedded broker when there is one.</summary>
    public static string[] For(TempFolder t)
    {
        var args = new List<string> { "--config", t.Config, "--set", $"Device:StateDirectory={t.State}" };
        bool hasMqttPort = OptionsDiscovery.Schema().Sections.Any(s => s.Name == "Mqtt" && s.Type.GetProperty("Port") is not null);
        if (hasMqttPort)
        {
            args.AddRange(["--set", "Mqtt:Port=" + FreeTcpPort()]);
        }
        return [.. args];
    }
}

/// <summary>Tests that start whole devices or builds: run one at a time so none starves another's timing.</summary>
[CollectionDefinition(Name)]
public sealed class DeviceProcessCollection
{
    public const string Name = "device processes";
}
