using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RoomDevice.Audio;
using RoomDevice.Audio.Devices;
using RoomDevice.Audio.Dsp;
using RoomDevice.Audio.Frames;
using RoomDevice.Audio.Pipeline;
using RoomDevice.Audio.Simulation;
using RoomDevice.Audio.Speech;
using RoomDevice.Audio.Wav;
using RoomDevice.Core.Diagnostics;
using RoomDevice.Core.Room;
using RoomDevice.Hardware.Audio;
using RoomDevice.Hardware.Simulation.Audio;
using RoomDevice.Host.Composition;

namespace RoomDevice.Host.Audio;

/// <summary>
/// The audio engine: ALSA devices (or, with --simulate, the simulated sound card in a simulated
/// room with a far-end and a local talker), the media pipeline between them and the call bridge,
/// telemetry "audio" and the selftest rows for libasound and both PCMs.
/// </summary>
internal sealed class AudioModule : IHostModule
{
    public int Order => 110;

    public void Register(IServiceCollection services, HostModuleContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        AudioOptions audio = context.Options<AudioOptions>();
        services.TryAddSingleton(_ => new CallAudioBridge(audio.ProcessingSampleRate, 32));
        if (context.Simulate)
        {
            AudioSimulationOptions sim = context.Options<AudioSimulationOptions>();
            services.AddSingleton<IAudioDeviceFactory>(sp => new SimulatedAudioDeviceFactory(audio, sim, sp.GetRequiredService<RoomStateMachine>(),
                sp.GetRequiredService<ILogger<SimulatedAudioDeviceFactory>>()));
        }
        else
        {
            services.AddSingleton<IAudioDeviceFactory>(_ => new AlsaAudioDeviceFactory(audio));
        }
        services.AddSingleton(sp => new AudioEngineService(audio, sp.GetRequiredService<IAudioDeviceFactory>(), sp.GetRequiredService<CallAudioBridge>(),
            sp.GetService<ICaptureProcessor>(), sp.GetRequiredService<RoomStateMachine>(), sp.GetRequiredService<DeviceEventHub>(),
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<AudioEngineService>>()));
        services.AddHostedService(sp => sp.GetRequiredService<AudioEngineService>());
        services.AddSingleton<ITelemetrySource>(sp => new AudioTelemetry(sp.GetRequiredService<AudioEngineService>()));
        services.AddSingleton<IPeripheralProbe>(_ => new LibAsoundProbe(required: !context.Simulate));
        services.AddSingleton<IPeripheralProbe>(sp => new PcmProbe(PcmDirection.Capture, audio, context.Simulate, sp.GetRequiredService<AudioEngineService>()));
        services.AddSingleton<IPeripheralProbe>(sp => new PcmProbe(PcmDirection.Playback, audio, context.Simulate, sp.GetRequiredService<AudioEngineService>()));
    }
}

/// <summary>Makes the engine's capture and playback devices.</summary>
internal interface IAudioDeviceFactory : IDisposable
{
    /// <summary>Opens both devices; throws <see cref="AudioDeviceException"/> naming the device that failed.</summary>
    (ICaptureDevice Capture, IPlaybackDevice Playback) Open();

    /// <summary>Extra sources for the loudspeaker mix (the simulated far end), at the processing rate.</summary>
    IReadOnlyList<IFrameSource> RenderSources { get; }
}

/// <summary>The device's ALSA PCMs from the Audio section.</summary>
internal sealed class AlsaAudioDeviceFactory(AudioOptions options) : IAudioDeviceFactory
{
    public IReadOnlyList<IFrameSource> RenderSources => [];

    public static AlsaPcmSettings CaptureSettings(AudioOptions o) => new()
    {
        Name = o.CaptureDevice, SampleRate = o.DeviceSampleRate, Channels = o.CaptureChannels,
        PeriodFrames = o.PeriodFrames, BufferFrames = o.BufferFrames, RealtimePriority = o.RealtimePriority, AllowAlsaResampling = o.AlsaResampling,
    };

    public static AlsaPcmSettings PlaybackSettings(AudioOptions o) => new()
    {
        Name = o.PlaybackDevice, SampleRate = o.DeviceSampleRate, Channels = o.PlaybackChannels,
        PeriodFrames = o.PeriodFrames, BufferFrames = o.BufferFrames, RealtimePriority = o.RealtimePriority, AllowAlsaResampling = o.AlsaResampling,
    };

