using System.Collections;
using RoomDevice.Core.Options;
using RoomDevice.Hardware.Buttons;
using RoomDevice.Hardware.Leds;
using RoomDevice.Host.Configuration;
using RoomDevice.Host.Tests.Support;

namespace RoomDevice.Host.Tests.Configuration;

public class DeviceConfigurationTests
{
    private static readonly OptionsSchema Schema = OptionsDiscovery.Schema();

    private static Hashtable Env(params (string Key, string Value)[] vars)
    {
        var h = new Hashtable { ["HOME"] = "/home/test" };
        foreach (var (k, v) in vars)
        {
            h[k] = v;
        }
        return h;
    }

    private static DeviceConfiguration Load(TempFolder t, IDictionary? env = null, bool simulate = true, params string[] sets) =>
        DeviceConfiguration.Load(Schema, new ConfigRequest(t.Config, simulate, [$"Device:StateDirectory={t.State}", .. sets]), env ?? Env());

    private static TempFolder Layers()
    {
        var t = new TempFolder();
        t.Write("config/site.json", """{ "Room": { "InitialVolume": 40, "VolumeStep": 4 }, "Buttons": { "DebounceMs": 20, "LongPressMs": 2000 } }""");
        t.Write("config/boards/test-board.json", """{ "Buttons": { "DebounceMs": 25, "Join": { "Pin": 6 } }, "Leds": { "Count": 8, "PowerPin": -1 } }""");
        t.Write("config/device.json", """{ "Device": { "Board": "test-board" }, "Buttons": { "LongPressMs": 2500 }, "Leds": { "Count": 6 } }""");
        t.Write("state/applied-config.json", """{ "Room": { "InitialVolume": 45 }, "Leds": { "Brightness": 20 } }""");
        return t;
    }

    [Fact]
    public void Every_layer_overrides_the_one_below_and_is_named_as_the_source()
    {
        using TempFolder t = Layers();
        DeviceConfiguration c = Load(t, Env(("RoomDevice__Leds__Brightness", "22"), ("ROOMDEVICE__Room__VolumeStep", "6")), true, "Room:VolumeStep=7");
        Assert.True(c.IsValid, string.Join("\n", c.Issues));
        ConfigEvaluation e = c.Evaluation;
        string cfg = t.Config;
        Assert.Equal(6, e.Get<ButtonOptions>().Join.Pin);
        Assert.Equal(Path.Combine(cfg, "boards", "test-board.json"), e.SourceOf("Buttons:Join:Pin"));
        Assert.Equal(25, e.Get<ButtonOptions>().DebounceMs);                          // board over site
        Assert.Equal(2500, e.Get<ButtonOptions>().LongPressMs);                       // device over site
        Assert.Equal(Path.Combine(cfg, "device.json"), e.SourceOf("Buttons:LongPressMs"));
        Assert.Equal(6, e.Get<LedOptions>().Count);                                   // device over board
        Assert.Equal(45, e.Get<RoomOptions>().InitialVolume);                         // applied over site
        Assert.Equal(Path.Combine(t.State, "applied-config.json"), e.SourceOf("Room:InitialVolume"));
        Assert.Equal(22, e.Get<LedOptions>().Brightness);                             // environment over applied
        Assert.Equal("environment RoomDevice__Leds__Brightness", e.SourceOf("Leds:Brightness"));
        Assert.Equal(7, e.Get<RoomOptions>().VolumeStep);                             // command line over environment
        Assert.Equal("command line --set Room:VolumeStep", e.SourceOf("Room:VolumeStep"));
        Assert.Equal(ConfigEngine.DefaultSource, e.SourceOf("Buttons:DoublePressMs"));
        Assert.Equal(t.State, c.StateDirectory);
        Assert.Equal(Path.Combine(cfg, "boards", "test-board.json"), c.BoardFile);
        Assert.Equal(ConfigEngine.DefaultSource, c.Layers[0]);
        Assert.EndsWith("site.json", c.Layers[1], StringComparison.Ordinal);
        Assert.EndsWith("test-board.json", c.Layers[2], StringComparison.Ordinal);
        Assert.EndsWith("device.json", c.Layers[3], StringComparison.Ordinal);
        Assert.EndsWith("applied-config.json", c.Layers[4], StringComparison.Ordinal);
    }

