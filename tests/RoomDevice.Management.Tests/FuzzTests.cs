using System.Collections.Concurrent;
using System.Text;
using System.Text.Json.Nodes;
using RoomDevice.Management.Commands;
using RoomDevice.Management.Config;
using RoomDevice.Management.Fleet;
using RoomDevice.Management.Storage;
using RoomDevice.Management.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace RoomDevice.Management.Tests;

/// <summary>Random and malformed payloads on every topic the device subscribes to.</summary>
public sealed class FuzzTests
{
    private const int Messages = 10000;
    private const int Window = 400;

    private static readonly string[] Templates =
    [
        "{\"id\":\"@ID\",\"args\":{\"level\":@N}}",
        "{\"v\":1,\"id\":\"@ID\"}",
        "{\"id\":\"@ID\",\"args\":{\"uri\":\"sip:room@example.com\"}}",
        "{\"id\":\"@ID\",\"args\":{\"seconds\":@N}}",
        "{\"id\":\"@ID\",\"expires\":\"2001-01-01T00:00:00Z\"}",
        "{\"id\":\"@ID\",\"args\":{\"delaySeconds\":@N}}",
        "{\"v\":1,\"version\":@N,\"config\":{\"Room\":{\"InitialVolume\":@N}}}",
        "{\"version\":@N,\"config\":{\"Mqtt\":{\"KeepAliveSeconds\":@N},\"Nope\":{\"A\":1}}}",
        "{\"code\":\"ABCD-EFGH\",\"room\":\"Fuzz @N\",\"site\":\"S\"}",
    ];

    private static string RandomJson(Random rng, int depth)
    {
        switch (depth > 18 ? rng.Next(4) : rng.Next(7))
        {
            case 0: return rng.Next(-1000, 1000).ToString(System.Globalization.CultureInfo.InvariantCulture);
            case 1: return "\"" + new string((char)rng.Next('a', 'z'), rng.Next(0, 20)) + "\"";
            case 2: return rng.Next(2) == 0 ? "true" : "null";
            case 3: return (rng.NextDouble() * 1e6).ToString("R", System.Globalization.CultureInfo.InvariantCulture);
            case 4:
            case 5:
            {
                var sb = new StringBuilder("{");
                int n = rng.Next(0, 5);
                string[] keys = ["id", "args", "v", "version", "config", "level", "code", "room", "expires", "x"];
                for (int i = 0; i < n; i++)
                {
                    sb.Append(i > 0 ? "," : "").Append('"').Append(keys[rng.Next(keys.Length)]).Append("\":").Append(RandomJson(rng, depth + 1));
                }
                return sb.Append('}').ToString();
            }
            default:
            {
                var sb = new StringBuilder("[");
                int n = rng.Next(0, 4);
                for (int i = 0; i < n; i++)
                {
                    sb.Append(i > 0 ? "," : "").Append(RandomJson(rng, depth + 1));
                }
                return sb.Append(']').ToString();
            }
        }
    }