    public (ICaptureDevice Capture, IPlaybackDevice Playback) Open()
    {
        var capture = new AlsaCaptureDevice(CaptureSettings(options));
        try
        {
            return (capture, new AlsaPlaybackDevice(PlaybackSettings(options)));
        }
        catch
        {
            capture.Dispose();
            throw;
        }
    }

    public void Dispose() { }
}

/// <summary>The simulated sound card in the simulated room of the AudioSimulation section, with speech for both talkers.</summary>
internal sealed class SimulatedAudioDeviceFactory(AudioOptions audio, AudioSimulationOptions sim, RoomStateMachine room, ILogger log) : IAudioDeviceFactory
{
    private SimulatedSoundCard? _card;
    private readonly List<IFrameSource> _sources = [];

    public IReadOnlyList<IFrameSource> RenderSources => _sources;

    public SimulatedSoundCard? Card => _card;

    public (ICaptureDevice Capture, IPlaybackDevice Playback) Open()
    {
        if (audio.DeviceSampleRate != 48000)
        {
            throw new AudioDeviceException($"capture device 'simulated:mics': the simulated room runs at 48000 Hz; Audio:DeviceSampleRate is {audio.DeviceSampleRate}");
        }
        ChannelMap map = audio.BuildChannelMap();
        float[]? local = Speech(sim.LocalTalkerWav, 48000, "en-gb+f3",
            "Can everyone in the room hear me? I will move the next item to Thursday.", leadSilenceS: 2.5, tailSilenceS: 1.0);
        float[]? far = Speech(sim.FarEndWav, audio.ProcessingSampleRate, "en-us",
            "Good morning from the other office. The figures for last quarter are in the shared folder.", leadSilenceS: 0, tailSilenceS: 3.0);
        if (far is not null)
        {
            _sources.Add(new FarEndTalker(far, 0.7f, room));
        }
        var roomSim = new SimulatedRoom(sim.ToSettings(map.Microphones.Count, local));
        _card = new SimulatedSoundCard(roomSim, audio.CaptureChannels, audio.PlaybackChannels, map, realTime: true);
        log.LogInformation("Simulated room {Size} m, RT60 {Rt60} s, {Mics} microphones, local talker {Local}, far-end talker {Far}",
            sim.RoomSize, sim.Rt60, map.Microphones.Count, local is null ? "none" : "on", far is null ? "none" : "on");
        return (_card.Capture, _card.Playback);
    }

    private float[]? Speech(string wavPath, int rate, string voice, string text, double leadSilenceS, double tailSilenceS)
    {
        float[] speech;
        if (!string.IsNullOrEmpty(wavPath))
        {
            WavFile wav = WavFile.Read(wavPath);
            speech = PolyphaseResampler.ConvertSignal(wav.Channel(0), wav.SampleRate, rate);
        }
        else
        {
            try
            {
                speech = new SpeechMaterial(SpeechMaterial.DefaultCacheDirectory()).Speak(text, voice, rate);
            }
            catch (InvalidOperationException e)
            {
                log.LogWarning("No synthesised speech for the simulated room ({Reason}); that talker stays silent", e.Message);
                return null;
            }
        }
        var padded = new float[(int)(leadSilenceS * rate) + speech.Length + (int)(tailSilenceS * rate)];
        speech.CopyTo(padded, (int)(leadSilenceS * rate));
        return padded;
    }

    public void Dispose() => _card?.Dispose();
}