    [Fact]
    public void The_shipped_configuration_is_valid_for_both_board_profiles()
    {
        using var t = new TempFolder(withShippedConfig: true);
        DeviceConfiguration respeaker = Load(t);
        Assert.True(respeaker.IsValid, string.Join("\n", respeaker.Issues));
        Assert.Equal(17, respeaker.Evaluation.Get<ButtonOptions>().Join.Pin);
        LedOptions ring = respeaker.Evaluation.Get<LedOptions>();
        Assert.Equal((LedDriverKind.Apa102, 12, 0, 1, 5), (ring.Driver, ring.Count, ring.SpiBus, ring.SpiChipSelect, ring.PowerPin));

        DeviceConfiguration generic = Load(t, null, true, "Device:Board=generic-gpio");
        Assert.True(generic.IsValid, string.Join("\n", generic.Issues));
        Assert.Equal(LedDriverKind.Gpio, generic.Evaluation.Get<LedOptions>().Driver);
        Assert.Equal(4, generic.Evaluation.Get<LedOptions>().GpioPins.Count);
        Assert.Equal(27, generic.Evaluation.Get<ButtonOptions>().Mute.Pin);
    }

    [Fact]
    public void A_bad_value_in_a_file_names_the_file_the_key_the_value_and_what_is_accepted()
    {
        using TempFolder t = Layers();
        t.Write("config/device.json", """{ "Device": { "Board": "test-board" }, "Buttons": { "DebounceMs": "fast" } }""");
        ConfigIssue i = Assert.Single(Load(t).Issues);
        Assert.Equal(Path.Combine(t.Config, "device.json"), i.Source);
        Assert.Equal("Buttons:DebounceMs", i.Key);
        Assert.Equal("fast", i.Value);
        Assert.Contains("whole number", i.Accepted, StringComparison.Ordinal);
    }

    [Fact]
    public void An_out_of_range_value_from_the_environment_names_the_variable()
    {
        using TempFolder t = Layers();
        ConfigIssue i = Assert.Single(Load(t, Env(("RoomDevice__Leds__Brightness", "99"))).Issues);
        Assert.Equal("environment RoomDevice__Leds__Brightness", i.Source);
        Assert.Equal("Leds:Brightness", i.Key);
        Assert.Equal("a number from 1 to 31", i.Accepted);
    }

    [Fact]
    public void An_unknown_key_in_the_applied_config_is_reported_and_the_fleet_layer_refused()
    {
        using TempFolder t = Layers();
        t.Write("state/applied-config.json", """{ "Room": { "Loudness": 3 } }""");
        DeviceConfiguration c = Load(t);
        Assert.True(c.IsValid, string.Join("\n", c.Issues));
        RejectedFleetFile r = Assert.Single(c.FleetFallback!.Rejected);
        ConfigIssue i = Assert.Single(r.Issues);
        Assert.Equal("Room:Loudness", i.Key);
        Assert.Equal(Path.Combine(t.State, "applied-config.json"), i.Source);
        Assert.Equal("unknown key", i.Problem);
    }

