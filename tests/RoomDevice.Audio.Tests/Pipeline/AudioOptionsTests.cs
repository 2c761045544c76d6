using RoomDevice.Core.Options;
using Xunit;

namespace RoomDevice.Audio.Tests.Pipeline;

public sealed class AudioOptionsTests
{
    private static IReadOnlyList<ConfigIssue> Validate(AudioOptions o)
    {
        var v = new OptionsValidator("Audio", _ => "test.json");
        o.Validate(v);
        return v.Issues;
    }

    [Fact]
    public void Defaults_are_valid_and_describe_a_16k_engine_on_48k_devices()
    {
        var o = new AudioOptions();
        Assert.Empty(Validate(o));
        var s = o.ToSettings();
        Assert.Equal(48000, s.DeviceRate);
        Assert.Equal(16000, s.ProcessingRate);
    }

    [Fact]
    public void Each_bad_value_is_reported_with_its_key_and_what_is_accepted()
    {
        var o = new AudioOptions
        {
            DeviceSampleRate = 44100,
            CaptureChannels = 9,
            PlaybackChannels = 6,
            MicMix = "loud",
            BufferFrames = 100,
            RealtimePriority = 120,
        };
        var issues = Validate(o);
        string Find(string key) => Assert.Single(issues, i => i.Key == "Audio:" + key).ToString();
        Assert.Contains("16000 or 48000", Find("DeviceSampleRate"), StringComparison.Ordinal);
        Assert.Contains("1 to 8", Find("CaptureChannels"), StringComparison.Ordinal);
        Assert.Contains("1 (mono) or 2 (stereo)", Find("PlaybackChannels"), StringComparison.Ordinal);
        Assert.Contains("mono or first", Find("MicMix"), StringComparison.Ordinal);
        Assert.Contains("at least two periods (960)", Find("BufferFrames"), StringComparison.Ordinal);
        Assert.Contains("0 to 99", Find("RealtimePriority"), StringComparison.Ordinal);
        Assert.All(issues, i => Assert.Equal("test.json", i.Source));
    }

    [Fact]
    public void Microphone_channels_beyond_the_capture_channels_are_reported()
    {
        var o = new AudioOptions { CaptureChannels = 4, MicChannels = "0,1,2,3,4" };
        var issue = Assert.Single(Validate(o));
        Assert.Equal("Audio:MicChannels", issue.Key);
        Assert.Contains("0 to 3", issue.Accepted, StringComparison.Ordinal);
        var bad = Assert.Single(Validate(new AudioOptions { MicChannels = "a,b" }));
        Assert.Contains("'a' is not a channel index", bad.Problem, StringComparison.Ordinal);
    }
}
