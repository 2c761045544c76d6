using RoomDevice.Host.Tests.Support;

namespace RoomDevice.Host.Tests.Cli;

public class CliTests
{
    [Fact]
    public async Task Version_prints_the_product_version()
    {
        ProcessResult r = await DeviceProcess.RunRoomDeviceAsync(["--version"]);
        Assert.Equal(0, r.ExitCode);
        Assert.StartsWith("0.1.0", r.Stdout.Trim(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Config_check_prints_effective_values_with_sources()
    {
        using var t = new TempFolder(withShippedConfig: true);
        ProcessResult r = await DeviceProcess.RunRoomDeviceAsync(["config", "check", "--config", t.Config, "--set", $"Device:StateDirectory={t.State}", "--set", "Room:InitialVolume=35"],
            new Dictionary<string, string> { ["RoomDevice__Buttons__DebounceMs"] = "45" });
        Assert.True(r.ExitCode == 0, r.All);
        Assert.Contains("Room:InitialVolume", r.Stdout, StringComparison.Ordinal);
        Assert.Matches(@"Room:InitialVolume\s+= 35\s+<- command line --set Room:InitialVolume", r.Stdout);
        Assert.Matches(@"Buttons:DebounceMs\s+= 45\s+<- environment RoomDevice__Buttons__DebounceMs", r.Stdout);
        Assert.Matches(@"Buttons:Join:Pin\s+= 17\s+<- .*respeaker-4mic-hat\.json", r.Stdout);
        Assert.Matches(@"Leds:FrameRateHz\s+= 25\s+<- built-in default", r.Stdout);
        Assert.Contains("Configuration is valid.", r.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Config_check_of_a_bad_value_exits_78_naming_file_key_value_and_what_is_accepted()
    {
        using var t = new TempFolder(withShippedConfig: true);
        string device = t.Write("config/device.json", """{ "Device": { "Board": "respeaker-4mic-hat" }, "Leds": { "FrameRateHz": 500 } }""");
        ProcessResult r = await DeviceProcess.RunRoomDeviceAsync(["config", "check", "--config", t.Config, "--set", $"Device:StateDirectory={t.State}"]);
        Assert.Equal(78, r.ExitCode);
        Assert.Contains($"{device}: Leds:FrameRateHz = '500': out of range; accepted: a number from 1 to 100", r.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_with_a_bad_value_does_not_start_and_says_why()
    {
        using var t = new TempFolder(withShippedConfig: true);
        ProcessResult r = await DeviceProcess.RunRoomDeviceAsync(["run", "--simulate", "--config", t.Config, "--set", $"Device:StateDirectory={t.State}", "--set", "Buttons:Join:Press=Jump"]);
        Assert.Equal(78, r.ExitCode);
        Assert.Contains("configuration rejected", r.Stderr, StringComparison.Ordinal);
        Assert.Contains("command line --set Buttons:Join:Press: Buttons:Join:Press = 'Jump': not a valid choice; accepted: one of: None, Join, Leave, JoinOrLeave, ToggleMute, VolumeUp, VolumeDown", r.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(t.State, "control.sock")));
    }

    [Fact]
    public async Task An_unknown_key_stops_start_up()
    {
        using var t = new TempFolder(withShippedConfig: true);
        ProcessResult r = await DeviceProcess.RunRoomDeviceAsync(["run", "--simulate", "--config", t.Config, "--set", $"Device:StateDirectory={t.State}"],
            new Dictionary<string, string> { ["RoomDevice__Buttons__Debounce"] = "10" });
        Assert.Equal(78, r.ExitCode);
        Assert.Contains("environment RoomDevice__Buttons__Debounce: Buttons:Debounce = '10': unknown key; accepted: keys of Buttons:", r.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new[] { "run", "--simulat" }, "--simulat")]
    [InlineData(new[] { "frobnicate" }, "frobnicate")]
    [InlineData(new[] { "config", "chek" }, "chek")]
    [InlineData(new[] { "run", "--config" }, "--config")]
    public async Task Unknown_verbs_and_options_are_refused_by_name(string[] args, string named)
    {
        ProcessResult r = await DeviceProcess.RunRoomDeviceAsync(args);
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains(named, r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_malformed_set_is_refused_with_the_accepted_form()
    {
        ProcessResult r = await DeviceProcess.RunRoomDeviceAsync(["config", "check", "--set", "DebounceMs=40"]);
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("--set 'DebounceMs=40': not a setting; accepted: Section:Key=value", r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_config_folder_that_does_not_exist_is_a_usage_error()
    {
        ProcessResult r = await DeviceProcess.RunRoomDeviceAsync(["config", "check", "--config", "/nonexistent/roomdevice"]);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--config: the folder '/nonexistent/roomdevice' does not exist", r.Stderr, StringComparison.Ordinal);
    }
}
