using RoomDevice.Hardware.Buttons;

namespace RoomDevice.Host.Tests.Hardware;

/// <summary>
/// On a loaded machine timers run late. The simulated double press (two 120 ms presses 80 ms apart)
/// must still be one double press when the debounce timer of the release between them has not run
/// by the time the second press arrives.
/// </summary>
public class ButtonsOnALoadedMachineTests
{
    /// <summary>A clock moved by hand whose timers run only when told to, as late as a test likes.</summary>
    private sealed class LateTimers : TimeProvider
    {
        private readonly List<Timer> _timers = [];
        private long _now;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => _now;

        public void Advance(int ms) => _now += TimeSpan.FromMilliseconds(ms).Ticks;

        /// <summary>Runs every timer that is due now (the late timer callbacks finally getting a thread).</summary>
        public void RunDue()
        {
            while (_timers.FirstOrDefault(t => t.Due <= _now) is { } t)
            {
                t.Due = long.MaxValue;
                t.Callback(t.State);
            }
        }

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            var t = new Timer(this, callback, state);
            t.Change(dueTime, period);
            _timers.Add(t);
            return t;
        }

        private sealed class Timer(LateTimers owner, TimerCallback callback, object? state) : ITimer
        {
            public long Due { get; set; } = long.MaxValue;

            public TimerCallback Callback => callback;

            public object? State => state;

            public bool Change(TimeSpan dueTime, TimeSpan period)
            {
                Due = dueTime == Timeout.InfiniteTimeSpan ? long.MaxValue : owner._now + dueTime.Ticks;
                return true;
            }

            public void Dispose() => Due = long.MaxValue;

            public ValueTask DisposeAsync()
            {
                Dispose();
                return ValueTask.CompletedTask;
            }
        }
    }

    private static readonly ButtonTimings Timings = new(TimeSpan.FromMilliseconds(30), TimeSpan.FromMilliseconds(1500), TimeSpan.FromMilliseconds(1000));

    [Fact]
    public void A_double_press_stays_a_double_press_when_the_release_debounce_timer_runs_late()
    {
        var time = new LateTimers();
        using var d = new ButtonGestureDetector(time, Timings, detectDoublePress: true);
        var gestures = new List<ButtonGesture>();
        d.Gesture += gestures.Add;

        d.OnContact(true);
        time.Advance(120);
        time.RunDue();
        Assert.True(d.IsPressed);
        d.OnContact(false);
        time.Advance(80);          // the release held 80 ms, but its debounce timer has not run
        d.OnContact(true);
        Assert.False(d.IsPressed);  // the release counted when the second press arrived
        time.Advance(120);
        time.RunDue();
        d.OnContact(false);
        time.Advance(40);
        time.RunDue();
        time.Advance(1100);         // past the double-press gap: nothing more may follow
        time.RunDue();

        Assert.Equal([ButtonGesture.DoublePress], gestures);
    }

    [Fact]
    public void Contact_bounce_shorter_than_the_debounce_time_is_still_ignored_when_timers_run_late()
    {
        var time = new LateTimers();
        using var d = new ButtonGestureDetector(time, Timings, detectDoublePress: false);
        var gestures = new List<ButtonGesture>();
        d.Gesture += gestures.Add;

        d.OnContact(true);
        time.Advance(5);
        d.OnContact(false);        // bounce: 5 ms is no press
        time.Advance(5);
        d.OnContact(true);
        time.Advance(10);
        d.OnContact(false);        // 10 ms: still a bounce
        time.Advance(100);
        time.RunDue();

        Assert.Empty(gestures);
        Assert.False(d.IsPressed);
    }
}
