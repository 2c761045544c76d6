using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using RoomDevice.Management.Fleet;

namespace RoomDevice.Management.Tests.Infrastructure;

/// <summary>A fleet-side client that records everything it sees on its filters.</summary>
public sealed class Observer : IAsyncDisposable
{
    private readonly ConcurrentQueue<FleetMessage> _seen = new();
    private readonly SemaphoreSlim _signal = new(0, int.MaxValue);

    private Observer(FleetClient client)
    {
        Client = client;
        client.MessageReceived += m =>
        {
            _seen.Enqueue(m);
            _signal.Release();
        };
    }

    public FleetClient Client { get; }

    public IReadOnlyList<FleetMessage> Seen => [.. _seen];

    public static async Task<Observer> ConnectAsync(int port, params string[] filters)
    {
        var o = new Observer(await FleetClient.ConnectAsync(new FleetConnectionOptions("127.0.0.1", port)));
        if (filters.Length > 0)
        {
            await o.Client.SubscribeAsync(CancellationToken.None, filters);
        }
        return o;
    }

    public static JsonObject? Json(FleetMessage m)
    {
        try
        {
            return m.Payload.Length == 0 ? null : JsonNode.Parse(m.Payload) as JsonObject;
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }

    /// <summary>Waits for a message on <paramref name="topic"/> whose JSON satisfies <paramref name="match"/>.</summary>
    public async Task<(FleetMessage Message, JsonObject Json)> WaitForAsync(string topic, Func<JsonObject, bool>? match = null, TimeSpan? timeout = null, int skip = 0)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (true)
        {
            int n = 0;
            foreach (FleetMessage m in _seen)
            {
                if (m.Topic == topic && Json(m) is JsonObject j && (match is null || match(j)) && n++ >= skip)
                {
                    return (m, j);
                }
            }
            TimeSpan left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
            {
                string seen = string.Join("\n", _seen.Where(m => m.Topic == topic).Select(m => System.Text.Encoding.UTF8.GetString(m.Payload)).TakeLast(5));
                throw new TimeoutException($"no matching message on {topic}; last seen:\n{seen}");
            }
            await _signal.WaitAsync(left < TimeSpan.FromMilliseconds(200) ? left : TimeSpan.FromMilliseconds(200));
        }
    }

    public int Count(string topic) => _seen.Count(m => m.Topic == topic);

    public void Clear() => _seen.Clear();

    public async ValueTask DisposeAsync()
    {
        await Client.DisposeAsync();
        _signal.Dispose();
    }
}
