using RoomDevice.Core.Room;
using RoomDevice.Hardware.Leds;

namespace RoomDevice.Hardware.Tests.Leds;

public class LedPatternsTests
{
    [Theory]
    [InlineData(CallPhase.Idle, false, false, false, false, false, LedPattern.Idle)]
    [InlineData(CallPhase.Idle, true, false, false, false, false, LedPattern.IdleMuted)]
    [InlineData(CallPhase.Joining, true, false, false, false, false, LedPattern.Joining)]
    [InlineData(CallPhase.InCall, false, false, false, false, false, LedPattern.InCall)]
    [InlineData(CallPhase.InCall, true, false, false, false, false, LedPattern.Muted)]
    [InlineData(CallPhase.Leaving, false, false, false, false, false, LedPattern.Leaving)]
    [InlineData(CallPhase.InCall, true, true, false, false, false, LedPattern.Privacy)]
    [InlineData(CallPhase.InCall, true, true, false, false, true, LedPattern.Volume)]
    [InlineData(CallPhase.InCall, true, true, false, true, true, LedPattern.Error)]
    [InlineData(CallPhase.InCall, true, true, true, true, true, LedPattern.Identify)]
    public void Overlays_win_over_the_room_in_a_fixed_order(CallPhase phase, bool muted, bool privacy, bool identify, bool error, bool volume, LedPattern expected)
    {
        Assert.Equal(expected, new LedScene(phase, muted, privacy, 50, identify, error, volume).Pattern);
    }

    [Fact]
    public void Breath_runs_from_its_minimum_to_its_maximum_and_back_every_period()
    {
        Assert.Equal(LedPatterns.BreathMin, LedPatterns.Breath(TimeSpan.Zero), 6);
        Assert.Equal(LedPatterns.BreathMax, LedPatterns.Breath(LedPatterns.BreathPeriod / 2), 6);
        Assert.Equal(LedPatterns.BreathMin, LedPatterns.Breath(LedPatterns.BreathPeriod), 6);
    }

    [Fact]
    public void Spinner_heads_step_round_the_ring()
    {
        Assert.Equal(0, LedPatterns.SpinnerHead(TimeSpan.Zero, 12));
        Assert.Equal(6, LedPatterns.SpinnerHead(TimeSpan.FromMilliseconds(500), 12));
        Assert.Equal(0, LedPatterns.SpinnerHead(TimeSpan.FromMilliseconds(1000), 12));
        Assert.Equal(11, LedPatterns.SpinnerHead(TimeSpan.Zero, 12, forward: false));
        Assert.Equal(10, LedPatterns.SpinnerHead(TimeSpan.FromMilliseconds(90), 12, forward: false));
    }

    [Fact]
    public void A_ring_of_one_and_an_empty_ring_render()
    {
        var one = new Rgb[1];
        LedPatterns.Render(new LedScene(CallPhase.Joining, false, false, 50, false, false, false), TimeSpan.Zero, one);
        Assert.Equal(LedPatterns.CallColour, one[0]);
        LedPatterns.Render(new LedScene(CallPhase.Joining, false, false, 50, false, false, false), TimeSpan.Zero, Span<Rgb>.Empty);
        var bar = new Rgb[4];
        LedPatterns.Render(new LedScene(CallPhase.Idle, false, false, 0, false, false, true), TimeSpan.Zero, bar);
        Assert.All(bar, c => Assert.Equal(Rgb.Black, c));
    }

    [Fact]
    public void Colours_scale_and_print_as_hex()
    {
        Assert.Equal(new Rgb(128, 64, 0), new Rgb(255, 128, 0).Scale(0.5));
        Assert.Equal(Rgb.Black, new Rgb(255, 128, 0).Scale(-1));
        Assert.Equal("#ff8000", new Rgb(255, 128, 0).ToString());
        Assert.Equal(200, new Rgb(10, 200, 30).Peak);
    }
}
