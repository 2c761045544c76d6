using System.Collections;
using System.Net.Sockets;
using System.Text;
using RoomDevice.Core.Diagnostics;
using RoomDevice.Core.Options;
using RoomDevice.Host.Cli;
using RoomDevice.Host.Composition;
using RoomDevice.Host.Configuration;
using RoomDevice.Host.Tests.Support;

namespace RoomDevice.Host.Tests.Configuration;

/// <summary>A bad fleet layer (applied-config.json) must not keep the room dark; the operator's own mistakes still stop start-up.</summary>
public class FleetLayerFallbackTests
{
    private static readonly OptionsSchema Schema = OptionsDiscovery.Schema();

    private const string LastGoodJson = """{ "Room": { "InitialVolume": 35 }, "Leds": { "Brightness": 12 } }""";

    private static DeviceConfiguration Load(TempFolder t) =>
        DeviceConfiguration.Load(Schema, new ConfigRequest(t.Config, true, [$"Device:StateDirectory={t.State}"]), new Hashtable { ["HOME"] = "/home/test" });

    private static TempFolder Device()
    {
        var t = new TempFolder();
        t.Write("config/site.json", """{ "Room": { "InitialVolume": 40 } }""");
        t.Write("config/boards/test-board.json", """{ "Buttons": { "Join": { "Pin": 6 } }, "Leds": { "Count": 8, "PowerPin": -1 } }""");
        t.Write("config/device.json", """{ "Device": { "Board": "test-board" } }""");
        return t;
    }

    private static string Applied(TempFolder t) => Path.Combine(t.State, DeviceConfiguration.AppliedConfigFile);

    private static string LastGood(TempFolder t) => Applied(t) + DeviceConfiguration.LastGoodSuffix;

    /// <summary>Every file of the folder with its bytes, to prove nothing was changed.</summary>
    private static Dictionary<string, string> Snapshot(TempFolder t) =>
        Directory.EnumerateFiles(t.Path, "*", SearchOption.AllDirectories)
            .ToDictionary(f => f, f => Convert.ToBase64String(File.ReadAllBytes(f)), StringComparer.Ordinal);

    [Fact]
    public void A_corrupt_fleet_layer_is_refused_and_the_last_good_copy_used_and_both_files_stay_as_they_were()
    {
        using TempFolder t = Device();
        t.Write("state/applied-config.json", "{ \"Room\": { \"InitialVolume\": 45 ");
        t.Write("state/applied-config.json.last-good", LastGoodJson);
        Dictionary<string, string> before = Snapshot(t);

        DeviceConfiguration c = Load(t);

        Assert.True(c.IsValid, string.Join("\n", c.Issues));
        FleetLayerFallback fb = Assert.IsType<FleetLayerFallback>(c.FleetFallback);
        Assert.Equal(LastGood(t), fb.UsedFile);
        RejectedFleetFile r = Assert.Single(fb.Rejected);
        Assert.Equal(Applied(t), r.Path);
        ConfigIssue i = Assert.Single(r.Issues);
        Assert.StartsWith(Applied(t) + ":", i.Source, StringComparison.Ordinal);
        Assert.Contains("not valid JSON", i.Problem, StringComparison.Ordinal);
        Assert.Equal(35, c.Evaluation.Get<RoomOptions>().InitialVolume);
        Assert.Equal(LastGood(t), c.Evaluation.SourceOf("Room:InitialVolume"));
        Assert.Contains(LastGood(t), c.Layers);
        Assert.DoesNotContain(Applied(t), c.Layers);
        Assert.Equal(before, Snapshot(t));
    }

    [Fact]
    public void A_fleet_layer_with_an_out_of_range_value_falls_back_and_names_the_key_and_the_file()
    {
        using TempFolder t = Device();
        t.Write("state/applied-config.json", """{ "Room": { "InitialVolume": 45 }, "Leds": { "Brightness": 99 } }""");
        t.Write("state/applied-config.json.last-good", LastGoodJson);
        Dictionary<string, string> before = Snapshot(t);

        DeviceConfiguration c = Load(t);

        Assert.True(c.IsValid, string.Join("\n", c.Issues));
        FleetLayerFallback fb = c.FleetFallback!;
        ConfigIssue i = Assert.Single(Assert.Single(fb.Rejected).Issues);
        Assert.Equal("Leds:Brightness", i.Key);
        Assert.Equal("99", i.Value);
        Assert.Equal(Applied(t), i.Source);
        Assert.Equal("a number from 1 to 31", i.Accepted);
        Assert.Equal(12, c.Evaluation.Get<RoomDevice.Hardware.Leds.LedOptions>().Brightness);
        Assert.Equal(35, c.Evaluation.Get<RoomOptions>().InitialVolume); // nothing of the refused file is used
        string described = fb.Describe();
        Assert.Contains(Applied(t), described, StringComparison.Ordinal);
        Assert.Contains("Leds:Brightness", described, StringComparison.Ordinal);
        Assert.Contains("last good copy " + LastGood(t), described, StringComparison.Ordinal);

        var report = new StringWriter();
        c.WriteReport(report);
        Assert.Contains($"Fleet layer {Applied(t)} refused (1 problem(s))", report.ToString(), StringComparison.Ordinal);
        Assert.Contains("Configuration is valid.", report.ToString(), StringComparison.Ordinal);
        Assert.Equal(before, Snapshot(t));
    }

