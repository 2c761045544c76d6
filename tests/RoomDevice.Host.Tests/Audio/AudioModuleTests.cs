using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using RoomDevice.Audio.Pipeline;
using RoomDevice.Core.Diagnostics;
using RoomDevice.Core.Room;
using RoomDevice.Host.Audio;
using RoomDevice.Host.Composition;
using RoomDevice.Host.Configuration;
using RoomDevice.Host.Tests.Support;
using Xunit;

namespace RoomDevice.Host.Tests.Audio;

public sealed class AudioModuleTests
{
    private static IHost Build(TempFolder t, bool simulate, params string[] sets)
    {
        DeviceConfiguration c = DeviceConfiguration.Load(OptionsDiscovery.Schema(),
            new ConfigRequest(t.Config, simulate, [$"Device:StateDirectory={t.State}", "AudioSimulation:ImpulseResponseMs=150", .. sets]));
        Assert.True(c.IsValid, string.Join("\n", c.Issues));
        return DeviceHost.Build(c, LogTarget.Terminal);
    }

    [Fact]
    public async Task Run_simulate_moves_frames_from_the_simulated_array_to_the_call_bridge()
    {
        using var t = new TempFolder(withShippedConfig: true);
        using IHost host = Build(t, simulate: true);
        IServiceProvider sp = host.Services;
        Assert.IsType<SimulatedAudioDeviceFactory>(sp.GetRequiredService<IAudioDeviceFactory>());
        AudioEngineService audio = sp.GetServices<IHostedService>().OfType<AudioEngineService>().Single();
        ITelemetrySource telemetry = Assert.Single(sp.GetServices<ITelemetrySource>(), s => s.Name == "audio");
        Assert.Equal(3, sp.GetServices<IPeripheralProbe>().Count(p => p is LibAsoundProbe or PcmProbe));
        await audio.StartAsync(CancellationToken.None);
        try
        {
            Assert.Null(audio.Failure);
            AudioEngine engine = audio.Engine!;
            // The shipped board is the ReSpeaker 4-mic HAT: four microphone channels.
            Assert.Equal(4, engine.Capture.Format.Channels);
            CallAudioBridge bridge = sp.GetRequiredService<CallAudioBridge>();
            var frame = new float[bridge.FrameSamples];
            int received = 0;
            for (int i = 0; i < 3000 && received < 30; i++)
            {
                while (bridge.Uplink.TryRead(frame))
                {
                    received++;
                }
                await Task.Delay(10);
            }
            Assert.True(received >= 30, $"{received} uplink frames from the simulated room");
            sp.GetRequiredService<RoomStateMachine>().Handle(new MuteSet(true));
            var figures = new Dictionary<string, double>();
            for (int i = 0; i < 300 && (!figures.TryGetValue("muted", out double m) || m != 1); i++)
            {
                await Task.Delay(10);
                telemetry.Collect(figures);
            }
            Assert.Equal(1, figures["muted"]);
            Assert.True(figures["frames"] >= 30);
            Assert.True(figures["mic_db"] > -90, $"mic {figures["mic_db"]} dBFS");
        }
        finally
        {
            await audio.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public void On_the_device_the_engine_uses_the_alsa_pcms_of_the_board_profile()
    {
        using var t = new TempFolder(withShippedConfig: true);
        using IHost host = Build(t, simulate: false);
        Assert.IsType<AlsaAudioDeviceFactory>(host.Services.GetRequiredService<IAudioDeviceFactory>());
        ProbeResult capture = host.Services.GetServices<IPeripheralProbe>().OfType<PcmProbe>().First().Probe();
        Assert.Equal("audio.capture", capture.Name);
        Assert.Equal(ProbeStatus.Missing, capture.Status);   // no sound card on this machine
        Assert.Contains("'hw:CARD=seeed4micvoicec,DEV=0'", capture.Detail, StringComparison.Ordinal);
    }
}
