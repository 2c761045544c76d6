using Microsoft.Extensions.DependencyInjection;
using RoomDevice.Audio;
using RoomDevice.Audio.Interop.Speex;
using RoomDevice.Audio.Pipeline;
using RoomDevice.Audio.Processing;
using RoomDevice.Core.Diagnostics;
using RoomDevice.Core.Room;
using RoomDevice.Host.Composition;

namespace RoomDevice.Host.Voice;

/// <summary>Registers the capture chain chosen by <c>Voice:Aec</c> and its telemetry source "voice".</summary>
internal sealed class VoiceModule : IHostModule
{
    /// <summary>Processing rate of the capture chain in the live pipeline.</summary>
    public const int SampleRate = 16000;

    /// <summary>Device event published when the local talker speaks while the room is muted.</summary>
    public const string MutedTalkingEvent = "voice.muted-talking";

    public int Order => 120;

    public void Register(IServiceCollection services, HostModuleContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        VoiceOptions options = context.Options<VoiceOptions>();
        int rate = context.BoundOptions.ContainsKey(typeof(AudioOptions)) ? context.Options<AudioOptions>().ProcessingSampleRate : SampleRate;
        services.AddSingleton<ICaptureProcessor>(sp =>
        {
            ICaptureProcessor p = CaptureProcessors.Create(rate is 16000 or 48000 ? rate : SampleRate, options);
            if (p is CaptureChain chain)
            {
                // Talking into a muted room becomes a device event (at most every 10 s).
                RoomStateMachine room = sp.GetRequiredService<RoomStateMachine>();
                DeviceEventHub events = sp.GetRequiredService<DeviceEventHub>();
                TimeProvider time = sp.GetRequiredService<TimeProvider>();
                chain.Muted = room.State.Muted;
                room.Changed += (_, e) => chain.Muted = e.Current.Muted;
                chain.MutedTalkDetected += (_, _) => events.Publish(new DeviceEvent(MutedTalkingEvent, time.GetUtcNow()));
            }

            return p;
        });
        services.AddSingleton<ITelemetrySource>(sp => new VoiceTelemetry(sp.GetRequiredService<ICaptureProcessor>()));
    }
}

/// <summary>Telemetry "voice": ERLE estimate, detected bulk delay and clock drift, VAD state.</summary>
internal sealed class VoiceTelemetry(ICaptureProcessor processor) : ITelemetrySource
{
    public string Name => "voice";

    public void Collect(IDictionary<string, double> into)
    {
        ArgumentNullException.ThrowIfNull(into);
        into["voiceActive"] = processor.VoiceActive ? 1 : 0;
        switch (processor)
        {
            case CaptureChain chain when chain.Canceller is { } aec:
                into["erleDb"] = Math.Round(aec.ErleDb, 1);
                into["delayMs"] = Math.Round(aec.BulkDelaySamples * 1000.0 / aec.SampleRate, 1);
                into["driftPpm"] = Math.Round(aec.DriftPpm, 1);
                into["filterCopies"] = aec.Copies;
                into["pathResets"] = aec.PathResets;
                into["residualLeak"] = Math.Round(chain.Suppressor.Leak, 4);
                break;
            case SpeexCaptureProcessor speex:
                into["speexTailMs"] = speex.TailMilliseconds;
                break;
        }
    }
}