    [Fact]
    public void When_the_last_good_copy_is_bad_too_the_device_starts_without_a_fleet_layer()
    {
        using TempFolder t = Device();
        t.Write("state/applied-config.json", "not json at all");
        t.Write("state/applied-config.json.last-good", """{ "Room": { "VolumeStep": 0 } }""");
        Dictionary<string, string> before = Snapshot(t);

        DeviceConfiguration c = Load(t);

        Assert.True(c.IsValid, string.Join("\n", c.Issues));
        FleetLayerFallback fb = c.FleetFallback!;
        Assert.Null(fb.UsedFile);
        Assert.Equal([Applied(t), LastGood(t)], fb.Rejected.Select(r => r.Path));
        ConfigIssue step = Assert.Single(fb.Rejected[1].Issues);
        Assert.Equal("Room:VolumeStep", step.Key);
        Assert.Equal(LastGood(t), step.Source);
        Assert.Equal(40, c.Evaluation.Get<RoomOptions>().InitialVolume);
        Assert.Equal(Path.Combine(t.Config, "site.json"), c.Evaluation.SourceOf("Room:InitialVolume"));
        Assert.DoesNotContain(c.Layers, l => l.StartsWith(t.State, StringComparison.Ordinal));
        Assert.Contains("running without the fleet layer", fb.Describe(), StringComparison.Ordinal);
        Assert.Equal(before, Snapshot(t));
    }

    [Fact]
    public void A_bad_fleet_layer_without_a_last_good_copy_is_left_out()
    {
        using TempFolder t = Device();
        t.Write("state/applied-config.json", "[1, 2]");
        DeviceConfiguration c = Load(t);
        Assert.True(c.IsValid, string.Join("\n", c.Issues));
        Assert.Null(c.FleetFallback!.UsedFile);
        Assert.Single(c.FleetFallback.Rejected);
        Assert.False(File.Exists(LastGood(t)));
    }

    [Fact]
    public void A_good_fleet_layer_is_used_with_no_fallback()
    {
        using TempFolder t = Device();
        t.Write("state/applied-config.json", """{ "Room": { "InitialVolume": 45 } }""");
        t.Write("state/applied-config.json.last-good", LastGoodJson);
        DeviceConfiguration c = Load(t);
        Assert.True(c.IsValid, string.Join("\n", c.Issues));
        Assert.Null(c.FleetFallback);
        Assert.Equal(45, c.Evaluation.Get<RoomOptions>().InitialVolume);
        Assert.Equal(Applied(t), c.Evaluation.SourceOf("Room:InitialVolume"));
    }

    [Fact]
    public async Task A_bad_device_file_still_stops_start_up_with_exit_78_and_the_fleet_files_are_untouched()
    {
        using TempFolder t = Device();
        t.Write("config/device.json", """{ "Device": { "Board": "test-board" }, "Leds": { "Brightness": 99 } }""");
        t.Write("state/applied-config.json", "{ broken");
        t.Write("state/applied-config.json.last-good", LastGoodJson);
        Dictionary<string, string> before = Snapshot(t);

        DeviceConfiguration c = Load(t);
        Assert.False(c.IsValid);
        Assert.Null(c.FleetFallback);
        Assert.Contains(c.Issues, i => i.Key == "Leds:Brightness" && i.Source == Path.Combine(t.Config, "device.json"));
        Assert.Contains(c.Issues, i => i.Source.StartsWith(Applied(t), StringComparison.Ordinal)); // every problem is listed

        int code = await DeviceVerbs.RunAsync(new ConfigRequest(t.Config, true, [$"Device:StateDirectory={t.State}"]));
        Assert.Equal(ExitCodes.Config, code);
        var (exit, output, _) = CliInvoker.Run("config", "check", "--simulate", "--config", t.Config, "--set", $"Device:StateDirectory={t.State}");
        Assert.Equal(ExitCodes.Config, exit);
        Assert.Contains("Leds:Brightness", output, StringComparison.Ordinal);
        Assert.Equal(before, Snapshot(t));
    }

