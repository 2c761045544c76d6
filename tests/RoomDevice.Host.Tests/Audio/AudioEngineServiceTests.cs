using Microsoft.Extensions.Logging.Abstractions;
using RoomDevice.Audio;
using RoomDevice.Audio.Pipeline;
using RoomDevice.Audio.Simulation;
using RoomDevice.Core.Diagnostics;
using RoomDevice.Core.Room;
using RoomDevice.Hardware.Audio;
using RoomDevice.Host.Audio;
using Xunit;

namespace RoomDevice.Host.Tests.Audio;

public sealed class AudioEngineServiceTests
{
    private static AudioEngineService Service(AudioOptions audio, IAudioDeviceFactory factory, RoomStateMachine room, DeviceEventHub events) =>
        new(audio, factory, new CallAudioBridge(audio.ProcessingSampleRate), null, room, events, TimeProvider.System, NullLogger<AudioEngineService>.Instance);

    [Fact]
    public async Task Simulate_runs_the_engine_in_the_simulated_room_and_reports_telemetry_and_probes()
    {
        var audio = new AudioOptions { CaptureChannels = 4, MicChannels = "0,1,2,3" };
        var room = new RoomStateMachine();
        using var factory = new SimulatedAudioDeviceFactory(audio, new AudioSimulationOptions { ImpulseResponseMs = 150 }, room, NullLogger.Instance);
        using var service = Service(audio, factory, room, new DeviceEventHub());
        await service.StartAsync(CancellationToken.None);
        Assert.Null(service.Failure);
        Assert.NotNull(service.Engine);
        var sw = System.Diagnostics.Stopwatch.StartNew();
        while (service.Engine!.Pipeline.Ticks < 40 && sw.Elapsed < TimeSpan.FromSeconds(30))
        {
            await Task.Delay(10);
        }
        var figures = new Dictionary<string, double>();
        new AudioTelemetry(service).Collect(figures);
        Assert.Equal(1, figures["running"]);
        Assert.True(figures["frames"] >= 40, $"{figures["frames"]} frames");
        Assert.True(figures["speaker_db"] > -100, "the simulated far end plays through the loudspeaker");
        ProbeResult capture = new PcmProbe(PcmDirection.Capture, audio, simulate: true, service).Probe();
        Assert.Equal(ProbeStatus.Ok, capture.Status);
        Assert.Contains("simulated:mics", capture.Detail, StringComparison.Ordinal);
        Assert.False(capture.Required);
        await service.StopAsync(CancellationToken.None);
        Assert.Null(service.Engine);
    }

    [Fact]
    public async Task A_missing_sound_card_leaves_the_device_running_and_says_which_device()
    {
        var audio = new AudioOptions { CaptureDevice = "rd_absent_array", PlaybackDevice = "null" };
        var events = new DeviceEventHub();
        var seen = new List<DeviceEvent>();
        using var sub = events.Subscribe(seen.Add);
        using var service = Service(audio, new AlsaAudioDeviceFactory(audio), new RoomStateMachine(), events);
        await service.StartAsync(CancellationToken.None);
        Assert.Null(service.Engine);
        Assert.Contains("'rd_absent_array'", service.Failure, StringComparison.Ordinal);
        DeviceEvent fault = Assert.Single(seen);
        Assert.Equal("fault.audio", fault.Kind);
        var figures = new Dictionary<string, double>();
        new AudioTelemetry(service).Collect(figures);
        Assert.Equal(0, figures["running"]);
        ProbeResult probe = new PcmProbe(PcmDirection.Capture, audio, simulate: false, service).Probe();
        Assert.Equal(ProbeStatus.Missing, probe.Status);
        Assert.True(probe.Required);
        Assert.Contains("rd_absent_array", probe.Detail, StringComparison.Ordinal);
        ProbeResult playback = new PcmProbe(PcmDirection.Playback, audio, simulate: false, service).Probe();
        Assert.Equal(ProbeStatus.Ok, playback.Status);
        Assert.Equal(ProbeStatus.Ok, new LibAsoundProbe(required: true).Probe().Status);
        await service.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task A_talker_file_that_is_not_a_wav_is_named_and_the_device_keeps_running()
    {
        string bad = Path.Combine(Path.GetTempPath(), "roomdevice-not-a-wav-" + Guid.NewGuid().ToString("N") + ".wav");
        await File.WriteAllTextAsync(bad, "no audio here");
        try
        {
            var audio = new AudioOptions { CaptureChannels = 4, MicChannels = "0,1,2,3" };
            var room = new RoomStateMachine();
            using var factory = new SimulatedAudioDeviceFactory(audio, new AudioSimulationOptions { LocalTalkerWav = bad }, room, NullLogger.Instance);
            using var service = Service(audio, factory, room, new DeviceEventHub());
            await service.StartAsync(CancellationToken.None);
            Assert.Null(service.Engine);
            Assert.Contains(bad, service.Failure, StringComparison.Ordinal);
            Assert.Contains("not a WAV file", service.Failure, StringComparison.Ordinal);
            await service.StopAsync(CancellationToken.None);
        }
        finally
        {
            File.Delete(bad);
        }
    }
}