    private static byte[] Payload(Random rng, int i)
    {
        string template = Templates[rng.Next(Templates.Length)]
            .Replace("@ID", rng.Next(3) == 0 ? "dup-" + rng.Next(50) : "f" + i, StringComparison.Ordinal)
            .Replace("@N", rng.Next(-5, 700).ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
        switch (rng.Next(10))
        {
            case 0: // random bytes, including invalid UTF-8
            {
                byte[] b = new byte[rng.Next(0, 300)];
                rng.NextBytes(b);
                return b;
            }
            case 1: // truncated
                return Encoding.UTF8.GetBytes(template[..rng.Next(0, template.Length)]);
            case 2: // one byte changed
            {
                byte[] b = Encoding.UTF8.GetBytes(template);
                b[rng.Next(b.Length)] = (byte)rng.Next(256);
                return b;
            }
            case 3: // structurally random
                return Encoding.UTF8.GetBytes(RandomJson(rng, 0));
            case 4: // deep
                return Encoding.UTF8.GetBytes(new string('[', 40 + rng.Next(100)) + new string(']', 40));
            case 5: // too large
                return Encoding.UTF8.GetBytes("{\"id\":\"big" + i + "\",\"args\":{\"uri\":\"sip:" + new string('x', 9000) + "\"}}");
            case 6: // duplicate keys
                return Encoding.UTF8.GetBytes(template.Replace("{\"", "{\"id\":1,\"", StringComparison.Ordinal));
            default: // well-formed
                return Encoding.UTF8.GetBytes(template);
        }
    }

    [Fact]
    public async Task Ten_thousand_random_and_malformed_payloads_are_each_answered_or_ignored_and_the_device_stays_healthy()
    {
        await using Mosquitto broker = await Mosquitto.StartAsync();
        await using TestDevice device = new TestDevice(broker.Port, configure: o => o.MaxPayloadBytes = 8192).Start();
        await device.WaitConnectedAsync();
        await using FleetClient fuzzer = await FleetClient.ConnectAsync(new FleetConnectionOptions("127.0.0.1", broker.Port));
        string replyTopic = fuzzer.ResponseTopic(device.Id);
        var answered = new ConcurrentDictionary<int, int>();
        int reported = 0;
        fuzzer.MessageReceived += m =>
        {
            if (m.Topic == replyTopic && m.CorrelationData is { Length: 4 } cd)
            {
                if (answered.TryAdd(BitConverter.ToInt32(cd), 1))
                {
                    Interlocked.Increment(ref reported);
                }
            }
            else if (m.Topic == Topics.ConfigReported(device.Id))
            {
                answered.AddOrUpdate(-1, 1, (_, v) => v + 1);
            }
        };
        await fuzzer.SubscribeAsync(CancellationToken.None, Topics.ConfigReported(device.Id));
        await Task.Delay(300);
        int baseline = answered.GetValueOrDefault(-1);

        var rng = new Random(20260501);
        string[] names = [.. Topics.CommandNames, "selfdestruct", "", "%", "x y"];
        int expectReplies = 0, expectReports = 0, ignored = 0;
        long handledBefore = device.Agent.Handled;
        for (int i = 0; i < Messages; i++)
        {
            byte[] payload = Payload(rng, i);
            int kind = rng.Next(10);
            if (kind < 7)
            {
                string name = names[rng.Next(names.Length)];
                await fuzzer.PublishAsync(Topics.Device(device.Id) + "/cmd/" + name, payload, responseTopic: replyTopic, correlation: BitConverter.GetBytes(i));
                if (name.Length == 0 || name.Contains(' ', StringComparison.Ordinal) || name == "%")
                {
                    // topic levels the device subscribed to with cmd/+: "" and odd names still arrive; all are answered
                }
                expectReplies++;
            }
            else if (kind < 9)
            {
                await fuzzer.PublishAsync(Topics.ConfigDesired(device.Id), payload, retain: true);
                if (payload.Length == 0)
                {
                    ignored++;
                }
                else
                {
                    expectReports++;
                }
            }
            else
            {
                await fuzzer.PublishAsync(Topics.Assign(device.Id), payload, responseTopic: replyTopic, correlation: BitConverter.GetBytes(i));
                if (payload.Length == 0)
                {
                    ignored++;
                }
                else
                {
                    expectReplies++;
                }
            }
            if (i % Window == Window - 1)
            {
                int sentSoFar = i + 1;
                await WaitUntil(() => device.Agent.Handled - handledBefore >= sentSoFar - Window / 2, TimeSpan.FromSeconds(60),
                    () => $"handled {device.Agent.Handled - handledBefore} of {sentSoFar} sent, dropped {device.Agent.InboundDropped}, connected {device.Agent.IsConnected}, reconnects {device.Agent.Reconnects}");
            }
        }
        await WaitUntil(() => device.Agent.Handled - handledBefore >= Messages, TimeSpan.FromSeconds(60), () => $"handled {device.Agent.Handled - handledBefore}");
        // answers are published by the handler (and by command tasks for final results): wait for the last ones
        await WaitUntil(() => Volatile.Read(ref reported) >= expectReplies && answered.GetValueOrDefault(-1) - baseline >= expectReports, TimeSpan.FromSeconds(60),
            () => $"{Volatile.Read(ref reported)} answers for {expectReplies} commands and assignments, {answered.GetValueOrDefault(-1) - baseline} reports for {expectReports} desired documents, handled {device.Agent.Handled - handledBefore}, refused {device.Agent.Refused}; log: {string.Join(" | ", device.Log.Lines.Where(l => l.Contains("failed", StringComparison.Ordinal)).Take(5))}");

        Assert.Equal(0, device.Agent.InboundDropped);
        Assert.Equal(Messages, device.Agent.Handled - handledBefore);
        Assert.True(Volatile.Read(ref reported) >= expectReplies, $"{reported} answers for {expectReplies} commands and assignments");
        Assert.True(answered.GetValueOrDefault(-1) - baseline >= expectReports, $"{answered.GetValueOrDefault(-1) - baseline} reports for {expectReports} desired documents");

        // still healthy and still obeying
        await using Observer o = await Observer.ConnectAsync(broker.Port, Topics.Health(device.Id));
        await o.WaitForAsync(Topics.Health(device.Id), j => (string?)j["overall"] == "ok", TimeSpan.FromSeconds(20));
        await fuzzer.PublishAsync(Topics.ConfigDesired(device.Id), [], retain: true);
        CommandReply ok = await o.Client.SendCommandAsync(device.Id, "volume", new JsonObject { ["level"] = 12 }, TimeSpan.FromSeconds(20));
        Assert.Equal("succeeded", ok.Status);
        Assert.Equal(12, device.Room.State.Volume);
        Assert.Equal("Test Room", device.Agent.Assignment!.Room);

        // nothing on disk is corrupted: every file reopens
        await device.StopAsync();
        var config = new AppliedConfigStore(device.StateDir);
        if (config.AppliedVersion > 0)
        {
            Assert.NotNull(JsonNode.Parse(File.ReadAllText(config.ConfigPath)));
        }
        using var ledger = new CommandLedger(Path.Combine(device.StateDir, "mqtt"), new FakeTimeProvider(DateTimeOffset.UtcNow));
        Assert.True(ledger.Count > 0);
        Assert.Equal("Test Room", new DeviceStateStore(device.StateDir).Assignment()!.Room);
        Assert.Empty(Directory.EnumerateFiles(device.StateDir, "*.tmp*", SearchOption.AllDirectories));
        Assert.True(ignored >= 0);
    }

    [Fact]
    public async Task Invalid_utf8_inside_a_json_string_is_refused_as_such()
    {
        await using Mosquitto broker = await Mosquitto.StartAsync();
        await using TestDevice device = new TestDevice(broker.Port).Start();
        await device.WaitConnectedAsync();
        await using FleetClient c = await FleetClient.ConnectAsync(new FleetConnectionOptions("127.0.0.1", broker.Port));
        byte[] payload = [.. "{\"id\":\""u8, 0xC3, 0x28, .. "\"}"u8];
        JsonObject? answer = await c.RequestAsync(device.Id, Topics.Command(device.Id, "mute"), payload, TimeSpan.FromSeconds(20));
        Assert.Equal("invalid_json", (string?)answer!["error"]!["code"]);
        Assert.Contains("UTF-8", (string?)answer["error"]!["message"], StringComparison.Ordinal);
        Assert.False(device.Room.State.Muted);
    }

    private static async Task WaitUntil(Func<bool> condition, TimeSpan timeout, Func<string>? describe = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("condition not reached within " + timeout + ": " + describe?.Invoke());
            }
            await Task.Delay(10);
        }
    }
}
