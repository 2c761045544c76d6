using RoomDevice.Audio.Devices;
using RoomDevice.Audio.Pipeline;
using Xunit;

namespace RoomDevice.Audio.Tests.Pipeline;

public sealed class ChannelMapTests
{
    [Fact]
    public void Parses_microphones_reference_and_mix()
    {
        var m = ChannelMap.Parse("0, 1,2,3", 5, MicMix.First);
        Assert.Equal([0, 1, 2, 3], m.Microphones);
        Assert.Equal(5, m.ReferenceChannel);
        Assert.True(m.HasReference);
        Assert.Equal(5, m.HighestChannel);
        m.EnsureFits("hw:array", 6);
    }

    [Theory]
    [InlineData("0,x", "'x' is not a channel index")]
    [InlineData("", "no microphone channel")]
    [InlineData("0,0", "twice")]
    [InlineData("-1", "not a channel index")]
    public void Bad_lists_say_what_is_wrong(string text, string expected)
    {
        var e = Record.Exception(() => ChannelMap.Parse(text));
        Assert.NotNull(e);
        Assert.True(e is FormatException or ArgumentException);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Reference_cannot_also_be_a_microphone()
    {
        var e = Assert.Throws<ArgumentException>(() => ChannelMap.Parse("0,1", 1));
        Assert.Contains("both a microphone and the echo reference", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_map_wider_than_the_device_names_device_and_accepted_channels()
    {
        var e = Assert.Throws<AudioDeviceException>(() => ChannelMap.Parse("0,1,2,3", 7).EnsureFits("hw:CARD=seeed,DEV=0", 6));
        Assert.Contains("hw:CARD=seeed,DEV=0", e.Message, StringComparison.Ordinal);
        Assert.Contains("channel 7", e.Message, StringComparison.Ordinal);
        Assert.Contains("0 to 5", e.Message, StringComparison.Ordinal);
    }
}
