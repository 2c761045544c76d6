using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace RoomDevice.Management.Fleet;

/// <summary>What the fleet knows about one device from its retained topics.</summary>
public sealed class DeviceView(string id)
{
    /// <summary>Device id.</summary>
    public string Id { get; } = id;

    /// <summary>Last status message.</summary>
    public JsonObject? Status { get; internal set; }

    /// <summary>Birth message.</summary>
    public JsonObject? Birth { get; internal set; }

    /// <summary>Health message.</summary>
    public JsonObject? Health { get; internal set; }

    /// <summary>Room state.</summary>
    public JsonObject? State { get; internal set; }

    /// <summary>Outcome of the last desired config.</summary>
    public JsonObject? Reported { get; internal set; }

    /// <summary>The retained desired config.</summary>
    public JsonObject? Desired { get; internal set; }

    /// <summary>Unclaimed announcement, when the device waits to be claimed.</summary>
    public JsonObject? Unclaimed { get; internal set; }

    /// <summary>True when the latest status says online.</summary>
    public bool Online => (string?)Status?["state"] == "online";

    /// <summary>Session number of the latest status.</summary>
    public long Session => Status?["session"] is JsonValue v && v.TryGetValue(out long s) ? s : 0;

    /// <summary>Room from birth, or null.</summary>
    public string? Room => (string?)Birth?["room"];

    /// <summary>Site from birth, or null.</summary>
    public string? Site => (string?)Birth?["site"];

    /// <summary>Desired version, 0 when none.</summary>
    public long DesiredVersion => Desired?["version"] is JsonValue v && v.TryGetValue(out long n) ? n : 0;

    /// <summary>Applied version, 0 when none.</summary>
    public long AppliedVersion => Reported?["appliedVersion"] is JsonValue v && v.TryGetValue(out long n) ? n : 0;
}

/// <summary>
/// Folds device topics into one <see cref="DeviceView"/> per device. A status with a lower session
/// than the one already seen is ignored, so a late Last Will never hides a newer online.
/// </summary>
public sealed class FleetView
{
    private readonly ConcurrentDictionary<string, DeviceView> _devices = new(StringComparer.Ordinal);
    private long _messages;

    /// <summary>The topic filters that feed the view.</summary>
    public static readonly string[] Filters =
    [
        Topics.Root + "/+/status", Topics.Root + "/+/birth", Topics.Root + "/+/health", Topics.Root + "/+/state",
        Topics.Root + "/+/config/reported", Topics.Root + "/+/config/desired", Topics.Unclaimed + "/+",
    ];

    /// <summary>Messages folded in so far.</summary>
    public long Messages => Interlocked.Read(ref _messages);

    /// <summary>Every device seen, by id.</summary>
    public IReadOnlyList<DeviceView> Devices => [.. _devices.Values.OrderBy(d => d.Id, StringComparer.Ordinal)];

    /// <summary>Raised after each change.</summary>
    public event Action<DeviceView>? Changed;

    /// <summary>The view of <paramref name="id"/>, or null.</summary>
    public DeviceView? Find(string id) => _devices.GetValueOrDefault(id);

    /// <summary>Folds one message in; false when it is not a device topic.</summary>
    public bool Apply(FleetMessage m)
    {
        ArgumentNullException.ThrowIfNull(m);
        JsonObject? json = null;
        if (m.Payload.Length > 0)
        {
            try
            {
                json = JsonNode.Parse(m.Payload) as JsonObject;
            }
            catch (JsonException)
            {
                return false;
            }
            if (json is null)
            {
                return false;
            }
        }
        string? id;
        string kind;
        if (m.Topic.StartsWith(Topics.Unclaimed + "/", StringComparison.Ordinal))
        {
            id = m.Topic[(Topics.Unclaimed.Length + 1)..];
            kind = "unclaimed";
        }
        else
        {
            id = Topics.DeviceIdOf(m.Topic);
            if (id is null)
            {
                return false;
            }
            kind = m.Topic[(Topics.Device(id).Length + 1)..];
        }
        if (id.Length == 0 || id == "provisioning")
        {
            return false;
        }
        DeviceView d = _devices.GetOrAdd(id, i => new DeviceView(i));
        lock (d)
        {
            switch (kind)
            {
                case "status":
                    long session = json?["session"] is JsonValue v && v.TryGetValue(out long s) ? s : 0;
                    if (json is not null && session < d.Session)
                    {
                        return true; // a late will of an older session
                    }
                    d.Status = json;
                    break;
                case "birth":
                    d.Birth = json;
                    break;
                case "health":
                    d.Health = json;
                    break;
                case "state":
                    d.State = json;
                    break;
                case "config/reported":
                    d.Reported = json;
                    break;
                case "config/desired":
                    d.Desired = json;
                    break;
                case "unclaimed":
                    d.Unclaimed = json;
                    break;
                default:
                    return false;
            }
        }
        Interlocked.Increment(ref _messages);
        Changed?.Invoke(d);
        return true;
    }

    /// <summary>
    /// Subscribes <paramref name="client"/> and waits until the retained messages stop arriving
    /// (<paramref name="quiet"/> without a new one) or <paramref name="max"/> passed.
    /// </summary>
    public static async Task<FleetView> SnapshotAsync(FleetClient client, TimeSpan quiet, TimeSpan max, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        var view = new FleetView();
        long last = Environment.TickCount64;
        client.MessageReceived += m =>
        {
            if (view.Apply(m))
            {
                Interlocked.Exchange(ref last, Environment.TickCount64);
            }
        };
        long start = Environment.TickCount64;
        await client.SubscribeAsync(ct, Filters).ConfigureAwait(false);
        Interlocked.Exchange(ref last, Environment.TickCount64);
        while (Environment.TickCount64 - start < max.TotalMilliseconds && Environment.TickCount64 - Interlocked.Read(ref last) < quiet.TotalMilliseconds)
        {
            await Task.Delay(25, ct).ConfigureAwait(false);
        }
        return view;
    }
}
