using System.Text.Json.Nodes;
using RoomDevice.Fleet;
using RoomDevice.Management.Storage;
using RoomDevice.Management.Tests.Infrastructure;
using Spectre.Console;
using Xunit;

namespace RoomDevice.Management.Tests;

public sealed class RoomCtlTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    internal static async Task<(int Code, string Output)> Run(params string[] args)
    {
        var writer = new StringWriter();
        IAnsiConsole console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(writer),
        });
        console.Profile.Width = 200;
        int code = await RoomCtl.RunAsync(args, console);
        return (code, writer.ToString());
    }

    private static async Task RoundTripAgainst(int port)
    {
        string p = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        await using TestDevice claimed = new TestDevice(port, id: "rd-ctl-a" + Guid.NewGuid().ToString("N")[..4]).Start();
        await using TestDevice fresh = new TestDevice(port, id: "rd-ctl-b" + Guid.NewGuid().ToString("N")[..4], claimed: false).Start();
        await claimed.WaitConnectedAsync();
        await fresh.WaitConnectedAsync();
        await Task.Delay(500); // first health and state out

        var (code, devices) = await Run("devices", "--port", p);
        Assert.Equal(0, code);
        Assert.Contains(claimed.Id, devices, StringComparison.Ordinal);
        Assert.Contains("Test Room", devices, StringComparison.Ordinal);
        Assert.Contains(fresh.Id, devices, StringComparison.Ordinal);
        Assert.Contains("unclaimed", devices, StringComparison.Ordinal);
        Assert.Contains("online", devices, StringComparison.Ordinal);

        (code, string claim) = await Run("claim", "--port", p, "--code", fresh.Agent.ClaimCode, "--room", "Oslo 4.12", "--site", "HQ");
        Assert.True(code == 0, claim);
        Assert.Equal("Oslo 4.12", fresh.Agent.Assignment?.Room);

        (code, string cmd) = await Run("cmd", "volume", "--arg", "level=35", "--room", "Oslo 4.12", "--port", p);
        Assert.True(code == 0, cmd);
        Assert.Contains("succeeded", cmd, StringComparison.Ordinal);
        Assert.Equal(35, fresh.Room.State.Volume);
        Assert.Equal(50, claimed.Room.State.Volume);

        (code, string all) = await Run("cmd", "mute", "--all", "--port", p);
        Assert.True(code == 0, all);
        Assert.True(claimed.Room.State.Muted && fresh.Room.State.Muted);

        (code, string set) = await Run("config", "set", "Room:InitialVolume", "65", "--device", claimed.Id, "--port", p);
        Assert.True(code == 0, set);
        Assert.Contains("applied", set, StringComparison.Ordinal);
        Assert.Equal(1, claimed.Agent.AppliedConfigVersion);
        Assert.Equal(65, (int)JsonNode.Parse(File.ReadAllText(Path.Combine(claimed.StateDir, "applied-config.json")))!["Room"]!["InitialVolume"]!);

        (code, string bad) = await Run("config", "set", "Room:InitialVolume", "900", "--device", claimed.Id, "--port", p);
        Assert.Equal(1, code);
        Assert.Contains("rejected", bad, StringComparison.Ordinal);
        Assert.Contains("Room:InitialVolume", bad, StringComparison.Ordinal);
        Assert.Equal(1, claimed.Agent.AppliedConfigVersion);

        string file = Path.Combine(claimed.StateDir, "site-config.json");
        await File.WriteAllTextAsync(file, "{\"Room\":{\"InitialVolume\":40,\"VolumeStep\":10}}");
        (code, string apply) = await Run("config", "apply", file, "--device", claimed.Id, "--port", p);
        Assert.True(code == 0, apply);
        Assert.Equal(3, claimed.Agent.AppliedConfigVersion);

        (code, string get) = await Run("config", "get", "--device", claimed.Id, "--port", p);
        Assert.Equal(0, code);
        Assert.Contains("v3", get, StringComparison.Ordinal);
        (code, string getKey) = await Run("config", "get", "Room:VolumeStep", "--device", claimed.Id, "--port", p);
        Assert.Contains("10", getKey, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Roomctl_end_to_end_against_mosquitto()
    {
        await using Mosquitto broker = await Mosquitto.StartAsync();
        await RoundTripAgainst(broker.Port);
    }

    [Fact]
    public async Task Roomctl_end_to_end_against_the_embedded_broker()
    {
        await using EmbeddedBroker broker = await EmbeddedBroker.StartAsync();
        await RoundTripAgainst(broker.Port);
    }

    [Fact]
    public async Task Watch_shows_the_live_table_and_stops_after_the_given_time()
    {
        await using Mosquitto broker = await Mosquitto.StartAsync();
        await using TestDevice device = new TestDevice(broker.Port).Start();
        await device.WaitConnectedAsync();
        var (code, output) = await Run("watch", "--seconds", "1.5", "--port", broker.Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(0, code);
        Assert.Contains(device.Id, output, StringComparison.Ordinal);
        Assert.Contains("Test Room", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Command_to_an_offline_device_times_out_cleanly()
    {
        await using Mosquitto broker = await Mosquitto.StartAsync();
        var (code, output) = await Run("cmd", "identify", "--device", "rd-nobody-home", "--port", broker.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--timeout", "1");
        Assert.Equal(1, code);
        Assert.Contains("no answer", output, StringComparison.Ordinal);
        Assert.Contains("offline", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new[] { "cmd", "dance", "--all" }, "accepted: join, leave")]
    [InlineData(new[] { "cmd", "mute" }, "exactly one of --device")]
    [InlineData(new[] { "cmd", "mute", "--device", "Bad Id" }, "not a device id")]
    [InlineData(new[] { "cmd", "volume", "--arg", "level", "--all" }, "not KEY=VALUE")]
    [InlineData(new[] { "config", "set", "InitialVolume", "3", "--all" }, "Section:Key")]
    [InlineData(new[] { "config", "apply", "/nonexistent/file.json", "--all" }, "file not found")]
    [InlineData(new[] { "claim", "--code", "12", "--room", "A" }, "not a claim code")]
    [InlineData(new[] { "devices", "--port", "70000" }, "out of range")]
    public async Task Bad_command_lines_get_a_clear_error_and_exit_code_2(string[] args, string expected)
    {
        await using Mosquitto broker = await Mosquitto.StartAsync();
        string[] full = args.Contains("--port") ? args : [.. args, "--port", broker.Port.ToString(System.Globalization.CultureInfo.InvariantCulture)];
        var (code, output) = await Run(full);
        Assert.True(code == 2, output);
        Assert.Contains(expected, output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unreachable_broker_exits_3_with_the_address()
    {
        int port = EmbeddedBroker.FreePort();
        var (code, output) = await Run("devices", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(3, code);
        Assert.Contains($"127.0.0.1:{port}", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Config_apply_refuses_a_malformed_file_naming_the_problem()
    {
        await using Mosquitto broker = await Mosquitto.StartAsync();
        string file = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(file, "{\"Room\": 5}");
            var (code, output) = await Run("config", "apply", file, "--all", "--port", broker.Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal(2, code);
            Assert.Contains("section 'Room' must be a JSON object", output, StringComparison.Ordinal);
            await File.WriteAllTextAsync(file, "{\"Room\": {");
            (code, output) = await Run("config", "apply", file, "--all", "--port", broker.Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal(2, code);
            Assert.Contains("not valid JSON", output, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
