using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using RoomDevice.Audio;
using RoomDevice.Audio.Interop.Speex;
using RoomDevice.Audio.Pipeline;
using RoomDevice.Audio.Processing;
using RoomDevice.Core.Diagnostics;
using RoomDevice.Core.Options;
using RoomDevice.Core.Room;
using RoomDevice.Host.Composition;
using RoomDevice.Host.Voice;

namespace RoomDevice.Host.Tests.Voice;

public sealed class VoiceModuleTests
{
    private static ServiceProvider Build(VoiceOptions voice, int rate = 16000)
    {
        var context = new HostModuleContext(false, new ConfigurationBuilder().Build(), "config", "state")
        {
            BoundOptions = new Dictionary<Type, IDeviceOptions>
            {
                [typeof(VoiceOptions)] = voice,
                [typeof(AudioOptions)] = new AudioOptions { ProcessingSampleRate = rate },
            },
        };
        var services = new ServiceCollection();
        services.AddSingleton(new RoomStateMachine());
        services.AddSingleton<DeviceEventHub>();
        services.AddSingleton<TimeProvider>(new FakeTimeProvider());
        new VoiceModule().Register(services, context);
        return services.BuildServiceProvider();
    }

    [Fact]
    public void Voice_Aec_chooses_the_capture_processor()
    {
        using (var sp = Build(new VoiceOptions { Aec = AecKind.Managed }))
        {
            Assert.IsType<CaptureChain>(sp.GetRequiredService<ICaptureProcessor>());
        }

        using (var sp = Build(new VoiceOptions { Aec = AecKind.Speex }))
        {
            Assert.IsType<SpeexCaptureProcessor>(sp.GetRequiredService<ICaptureProcessor>());
        }

        using (var sp = Build(new VoiceOptions { Aec = AecKind.Off }, rate: 48000))
        {
            var p = Assert.IsType<CaptureChain>(sp.GetRequiredService<ICaptureProcessor>());
            Assert.Null(p.Canceller);
            Assert.Equal(48000, p.SampleRate);
        }
    }

    [Fact]
    public void Talking_into_a_muted_room_publishes_a_device_event()
    {
        using var sp = Build(new VoiceOptions { Agc = false });
        var chain = (CaptureChain)sp.GetRequiredService<ICaptureProcessor>();
        var events = new List<DeviceEvent>();
        using var sub = sp.GetRequiredService<DeviceEventHub>().Subscribe(events.Add);
        sp.GetRequiredService<RoomStateMachine>().Handle(new MuteSet(true));
        Assert.True(chain.Muted);
        var rng = new Random(4);
        var frame = new float[160];
        var silence = new float[160];
        var output = new float[160];
        for (int n = 0; n < 300; n++)
        {
            float level = n < 150 ? 0.001f : 0.2f;
            for (int i = 0; i < 160; i++)
            {
                frame[i] = level * (float)((rng.NextDouble() * 2) - 1);
            }

            chain.AnalyzeRender(silence);
            chain.ProcessCapture(frame, output);
        }

        Assert.Contains(events, e => e.Kind == VoiceModule.MutedTalkingEvent);
        var figures = new Dictionary<string, double>();
        foreach (ITelemetrySource t in sp.GetServices<ITelemetrySource>())
        {
            t.Collect(figures);
        }

        Assert.True(figures.ContainsKey("erleDb") && figures.ContainsKey("delayMs") && figures.ContainsKey("driftPpm"));
    }
}
