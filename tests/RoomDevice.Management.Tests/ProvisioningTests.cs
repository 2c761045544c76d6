using System.Text;
using System.Text.Json.Nodes;
using RoomDevice.Management.Provisioning;
using RoomDevice.Management.Storage;
using RoomDevice.Management.Tests.Infrastructure;
using Xunit;

namespace RoomDevice.Management.Tests;

public sealed class ProvisioningTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Unclaimed_device_announces_a_hash_of_its_stable_claim_code_and_is_claimed_with_it()
    {
        await using Mosquitto broker = await Mosquitto.StartAsync();
        await using TestDevice device = new TestDevice(broker.Port, claimed: false).Start();
        await using Observer o = await Observer.ConnectAsync(broker.Port, Topics.Unclaimed + "/+", Topics.Birth(device.Id));
        var announcement = await o.WaitForAsync(Topics.UnclaimedAnnouncement(device.Id), timeout: Wait);
        await using (Observer early = await Observer.ConnectAsync(broker.Port, Topics.UnclaimedAnnouncement(device.Id)))
        {
            Assert.True((await early.WaitForAsync(Topics.UnclaimedAnnouncement(device.Id), timeout: Wait)).Message.Retain);
        }
        string code = device.Agent.ClaimCode;
        Assert.True(ClaimCodes.IsWellFormed(code));
        Assert.Equal(ClaimCodes.Hash(device.Id, code), (string?)announcement.Json["claimCodeHash"]);
        Assert.DoesNotContain(ClaimCodes.Normalize(code), Encoding.UTF8.GetString(announcement.Message.Payload), StringComparison.Ordinal);

        // the code is stable across restarts
        await device.StopAsync();
        device.Start();
        Assert.Equal(code, device.Agent.ClaimCode);
        await device.WaitConnectedAsync();

        JsonObject? wrong = await o.Client.RequestAsync(device.Id, Topics.Assign(device.Id), Encoding.UTF8.GetBytes("{\"code\":\"AAAA-AAAA\",\"room\":\"Oslo 4.12\"}"), Wait);
        Assert.Equal("claim_code_mismatch", (string?)wrong!["error"]!["code"]);
        Assert.Null(device.Agent.Assignment);
        JsonObject? bad = await o.Client.RequestAsync(device.Id, Topics.Assign(device.Id), Encoding.UTF8.GetBytes("{\"code\":\"" + code + "\",\"room\":\"\"}"), Wait);
        Assert.Equal("bad_room", (string?)bad!["error"]!["code"]);

        JsonObject? ok = await o.Client.RequestAsync(device.Id, Topics.Assign(device.Id), Encoding.UTF8.GetBytes("{\"code\":\"" + code.ToLowerInvariant() + "\",\"room\":\"Oslo 4.12\",\"site\":\"HQ\"}"), Wait);
        Assert.Equal("succeeded", (string?)ok!["status"]);
        Assert.Equal("Oslo 4.12", device.Agent.Assignment!.Room);
        Assert.Equal("HQ", new DeviceStateStore(device.StateDir).Assignment()!.Site);
        await o.WaitForAsync(Topics.Birth(device.Id), j => (string?)j["room"] == "Oslo 4.12" && (bool)j["claimed"]!, Wait);

        // the announcement is gone for anyone looking later
        await using Observer late = await Observer.ConnectAsync(broker.Port, Topics.Unclaimed + "/+", Topics.Birth(device.Id));
        await late.WaitForAsync(Topics.Birth(device.Id), timeout: Wait);
        await Task.Delay(300);
        Assert.DoesNotContain(late.Seen, m => m.Topic == Topics.UnclaimedAnnouncement(device.Id) && m.Payload.Length > 0);
    }

    [Theory]
    [InlineData("{\"room\":\"A\"}", "bad_code")]
    [InlineData("{\"code\":\"ABCD-EFGH\",\"room\":\"A\",\"admin\":true}", "unknown_field")]
    [InlineData("{\"code\":12345678,\"room\":\"A\"}", "bad_code")]
    [InlineData("{\"code\":\"ABCD-EFGH\",\"room\":\"A\",\"site\":5}", "bad_site")]
    [InlineData("garbage", "invalid_json")]
    public async Task Malformed_assignments_are_refused_with_a_clear_error(string payload, string code)
    {
        await using Mosquitto broker = await Mosquitto.StartAsync();
        await using TestDevice device = new TestDevice(broker.Port, claimed: false).Start();
        await device.WaitConnectedAsync();
        await using Observer o = await Observer.ConnectAsync(broker.Port);
        JsonObject? answer = await o.Client.RequestAsync(device.Id, Topics.Assign(device.Id), Encoding.UTF8.GetBytes(payload), Wait);
        Assert.Equal(code, (string?)answer!["error"]!["code"]);
        Assert.Null(device.Agent.Assignment);
    }
}
