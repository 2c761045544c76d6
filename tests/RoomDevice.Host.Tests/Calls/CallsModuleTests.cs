using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using RoomDevice.Calls;
using RoomDevice.Calls.Sip;
using RoomDevice.Core.Diagnostics;
using RoomDevice.Core.Room;
using RoomDevice.Host.Calls;
using RoomDevice.Host.Composition;
using RoomDevice.Host.Configuration;
using RoomDevice.Host.Tests.Support;

namespace RoomDevice.Host.Tests.Calls;

public sealed class CallsModuleTests
{
    private static IHost BuildSimulated(TempFolder t, params string[] sets)
    {
        DeviceConfiguration c = DeviceConfiguration.Load(OptionsDiscovery.Schema(),
            new ConfigRequest(t.Config, true, [$"Device:StateDirectory={t.State}", "Calls:SipPort=0", "Calls:EchoDelayMs=200", .. sets]));
        Assert.True(c.IsValid, string.Join("\n", c.Issues));
        return DeviceHost.Build(c, LogTarget.Terminal);
    }

    private static async Task Until(RoomStateMachine room, Func<RoomSnapshot, bool> condition, string what)
    {
        for (int i = 0; i < 300; i++)
        {
            if (condition(room.State))
            {
                return;
            }
            await Task.Delay(50);
        }
        Assert.Fail($"room never got {what}; it is {room.State}");
    }

