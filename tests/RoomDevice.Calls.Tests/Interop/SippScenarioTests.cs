using RoomDevice.Calls.Sip;
using Xunit.Abstractions;

namespace RoomDevice.Calls.Tests.Interop;

/// <summary>The user agent against SIPp scenarios on 127.0.0.1.</summary>
public sealed class SippScenarioTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    private async Task ExpectSippSuccess(SippRunner sipp, AgentRig room)
    {
        int code = await sipp.WaitAsync(Wait);
        output.WriteLine(room.Log.Text);
        Assert.True(code == 0, $"SIPp exited with {code}\n{sipp.Log}\ndevice log:\n{room.Log.Text}");
    }

    private static async Task Settle() => await Task.Delay(300);

    private static async Task<T> Within<T>(Task<T> task, SippRunner sipp, AgentRig room)
    {
        var done = await Task.WhenAny(task, Task.Delay(Wait));
        Assert.True(done == task, $"timed out\nSIPp:\n{sipp.Log}\ndevice log:\n{room.Log.Text}");
        return await task;
    }

    [Fact]
    public async Task Digest_challenge_is_answered_and_the_call_connects()
    {
        using var sipp = new SippRunner("uas_auth.xml");
        await Settle();
        using var room = new AgentRig(password: "s3cret");
        var call = room.Agent.Dial(sipp.Uri);
        var first = await Task.WhenAny(call.Connected, call.Ended).WaitAsync(Wait);
        Assert.True(first == call.Connected, $"call failed\n{sipp.Log}\n{room.Log.Text}");
        Assert.Equal(RoomDevice.Calls.Sdp.CallCodec.Pcmu, call.Media!.Codec);
        await Task.Delay(300);
        call.Hangup();
        await ExpectSippSuccess(sipp, room);
    }

    [Fact]
    public async Task Wrong_password_fails_as_auth_refused()
    {
        using var sipp = new SippRunner("uas_auth.xml");
        await Settle();
        using var room = new AgentRig(password: "wrong");
        var call = room.Agent.Dial(sipp.Uri);
        var end = await call.Ended.WaitAsync(Wait);
        Assert.False(end.WasConnected);
        Assert.Equal(403, end.Status);
        Assert.StartsWith("auth refused", end.Reason, StringComparison.Ordinal);
        await ExpectSippSuccess(sipp, room);
    }

    [Fact]
    public async Task Cancel_during_ringing_gets_487_and_acks_it()
    {
        using var sipp = new SippRunner("uas_cancel.xml");
        await Settle();
        using var room = new AgentRig();
        var call = room.Agent.Dial(sipp.Uri);
        for (int i = 0; i < 100 && call.State != SipCallState.Ringing; i++)
        {
            await Task.Delay(50);
        }
        Assert.Equal(SipCallState.Ringing, call.State);
        call.Hangup();
        var end = await call.Ended.WaitAsync(Wait);
        Assert.False(end.WasConnected);
        Assert.StartsWith("cancelled", end.Reason, StringComparison.Ordinal);
        await ExpectSippSuccess(sipp, room);
    }

    [Fact]
    public async Task Busy_fails_the_call_as_busy()
    {
        using var sipp = new SippRunner("uas_busy.xml");
        await Settle();
        using var room = new AgentRig();
        var end = await room.Agent.Dial(sipp.Uri).Ended.WaitAsync(Wait);
        Assert.Equal(486, end.Status);
        Assert.StartsWith("busy", end.Reason, StringComparison.Ordinal);
        await ExpectSippSuccess(sipp, room);
    }

    [Fact]
    public async Task Reinvite_hold_is_answered_recvonly_and_resume_sendrecv()
    {
        using var room = new AgentRig();
        var incoming = new TaskCompletionSource<SipCall>(TaskCreationOptions.RunContinuationsAsynchronously);
        room.Agent.IncomingCall += (_, c) => incoming.TrySetResult(c);
        using var sipp = new SippRunner("uac_reinvite.xml", room.Agent.LocalEndPoint.Port);
        var call = await Within(incoming.Task, sipp, room);
        await ExpectSippSuccess(sipp, room);
        var end = await call.Ended.WaitAsync(Wait);
        Assert.Equal("remote hung up", end.Reason);
        Assert.False(call.RemoteHold);
    }

    [Fact]
    public async Task Lost_200_ok_is_retransmitted_until_acknowledged()
    {
        using var room = new AgentRig();
        var incoming = new TaskCompletionSource<SipCall>(TaskCreationOptions.RunContinuationsAsynchronously);
        room.Agent.IncomingCall += (_, c) => incoming.TrySetResult(c);
        using var sipp = new SippRunner("uac_lost_200.xml", room.Agent.LocalEndPoint.Port);
        var call = await Within(incoming.Task, sipp, room);
        await Within(call.Connected.ContinueWith(_ => true, TaskScheduler.Default), sipp, room);
        Assert.True(room.Agent.Retransmissions >= 1, "the 200 OK was never retransmitted");
        await ExpectSippSuccess(sipp, room);
        Assert.Equal("remote hung up", (await call.Ended.WaitAsync(Wait)).Reason);
    }

    [Fact]
    public async Task Garbage_and_truncated_messages_are_counted_and_the_agent_keeps_answering()
    {
        using var room = new AgentRig();
        using var sipp = new SippRunner("uac_garbage.xml", room.Agent.LocalEndPoint.Port);
        await ExpectSippSuccess(sipp, room);
        Assert.True(room.Agent.Transport.Rejected >= 3, $"rejected {room.Agent.Transport.Rejected}");
        Assert.Contains(room.Log.Lines, l => l.Contains("rejected", StringComparison.Ordinal));
        Assert.Empty(room.Agent.ActiveCalls);
    }

    [Fact]
    public async Task Registration_answers_the_registrars_challenge()
    {
        using var sipp = new SippRunner("uas_register.xml");
        await Settle();
        var bridge = new RoomDevice.Audio.Pipeline.CallAudioBridge(16000, 8);
        var log = new TestLogger();
        using var agent = new SipUserAgent(
            new SipUserAgentSettings { Address = System.Net.IPAddress.Loopback, UdpPort = 0, User = "room", Password = "s3cret", Registrar = $"sip:127.0.0.1:{sipp.Port}" },
            () => new RoomDevice.Calls.Media.MediaSession(bridge, System.Net.IPAddress.Loopback, new RoomDevice.Calls.Media.MediaSessionSettings(), TimeProvider.System, log),
            TimeProvider.System, log);
        agent.Start();
        for (int i = 0; i < 100 && !agent.Registered; i++)
        {
            await Task.Delay(50);
        }
        Assert.True(agent.Registered, log.Text + "\n" + sipp.Log);
        Assert.Contains(log.Lines, l => l.Contains("registered with", StringComparison.Ordinal) && l.Contains("60 s", StringComparison.Ordinal));
        int code = await sipp.WaitAsync(Wait);
        Assert.True(code == 0, $"SIPp exited with {code}\n{sipp.Log}");
    }
}