/// <summary>
/// Runs the audio engine for the life of the host. A device that cannot be opened leaves the
/// device running without audio and says so (log, fault event, selftest, health) rather than
/// stopping calls and fleet management.
/// </summary>
internal sealed class AudioEngineService(
    AudioOptions options,
    IAudioDeviceFactory devices,
    CallAudioBridge bridge,
    ICaptureProcessor? processor,
    RoomStateMachine room,
    DeviceEventHub events,
    TimeProvider time,
    ILogger<AudioEngineService> log) : IHostedService, IDisposable
{
    private AudioEngine? _engine;

    /// <summary>The running engine, or null when the devices could not be opened.</summary>
    public AudioEngine? Engine => Volatile.Read(ref _engine);

    /// <summary>Why the engine is not running, or null.</summary>
    public string? Failure { get; private set; }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        ICaptureDevice? capture = null;
        IPlaybackDevice? playback = null;
        try
        {
            (capture, playback) = devices.Open();
            ICaptureProcessor? chosen = processor;
            if (chosen is not null && chosen.SampleRate != options.ProcessingSampleRate)
            {
                log.LogWarning("The capture processor runs at {Rate} Hz but Audio:ProcessingSampleRate is {Processing} Hz; using the passthrough processor",
                    chosen.SampleRate, options.ProcessingSampleRate);
                chosen = null;
            }
            var engine = new AudioEngine(options.ToSettings(), capture, playback, bridge, chosen, room);
            foreach (IFrameSource s in devices.RenderSources)
            {
                engine.Pipeline.AddRenderSource(s);
            }
            engine.Start();
            Volatile.Write(ref _engine, engine);
            foreach (string? w in new[] { capture.Warning, playback.Warning })
            {
                if (w is not null)
                {
                    log.LogWarning("{Warning}", w);
                }
            }
            log.LogInformation("Audio engine running: capture '{Capture}' {CaptureFormat}, playback '{Playback}' {PlaybackFormat}, processing {Rate} Hz, {Map}",
                capture.Name, capture.Format, playback.Name, playback.Format, options.ProcessingSampleRate, options.BuildChannelMap());
        }
        catch (Exception e) when (e is AudioDeviceException or WavFormatException or ArgumentException or FormatException)
        {
            capture?.Dispose();
            playback?.Dispose();
            Failure = e.Message;
            log.LogError("Audio engine not started: {Reason}", e.Message);
            events.Publish(new DeviceEvent("fault.audio", time.GetUtcNow(), new Dictionary<string, string> { ["reason"] = e.Message }));
        }
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        AudioEngine? engine = Interlocked.Exchange(ref _engine, null);
        if (engine is not null)
        {
            engine.Dispose();
            engine.Capture.Dispose();
            engine.Playback.Dispose();
        }
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        StopAsync(CancellationToken.None).GetAwaiter().GetResult();
        devices.Dispose();
    }
}

/// <summary>Telemetry "audio": levels in dBFS, device xruns, ring overruns and underruns, frames.</summary>
internal sealed class AudioTelemetry(AudioEngineService service) : ITelemetrySource
{
    public string Name => "audio";

    public void Collect(IDictionary<string, double> into)
    {
        ArgumentNullException.ThrowIfNull(into);
        AudioEngine? engine = service.Engine;
        if (engine is null)
        {
            into["running"] = 0;
            return;
        }
        var all = new Dictionary<string, double>();
        engine.Collect(all);
        foreach (var (k, v) in all)
        {
            into[k] = Math.Round(v, 1);
        }
    }
}

/// <summary>Selftest row "libasound": the ALSA library can be loaded.</summary>
internal sealed class LibAsoundProbe(bool required) : IPeripheralProbe
{
    public ProbeResult Probe() => AlsaDeviceList.TryLoadLibrary(out string detail)
        ? new ProbeResult("libasound", required, ProbeStatus.Ok, detail)
        : new ProbeResult("libasound", required, ProbeStatus.Missing, detail);
}

/// <summary>Selftest row "audio.capture" / "audio.playback": the configured PCM opens as configured.</summary>
internal sealed class PcmProbe(PcmDirection direction, AudioOptions options, bool simulate, AudioEngineService service) : IPeripheralProbe
{
    public ProbeResult Probe()
    {
        string name = direction == PcmDirection.Capture ? "audio.capture" : "audio.playback";
        AudioEngine? engine = service.Engine;
        if (engine is not null)
        {
            IAudioDevice dev = direction == PcmDirection.Capture ? engine.Capture : engine.Playback;
            return new ProbeResult(name, !simulate, dev.Warning is null ? ProbeStatus.Ok : ProbeStatus.Degraded,
                $"'{dev.Name}' {dev.Format}, in use{(dev.Warning is null ? "" : "; " + dev.Warning)}");
        }
        if (simulate)
        {
            return service.Failure is { } failure
                ? new ProbeResult(name, false, ProbeStatus.Missing, failure)
                : new ProbeResult(name, false, ProbeStatus.Ok, $"simulated sound card {(direction == PcmDirection.Capture ? "microphones" : "loudspeaker")}, not running yet");
        }
        AlsaPcmSettings settings = direction == PcmDirection.Capture ? AlsaAudioDeviceFactory.CaptureSettings(options) : AlsaAudioDeviceFactory.PlaybackSettings(options);
        try
        {
            using AlsaPcm pcm = AlsaPcm.Open(settings, direction);
            return new ProbeResult(name, true, ProbeStatus.Ok, $"'{settings.Name}' opens at {settings.SampleRate} Hz x {settings.Channels} ch ({pcm.SampleFormat}, period {pcm.PeriodFrames})");
        }
        catch (AudioDeviceException e)
        {
            return new ProbeResult(name, true, ProbeStatus.Missing, e.Message);
        }
    }
}
