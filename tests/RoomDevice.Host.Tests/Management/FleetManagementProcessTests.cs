using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using RoomDevice.Host.Cli;
using RoomDevice.Host.Tests.Support;
using RoomDevice.Management;
using RoomDevice.Management.Fleet;

namespace RoomDevice.Host.Tests.Management;

/// <summary>The real roomdevice process with fleet management: embedded broker, mosquitto, SIGKILL.</summary>
[Collection(DeviceProcessCollection.Name)]
public sealed class FleetManagementProcessTests
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    private static async Task<FleetClient> ConnectWhenUp(int port, DeviceProcess device)
    {
        var sw = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                return await FleetClient.ConnectAsync(new FleetConnectionOptions("127.0.0.1", port));
            }
            catch (FleetConnectionException) when (sw.Elapsed < StartTimeout && !device.HasExited)
            {
                await Task.Delay(200);
            }
        }
    }

    private static async Task<JsonObject> WaitStatus(FleetClient c, string id, Func<JsonObject, bool> match, TimeSpan timeout)
    {
        var found = new TaskCompletionSource<JsonObject>(TaskCreationOptions.RunContinuationsAsynchronously);
        c.MessageReceived += m =>
        {
            if (m.Topic == Topics.Status(id) && m.Payload.Length > 0 && JsonNode.Parse(m.Payload) is JsonObject o && match(o))
            {
                found.TrySetResult(o);
            }
        };
        await c.SubscribeAsync(CancellationToken.None, Topics.Status(id));
        return await found.Task.WaitAsync(timeout);
    }

    [Fact]
    public async Task Simulated_run_without_a_broker_starts_the_embedded_one_and_answers_commands()
    {
        using var t = new TempFolder(withShippedConfig: true);
        string port = SimulationArgs.FreeTcpPort();
        using DeviceProcess device = DeviceProcess.StartRoomDevice(["run", "--simulate", "--config", t.Config, "--set", $"Device:StateDirectory={t.State}",
            "--set", "Mqtt:Port=" + port, "--set", "Identity:DeviceId=rd-proc-embedded"]);
        await using FleetClient c = await ConnectWhenUp(int.Parse(port, CultureInfo.InvariantCulture), device);
        JsonObject online = await WaitStatus(c, "rd-proc-embedded", o => (string?)o["state"] == "online", StartTimeout);
        Assert.True((long)online["session"]! >= 1);

        CommandReply selftest = await c.SendCommandAsync("rd-proc-embedded", "selftest", null, TimeSpan.FromSeconds(30));
        Assert.NotNull(selftest.Status);
        Assert.Contains(selftest.Body!["result"]!["probes"]!.AsArray(), p => (string?)p!["name"] == "state-directory");
        CommandReply identify = await c.SendCommandAsync("rd-proc-embedded", "identify", new JsonObject { ["seconds"] = 3 }, TimeSpan.FromSeconds(30));
        Assert.Equal("succeeded", identify.Status);
        Assert.Contains("Claim code", device.Stdout + device.Stderr, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(t.State, "mqtt", "session.json")));

        await device.TerminateAsync();
        Assert.Equal(0, await device.WaitForExitAsync(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task In_simulation_applied_fleet_config_and_the_restart_command_restart_the_device_in_the_same_process()
    {
        using var t = new TempFolder(withShippedConfig: true);
        const string id = "rd-proc-restart";
        new RoomDevice.Management.Storage.DeviceStateStore(t.State).SaveAssignment(new RoomDevice.Management.Storage.RoomAssignment("Lab", "HQ", DateTimeOffset.UtcNow));
        string port = SimulationArgs.FreeTcpPort();
        using DeviceProcess device = DeviceProcess.StartRoomDevice(["run", "--simulate", "--config", t.Config, "--set", $"Device:StateDirectory={t.State}",
            "--set", "Mqtt:Port=" + port, "--set", "Identity:DeviceId=" + id]);
        await using FleetClient c = await ConnectWhenUp(int.Parse(port, CultureInfo.InvariantCulture), device);
        long session = (long)(await WaitStatus(c, id, o => (string?)o["state"] == "online", StartTimeout))["session"]!;
        Assert.Equal(50, (int)(await c.SendCommandAsync(id, "unmute", null, TimeSpan.FromSeconds(30))).Body!["result"]!["volume"]!);

        // A newer desired config is written, then taken into use by a restart while the room is idle.
        await c.PublishAsync(Topics.ConfigDesired(id), System.Text.Encoding.UTF8.GetBytes("{\"v\":1,\"version\":1,\"config\":{\"Room\":{\"InitialVolume\":35}}}"), retain: true);
        long second = (long)(await WaitStatus(c, id, o => (string?)o["state"] == "online" && (long)o["session"]! > session, StartTimeout))["session"]!;
        Assert.False(device.HasExited);
        Assert.Equal(35, (int)(await c.SendCommandAsync(id, "unmute", null, TimeSpan.FromSeconds(30))).Body!["result"]!["volume"]!);

        CommandReply restart = await c.SendCommandAsync(id, "restart", new JsonObject { ["delaySeconds"] = 0 }, TimeSpan.FromSeconds(30));
        Assert.Equal("succeeded", restart.Status);
        await WaitStatus(c, id, o => (string?)o["state"] == "online" && (long)o["session"]! > second, StartTimeout);
        Assert.False(device.HasExited);
        Assert.Contains("restarting the simulated device in this process", device.Stderr, StringComparison.Ordinal);

        await device.TerminateAsync();
        Assert.Equal(0, await device.WaitForExitAsync(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public void A_restart_asked_for_on_a_device_exits_with_the_code_the_unit_restarts_on_and_a_plain_stop_exits_0()
    {
        Assert.Equal(ExitCodes.Restart, RoomDevice.Host.Cli.DeviceVerbs.AfterStop("restart command", simulate: false));
        Assert.Null(RoomDevice.Host.Cli.DeviceVerbs.AfterStop("restart command", simulate: true));
        Assert.Equal(ExitCodes.Ok, RoomDevice.Host.Cli.DeviceVerbs.AfterStop(null, simulate: false));
        Assert.Equal(ExitCodes.Ok, RoomDevice.Host.Cli.DeviceVerbs.AfterStop(null, simulate: true));
        Assert.NotEqual(ExitCodes.Config, ExitCodes.Restart);
    }

    [Fact]
    public async Task Killed_device_process_leaves_its_last_will_on_mosquitto_and_returns_with_a_higher_session()
    {
        Assert.True(File.Exists("/usr/sbin/mosquitto"), "mosquitto is not installed (scripts/deps.d/mqtt.txt)");
        using var t = new TempFolder(withShippedConfig: true);
        int port = int.Parse(SimulationArgs.FreeTcpPort(), CultureInfo.InvariantCulture);
        string conf = t.Write("mosquitto.conf", $"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\nuser root\nset_tcp_nodelay true\n");
        using DeviceProcess broker = DeviceProcess.Start("/usr/sbin/mosquitto", ["-c", conf]);
        string[] args = ["run", "--simulate", "--config", t.Config, "--set", $"Device:StateDirectory={t.State}",
            "--set", "Mqtt:Host=127.0.0.1", "--set", "Mqtt:Port=" + port, "--set", "Identity:DeviceId=rd-proc-kill"];
        await using FleetClient c = await ConnectWhenUp(port, broker);
        DeviceProcess device = DeviceProcess.StartRoomDevice(args);
        JsonObject online = await WaitStatus(c, "rd-proc-kill", o => (string?)o["state"] == "online", StartTimeout);
        long session = (long)online["session"]!;

        var kill = await DeviceProcess.RunAsync("kill", ["-KILL", device.Id.ToString(CultureInfo.InvariantCulture)], TimeSpan.FromSeconds(30));
        Assert.Equal(0, kill.ExitCode);
        JsonObject will = await WaitStatus(c, "rd-proc-kill", o => (string?)o["state"] == "offline", TimeSpan.FromSeconds(60));
        Assert.Equal(session, (long)will["session"]!);
        Assert.Equal("connection lost", (string?)will["reason"]);
        device.Dispose();

        using DeviceProcess again = DeviceProcess.StartRoomDevice(args);
        JsonObject back = await WaitStatus(c, "rd-proc-kill", o => (string?)o["state"] == "online" && (long)o["session"]! > session, StartTimeout);
        Assert.True((long)back["session"]! > (long)will["session"]!);
        await again.TerminateAsync();
        await again.WaitForExitAsync(TimeSpan.FromSeconds(30));
    }
}
