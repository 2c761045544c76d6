using RoomDevice.Audio.Devices;
using RoomDevice.Audio.Pipeline;
using RoomDevice.Hardware.Audio;
using Xunit;

namespace RoomDevice.Hardware.Tests.Audio;

public sealed class SoundCheckTests
{
    [Fact]
    public void Sound_check_on_null_devices_runs_for_its_duration_and_reports_counters()
    {
        var output = new StringWriter();
        SoundCheckResult r = SoundCheck.Run(new SoundCheckSettings
        {
            Capture = new AlsaPcmSettings { Name = "null", Channels = 6, PaceInRealTime = true },
            Playback = new AlsaPcmSettings { Name = "null", Channels = 2, PaceInRealTime = true },
            Map = ChannelMap.Parse("0,1,2,3", 5),
            Duration = TimeSpan.FromSeconds(1.2),
        }, output, CancellationToken.None);
        string text = output.ToString();
        Assert.True(r.Ticks >= 60, text);
        Assert.Equal(0, r.CaptureXruns);
        Assert.Contains("capture 'null' 48000 Hz x 6 ch", text, StringComparison.Ordinal);
        Assert.Contains("mics 0,1,2,3 (mono), reference 5", text, StringComparison.Ordinal);
        Assert.Contains("1.0 s  mic", text, StringComparison.Ordinal);
        Assert.Contains("done: ", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Sound_check_refuses_a_map_wider_than_the_device_before_opening_anything()
    {
        var e = Assert.Throws<AudioDeviceException>(() => SoundCheck.Run(new SoundCheckSettings
        {
            Capture = new AlsaPcmSettings { Name = "null", Channels = 2 },
            Playback = new AlsaPcmSettings { Name = "null", Channels = 2 },
            Map = ChannelMap.Parse("0,1,2,3"),
        }, TextWriter.Null, CancellationToken.None));
        Assert.Contains("capture device 'null' has 2 channel(s)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Device_table_lists_names_directions_and_one_line_descriptions()
    {
        string table = SoundCheck.FormatDeviceList([new AlsaPcmInfo("hw:CARD=x,DEV=0", "Array\nUSB Audio", true, false), new AlsaPcmInfo("null", "Discard", true, true)]);
        string[] lines = table.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.StartsWith("NAME", lines[0], StringComparison.Ordinal);
        Assert.Contains("hw:CARD=x,DEV=0  capture", lines[1], StringComparison.Ordinal);
        Assert.Contains("Array USB Audio", lines[1], StringComparison.Ordinal);
        Assert.Contains("capture+playback", lines[2], StringComparison.Ordinal);
    }
}