    [Fact]
    public void Broken_json_names_the_file_and_line()
    {
        using TempFolder t = Layers();
        t.Write("config/site.json", "{\n  \"Room\": {\n    \"InitialVolume\": 40\n  \n}\n");
        ConfigIssue i = Assert.Single(Load(t).Issues);
        Assert.StartsWith(Path.Combine(t.Config, "site.json") + ":", i.Source, StringComparison.Ordinal);
        Assert.Contains("not valid JSON", i.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_board_profile_lists_the_profiles_there_are()
    {
        using TempFolder t = Layers();
        ConfigIssue i = Assert.Single(Load(t, null, true, "Device:Board=pi-zero").Issues);
        Assert.Equal("Device:Board", i.Key);
        Assert.Equal("pi-zero", i.Value);
        Assert.Equal("command line --set Device:Board", i.Source);
        Assert.Equal("one of: test-board", i.Accepted);
    }

    [Fact]
    public void Missing_site_and_device_files_are_fine_but_a_missing_folder_is_a_usage_error()
    {
        using var t = new TempFolder();
        t.Write("config/boards/respeaker-4mic-hat.json", "{}");
        Assert.True(Load(t).IsValid);
        var ex = Assert.Throws<UsageException>(() => DeviceConfiguration.Load(Schema, new ConfigRequest(Path.Combine(t.Path, "nope"), true, []), Env()));
        Assert.Contains("does not exist", ex.Message, StringComparison.Ordinal);
        Assert.Contains("site.json", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("DebounceMs=40")]
    [InlineData("Buttons:DebounceMs")]
    [InlineData("=40")]
    [InlineData("Buttons::DebounceMs=4")]
    public void A_set_that_is_not_section_key_value_is_a_usage_error(string text)
    {
        var ex = Assert.Throws<UsageException>(() => DeviceConfiguration.ParseOverride(text));
        Assert.Contains("Section:Key=value", ex.Message, StringComparison.Ordinal);
        Assert.Contains(text, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_set_value_may_contain_equals_signs()
    {
        Assert.Equal(("Device:Name", "a=b"), DeviceConfiguration.ParseOverride("Device:Name=a=b"));
    }

    [Fact]
    public void The_state_folder_defaults_follow_systemd_then_device_then_user()
    {
        Assert.Equal("/x/y", DeviceConfiguration.ResolveStateDirectory("/x/y", false, Env(("STATE_DIRECTORY", "/var/lib/roomdevice"))));
        Assert.Equal("/var/lib/roomdevice", DeviceConfiguration.ResolveStateDirectory("", true, Env(("STATE_DIRECTORY", "/var/lib/roomdevice:/var/lib/other"))));
        Assert.Equal(DeviceConfiguration.SystemStateDirectory, DeviceConfiguration.ResolveStateDirectory("", false, Env()));
        Assert.Equal("/home/test/.local/state/roomdevice-sim", DeviceConfiguration.ResolveStateDirectory("", true, Env()));
        Assert.Equal("/xdg/roomdevice-sim", DeviceConfiguration.ResolveStateDirectory("", true, Env(("XDG_STATE_HOME", "/xdg"))));
    }

    [Fact]
    public void The_report_shows_every_value_with_its_source_and_hides_secrets()
    {
        using TempFolder t = Layers();
        DeviceConfiguration c = Load(t, Env(("RoomDevice__Mqtt__Password", "hunter2")));
        var w = new StringWriter();
        c.WriteReport(w);
        string text = w.ToString();
        Assert.Contains("Buttons:Join:Pin", text, StringComparison.Ordinal);
        Assert.Contains("= 6    <- " + Path.Combine(t.Config, "boards", "test-board.json"), text, StringComparison.Ordinal);
        Assert.Contains("<- built-in default", text, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", text, StringComparison.Ordinal);
        Assert.Matches(@"Mqtt:Password\s+= \*{8}\s+<- environment RoomDevice__Mqtt__Password", text);
    }

    [Fact]
    public void Options_are_discovered_in_every_device_assembly()
    {
        string[] names = [.. Schema.Sections.Select(s => s.Name)];
        Assert.Contains("Buttons", names);
        Assert.Contains("Leds", names);
        Assert.Contains("Room", names);
        Assert.Contains("Device", names);
        Assert.Contains("Identity", names);
        Assert.Contains("Logging", names);
        Assert.Contains(OptionsDiscovery.Assemblies, a => a.GetName().Name == "RoomDevice.Hardware");
        Assert.DoesNotContain(OptionsDiscovery.Assemblies, a => a.GetName().Name!.EndsWith(".Tests", StringComparison.Ordinal));
    }
}