    [Fact]
    public async Task In_simulation_join_reaches_the_echo_service_and_leave_returns_to_idle()
    {
        using var t = new TempFolder(withShippedConfig: true);
        using IHost host = BuildSimulated(t);
        var sp = host.Services;
        var targets = sp.GetRequiredService<IJoinTargetProvider>();
        var target = targets.Current(DateTimeOffset.UtcNow);
        Assert.Equal(EchoService.LocalUri, target!.Value.Target);
        Assert.Contains(sp.GetServices<ITelemetrySource>(), s => s.Name == "call");
        var probe = Assert.Single(sp.GetServices<IPeripheralProbe>().OfType<SipProbe>());
        var calls = sp.GetServices<IHostedService>().OfType<CallService>().Single();
        var events = new List<DeviceEvent>();
        sp.GetRequiredService<DeviceEventHub>().Subscribe(e => { lock (events) { events.Add(e); } });
        await calls.StartAsync(CancellationToken.None);
        try
        {
            Assert.Equal(ProbeStatus.Ok, probe.Probe().Status);
            var room = sp.GetRequiredService<RoomStateMachine>();
            Assert.True(room.Handle(new JoinRequested(target.Value.Target) { Origin = "test" }).Accepted);
            await Until(room, r => r.Phase == CallPhase.InCall, "in call");
            Assert.Equal(SipCallState.Connected, sp.GetRequiredService<RoomCallCoordinator>().CurrentCall!.State);
            room.Handle(new LeaveRequested { Origin = "test" });
            await Until(room, r => r.Phase == CallPhase.Idle, "idle");
            lock (events)
            {
                Assert.Contains(events, e => e.Kind == "call.started");
                Assert.Contains(events, e => e.Kind == "call.ended");
            }
        }
        finally
        {
            await calls.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task The_ring_tone_is_mixed_into_the_running_audio_engine()
    {
        using var t = new TempFolder(withShippedConfig: true);
        using IHost host = BuildSimulated(t, "AudioSimulation:ImpulseResponseMs=150");
        var sp = host.Services;
        var audio = sp.GetServices<IHostedService>().OfType<RoomDevice.Host.Audio.AudioEngineService>().Single();
        var calls = sp.GetServices<IHostedService>().OfType<CallService>().Single();
        var ring = sp.GetRequiredService<CallStack>().Ring;
        Assert.Same(ring, sp.GetRequiredService<RoomCallCoordinator>().RingTone);
        await audio.StartAsync(CancellationToken.None);
        await calls.StartAsync(CancellationToken.None);
        try
        {
            Assert.Null(audio.Failure);
            Assert.Equal(0, ring.FramesRung);
            ring.Start();
            for (int i = 0; i < 500 && ring.FramesRung < 20; i++)
            {
                await Task.Delay(10);
            }
            Assert.True(ring.FramesRung >= 20, $"the engine mixed {ring.FramesRung} ring frames");
            ring.Stop();
            await Task.Delay(100);
            long after = ring.FramesRung;
            await Task.Delay(200);
            Assert.Equal(after, ring.FramesRung);
        }
        finally
        {
            await calls.StopAsync(CancellationToken.None);
            await audio.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public void Tls_files_that_cannot_be_used_are_config_errors_naming_the_key()
    {
        using var t = new TempFolder(withShippedConfig: true);
        string missing = Path.Combine(t.State, "missing.pem");
        DeviceConfiguration c = DeviceConfiguration.Load(OptionsDiscovery.Schema(),
            new ConfigRequest(t.Config, true, [$"Device:StateDirectory={t.State}", $"Calls:TlsCertificate={missing}", $"Calls:TlsPrivateKey={missing}"]));
        Assert.False(c.IsValid);
        var issue = Assert.Single(c.Issues, i => i.Key.StartsWith("Calls:Tls", StringComparison.Ordinal));
        Assert.Equal("Calls:TlsCertificate", issue.Key);
        Assert.Contains("does not exist", issue.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void The_calendar_in_configuration_is_the_join_target()
    {
        using var t = new TempFolder(withShippedConfig: true);
        var now = DateTimeOffset.UtcNow;
        // The fleet pushes the calendar with the rest of the configuration; here it sits in the site layer.
        string site = Path.Combine(t.Config, "site.json");
        var doc = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(site), documentOptions: new System.Text.Json.JsonDocumentOptions { CommentHandling = System.Text.Json.JsonCommentHandling.Skip, AllowTrailingCommas = true })!.AsObject();
        doc["Calendar"] = new System.Text.Json.Nodes.JsonObject
        {
            ["Meetings"] = new System.Text.Json.Nodes.JsonArray(new System.Text.Json.Nodes.JsonObject
            {
                ["Title"] = "Design review",
                ["Start"] = now.AddMinutes(3).ToString("O", CultureInfo.InvariantCulture),
                ["End"] = now.AddMinutes(60).ToString("O", CultureInfo.InvariantCulture),
                ["SipUri"] = "sip:4711@meet.example.com",
                ["Pin"] = "4711#",
            }),
        };
        File.WriteAllText(site, doc.ToJsonString());
        using IHost host = BuildSimulated(t, "Calls:DefaultUri=sip:lobby@meet.example.com");
        var target = host.Services.GetRequiredService<IJoinTargetProvider>().Current(now)!.Value;
        Assert.Equal("sip:4711@meet.example.com", target.Target);
        Assert.Equal("4711#", target.Meeting!.Pin);
        Assert.Equal("sip:lobby@meet.example.com", host.Services.GetRequiredService<IJoinTargetProvider>().Current(now.AddHours(2))!.Value.Target);
    }

    [Fact]
    public void Bad_call_and_calendar_settings_are_rejected_with_their_keys()
    {
        using var t = new TempFolder(withShippedConfig: true);
        DeviceConfiguration c = DeviceConfiguration.Load(OptionsDiscovery.Schema(),
            new ConfigRequest(t.Config, true, [$"Device:StateDirectory={t.State}", "Calls:SipPort=99999", "Calls:Codecs:0=G729",
                "Calendar:Meetings:0:Start=soon", "Calendar:Meetings:0:End=later", "Calendar:Meetings:0:SipUri=x"]));
        Assert.False(c.IsValid);
        string all = string.Join("\n", c.Issues);
        Assert.Contains("Calls:SipPort", all, StringComparison.Ordinal);
        Assert.Contains("Calls:Codecs", all, StringComparison.Ordinal);
        Assert.Contains("Calendar:Meetings:0:Start", all, StringComparison.Ordinal);
        Assert.Contains("Calendar:Meetings:0:SipUri", all, StringComparison.Ordinal);
    }
}
