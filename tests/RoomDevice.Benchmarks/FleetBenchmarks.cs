using System.Buffers;
using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using RoomDevice.Core.Identity;
using RoomDevice.Core.Room;
using RoomDevice.Management;
using RoomDevice.Management.Fleet;
using RoomDevice.Management.Protocol;
using RoomDevice.Management.Storage;

namespace RoomDevice.Benchmarks;

/// <summary>
/// Fleet management: command round trip (fleet client -> broker -> device agent -> accepted ->
/// final result) on loopback, against mosquitto (the native reference) and the embedded MQTTnet
/// broker in the same run; and the cost of parsing a command payload on the device.
/// The 1,000-device fleet figures come from <c>roomctl simulate --devices 1000 --bench</c>.
/// </summary>
[Config(typeof(FleetConfig))]
[MemoryDiagnoser]
public class FleetBenchmarks
{
    private const string Mosquitto = "/usr/sbin/mosquitto";
    private static readonly byte[] CommandPayload = Encoding.UTF8.GetBytes("{\"v\":1,\"id\":\"3f2a9c0e5b7d4e1f\",\"args\":{\"level\":40},\"expires\":\"2030-01-01T00:00:00Z\"}");
    private Process? _mosquitto;
    private EmbeddedBroker? _embedded;
    private DeviceAgent? _agent;
    private CancellationTokenSource? _cts;
    private Task? _run;
    private FleetClient? _client;
    private string? _dir;
    private int _level;

    /// <summary>Which broker sits between the fleet and the device.</summary>
    [Params("mosquitto", "embedded")]
    public string Broker { get; set; } = "mosquitto";

    private sealed class FleetConfig : ManualConfig
    {
        public FleetConfig()
        {
            // in-process: the broker and the device agent live in this process (or a child mosquitto)
            AddJob(Job.ShortRun.WithIterationCount(10).WithInvocationCount(200).WithUnrollFactor(1).WithToolchain(InProcessEmitToolchain.Instance));
            AddColumn(StatisticColumn.P50, StatisticColumn.P95, StatisticColumn.Max);
        }
    }

    [GlobalSetup(Target = nameof(CommandRoundTrip))]
    public async Task SetupRoundTrip()
    {
        _dir = Directory.CreateTempSubdirectory("fleet-bench-").FullName;
        int port = EmbeddedBroker.FreePort();
        if (Broker == "mosquitto")
        {
            if (!File.Exists(Mosquitto))
            {
                throw new InvalidOperationException("mosquitto is not installed (scripts/deps.d/mqtt.txt)");
            }
            string conf = Path.Combine(_dir, "mosquitto.conf");
            await File.WriteAllTextAsync(conf, $"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\nuser root\nset_tcp_nodelay true\n");
            _mosquitto = Process.Start(new ProcessStartInfo(Mosquitto, ["-c", conf]) { RedirectStandardError = true, RedirectStandardOutput = true })!;
            for (int i = 0; i < 200; i++)
            {
                try
                {
                    using var c = new TcpClient();
                    await c.ConnectAsync("127.0.0.1", port);
                    break;
                }
                catch (SocketException)
                {
                    await Task.Delay(25);
                }
            }
        }
        else
        {
            _embedded = await EmbeddedBroker.StartAsync(port);
        }
        string state = Path.Combine(_dir, "device");
        new DeviceStateStore(state).SaveAssignment(new RoomAssignment("Bench", null, DateTimeOffset.UtcNow));
        _agent = new DeviceAgent(new MqttOptions { Host = "127.0.0.1", Port = port, HealthCheckSeconds = 3600, TelemetryIntervalSeconds = 3600 },
            new DeviceIdentity("rd-bench", "benchmark"), state, new DeviceAgentServices { Room = new RoomStateMachine(), Description = new DeviceDescription("simulated", null, "bench") });
        _cts = new CancellationTokenSource();
        _run = _agent.RunAsync(_cts.Token);
        _client = await FleetClient.ConnectAsync(new FleetConnectionOptions("127.0.0.1", port));
        for (int i = 0; i < 400 && !_agent.IsConnected; i++)
        {
            await Task.Delay(25);
        }
        await Task.Delay(500);
    }

    [GlobalCleanup(Target = nameof(CommandRoundTrip))]
    public async Task CleanupRoundTrip()
    {
        await _client!.DisposeAsync();
        await _cts!.CancelAsync();
        await _run!;
        await _agent!.DisposeAsync();
        if (_embedded is not null)
        {
            await _embedded.DisposeAsync();
        }
        if (_mosquitto is { HasExited: false })
        {
            _mosquitto.Kill();
            await _mosquitto.WaitForExitAsync();
        }
        Directory.Delete(_dir!, recursive: true);
    }

    /// <summary>One volume command: publish, accepted, succeeded (the device persists the id before answering).</summary>
    [Benchmark]
    public async Task<string?> CommandRoundTrip()
    {
        _level = (_level + 1) % 100;
        CommandReply r = await _client!.SendCommandAsync("rd-bench", "volume", new JsonObject { ["level"] = _level }, TimeSpan.FromSeconds(10));
        return r.Status == "succeeded" ? r.Status : throw new InvalidOperationException("command failed: " + r.ErrorMessage);
    }

    /// <summary>Strict parse of a command payload as the device does it (UTF-8 check, limits, duplicate keys).</summary>
    [Benchmark]
    public int ParseCommandPayload()
    {
        StrictJson.TryParse(new ReadOnlySequence<byte>(CommandPayload), 65536, 16, out JsonDocument? doc, out _);
        using (doc)
        {
            return doc!.RootElement.GetProperty("args").GetProperty("level").GetInt32();
        }
    }
}
