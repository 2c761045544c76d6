using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using RoomDevice.Management.Config;
using RoomDevice.Management.Tests.Infrastructure;
using Xunit;

namespace RoomDevice.Management.Tests;

/// <summary>The device agent in its own process (roomctl simulate), killed with SIGKILL.</summary>
public sealed class ProcessKillTests : IDisposable
{
    private readonly string _state = Directory.CreateTempSubdirectory("killed-device-").FullName;

    public void Dispose() => Directory.Delete(_state, recursive: true);

    private Process StartDevice(int port, string prefix)
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "roomctl.dll");
        Assert.True(File.Exists(dll), dll + " missing");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in new[] { dll, "simulate", "--devices", "1", "--prefix", prefix, "--state", _state, "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture) })
        {
            psi.ArgumentList.Add(a);
        }
        Process p = Process.Start(psi)!;
        p.OutputDataReceived += (_, _) => { };
        p.ErrorDataReceived += (_, _) => { };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return p;
    }

    private static async Task Kill(Process p)
    {
        p.Kill(); // SIGKILL on Linux: no goodbye, no flush
        await p.WaitForExitAsync();
        p.Dispose();
    }

    [Fact]
    public async Task Killed_process_leaves_its_last_will_and_comes_back_with_a_higher_session()
    {
        await using Mosquitto broker = await Mosquitto.StartAsync();
        string id = "rd-kill-0000";
        await using Observer o = await Observer.ConnectAsync(broker.Port, Topics.Status(id));
        Process p = StartDevice(broker.Port, "rd-kill");
        var online = await o.WaitForAsync(Topics.Status(id), j => (string?)j["state"] == "online", TimeSpan.FromSeconds(60));
        long session = (long)online.Json["session"]!;
        await Kill(p);
        var will = await o.WaitForAsync(Topics.Status(id), j => (string?)j["state"] == "offline", TimeSpan.FromSeconds(60));
        Assert.Equal(session, (long)will.Json["session"]!);

        p = StartDevice(broker.Port, "rd-kill");
        try
        {
            var back = await o.WaitForAsync(Topics.Status(id), j => (string?)j["state"] == "online" && (long)j["session"]! > session, TimeSpan.FromSeconds(60));
            Assert.True((long)back.Json["session"]! > (long)will.Json["session"]!);
        }
        finally
        {
            await Kill(p);
        }
    }

    [Fact]
    public async Task Killed_again_and_again_during_config_writes_the_applied_config_is_always_valid()
    {
        await using Mosquitto broker = await Mosquitto.StartAsync();
        string id = "rd-cfgkill-0000";
        string devState = Path.Combine(_state, id);
        await using Observer o = await Observer.ConnectAsync(broker.Port, Topics.Status(id), Topics.ConfigReported(id));
        var rng = new Random(7);
        long version = 0;
        long lastReported = 0;
        for (int round = 0; round < 5; round++)
        {
            o.Clear();
            Process p = StartDevice(broker.Port, "rd-cfgkill");
            await o.WaitForAsync(Topics.Status(id), j => (string?)j["state"] == "online", TimeSpan.FromSeconds(60));
            using var flood = new CancellationTokenSource();
            Task writer = Task.Run(async () =>
            {
                while (!flood.IsCancellationRequested)
                {
                    version++;
                    string big = new('x', rng.Next(10, 4000));
                    byte[] doc = Encoding.UTF8.GetBytes($"{{\"v\":1,\"version\":{version},\"config\":{{\"Room\":{{\"InitialVolume\":{version % 100}}},\"Mqtt\":{{\"TlsServerName\":\"{big}\"}}}}}}");
                    await o.Client.PublishAsync(Topics.ConfigDesired(id), doc, retain: true);
                    await Task.Delay(rng.Next(0, 5));
                }
            });
            // let at least one write of this round happen, then cut the power somewhere in the flood
            long before = version;
            await o.WaitForAsync(Topics.ConfigReported(id), j => (long?)j["appliedVersion"] > before, TimeSpan.FromSeconds(60));
            await Task.Delay(rng.Next(0, 1000));
            await Kill(p);
            await flood.CancelAsync();
            await writer;
            lastReported = Math.Max(lastReported, o.Seen.Where(m => m.Topic == Topics.ConfigReported(id)).Select(Observer.Json).Max(j => (long?)j?["appliedVersion"]) ?? 0);

            // what the host would read at the next start
            string file = Path.Combine(devState, AppliedConfigStore.FileName);
            Assert.True(File.Exists(file), "no applied config after round " + round);
            JsonObject sections = JsonNode.Parse(File.ReadAllText(file))!.AsObject();
            var store = new AppliedConfigStore(devState);
            Assert.True(store.AppliedVersion >= lastReported, $"reported v{lastReported} but only v{store.AppliedVersion} on disk");
            JsonObject repaired = JsonNode.Parse(File.ReadAllText(file))!.AsObject();
            Assert.Equal(store.AppliedVersion % 100, (long)repaired["Room"]!["InitialVolume"]!);
            Assert.NotNull(sections["Room"]);
        }
        Assert.True(lastReported > 5, "too few configs applied to mean anything: " + lastReported);
    }
}
