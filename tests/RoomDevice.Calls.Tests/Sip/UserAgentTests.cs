using System.Text;
using RoomDevice.Calls.Sdp;
using RoomDevice.Calls.Sip;
using Xunit.Abstractions;

namespace RoomDevice.Calls.Tests.Sip;

[Collection("speech")]
public sealed class UserAgentTests(SpeechFixture speech, ITestOutputHelper output)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task Call_to_the_echo_service_connects_with_opus_and_hears_itself()
    {
        using var echo = new EchoService(16000, delayMs: 300);
        using var room = new AgentRig();
        var call = room.Agent.Dial(echo.Uri);
        await call.Connected.WaitAsync(Wait);
        Assert.Equal(SipCallState.Connected, call.State);
        Assert.Equal(CallCodec.Opus, call.Media!.Codec);
        using (var pump = new AudioPump(room.Bridge, speech.Speech16k[..(16000 * 4)]))
        {
            await Task.Delay(5500);
            pump.Dispose();
            var rec = pump.Recorded;
            var (c, lag) = Signals.BestCorrelation(Signals.Envelope(speech.Speech16k[..(16000 * 4)], 16000), Signals.Envelope(rec, 16000), 150);
            output.WriteLine($"echo envelope correlation {c:F2} at {lag * 10} ms; jitter buffer target {call.MediaSession.JitterStatistics!.TargetDelayMs} ms");
            Assert.True(c > 0.6, $"echo correlation {c:F2}");
            Assert.InRange(lag * 10, 300, 1400);
        }
        Assert.True(call.MediaSession.Statistics.PacketsReceived > 100);
        Assert.Equal(1, echo.ActiveCalls);
        call.Hangup();
        var end = await call.Ended.WaitAsync(Wait);
        Assert.True(end.WasConnected);
        Assert.Equal("local hangup", end.Reason);
        for (int i = 0; i < 50 && echo.ActiveCalls > 0; i++)
        {
            await Task.Delay(100);
        }
        Assert.Equal(0, echo.ActiveCalls);
    }

    /// <summary>Dials <paramref name="room"/> from <paramref name="caller"/> and waits until the caller hears it ring.</summary>
    private static async Task<(SipCall Outgoing, SipCall Incoming)> DialUntilRinging(AgentRig room, AgentRig caller)
    {
        var incoming = new TaskCompletionSource<SipCall>(TaskCreationOptions.RunContinuationsAsynchronously);
        room.Agent.IncomingCall += (_, c) => incoming.TrySetResult(c);
        var outgoing = caller.Agent.Dial(room.Uri);
        var call = await incoming.Task.WaitAsync(Wait);
        for (int i = 0; i < 50 && outgoing.State != SipCallState.Ringing; i++)
        {
            await Task.Delay(50);
        }
        return (outgoing, call);
    }

    [Fact]
    public async Task Incoming_call_rings_until_answered_and_far_end_hangup_ends_it()
    {
        using var room = new AgentRig(autoAnswer: false);
        using var caller = new AgentRig(user: "caller");
        var (outgoing, call) = await DialUntilRinging(room, caller);
        Assert.Equal(SipCallState.Ringing, outgoing.State);
        Assert.Equal(SipCallState.Ringing, call.State);
        call.Answer();
        await outgoing.Connected.WaitAsync(Wait);
        await call.Connected.WaitAsync(Wait);
        outgoing.Hangup();
        var end = await call.Ended.WaitAsync(Wait);
        Assert.Equal("remote hung up", end.Reason);
    }

    [Fact]
    public async Task Cancel_while_ringing_fails_the_call_on_both_sides()
    {
        using var room = new AgentRig(autoAnswer: false);
        using var caller = new AgentRig(user: "caller");
        var (outgoing, call) = await DialUntilRinging(room, caller);
        outgoing.Hangup();
        var theirs = await call.Ended.WaitAsync(Wait);
        var ours = await outgoing.Ended.WaitAsync(Wait);
        Assert.False(theirs.WasConnected);
        Assert.Equal("cancelled by caller", theirs.Reason);
        Assert.False(ours.WasConnected);
        Assert.StartsWith("cancelled", ours.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Busy_and_decline_map_to_failure_reasons()
    {
        using var room = new AgentRig(autoAnswer: false);
        using var caller = new AgentRig(user: "caller");
        room.Agent.IncomingCall += (_, c) => c.Reject(486);
        var outgoing = caller.Agent.Dial(room.Uri);
        var end = await outgoing.Ended.WaitAsync(Wait);
        Assert.False(end.WasConnected);
        Assert.Equal(486, end.Status);
        Assert.StartsWith("busy", end.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Hold_and_resume_by_reinvite_change_the_directions()
    {
        using var room = new AgentRig();
        using var caller = new AgentRig(user: "caller");
        var incoming = new TaskCompletionSource<SipCall>(TaskCreationOptions.RunContinuationsAsynchronously);
        room.Agent.IncomingCall += (_, c) => incoming.TrySetResult(c);
        var outgoing = caller.Agent.Dial(room.Uri);
        await outgoing.Connected.WaitAsync(Wait);
        var call = await incoming.Task.WaitAsync(Wait);
        Assert.True(await outgoing.HoldAsync(true).WaitAsync(Wait));
        Assert.True(outgoing.OnHold);
        Assert.Equal(MediaDirection.SendOnly, outgoing.Media!.Direction);
        for (int i = 0; i < 50 && !call.RemoteHold; i++)
        {
            await Task.Delay(20);
        }
        Assert.True(call.RemoteHold);
        Assert.Equal(MediaDirection.RecvOnly, call.Media!.Direction);
        Assert.True(await outgoing.HoldAsync(false).WaitAsync(Wait));
        Assert.Equal(MediaDirection.SendRecv, outgoing.Media!.Direction);
        for (int i = 0; i < 50 && call.RemoteHold; i++)
        {
            await Task.Delay(20);
        }
        Assert.False(call.RemoteHold);
        call.Hangup();
        Assert.Equal("remote hung up", (await outgoing.Ended.WaitAsync(Wait)).Reason);
    }

    [Fact]
    public async Task Tcp_transport_carries_a_whole_call()
    {
        using var room = new AgentRig(tcpPort: 0);
        using var caller = new AgentRig(user: "caller", tcpPort: 0);
        var tcp = room.Agent.Transport.TcpEndPoint!;
        var outgoing = caller.Agent.Dial($"sip:room@127.0.0.1:{tcp.Port};transport=tcp");
        await outgoing.Connected.WaitAsync(Wait);
        Assert.Equal(0, caller.Agent.Retransmissions);
        outgoing.Hangup();
        Assert.True((await outgoing.Ended.WaitAsync(Wait)).WasConnected);
    }

    [Fact]
    public async Task Dialling_nobody_times_out_after_timer_b()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        using var silent = new RawSipPeer();
        using var room = new AgentRig(time: time);
        var call = room.Agent.Dial($"sip:nobody@127.0.0.1:{silent.Port}");
        Assert.NotNull(silent.Receive());
        // Timer A: retransmit after 0.5, 1, 2, 4, 8, 16 s (cumulative 0.5, 1.5, 3.5, 7.5, 15.5, 31.5).
        int seen = 0;
        foreach (double at in (double[])[0.5, 1.0, 2.0, 4.0, 8.0, 16.0])
        {
            time.Advance(TimeSpan.FromSeconds(at));
            Assert.NotNull(silent.Receive());
            seen++;
        }
        Assert.Equal(6, room.Agent.Retransmissions);
        time.Advance(TimeSpan.FromSeconds(1)); // 32.5 s = 64·T1: timer B fires
        var end = await call.Ended.WaitAsync(Wait);
        Assert.False(end.WasConnected);
        Assert.StartsWith("timeout", end.Reason, StringComparison.Ordinal);
        Assert.Equal(6, seen);
    }
}

public sealed class UserAgentRetransmissionTests
{
    [Fact]
    public async Task A_retransmitted_200_ok_is_acknowledged_again()
    {
        using var peer = new RawSipPeer();
        using var room = new AgentRig();
        var call = room.Agent.Dial($"sip:far@127.0.0.1:{peer.Port}");
        var invite = peer.Receive()!;
        Assert.Equal("INVITE", invite.Method);
        string sdp = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n";
        string ok = "SIP/2.0 200 OK\r\n" + string.Join("", invite.GetAll("Via").Select(v => "Via: " + v + "\r\n")) +
            "From: " + invite["From"] + "\r\nTo: " + invite["To"] + ";tag=far1\r\nCall-ID: " + invite.CallId + "\r\nCSeq: " + invite["CSeq"] +
            $"\r\nContact: <sip:far@127.0.0.1:{peer.Port}>\r\nContent-Type: application/sdp\r\nContent-Length: {sdp.Length}\r\n\r\n" + sdp;
        var to = room.Agent.LocalEndPoint;
        SipMessage Next()
        {
            while (true)
            {
                var m = peer.Receive()!;
                if (m.Method != "INVITE")
                {
                    return m; // skip timer A retransmissions of the INVITE
                }
            }
        }
        peer.Send(ok, to);
        var ack1 = Next();
        Assert.Equal("ACK", ack1.Method);
        await call.Connected.WaitAsync(TimeSpan.FromSeconds(10));
        peer.Send(ok, to); // our ACK was "lost": the far end resends its 200
        var ack2 = Next();
        Assert.Equal("ACK", ack2.Method);
        Assert.Equal(ack1.CSeq, ack2.CSeq);
        Assert.Equal(ack1.TopVia!.Branch, ack2.TopVia!.Branch);
        Assert.Equal($"sip:far@127.0.0.1:{peer.Port}", ack1.RequestUri);
        call.Hangup();
        Assert.Equal("BYE", Next().Method);
    }
}

public sealed class TransactionTimerTests
{
    private static string Invite(int peerPort, string body) =>
        "INVITE sip:room@127.0.0.1 SIP/2.0\r\n" +
        $"Via: SIP/2.0/UDP 127.0.0.1:{peerPort};branch=z9hG4bKtimer1\r\n" +
        "From: <sip:peer@127.0.0.1>;tag=p1\r\nTo: <sip:room@127.0.0.1>\r\nCall-ID: timer-test\r\nCSeq: 1 INVITE\r\n" +
        $"Contact: <sip:peer@127.0.0.1:{peerPort}>\r\nContent-Type: application/sdp\r\nContent-Length: {body.Length}\r\n\r\n" + body;

    [Fact]
    public void A_failure_response_is_resent_by_timer_g_until_the_ack_arrives()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        using var peer = new RawSipPeer();
        using var room = new AgentRig(time: time);
        // Handlers run in subscription order, so when ours sees a message the agent has handled it.
        using var inviteHandled = new ManualResetEventSlim();
        using var ackHandled = new ManualResetEventSlim();
        room.Agent.Transport.MessageReceived += (m, _) => (m.Method == "ACK" ? ackHandled : m.Method == "INVITE" ? inviteHandled : null)?.Set();
        string g729 = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 18\r\na=rtpmap:18 G729/8000\r\n";
        peer.Send(Invite(peer.Port, g729), room.Agent.LocalEndPoint);
        Assert.Equal(100, peer.Receive()!.StatusCode);
        var first = peer.Receive()!;
        Assert.Equal(488, first.StatusCode);
        Assert.Contains("no common audio codec", first["Warning"], StringComparison.Ordinal);
        Assert.True(inviteHandled.Wait(TimeSpan.FromSeconds(15)), "the INVITE was never handled"); // timer G is armed
        // Timer G: 0.5, 1, 2, 4, 4 s (capped at T2).
        foreach (double s in (double[])[0.5, 1, 2, 4, 4])
        {
            time.Advance(TimeSpan.FromSeconds(s));
            Assert.Equal(488, peer.Receive()!.StatusCode);
        }
        string ack = "ACK sip:room@127.0.0.1 SIP/2.0\r\n" +
            $"Via: SIP/2.0/UDP 127.0.0.1:{peer.Port};branch=z9hG4bKtimer1\r\n" +
            "From: <sip:peer@127.0.0.1>;tag=p1\r\n" + "To: " + first["To"] + "\r\nCall-ID: timer-test\r\nCSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n";
        peer.Send(ack, room.Agent.LocalEndPoint);
        Assert.True(ackHandled.Wait(TimeSpan.FromSeconds(15)), "the ACK was never handled");
        time.Advance(TimeSpan.FromSeconds(4));
        Assert.Null(peer.Receive(500));
        Assert.Equal(5, room.Agent.Retransmissions);
    }

    /// <summary>A far end's response to <paramref name="invite"/> (To tag far1), with extra header lines and a body.</summary>
    private static string FarEndResponse(SipMessage invite, string status, string headers, string body) =>
        "SIP/2.0 " + status + "\r\n" + string.Join("", invite.GetAll("Via").Select(v => "Via: " + v + "\r\n")) +
        "From: " + invite["From"] + "\r\nTo: " + invite["To"] + ";tag=far1\r\nCall-ID: " + invite.CallId + "\r\nCSeq: " + invite["CSeq"] + "\r\n" +
        headers + $"Content-Length: {Encoding.UTF8.GetByteCount(body)}\r\n\r\n" + body;

    [Fact]
    public async Task A_bye_nobody_answers_is_resent_by_timer_e_capped_at_t2()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        using var peer = new RawSipPeer();
        using var room = new AgentRig(time: time);
        var call = room.Agent.Dial($"sip:far@127.0.0.1:{peer.Port}");
        var invite = peer.Receive()!;
        string sdp = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n";
        peer.Send(FarEndResponse(invite, "200 OK", $"Contact: <sip:far@127.0.0.1:{peer.Port}>\r\nContent-Type: application/sdp\r\n", sdp), room.Agent.LocalEndPoint);
        Assert.Equal("ACK", peer.Receive()!.Method);
        await call.Connected.WaitAsync(TimeSpan.FromSeconds(10));
        call.Hangup();
        Assert.Equal("BYE", peer.Receive()!.Method);
        long before = room.Agent.Retransmissions;
        // Timer E: 0.5, 1, 2, 4, 4, 4 s.
        foreach (double s in (double[])[0.5, 1, 2, 4, 4, 4])
        {
            time.Advance(TimeSpan.FromSeconds(s));
            Assert.Equal("BYE", peer.Receive()!.Method);
        }
        Assert.Equal(6, room.Agent.Retransmissions - before);
    }

    [Fact]
    public async Task An_ended_call_is_kept_for_64_t1_to_absorb_retransmissions_and_then_forgotten()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        using var peer = new RawSipPeer();
        using var room = new AgentRig(time: time);
        var call = room.Agent.Dial($"sip:far@127.0.0.1:{peer.Port}");
        var invite = peer.Receive()!;
        peer.Send(FarEndResponse(invite, "486 Busy Here", "", ""), room.Agent.LocalEndPoint);
        Assert.Equal(486, (await call.Ended.WaitAsync(TimeSpan.FromSeconds(15))).Status);
        Assert.Equal(1, room.Agent.TrackedCalls);
        time.Advance(TimeSpan.FromSeconds(31)); // still inside 64·T1 = 32 s
        Assert.Equal(1, room.Agent.TrackedCalls);
        time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(0, room.Agent.TrackedCalls);
    }
}
