using RoomDevice.Core.Room;

namespace RoomDevice.Core.Tests;

public class RoomStateMachineTests
{
    private const string Target = "sip:room@example.org";

    private static RoomStateMachine In(CallPhase phase)
    {
        var m = new RoomStateMachine(50, 5);
        if (phase == CallPhase.Idle)
        {
            return m;
        }
        Assert.True(m.Handle(new JoinRequested(Target)).Accepted);
        if (phase == CallPhase.Joining)
        {
            return m;
        }
        Assert.True(m.Handle(new CallConnected()).Accepted);
        if (phase == CallPhase.InCall)
        {
            return m;
        }
        Assert.True(m.Handle(new LeaveRequested()).Accepted);
        Assert.Equal(CallPhase.Leaving, m.State.Phase);
        return m;
    }

    private static RoomEvent Make(string name) => name switch
    {
        "join" => new JoinRequested(Target),
        "leave" => new LeaveRequested(),
        "connected" => new CallConnected(),
        "failed" => new CallFailed("busy"),
        "ended" => new CallEnded("hung up"),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    // Every phase x every call event: accepted?, phase afterwards (null = unchanged, refused).
    public static TheoryData<CallPhase, string, bool, CallPhase> Transitions => new()
    {
        { CallPhase.Idle, "join", true, CallPhase.Joining },
        { CallPhase.Idle, "leave", false, CallPhase.Idle },
        { CallPhase.Idle, "connected", false, CallPhase.Idle },
        { CallPhase.Idle, "failed", false, CallPhase.Idle },
        { CallPhase.Idle, "ended", false, CallPhase.Idle },
        { CallPhase.Joining, "join", false, CallPhase.Joining },
        { CallPhase.Joining, "leave", true, CallPhase.Leaving },
        { CallPhase.Joining, "connected", true, CallPhase.InCall },
        { CallPhase.Joining, "failed", true, CallPhase.Idle },
        { CallPhase.Joining, "ended", true, CallPhase.Idle },
        { CallPhase.InCall, "join", false, CallPhase.InCall },
        { CallPhase.InCall, "leave", true, CallPhase.Leaving },
        { CallPhase.InCall, "connected", false, CallPhase.InCall },
        { CallPhase.InCall, "failed", false, CallPhase.InCall },
        { CallPhase.InCall, "ended", true, CallPhase.Idle },
        { CallPhase.Leaving, "join", false, CallPhase.Leaving },
        { CallPhase.Leaving, "leave", true, CallPhase.Leaving },
        { CallPhase.Leaving, "connected", false, CallPhase.Leaving },
        { CallPhase.Leaving, "failed", true, CallPhase.Idle },
        { CallPhase.Leaving, "ended", true, CallPhase.Idle },
    };

    [Theory]
    [MemberData(nameof(Transitions))]
    public void Every_phase_and_call_event_gives_the_expected_outcome(CallPhase from, string ev, bool accepted, CallPhase to)
    {
        RoomStateMachine m = In(from);
        RoomSnapshot before = m.State;
        int raised = 0;
        m.Changed += (_, _) => raised++;

        TransitionResult r = m.Handle(Make(ev));

        Assert.Equal(accepted, r.Accepted);
        Assert.Equal(to, m.State.Phase);
        Assert.Equal(m.State, r.State);
        if (!accepted)
        {
            Assert.False(string.IsNullOrWhiteSpace(r.Reason));
            Assert.Equal(before, m.State);
            Assert.Equal(0, raised);
        }
        else
        {
            Assert.Null(r.Reason);
            Assert.Equal(from == to ? 0 : 1, raised);
            Assert.Equal(from == to ? before.Revision : before.Revision + 1, m.State.Revision);
        }
    }

    [Fact]
    public void Refusal_reasons_name_the_current_phase()
    {
        Assert.Contains("in a call", In(CallPhase.InCall).Handle(new JoinRequested(Target)).Reason, StringComparison.Ordinal);
        Assert.Contains("idle", In(CallPhase.Idle).Handle(new LeaveRequested()).Reason, StringComparison.Ordinal);
        Assert.Contains("leaving", In(CallPhase.Leaving).Handle(new CallConnected()).Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public void Join_without_a_target_is_refused(string target)
    {
        var m = new RoomStateMachine();
        TransitionResult r = m.Handle(new JoinRequested(target));
        Assert.False(r.Accepted);
        Assert.Contains("SIP URI", r.Reason, StringComparison.Ordinal);
        Assert.Equal(CallPhase.Idle, m.State.Phase);
    }

    [Fact]
    public void Join_records_target_and_meeting_and_clears_the_last_error()
    {
        var m = In(CallPhase.Joining);
        m.Handle(new CallFailed("404 not found"));
        Assert.Equal("404 not found", m.State.LastError);
        var meeting = new Meeting("Weekly", DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch.AddHours(1), "sip:weekly@example.org");

        m.Handle(new JoinRequested(meeting.SipUri, meeting));

        Assert.Equal(CallPhase.Joining, m.State.Phase);
        Assert.Equal(meeting.SipUri, m.State.CallTarget);
        Assert.Equal(meeting, m.State.Meeting);
        Assert.Null(m.State.LastError);
    }

    [Fact]
    public void Ending_a_call_clears_target_and_meeting_but_keeps_mute_and_volume()
    {
        var m = In(CallPhase.InCall);
        m.Handle(new MuteSet(true));
        m.Handle(new VolumeSet(70));
        m.Handle(new CallEnded("far end hung up"));
        Assert.Equal(CallPhase.Idle, m.State.Phase);
        Assert.Null(m.State.CallTarget);
        Assert.Null(m.State.Meeting);
        Assert.True(m.State.Muted);
        Assert.Equal(70, m.State.Volume);
        Assert.Null(m.State.LastError);
    }

    [Theory]
    [InlineData(CallPhase.Idle)]
    [InlineData(CallPhase.Joining)]
    [InlineData(CallPhase.InCall)]
    [InlineData(CallPhase.Leaving)]
    public void Mute_toggles_and_sets_in_every_phase(CallPhase phase)
    {
        var m = In(phase);
        Assert.True(m.Handle(new MuteToggled()).Accepted);
        Assert.True(m.State.Muted);
        Assert.True(m.Handle(new MuteToggled()).Accepted);
        Assert.False(m.State.Muted);
        Assert.True(m.Handle(new MuteSet(true)).Accepted);
        Assert.True(m.State.Muted);
        long rev = m.State.Revision;
        Assert.True(m.Handle(new MuteSet(true)).Accepted);
        Assert.Equal(rev, m.State.Revision);
        Assert.Equal(phase, m.State.Phase);
    }

    [Fact]
    public void Privacy_forces_mute_and_refuses_unmute_until_it_is_off()
    {
        var m = new RoomStateMachine();
        Assert.True(m.Handle(new PrivacySet(true)).Accepted);
        Assert.True(m.State.Privacy);
        Assert.True(m.State.Muted);

        TransitionResult toggle = m.Handle(new MuteToggled());
        TransitionResult set = m.Handle(new MuteSet(false));
        Assert.False(toggle.Accepted);
        Assert.False(set.Accepted);
        Assert.Contains("privacy", toggle.Reason, StringComparison.Ordinal);
        Assert.True(m.State.Muted);

        Assert.True(m.Handle(new MuteSet(true)).Accepted);
        Assert.True(m.Handle(new PrivacySet(false)).Accepted);
        Assert.False(m.State.Privacy);
        Assert.True(m.State.Muted); // privacy off does not unmute by itself
        Assert.True(m.Handle(new MuteToggled()).Accepted);
        Assert.False(m.State.Muted);
    }

    [Fact]
    public void Privacy_does_not_interrupt_a_call()
    {
        var m = In(CallPhase.InCall);
        m.Handle(new PrivacySet(true));
        Assert.Equal(CallPhase.InCall, m.State.Phase);
        Assert.True(m.State.Muted);
    }

    [Theory]
    [InlineData(50, 1, 55)]
    [InlineData(50, -1, 45)]
    [InlineData(50, 3, 65)]
    [InlineData(98, 1, 100)]
    [InlineData(100, 1, 100)]
    [InlineData(2, -1, 0)]
    [InlineData(0, -5, 0)]
    public void Volume_steps_clamp_to_the_range(int start, int steps, int expected)
    {
        var m = new RoomStateMachine(start, 5);
        Assert.True(m.Handle(new VolumeStepped(steps)).Accepted);
        Assert.Equal(expected, m.State.Volume);
    }

    [Theory]
    [InlineData(0, true)]
    [InlineData(100, true)]
    [InlineData(37, true)]
    [InlineData(-1, false)]
    [InlineData(101, false)]
    public void Volume_set_accepts_only_0_to_100(int level, bool accepted)
    {
        var m = new RoomStateMachine(50);
        TransitionResult r = m.Handle(new VolumeSet(level));
        Assert.Equal(accepted, r.Accepted);
        Assert.Equal(accepted ? level : 50, m.State.Volume);
        if (!accepted)
        {
            Assert.Contains("0..100", r.Reason, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void An_unknown_event_is_refused_by_name()
    {
        var m = new RoomStateMachine();
        TransitionResult r = m.Handle(new SomethingElse());
        Assert.False(r.Accepted);
        Assert.Contains(nameof(SomethingElse), r.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Changed_carries_previous_current_and_cause_and_no_change_raises_nothing()
    {
        var m = new RoomStateMachine(50);
        var seen = new List<RoomStateChangedEventArgs>();
        m.Changed += (_, e) => seen.Add(e);
        var cause = new VolumeStepped(1) { Origin = "button" };
        m.Handle(cause);
        m.Handle(new VolumeStepped(0));
        m.Handle(new VolumeSet(55));

        RoomStateChangedEventArgs only = Assert.Single(seen);
        Assert.Equal(50, only.Previous.Volume);
        Assert.Equal(55, only.Current.Volume);
        Assert.Same(cause, only.Cause);
        Assert.Equal("button", only.Cause.Origin);
        Assert.Equal(only.Previous.Revision + 1, only.Current.Revision);
    }

    [Fact]
    public void Constructor_rejects_bad_volume_and_step()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new RoomStateMachine(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RoomStateMachine(101));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RoomStateMachine(50, 0));
        Assert.Throws<ArgumentNullException>(() => new RoomStateMachine().Handle(null!));
        Assert.Equal(RoomSnapshot.Initial(30), new RoomStateMachine(30).State);
    }

    [Fact]
    public void Concurrent_events_are_applied_one_at_a_time()
    {
        var m = new RoomStateMachine(0, 1);
        long changes = 0;
        m.Changed += (_, _) => Interlocked.Increment(ref changes);
        Parallel.For(0, 4, _ =>
        {
            for (int i = 0; i < 25; i++)
            {
                m.Handle(new VolumeStepped(1));
            }
        });
        Assert.Equal(100, m.State.Volume);
        Assert.Equal(100, m.State.Revision);
        Assert.Equal(100, Interlocked.Read(ref changes));
    }

    [Fact]
    public void A_full_call_walks_idle_joining_in_call_leaving_idle()
    {
        var m = new RoomStateMachine();
        var phases = new List<CallPhase>();
        m.Changed += (_, e) => phases.Add(e.Current.Phase);
        m.Handle(new JoinRequested(Target));
        m.Handle(new CallConnected());
        m.Handle(new LeaveRequested());
        m.Handle(new CallEnded("bye"));
        Assert.Equal([CallPhase.Joining, CallPhase.InCall, CallPhase.Leaving, CallPhase.Idle], phases);
    }

    private sealed record SomethingElse : RoomEvent;
}
