namespace RoomDevice.Management;

/// <summary>Topic names of the MQTT device API v1 (see docs/architecture.md, "Fleet management").</summary>
public static class Topics
{
    /// <summary>Root of every topic.</summary>
    public const string Root = "roomdevice/v1";

    /// <summary>Subtree of unclaimed device announcements.</summary>
    public const string Unclaimed = Root + "/provisioning/unclaimed";

    /// <summary>Names of the commands a device understands.</summary>
    public static readonly IReadOnlyList<string> CommandNames = ["join", "leave", "mute", "unmute", "volume", "identify", "restart", "selftest"];

    /// <summary><c>roomdevice/v1/{id}</c>.</summary>
    public static string Device(string deviceId) => Root + "/" + deviceId;

    /// <summary>Retained online/offline status and Last Will.</summary>
    public static string Status(string deviceId) => Device(deviceId) + "/status";

    /// <summary>Retained birth certificate.</summary>
    public static string Birth(string deviceId) => Device(deviceId) + "/birth";

    /// <summary>Retained health.</summary>
    public static string Health(string deviceId) => Device(deviceId) + "/health";

    /// <summary>Retained room state.</summary>
    public static string State(string deviceId) => Device(deviceId) + "/state";

    /// <summary>Retained desired config from the fleet.</summary>
    public static string ConfigDesired(string deviceId) => Device(deviceId) + "/config/desired";

    /// <summary>Retained outcome of the last desired config.</summary>
    public static string ConfigReported(string deviceId) => Device(deviceId) + "/config/reported";

    /// <summary>Command <paramref name="name"/>.</summary>
    public static string Command(string deviceId, string name) => Device(deviceId) + "/cmd/" + name;

    /// <summary>Filter for all commands of a device.</summary>
    public static string CommandFilter(string deviceId) => Device(deviceId) + "/cmd/+";

    /// <summary>Where command results go when no usable response topic was given.</summary>
    public static string Reply(string deviceId) => Device(deviceId) + "/reply";

    /// <summary>Button presses, calls, faults.</summary>
    public static string Events(string deviceId) => Device(deviceId) + "/events";

    /// <summary>Periodic figures.</summary>
    public static string Telemetry(string deviceId) => Device(deviceId) + "/telemetry";

    /// <summary>Retained announcement of an unclaimed device.</summary>
    public static string UnclaimedAnnouncement(string deviceId) => Unclaimed + "/" + deviceId;

    /// <summary>Where the fleet assigns a device to a room.</summary>
    public static string Assign(string deviceId) => Root + "/provisioning/" + deviceId + "/assign";

    /// <summary>True when <paramref name="topic"/> is a response topic this device may publish to: <c>roomdevice/v1/{id}/reply[/…]</c>, no wildcards.</summary>
    public static bool IsAllowedResponseTopic(string deviceId, string? topic)
    {
        if (string.IsNullOrEmpty(topic) || topic.Length > 512 || topic.Contains('+', StringComparison.Ordinal) || topic.Contains('#', StringComparison.Ordinal) || topic.Contains('\0', StringComparison.Ordinal))
        {
            return false;
        }
        string reply = Reply(deviceId);
        return topic == reply || topic.StartsWith(reply + "/", StringComparison.Ordinal);
    }

    /// <summary>Device id from a topic under <c>roomdevice/v1/{id}/…</c>, or null.</summary>
    public static string? DeviceIdOf(string topic)
    {
        ArgumentNullException.ThrowIfNull(topic);
        if (!topic.StartsWith(Root + "/", StringComparison.Ordinal))
        {
            return null;
        }
        string rest = topic[(Root.Length + 1)..];
        int slash = rest.IndexOf('/', StringComparison.Ordinal);
        return slash <= 0 ? null : rest[..slash];
    }
}