    [Fact]
    public void The_configuration_row_is_degraded_with_the_reason_and_the_fleet_event_names_file_keys_and_fallback()
    {
        using TempFolder t = Device();
        t.Write("state/applied-config.json", """{ "Leds": { "Brightness": 99 } }""");
        t.Write("state/applied-config.json.last-good", LastGoodJson);
        DeviceConfiguration c = Load(t);

        ProbeResult row = new ConfigurationProbe(c).Probe();
        Assert.Equal(("configuration", true, ProbeStatus.Degraded), (row.Name, row.Required, row.Status));
        Assert.Contains(Applied(t), row.Detail, StringComparison.Ordinal);
        Assert.Contains("Leds:Brightness", row.Detail, StringComparison.Ordinal);

        var at = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);
        DeviceEvent e = FleetLayerFaultService.Event(c.FleetFallback!, at);
        Assert.Equal("fault.config", e.Kind);
        Assert.Equal(at, e.At);
        Assert.Equal(Applied(t), e.Data!["file"]);
        Assert.Equal("1", e.Data["issues"]);
        Assert.Equal("Leds:Brightness", e.Data["keys"]);
        Assert.Equal(LastGood(t), e.Data["fallback"]);
        Assert.Contains("a number from 1 to 31", e.Data["detail"], StringComparison.Ordinal);
    }
}

/// <summary>The whole device with a corrupt fleet layer: it starts, says so in its log and to the fleet, and leaves the files alone.</summary>
[Collection(DeviceProcessCollection.Name)]
public class FleetLayerFallbackRunTests
{
    [Fact]
    public async Task The_simulated_device_starts_on_the_last_good_copy_publishes_fault_config_and_keeps_the_files()
    {
        using var t = new TempFolder(withShippedConfig: true);
        string applied = Path.Combine(t.State, DeviceConfiguration.AppliedConfigFile);
        t.Write("state/applied-config.json", "{ \"Room\": ");
        t.Write("state/applied-config.json.last-good", """{ "Room": { "InitialVolume": 35 } }""");
        byte[] appliedBefore = File.ReadAllBytes(applied), lastGoodBefore = File.ReadAllBytes(applied + ".last-good");

        using DeviceProcess device = DeviceProcess.StartRoomDevice(["run", "--simulate", .. SimulationArgs.For(t)]);
        string sock = Path.Combine(t.State, "control.sock");
        var sw = System.Diagnostics.Stopwatch.StartNew();
        while (!File.Exists(sock) && !device.HasExited && sw.Elapsed < TimeSpan.FromSeconds(90))
        {
            await Task.Delay(100);
        }
        Assert.True(File.Exists(sock), $"the device did not come up\n{device.Stdout}\n{device.Stderr}");

        string events = "", state = "";
        using (var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            await s.ConnectAsync(new UnixDomainSocketEndPoint(sock));
            using var stream = new NetworkStream(s);
            using var reader = new StreamReader(stream, Encoding.UTF8);
            using var writer = new StreamWriter(stream, new UTF8Encoding(false)) { AutoFlush = true, NewLine = "\n" };
            async Task<string> Ask(string cmd)
            {
                await writer.WriteLineAsync(cmd);
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                return await reader.ReadLineAsync(cts.Token) ?? "";
            }
            state = await Ask("state");
            sw.Restart();
            while (!events.Contains("fault.config", StringComparison.Ordinal) && sw.Elapsed < TimeSpan.FromSeconds(60))
            {
                events = await Ask("events");
                await Task.Delay(200);
            }
        }
        await device.TerminateAsync();
        int? code = await device.WaitForExitAsync(TimeSpan.FromSeconds(10));

        Assert.Contains("\"volume\":35", state, StringComparison.Ordinal);
        Assert.Contains("fault.config", events, StringComparison.Ordinal);
        Assert.Equal(0, code);
        Assert.Contains($"Fleet layer {applied} refused", device.Stderr, StringComparison.Ordinal);
        Assert.Contains("running on the last good copy", device.Stderr, StringComparison.Ordinal);
        Assert.Equal(appliedBefore, File.ReadAllBytes(applied));
        Assert.Equal(lastGoodBefore, File.ReadAllBytes(applied + ".last-good"));
    }
}
