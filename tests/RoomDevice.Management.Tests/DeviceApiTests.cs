using System.Text;
using System.Text.Json.Nodes;
using RoomDevice.Management.Fleet;
using RoomDevice.Management.Tests.Infrastructure;
using Xunit;

namespace RoomDevice.Management.Tests;

public sealed class DeviceApiTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Status_birth_health_and_state_are_retained_after_connect()
    {
        await using Mosquitto broker = await Mosquitto.StartAsync();
        await using TestDevice device = new TestDevice(broker.Port).Start();
        await device.WaitConnectedAsync();
        await using (Observer first = await Observer.ConnectAsync(broker.Port, Topics.Device(device.Id) + "/#"))
        {
            await first.WaitForAsync(Topics.Health(device.Id), timeout: Wait);
            await first.WaitForAsync(Topics.State(device.Id), timeout: Wait);
        }

        // a fleet tool that connects later sees every retained topic at once
        await using Observer late = await Observer.ConnectAsync(broker.Port, Topics.Device(device.Id) + "/#");
        var status = await late.WaitForAsync(Topics.Status(device.Id), timeout: Wait);
        var birth = await late.WaitForAsync(Topics.Birth(device.Id), timeout: Wait);
        var health = await late.WaitForAsync(Topics.Health(device.Id), timeout: Wait);
        var state = await late.WaitForAsync(Topics.State(device.Id), timeout: Wait);
        Assert.All(new[] { status.Message, birth.Message, health.Message, state.Message }, m => Assert.True(m.Retain, m.Topic + " should be retained"));
        Assert.Equal("online", (string?)status.Json["state"]);
        Assert.True((long)status.Json["session"]! >= 1);
        Assert.Equal(1, (int)status.Json["v"]!);
        Assert.Equal(device.Id, (string?)birth.Json["deviceId"]);
        Assert.Equal("Test Room", (string?)birth.Json["room"]);
        Assert.Contains("selftest", birth.Json["capabilities"]!["commands"]!.AsArray().Select(n => (string?)n));
        Assert.Equal("ok", (string?)health.Json["overall"]);
        Assert.Equal("microphones", (string?)health.Json["peripherals"]![0]!["name"]);
        Assert.True((bool)health.Json["peripherals"]![0]!["connected"]!);
        Assert.Equal(-32.5, (double)health.Json["audio"]!["inputRmsDbfs"]!);
        Assert.Equal("idle", (string?)state.Json["phase"]);
        Assert.Equal(50, (int)state.Json["volume"]!);
    }

    [Fact]
    public async Task Health_is_republished_when_a_peripheral_changes()
    {
        await using Mosquitto broker = await Mosquitto.StartAsync();
        await using TestDevice device = new TestDevice(broker.Port).Start();
        await device.WaitConnectedAsync();
        await using Observer o = await Observer.ConnectAsync(broker.Port, Topics.Health(device.Id));
        await o.WaitForAsync(Topics.Health(device.Id), j => (string?)j["overall"] == "ok", Wait);
        device.Microphones.Status = Core.Diagnostics.ProbeStatus.Missing;
        var failed = await o.WaitForAsync(Topics.Health(device.Id), j => (string?)j["overall"] == "failed", Wait);
        Assert.False((bool)failed.Json["peripherals"]![0]!["connected"]!);
        Assert.True((bool)failed.Json["peripherals"]![0]!["required"]!);
    }

    [Fact]
    public async Task Command_is_accepted_then_succeeds_and_the_state_topic_follows()
    {
        await using Mosquitto broker = await Mosquitto.StartAsync();
        await using TestDevice device = new TestDevice(broker.Port).Start();
        await device.WaitConnectedAsync();
        await using Observer o = await Observer.ConnectAsync(broker.Port, Topics.State(device.Id));
        var accepted = new List<string>();
        CommandReply r = await o.Client.SendCommandAsync(device.Id, "volume", new JsonObject { ["level"] = 40 }, Wait, onAccepted: d => accepted.Add(d));
        Assert.Equal("succeeded", r.Status);
        Assert.True(r.Accepted);
        Assert.Equal([device.Id], accepted);
        Assert.Equal(40, (int)r.Body!["result"]!["volume"]!);
        Assert.Equal(40, device.Room.State.Volume);
        await o.WaitForAsync(Topics.State(device.Id), j => (int?)j["volume"] == 40, Wait);

        // both answers went to the response topic with the correlation data
        var answers = o.Seen.Where(m => m.Topic == o.Client.ResponseTopic(device.Id)).Select(Observer.Json).ToList();
        Assert.Equal(["accepted", "succeeded"], answers.Select(a => (string?)a!["status"]));

        CommandReply mute = await o.Client.SendCommandAsync(device.Id, "mute", null, Wait);
        Assert.Equal("succeeded", mute.Status);
        Assert.True(device.Room.State.Muted);
        CommandReply identify = await o.Client.SendCommandAsync(device.Id, "identify", new JsonObject { ["seconds"] = 5 }, Wait);
        Assert.Equal("succeeded", identify.Status);
        Assert.Equal([TimeSpan.FromSeconds(5)], device.Identify.Calls);
        CommandReply join = await o.Client.SendCommandAsync(device.Id, "join", new JsonObject { ["uri"] = "sip:oslo@example.com" }, Wait);
        Assert.Equal("succeeded", join.Status);
        Assert.Equal(Core.Room.CallPhase.Joining, device.Room.State.Phase);
        CommandReply joinAgain = await o.Client.SendCommandAsync(device.Id, "join", new JsonObject { ["uri"] = "sip:oslo@example.com" }, Wait);
        Assert.Equal("failed", joinAgain.Status);
        Assert.Equal("refused", joinAgain.ErrorCode);
        Assert.Contains("only possible when idle", joinAgain.ErrorMessage, StringComparison.Ordinal);
        CommandReply leave = await o.Client.SendCommandAsync(device.Id, "leave", null, Wait);
        Assert.Equal("succeeded", leave.Status);
        CommandReply selftest = await o.Client.SendCommandAsync(device.Id, "selftest", null, Wait);
        Assert.Equal("succeeded", selftest.Status);
        Assert.Equal("ok", (string?)selftest.Body!["result"]!["overall"]);
        CommandReply restart = await o.Client.SendCommandAsync(device.Id, "restart", new JsonObject { ["delaySeconds"] = 0 }, Wait);
        Assert.Equal("succeeded", restart.Status);
        for (int i = 0; i < 200 && device.Restarter.Count == 0; i++)
        {
            await Task.Delay(25);
        }
        Assert.Equal(1, device.Restarter.Count);
    }

    [Fact]
    public async Task Repeated_command_id_is_answered_with_the_first_result_and_not_run_again_even_after_a_restart()
    {
        await using Mosquitto broker = await Mosquitto.StartAsync();
        await using TestDevice device = new TestDevice(broker.Port).Start();
        await device.WaitConnectedAsync();
        await using Observer o = await Observer.ConnectAsync(broker.Port);
        CommandReply first = await o.Client.SendCommandAsync(device.Id, "volume", new JsonObject { ["level"] = 30 }, Wait, commandId: "cmd-42");
        Assert.Equal("succeeded", first.Status);
        device.Room.Handle(new Core.Room.VolumeSet(55));
        CommandReply again = await o.Client.SendCommandAsync(device.Id, "volume", new JsonObject { ["level"] = 30 }, Wait, commandId: "cmd-42");
        Assert.Equal("succeeded", again.Status);
        Assert.Equal(30, (int)again.Body!["result"]!["volume"]!);
        Assert.Equal(55, device.Room.State.Volume); // not re-run

        await device.StopAsync();
        device.Start();
        await device.WaitConnectedAsync();
        CommandReply afterRestart = await o.Client.SendCommandAsync(device.Id, "volume", new JsonObject { ["level"] = 30 }, Wait, commandId: "cmd-42");
        Assert.Equal("succeeded", afterRestart.Status);
        Assert.Equal(30, (int)afterRestart.Body!["result"]!["volume"]!);
        Assert.Equal(55, device.Room.State.Volume); // the restarted agent remembered the id and did not run it
    }

    [Fact]
    public async Task Retained_and_expired_commands_are_refused_and_change_nothing()
    {
        await using Mosquitto broker = await Mosquitto.StartAsync();
        string id = "rd-retained-" + Guid.NewGuid().ToString("N")[..6];
        await using Observer o = await Observer.ConnectAsync(broker.Port, Topics.Reply(id) + "/#");
        // a retained command waits on the broker before the device even connects
        await o.Client.PublishAsync(Topics.Command(id, "volume"), Encoding.UTF8.GetBytes("{\"id\":\"r1\",\"args\":{\"level\":5}}"), retain: true, responseTopic: o.Client.ResponseTopic(id), correlation: [1, 2, 3]);
        await using TestDevice device = new TestDevice(broker.Port, id).Start();
        var refused = await o.WaitForAsync(o.Client.ResponseTopic(id), j => (string?)j["status"] == "rejected", Wait);
        Assert.Equal("retained", (string?)refused.Json["error"]!["code"]);
        Assert.Equal(50, device.Room.State.Volume);
        await o.Client.PublishAsync(Topics.Command(id, "volume"), [], retain: true); // clear it

        CommandReply expired = await o.Client.SendCommandAsync(id, "volume", new JsonObject { ["level"] = 5 }, Wait, expires: DateTimeOffset.UtcNow.AddMinutes(-1));
        Assert.Equal("rejected", expired.Status);
        Assert.Equal("expired", expired.ErrorCode);
        Assert.Contains("not executed", expired.ErrorMessage, StringComparison.Ordinal);
        CommandReply fresh = await o.Client.SendCommandAsync(id, "volume", new JsonObject { ["level"] = 5 }, Wait, expires: DateTimeOffset.UtcNow.AddMinutes(5));
        Assert.Equal("succeeded", fresh.Status);
        Assert.Equal(5, device.Room.State.Volume);
    }

    [Theory]
    [InlineData("volume", "not json", "invalid_json")]
    [InlineData("volume", "{\"id\":\"a\",\"args\":{\"level\":101}}", "bad_args")]
    [InlineData("volume", "{\"id\":\"b\",\"args\":{\"level\":\"loud\"}}", "bad_args")]
    [InlineData("volume", "{\"id\":\"c\",\"args\":{\"level\":4,\"x\":1}}", "bad_args")]
    [InlineData("volume", "{\"args\":{\"level\":4}}", "bad_id")]
    [InlineData("volume", "{\"id\":\"d\",\"id\":\"e\"}", "invalid_json")]
    [InlineData("volume", "{\"id\":\"f\",\"sudo\":true}", "unknown_field")]
    [InlineData("volume", "[1,2]", "invalid_json")]
    [InlineData("volume", "{\"v\":2,\"id\":\"g\"}", "unsupported_version")]
    [InlineData("volume", "{\"id\":\"h\",\"args\":[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]}", "too_deep")]
    [InlineData("dance", "{\"id\":\"i\"}", "unknown_command")]
    [InlineData("join", "{\"id\":\"j\",\"args\":{\"uri\":\"http://x\"}}", "bad_args")]
    [InlineData("join", "{\"id\":\"k\"}", "no_target")]
    public async Task Malformed_commands_get_a_clear_error_and_change_nothing(string name, string payload, string code)
    {
        await using Mosquitto broker = await Mosquitto.StartAsync();
        await using TestDevice device = new TestDevice(broker.Port).Start();
        await device.WaitConnectedAsync();
        await using Observer o = await Observer.ConnectAsync(broker.Port, Topics.Reply(device.Id) + "/#");
        await o.Client.PublishAsync(Topics.Command(device.Id, name), Encoding.UTF8.GetBytes(payload), responseTopic: o.Client.ResponseTopic(device.Id), correlation: [9]);
        var answer = await o.WaitForAsync(o.Client.ResponseTopic(device.Id), j => (string?)j["status"] is "rejected" or "failed", Wait);
        Assert.Equal(code, (string?)answer.Json["error"]!["code"]);
        Assert.False(string.IsNullOrWhiteSpace((string?)answer.Json["error"]!["message"]));
        Assert.Equal(50, device.Room.State.Volume);
        Assert.Equal(Core.Room.CallPhase.Idle, device.Room.State.Phase);
    }

    [Fact]
    public async Task Oversized_payload_is_refused_with_the_limit_named()
    {
        await using Mosquitto broker = await Mosquitto.StartAsync();
        await using TestDevice device = new TestDevice(broker.Port, configure: o => o.MaxPayloadBytes = 1024).Start();
        await device.WaitConnectedAsync();
        await using Observer o = await Observer.ConnectAsync(broker.Port);
        byte[] big = Encoding.UTF8.GetBytes("{\"id\":\"big\",\"args\":{\"uri\":\"sip:" + new string('a', 5000) + "\"}}");
        JsonObject? answer = await o.Client.RequestAsync(device.Id, Topics.Command(device.Id, "join"), big, Wait);
        Assert.Equal("payload_too_large", (string?)answer!["error"]!["code"]);
        Assert.Contains("1024", (string?)answer["error"]!["message"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Response_topic_outside_the_device_subtree_is_refused_on_the_default_reply_topic()
    {
        await using Mosquitto broker = await Mosquitto.StartAsync();
        await using TestDevice device = new TestDevice(broker.Port).Start();
        await device.WaitConnectedAsync();
        await using Observer o = await Observer.ConnectAsync(broker.Port, Topics.Reply(device.Id), "elsewhere/#");
        await o.Client.PublishAsync(Topics.Command(device.Id, "mute"), Encoding.UTF8.GetBytes("{\"id\":\"m1\"}"), responseTopic: "elsewhere/replies", correlation: [7]);
        var answer = await o.WaitForAsync(Topics.Reply(device.Id), timeout: Wait);
        Assert.Equal("bad_response_topic", (string?)answer.Json["error"]!["code"]);
        Assert.False(device.Room.State.Muted);
        Assert.Equal(0, o.Count("elsewhere/replies"));
    }

    [Fact]
    public async Task Unclaimed_device_answers_identify_and_selftest_but_refuses_room_commands()
    {
        await using Mosquitto broker = await Mosquitto.StartAsync();
        await using TestDevice device = new TestDevice(broker.Port, claimed: false).Start();
        await device.WaitConnectedAsync();
        await using Observer o = await Observer.ConnectAsync(broker.Port, Topics.Device(device.Id) + "/#");
        await o.WaitForAsync(Topics.Status(device.Id), timeout: Wait);
        Assert.Equal("succeeded", (await o.Client.SendCommandAsync(device.Id, "identify", null, Wait)).Status);
        Assert.Equal("succeeded", (await o.Client.SendCommandAsync(device.Id, "selftest", null, Wait)).Status);
        CommandReply mute = await o.Client.SendCommandAsync(device.Id, "mute", null, Wait);
        Assert.Equal("not_claimed", mute.ErrorCode);
        Assert.False(device.Room.State.Muted);
    }

    [Fact]
    public async Task Telemetry_is_sent_periodically_with_the_figures_of_every_source()
    {
        await using Mosquitto broker = await Mosquitto.StartAsync();
        await using TestDevice device = new TestDevice(broker.Port).Start();
        await using Observer o = await Observer.ConnectAsync(broker.Port, Topics.Telemetry(device.Id));
        var t = await o.WaitForAsync(Topics.Telemetry(device.Id), timeout: Wait);
        Assert.False(t.Message.Retain);
        Assert.Equal(-32.5, (double)t.Json["figures"]!["audio.inputRmsDbfs"]!);
        await o.WaitForAsync(Topics.Telemetry(device.Id), timeout: Wait, skip: 1);
    }

    [Fact]
    public async Task Broker_password_never_appears_in_logs_or_payloads()
    {
        await using Mosquitto broker = await Mosquitto.StartAsync();
        await using Observer o = await Observer.ConnectAsync(broker.Port, Topics.Root + "/#");
        await using TestDevice device = new TestDevice(broker.Port, configure: m => { m.Username = "rd-user"; m.Password = "s3cret-Pa55"; }).Start();
        await device.WaitConnectedAsync();
        await o.WaitForAsync(Topics.Health(device.Id), timeout: Wait);
        await device.StopAsync();
        Assert.NotEmpty(device.Log.Lines);
        Assert.DoesNotContain(device.Log.Lines, l => l.Contains("s3cret", StringComparison.Ordinal));
        Assert.DoesNotContain(o.Seen, m => Encoding.UTF8.GetString(m.Payload).Contains("s3cret", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_slow_command_does_not_stall_the_connection_or_other_messages()
    {
        await using Mosquitto broker = await Mosquitto.StartAsync();
        var slow = new SlowProbe();
        await using TestDevice device = new TestDevice(broker.Port, configure: m => m.KeepAliveSeconds = 5);
        device.ExtraProbes.Add(slow);
        device.Start();
        await device.WaitConnectedAsync();
        await using Observer o = await Observer.ConnectAsync(broker.Port);
        slow.Gate.Reset(); // the peripheral stops answering
        Task<CommandReply> selftest = o.Client.SendCommandAsync(device.Id, "selftest", null, TimeSpan.FromSeconds(60));
        CommandReply mute = await o.Client.SendCommandAsync(device.Id, "mute", null, Wait);
        Assert.Equal("succeeded", mute.Status);
        await Task.Delay(TimeSpan.FromSeconds(11)); // more than two keep-alive periods with the selftest hanging
        Assert.False(selftest.IsCompleted);
        Assert.True(device.Agent.IsConnected);
        Assert.Equal("succeeded", (await o.Client.SendCommandAsync(device.Id, "unmute", null, Wait)).Status);
        slow.Gate.Set();
        CommandReply done = await selftest;
        Assert.Equal("succeeded", done.Status);
        Assert.Equal(0, device.Agent.Reconnects);
    }
}

/// <summary>A peripheral that answers only when the test opens its gate.</summary>
public sealed class SlowProbe : Core.Diagnostics.IPeripheralProbe
{
    public ManualResetEventSlim Gate { get; } = new(true);

    public Core.Diagnostics.ProbeResult Probe()
    {
        bool answered = Gate.Wait(TimeSpan.FromSeconds(60));
        return new("slow-peripheral", false, answered ? Core.Diagnostics.ProbeStatus.Ok : Core.Diagnostics.ProbeStatus.Missing, answered ? "answered" : "no answer");
    }
}
