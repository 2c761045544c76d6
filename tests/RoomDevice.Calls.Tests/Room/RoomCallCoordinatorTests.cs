using Microsoft.Extensions.Time.Testing;
using RoomDevice.Calls.Media;
using RoomDevice.Calls.Sip;
using RoomDevice.Core.Diagnostics;
using RoomDevice.Core.Room;

namespace RoomDevice.Calls.Tests.Room;

public sealed class RoomCallCoordinatorTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);

    internal sealed class Setup : IDisposable
    {
        public Setup(FakeTimeProvider? time = null, bool autoAnswer = true)
        {
            Time = time;
            Rig = new AgentRig(autoAnswer: autoAnswer);
            Events.Subscribe(e => { lock (Seen) { Seen.Add(e); } });
            Coordinator = new RoomCallCoordinator(Room, Events, Rig.Agent, time ?? TimeProvider.System, Rig.Log,
                uri => uri == EchoService.LocalUri ? Echo.Uri : uri, TimeSpan.FromMilliseconds(500), Ring, TimeSpan.FromSeconds(30));
        }

        public RingTone Ring { get; } = new(16000);

        public FakeTimeProvider? Time { get; }
        public RoomStateMachine Room { get; } = new();
        public DeviceEventHub Events { get; } = new();
        public List<DeviceEvent> Seen { get; } = [];
        public AgentRig Rig { get; }
        public EchoService Echo { get; } = new(16000, 200);
        public RoomCallCoordinator Coordinator { get; }

        public async Task Until(Func<RoomSnapshot, bool> condition, string what)
        {
            for (int i = 0; i < 300; i++)
            {
                if (condition(Room.State))
                {
                    return;
                }
                await Task.Delay(50);
            }
            Assert.Fail($"room never got {what}; it is {Room.State}\n{Rig.Log.Text}");
        }

        public bool Saw(string kind)
        {
            lock (Seen)
            {
                return Seen.Any(e => e.Kind == kind);
            }
        }

        public void Dispose()
        {
            Coordinator.Dispose();
            Rig.Dispose();
            Echo.Dispose();
        }
    }

    [Fact]
    public async Task Join_dials_connects_and_leave_hangs_up()
    {
        using var s = new Setup();
        Assert.True(s.Room.Handle(new JoinRequested(EchoService.LocalUri) { Origin = "button" }).Accepted);
        await s.Until(r => r.Phase == CallPhase.InCall, "in call");
        Assert.True(s.Saw("call.started"));
        Assert.NotNull(s.Coordinator.CurrentCall);
        var telemetry = new Dictionary<string, double>();
        new CallTelemetry(s.Coordinator).Collect(telemetry);
        Assert.Equal(1, telemetry["active"]);
        Assert.True(telemetry.ContainsKey("jitter_ms") && telemetry.ContainsKey("concealment_pct") && telemetry.ContainsKey("rtt_ms"));
        Assert.Equal(0, telemetry["encoder_loss_pct"]); // a clean loopback reports no loss
        s.Room.Handle(new LeaveRequested { Origin = "button" });
        await s.Until(r => r.Phase == CallPhase.Idle, "idle");
        Assert.True(s.Saw("call.ended"));
        Assert.Null(s.Room.State.LastError);
    }

    [Fact]
    public async Task Busy_far_end_returns_the_room_to_idle_with_the_reason()
    {
        using var s = new Setup();
        using var busy = new AgentRig(autoAnswer: false, user: "busy");
        busy.Agent.IncomingCall += (_, c) => c.Reject(486);
        s.Room.Handle(new JoinRequested(busy.Uri));
        await s.Until(r => r.Phase == CallPhase.Idle && r.LastError is not null, "idle with an error");
        Assert.StartsWith("busy", s.Room.State.LastError, StringComparison.Ordinal);
        Assert.True(s.Saw("call.failed"));
    }

    [Fact]
    public async Task Unusable_target_fails_at_once()
    {
        using var s = new Setup();
        s.Room.Handle(new JoinRequested("sip:nobody@no-such-host.invalid"));
        await s.Until(r => r.Phase == CallPhase.Idle && r.LastError is not null, "idle with an error");
        Assert.Contains("bad call target", s.Room.State.LastError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Far_end_hangup_ends_the_call_in_the_room()
    {
        using var s = new Setup();
        using var far = new AgentRig(user: "far");
        var incoming = new TaskCompletionSource<SipCall>(TaskCreationOptions.RunContinuationsAsynchronously);
        far.Agent.IncomingCall += (_, c) => incoming.TrySetResult(c);
        s.Room.Handle(new JoinRequested(far.Uri));
        await s.Until(r => r.Phase == CallPhase.InCall, "in call");
        (await incoming.Task.WaitAsync(Wait)).Hangup();
        await s.Until(r => r.Phase == CallPhase.Idle, "idle");
        Assert.True(s.Saw("call.ended"));
    }

    [Fact]
    public async Task Meeting_pin_is_sent_as_dtmf_and_the_meeting_end_leaves()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 1, 9, 0, 0, TimeSpan.Zero));
        using var s = new Setup(time);
        using var far = new AgentRig(user: "meeting");
        var incoming = new TaskCompletionSource<SipCall>(TaskCreationOptions.RunContinuationsAsynchronously);
        far.Agent.IncomingCall += (_, c) => incoming.TrySetResult(c);
        var meeting = new Meeting("Standup", time.GetUtcNow().AddMinutes(-1), time.GetUtcNow().AddMinutes(14), far.Uri, "1234#");
        s.Room.Handle(new JoinRequested(far.Uri, meeting));
        await s.Until(r => r.Phase == CallPhase.InCall, "in call");
        var theirs = await incoming.Task.WaitAsync(Wait);
        // Keep the fake clock moving until the digits arrive: the PIN timer is armed on the
        // coordinator's worker just after the room turns in-call, which on a loaded machine can be
        // later than this loop's first steps. 300 steps of 100 ms stay far short of the meeting's end.
        for (int i = 0; i < 300 && theirs.MediaSession.Statistics.DtmfReceived.Length < 5; i++)
        {
            time.Advance(TimeSpan.FromMilliseconds(100));
            await Task.Delay(50);
        }
        var ours = s.Coordinator.CurrentCall;
        Assert.True(theirs.MediaSession.Statistics.DtmfReceived == "1234#",
            $"received '{theirs.MediaSession.Statistics.DtmfReceived}', sent {ours?.MediaSession.Statistics.DtmfSent}, room {s.Room.State}\n{s.Rig.Log.Text}");
        time.Advance(TimeSpan.FromMinutes(15)); // the meeting is over
        await s.Until(r => r.Phase == CallPhase.Idle, "idle after the meeting");
        Assert.Equal("remote hung up", (await theirs.Ended.WaitAsync(Wait)).Reason);
    }

    [Fact]
    public async Task Incoming_call_is_taken_when_idle_and_refused_when_busy()
    {
        using var s = new Setup();
        using var caller = new AgentRig(user: "caller");
        var call = caller.Agent.Dial(s.Rig.Uri);
        await call.Connected.WaitAsync(Wait);
        await s.Until(r => r.Phase == CallPhase.InCall, "in call");
        using var second = new AgentRig(user: "second");
        var refused = await second.Agent.Dial(s.Rig.Uri).Ended.WaitAsync(Wait);
        Assert.Equal(486, refused.Status);
        call.Hangup();
        await s.Until(r => r.Phase == CallPhase.Idle, "idle");
    }

    [Fact]
    public async Task Without_auto_answer_an_incoming_call_rings_until_join_is_pressed()
    {
        using var s = new Setup(autoAnswer: false);
        using var caller = new AgentRig(user: "caller");
        var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        s.Events.Subscribe(e =>
        {
            if (e.Kind == "call.incoming")
            {
                seen.TrySetResult();
            }
        });
        var call = caller.Agent.Dial(s.Rig.Uri);
        await seen.Task.WaitAsync(Wait);
        for (int i = 0; i < 100 && call.State != SipCallState.Ringing; i++)
        {
            await Task.Delay(20);
        }
        Assert.Equal(SipCallState.Ringing, call.State);
        Assert.Equal(CallPhase.Idle, s.Room.State.Phase);
        s.Room.Handle(new JoinRequested("sip:ignored@example.com") { Origin = "button" });
        await call.Connected.WaitAsync(Wait);
        await s.Until(r => r.Phase == CallPhase.InCall, "in call");
        call.Hangup();
        await s.Until(r => r.Phase == CallPhase.Idle, "idle");
    }
}
