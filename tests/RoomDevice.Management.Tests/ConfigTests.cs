using System.Text;
using System.Text.Json.Nodes;
using RoomDevice.Management.Config;
using RoomDevice.Management.Storage;
using RoomDevice.Management.Tests.Infrastructure;
using Xunit;

namespace RoomDevice.Management.Tests;

public sealed class ConfigTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    private static byte[] Desired(long version, string config) => Encoding.UTF8.GetBytes($"{{\"v\":1,\"version\":{version},\"config\":{config}}}");

    private static JsonObject AppliedFile(TestDevice d) => JsonNode.Parse(File.ReadAllText(Path.Combine(d.StateDir, AppliedConfigStore.FileName)))!.AsObject();

    [Fact]
    public async Task Newer_config_is_applied_written_atomically_and_reported_older_is_ignored()
    {
        await using Mosquitto broker = await Mosquitto.StartAsync();
        await using TestDevice device = new TestDevice(broker.Port).Start();
        await device.WaitConnectedAsync();
        await using Observer o = await Observer.ConnectAsync(broker.Port, Topics.ConfigReported(device.Id));
        await o.Client.PublishAsync(Topics.ConfigDesired(device.Id), Desired(3, "{\"Room\":{\"InitialVolume\":60}}"), retain: true);
        var applied = await o.WaitForAsync(Topics.ConfigReported(device.Id), j => (string?)j["result"] == "applied" && (long?)j["appliedVersion"] == 3, Wait);
        await using (Observer late = await Observer.ConnectAsync(broker.Port, Topics.ConfigReported(device.Id)))
        {
            Assert.True((await late.WaitForAsync(Topics.ConfigReported(device.Id), timeout: Wait)).Message.Retain);
        }
        Assert.Empty(applied.Json["errors"]!.AsArray());
        Assert.Equal(60, (int)AppliedFile(device)["Room"]!["InitialVolume"]!);

        await o.Client.PublishAsync(Topics.ConfigDesired(device.Id), Desired(2, "{\"Room\":{\"InitialVolume\":20}}"), retain: true);
        var ignored = await o.WaitForAsync(Topics.ConfigReported(device.Id), j => (string?)j["result"] == "ignored", Wait);
        Assert.Equal(3, (long)ignored.Json["appliedVersion"]!);
        Assert.Equal(2, (long)ignored.Json["version"]!);
        Assert.Contains("not newer", (string?)ignored.Json["message"], StringComparison.Ordinal);
        Assert.Equal(60, (int)AppliedFile(device)["Room"]!["InitialVolume"]!);
        Assert.Equal(3, device.Agent.AppliedConfigVersion);
    }

    [Fact]
    public async Task Invalid_config_is_rejected_with_every_error_and_its_key_and_nothing_changes()
    {
        await using Mosquitto broker = await Mosquitto.StartAsync();
        await using TestDevice device = new TestDevice(broker.Port).Start();
        await device.WaitConnectedAsync();
        await using Observer o = await Observer.ConnectAsync(broker.Port, Topics.ConfigReported(device.Id));
        await o.Client.PublishAsync(Topics.ConfigDesired(device.Id), Desired(1, "{\"Room\":{\"VolumeStep\":3}}"), retain: true);
        await o.WaitForAsync(Topics.ConfigReported(device.Id), j => (string?)j["result"] == "applied", Wait);
        string before = File.ReadAllText(Path.Combine(device.StateDir, AppliedConfigStore.FileName));

        await o.Client.PublishAsync(Topics.ConfigDesired(device.Id), Desired(2, "{\"Room\":{\"InitialVolume\":500,\"VolumeStep\":0},\"Mqtt\":{\"Port\":70000,\"Password\":\"hunter2\"},\"Nonsense\":{\"X\":1}}"), retain: true);
        var rejected = await o.WaitForAsync(Topics.ConfigReported(device.Id), j => (string?)j["result"] == "rejected", Wait);
        var keys = rejected.Json["errors"]!.AsArray().Select(e => (string?)e!["key"]).ToList();
        Assert.Contains("Room:InitialVolume", keys);
        Assert.Contains("Room:VolumeStep", keys);
        Assert.Contains("Mqtt:Port", keys);
        Assert.Contains(keys, k => k!.StartsWith("Nonsense", StringComparison.Ordinal));
        Assert.All(rejected.Json["errors"]!.AsArray(), e => Assert.False(string.IsNullOrEmpty((string?)e!["accepted"])));
        Assert.Equal(1, (long)rejected.Json["appliedVersion"]!);
        Assert.Equal(2, (long)rejected.Json["version"]!);
        Assert.DoesNotContain("hunter2", Encoding.UTF8.GetString(rejected.Message.Payload), StringComparison.Ordinal);
        Assert.Equal(before, File.ReadAllText(Path.Combine(device.StateDir, AppliedConfigStore.FileName)));
        Assert.Equal(1, device.Agent.AppliedConfigVersion);
    }

    [Theory]
    [InlineData("{\"version\":4}", "config")]
    [InlineData("{\"version\":\"4\",\"config\":{}}", "version")]
    [InlineData("{\"version\":0,\"config\":{}}", "version")]
    [InlineData("{\"version\":5,\"config\":{\"Room\":7}}", "Room")]
    [InlineData("{\"version\":5,\"config\":{},\"extra\":1}", "extra")]
    [InlineData("{\"version\":5,\"config\":{}", "(document)")]
    [InlineData("{\"version\":5,\"config\":{},\"config\":{}}", "(document)")]
    public async Task Malformed_desired_documents_are_rejected_naming_what_is_wrong(string payload, string key)
    {
        await using Mosquitto broker = await Mosquitto.StartAsync();
        await using TestDevice device = new TestDevice(broker.Port).Start();
        await device.WaitConnectedAsync();
        await using Observer o = await Observer.ConnectAsync(broker.Port, Topics.ConfigReported(device.Id));
        await o.Client.PublishAsync(Topics.ConfigDesired(device.Id), Encoding.UTF8.GetBytes(payload), retain: true);
        var rejected = await o.WaitForAsync(Topics.ConfigReported(device.Id), j => (string?)j["result"] == "rejected", Wait);
        Assert.Contains(rejected.Json["errors"]!.AsArray(), e => (string?)e!["key"] == key);
        Assert.Equal(0, device.Agent.AppliedConfigVersion);
        Assert.False(File.Exists(Path.Combine(device.StateDir, AppliedConfigStore.FileName)));
    }

    [Fact]
    public async Task Applied_config_survives_a_restart_and_is_reconciled_after_reconnect()
    {
        await using Mosquitto broker = await Mosquitto.StartAsync();
        await using TestDevice device = new TestDevice(broker.Port).Start();
        await device.WaitConnectedAsync();
        await using Observer o = await Observer.ConnectAsync(broker.Port, Topics.ConfigReported(device.Id));
        await o.Client.PublishAsync(Topics.ConfigDesired(device.Id), Desired(7, "{\"Room\":{\"InitialVolume\":35}}"), retain: true);
        await o.WaitForAsync(Topics.ConfigReported(device.Id), j => (long?)j["appliedVersion"] == 7, Wait);
        await device.StopAsync();

        // while the device is down the fleet moves on to version 8
        await o.Client.PublishAsync(Topics.ConfigDesired(device.Id), Desired(8, "{\"Room\":{\"InitialVolume\":45}}"), retain: true);
        var reopened = new AppliedConfigStore(device.StateDir);
        Assert.Equal(7, reopened.AppliedVersion);
        Assert.Equal(35, (int)reopened.AppliedConfig!["Room"]!["InitialVolume"]!);

        device.Start();
        await o.WaitForAsync(Topics.ConfigReported(device.Id), j => (long?)j["appliedVersion"] == 8, Wait);
        Assert.Equal(45, (int)AppliedFile(device)["Room"]!["InitialVolume"]!);
        Assert.True(File.Exists(Path.Combine(device.StateDir, AppliedConfigStore.FileName + AtomicFile.LastGoodSuffix)));
        Assert.Equal(35, (int)JsonNode.Parse(File.ReadAllText(Path.Combine(device.StateDir, AppliedConfigStore.FileName + AtomicFile.LastGoodSuffix)))!["Room"]!["InitialVolume"]!);
    }
}
