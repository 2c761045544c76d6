using Microsoft.Extensions.Time.Testing;
using RoomDevice.Hardware.Buttons;

namespace RoomDevice.Hardware.Tests.Buttons;

public class ButtonGestureDetectorTests
{
    private static readonly ButtonTimings Timings = new(TimeSpan.FromMilliseconds(30), TimeSpan.FromMilliseconds(1500), TimeSpan.FromMilliseconds(350));

    private sealed class Rig : IDisposable
    {
        public FakeTimeProvider Time { get; } = new();
        public ButtonGestureDetector Detector { get; }
        public List<(ButtonGesture Gesture, TimeSpan At)> Seen { get; } = [];
        private readonly DateTimeOffset _start;

        public Rig(bool doublePress, ButtonTimings? timings = null)
        {
            _start = Time.GetUtcNow();
            Detector = new ButtonGestureDetector(Time, timings ?? Timings, doublePress);
            Detector.Gesture += g => Seen.Add((g, Time.GetUtcNow() - _start));
        }

        // FakeTimeProvider runs due timers at the end of one Advance, so time moves in 1 ms steps
        // for timers set from inside other timers' callbacks to start at the right instant.
        public void Ms(int ms)
        {
            for (int i = 0; i < ms; i++)
            {
                Time.Advance(TimeSpan.FromMilliseconds(1));
            }
        }

        public void Contact(bool pressed) => Detector.OnContact(pressed);

        /// <summary>A clean press held for <paramref name="holdMs"/>.</summary>
        public void Press(int holdMs)
        {
            Contact(true);
            Ms(holdMs);
            Contact(false);
        }

        public void Dispose() => Detector.Dispose();
    }

    [Fact]
    public void A_short_press_is_reported_once_the_release_has_settled()
    {
        using var r = new Rig(doublePress: false);
        r.Press(200);
        Assert.Empty(r.Seen);
        r.Ms(29);
        Assert.Empty(r.Seen);
        r.Ms(1);
        var (g, at) = Assert.Single(r.Seen);
        Assert.Equal(ButtonGesture.Press, g);
        Assert.Equal(TimeSpan.FromMilliseconds(230), at);
    }

    [Fact]
    public void Contact_bounce_within_the_debounce_time_counts_as_one_press()
    {
        using var r = new Rig(doublePress: false);
        // Closing bounces for 12 ms, opening bounces for 8 ms.
        foreach (bool level in new[] { true, false, true, false, true })
        {
            r.Contact(level);
            r.Ms(3);
        }
        r.Ms(200);
        Assert.True(r.Detector.IsPressed);
        foreach (bool level in new[] { false, true, false, true, false })
        {
            r.Contact(level);
            r.Ms(2);
        }
        r.Ms(100);
        Assert.Equal([ButtonGesture.Press], r.Seen.Select(s => s.Gesture));
        Assert.False(r.Detector.IsPressed);
    }

    [Fact]
    public void A_blip_shorter_than_the_debounce_time_is_ignored()
    {
        using var r = new Rig(doublePress: false);
        r.Press(20);
        r.Ms(1000);
        Assert.Empty(r.Seen);
        Assert.False(r.Detector.IsPressed);
    }

    [Fact]
    public void A_long_press_fires_while_still_held_and_the_release_adds_nothing()
    {
        using var r = new Rig(doublePress: false);
        r.Contact(true);
        r.Ms(30 + 1499);
        Assert.Empty(r.Seen);
        r.Ms(1);
        var (g, at) = Assert.Single(r.Seen);
        Assert.Equal(ButtonGesture.LongPress, g);
        Assert.Equal(TimeSpan.FromMilliseconds(1530), at);
        Assert.True(r.Detector.IsPressed);
        r.Ms(3000);
        r.Contact(false);
        r.Ms(1000);
        Assert.Single(r.Seen);
    }

    [Fact]
    public void Two_presses_within_the_gap_are_one_double_press()
    {
        using var r = new Rig(doublePress: true);
        r.Press(100);
        r.Ms(150);
        r.Press(100);
        r.Ms(1000);
        Assert.Equal([ButtonGesture.DoublePress], r.Seen.Select(s => s.Gesture));
    }

    [Fact]
    public void With_double_press_detection_a_single_press_waits_for_the_gap()
    {
        using var r = new Rig(doublePress: true);
        r.Press(100);
        r.Ms(30 + 349);
        Assert.Empty(r.Seen);
        r.Ms(1);
        var (g, at) = Assert.Single(r.Seen);
        Assert.Equal(ButtonGesture.Press, g);
        Assert.Equal(TimeSpan.FromMilliseconds(100 + 30 + 350), at);
    }

    [Fact]
    public void Presses_further_apart_than_the_gap_are_two_single_presses()
    {
        using var r = new Rig(doublePress: true);
        r.Press(100);
        r.Ms(600);
        r.Press(100);
        r.Ms(600);
        Assert.Equal([ButtonGesture.Press, ButtonGesture.Press], r.Seen.Select(s => s.Gesture));
    }

    [Fact]
    public void Without_double_press_detection_two_quick_presses_are_two_presses()
    {
        using var r = new Rig(doublePress: false);
        r.Press(100);
        r.Ms(100);
        r.Press(100);
        r.Ms(100);
        Assert.Equal([ButtonGesture.Press, ButtonGesture.Press], r.Seen.Select(s => s.Gesture));
    }

    [Fact]
    public void A_second_press_held_long_is_a_long_press_not_a_double()
    {
        using var r = new Rig(doublePress: true);
        r.Press(100);
        r.Ms(100);
        r.Contact(true);
        r.Ms(2000);
        r.Contact(false);
        r.Ms(1000);
        Assert.Equal([ButtonGesture.LongPress], r.Seen.Select(s => s.Gesture));
    }

    [Fact]
    public void Timings_come_from_configuration()
    {
        using var r = new Rig(doublePress: false, new ButtonTimings(TimeSpan.FromMilliseconds(5), TimeSpan.FromMilliseconds(400), TimeSpan.FromMilliseconds(200)));
        r.Contact(true);
        r.Ms(404);
        Assert.Empty(r.Seen);
        r.Ms(1);
        Assert.Equal([ButtonGesture.LongPress], r.Seen.Select(s => s.Gesture));
    }

    [Fact]
    public void Zero_debounce_commits_each_level_at_once()
    {
        using var r = new Rig(doublePress: false, new ButtonTimings(TimeSpan.Zero, TimeSpan.FromMilliseconds(400), TimeSpan.FromMilliseconds(200)));
        r.Contact(true);
        Assert.True(r.Detector.IsPressed);
        r.Contact(false);
        Assert.Equal([ButtonGesture.Press], r.Seen.Select(s => s.Gesture));
    }

    [Fact]
    public void Down_is_raised_when_the_press_settles_long_before_the_gesture_is_known()
    {
        using var r = new Rig(doublePress: true);
        var downs = new List<TimeSpan>();
        DateTimeOffset start = r.Time.GetUtcNow();
        r.Detector.Down += () => downs.Add(r.Time.GetUtcNow() - start);
        r.Contact(true);
        r.Ms(29);
        Assert.Empty(downs);
        r.Ms(1);
        Assert.Equal([TimeSpan.FromMilliseconds(30)], downs);
        Assert.Empty(r.Seen);
        r.Ms(70);
        r.Contact(false);
        r.Ms(500);
        Assert.Single(downs);
        Assert.Equal([ButtonGesture.Press], r.Seen.Select(x => x.Gesture));
    }
}
