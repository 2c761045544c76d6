using Microsoft.Extensions.Time.Testing;
using RoomDevice.Audio.Pipeline;
using RoomDevice.Calls.Media;
using RoomDevice.Calls.Sip;
using RoomDevice.Core.Room;

namespace RoomDevice.Calls.Tests.Room;

public sealed class RingToneTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);

    /// <summary>Amplitude of the <paramref name="hz"/> component of <paramref name="x"/> (least-squares sine/cosine fit).</summary>
    private static double Amplitude(ReadOnlySpan<float> x, int rate, double hz)
    {
        double c = 0, s = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double w = 2 * Math.PI * hz * i / rate;
            c += x[i] * Math.Cos(w);
            s += x[i] * Math.Sin(w);
        }
        return 2 * Math.Sqrt((c * c) + (s * s)) / x.Length;
    }

    private static double Rms(ReadOnlySpan<float> x)
    {
        double e = 0;
        foreach (float v in x)
        {
            e += v * v;
        }
        return Math.Sqrt(e / Math.Max(1, x.Length));
    }

    [Fact]
    public void The_cadence_is_two_bursts_of_400_and_450_hz_then_silence_and_stop_silences_it()
    {
        var ring = new RingTone(16000);
        var frame = new float[160];
        var all = new List<float>();
        // Nothing before Start.
        ring.MixInto(frame);
        Assert.Equal(0, Rms(frame));
        ring.Start();
        for (int k = 0; k < 300; k++)
        {
            Array.Clear(frame);
            ring.MixInto(frame);
            all.AddRange(frame);
        }
        float[] x = [.. all];
        // 0-0.4 s and 0.6-1.0 s ring, 0.4-0.6 s and 1.0-3.0 s are quiet.
        Assert.InRange(Amplitude(x.AsSpan(320, 5760), 16000, RingTone.LowHz), 0.09, 0.11);
        Assert.InRange(Amplitude(x.AsSpan(320, 5760), 16000, RingTone.HighHz), 0.09, 0.11);
        Assert.InRange(Amplitude(x.AsSpan(9920, 5760), 16000, RingTone.LowHz), 0.09, 0.11);
        Assert.Equal(0, Rms(x.AsSpan(6400, 3200)));
        Assert.Equal(0, Rms(x.AsSpan(16000, 32000)));
        Assert.True(x.Max(MathF.Abs) <= 0.2f);
        Assert.Equal(300, ring.FramesRung);
        // Ramps: no step between neighbouring samples larger than the sines' own slope.
        double maxStep = 0;
        for (int i = 1; i < x.Length; i++)
        {
            maxStep = Math.Max(maxStep, Math.Abs(x[i] - x[i - 1]));
        }
        Assert.True(maxStep < 0.2 * 2 * Math.PI * 450 / 16000 * 1.05, $"largest step {maxStep}");

        ring.Stop();
        Array.Clear(frame);
        ring.MixInto(frame);
        Assert.Equal(0, Rms(frame));
        Assert.False(ring.Ringing);
    }

    [Fact]
    public void Mixing_the_ring_allocates_nothing()
    {
        var ring = new RingTone(16000);
        var frame = new float[160];
        ring.Start();
        ring.MixInto(frame);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int k = 0; k < 1000; k++)
        {
            ring.MixInto(frame);
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void Ring_tone_arguments_are_checked()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new RingTone(4000));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RingTone(16000, 0));
    }

    /// <summary>The real media pipeline (48 kHz device, 16 kHz bridge) with the ring in its loudspeaker mix.</summary>
    private sealed class Loudspeaker : IDisposable
    {
        private readonly float[] _in = new float[480], _out = new float[480];

        public Loudspeaker(CallAudioBridge bridge, RingTone ring)
        {
            Pipeline = new MediaPipeline(new AudioEngineSettings(48000, 16000, 1, 1, ChannelMap.AllMicrophones(1)), bridge);
            Pipeline.AddRenderSource(ring);
        }

        public MediaPipeline Pipeline { get; }

        /// <summary>Runs <paramref name="ticks"/> 10 ms ticks with a silent microphone; returns what the loudspeaker got.</summary>
        public float[] Run(int ticks)
        {
            var played = new List<float>(ticks * 480);
            for (int k = 0; k < ticks; k++)
            {
                Pipeline.CaptureRing.TryWrite(_in);
                Pipeline.Step();
                while (Pipeline.PlaybackRing.TryRead(_out))
                {
                    played.AddRange(_out);
                }
            }
            return [.. played];
        }

        public void Dispose() => Pipeline.Dispose();
    }

    private static async Task<SipCall> RingIn(RoomCallCoordinatorTests.Setup s, AgentRig caller)
    {
        var call = caller.Agent.Dial(s.Rig.Uri);
        for (int i = 0; i < 300 && !(s.Ring.Ringing && call.State == SipCallState.Ringing); i++)
        {
            await Task.Delay(20);
        }
        Assert.True(s.Ring.Ringing, "the ring never started\n" + s.Rig.Log.Text);
        Assert.Equal(SipCallState.Ringing, call.State);
        Assert.True(s.Saw("call.incoming"));
        return call;
    }

    private static async Task UntilSilent(RingTone ring)
    {
        for (int i = 0; i < 300 && ring.Ringing; i++)
        {
            await Task.Delay(20);
        }
        Assert.False(ring.Ringing, "the ring never stopped");
    }

    private static void AssertRinging(float[] played)
    {
        // The first burst (0.4 s) of the cadence, past the resampler's start-up.
        double low = Amplitude(played.AsSpan(4800, 9600), 48000, RingTone.LowHz);
        double high = Amplitude(played.AsSpan(4800, 9600), 48000, RingTone.HighHz);
        Assert.True(low > 0.07 && high > 0.07, $"ring components {low:F3} / {high:F3}");
    }

    private static void AssertNoRing(float[] played)
    {
        // Three seconds: a whole cadence, so a ring still sounding could not hide in a pause.
        double low = Amplitude(played, 48000, RingTone.LowHz);
        double high = Amplitude(played, 48000, RingTone.HighHz);
        Assert.True(low < 0.005 && high < 0.005, $"ring components after it should stop: {low:F4} / {high:F4}");
    }

    [Fact]
    public async Task Incoming_call_rings_in_the_loudspeaker_until_join_answers_it()
    {
        using var s = new RoomCallCoordinatorTests.Setup(autoAnswer: false);
        using var speaker = new Loudspeaker(s.Rig.Bridge, s.Ring);
        using var caller = new AgentRig(user: "caller");
        var call = await RingIn(s, caller);
        AssertRinging(speaker.Run(100));
        Assert.Equal(CallPhase.Idle, s.Room.State.Phase);

        s.Room.Handle(new JoinRequested("sip:ignored@example.com") { Origin = "button" });
        await call.Connected.WaitAsync(Wait);
        await UntilSilent(s.Ring);
        AssertNoRing(speaker.Run(300));
        await s.Until(r => r.Phase == CallPhase.InCall, "in call");
        call.Hangup();
        await s.Until(r => r.Phase == CallPhase.Idle, "idle");
    }

    [Fact]
    public async Task A_caller_cancelling_while_it_rings_stops_the_ring()
    {
        using var s = new RoomCallCoordinatorTests.Setup(autoAnswer: false);
        using var speaker = new Loudspeaker(s.Rig.Bridge, s.Ring);
        using var caller = new AgentRig(user: "caller");
        var call = await RingIn(s, caller);
        AssertRinging(speaker.Run(100));

        call.Hangup(); // CANCEL
        Assert.Equal("cancelled", (await call.Ended.WaitAsync(Wait)).Reason);
        await UntilSilent(s.Ring);
        AssertNoRing(speaker.Run(300));
        Assert.Equal(CallPhase.Idle, s.Room.State.Phase);
        Assert.Null(s.Coordinator.CurrentCall);
    }

    [Fact]
    public async Task An_unanswered_call_stops_ringing_at_the_ring_timeout_and_is_refused_with_480()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var s = new RoomCallCoordinatorTests.Setup(time, autoAnswer: false);
        using var speaker = new Loudspeaker(s.Rig.Bridge, s.Ring);
        using var caller = new AgentRig(user: "caller");
        var call = await RingIn(s, caller);
        AssertRinging(speaker.Run(100));

        time.Advance(TimeSpan.FromSeconds(29));
        await Task.Delay(200);
        Assert.True(s.Ring.Ringing);
        time.Advance(TimeSpan.FromSeconds(1)); // the 30 s ring timeout
        var end = await call.Ended.WaitAsync(Wait);
        Assert.False(end.WasConnected);
        Assert.Equal(480, end.Status);
        await UntilSilent(s.Ring);
        AssertNoRing(speaker.Run(300));
        Assert.True(s.Saw("call.missed"));
        Assert.Equal(CallPhase.Idle, s.Room.State.Phase);
    }
}
