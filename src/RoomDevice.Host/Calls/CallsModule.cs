using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RoomDevice.Audio.Pipeline;
using RoomDevice.Calls;
using RoomDevice.Calls.Calendar;
using RoomDevice.Calls.Media;
using RoomDevice.Calls.Sip;
using RoomDevice.Core.Diagnostics;
using RoomDevice.Core.Identity;
using RoomDevice.Core.Room;
using RoomDevice.Host.Audio;
using RoomDevice.Host.Composition;

namespace RoomDevice.Host.Calls;

/// <summary>
/// Calls: the SIP user agent on the room's address, the coordinator that lets the room state
/// machine drive it, the calendar as the join target, telemetry "call" and the "sip" selftest row.
/// With --simulate an in-process echo service answers sip:echo@local, the default join target.
/// </summary>
internal sealed class CallsModule : IHostModule
{
    public int Order => 130;

    public void Register(IServiceCollection services, HostModuleContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        CallsOptions calls = context.Options<CallsOptions>();
        CalendarOptions calendar = context.Options<CalendarOptions>();
        string? defaultUri = calls.DefaultUri.Length > 0 ? calls.DefaultUri : context.Simulate ? EchoService.LocalUri : null;
        services.AddSingleton<IJoinTargetProvider>(_ => new CalendarJoinTargets(calendar.ToMeetings(), defaultUri));
        services.AddSingleton(sp => new CallStack(calls, context.Simulate, sp));
        services.AddSingleton(sp => sp.GetRequiredService<CallStack>().Agent);
        services.AddSingleton(sp => sp.GetRequiredService<CallStack>().Coordinator);
        services.AddHostedService<CallService>();
        services.AddSingleton<ITelemetrySource>(sp => new CallTelemetry(sp.GetRequiredService<RoomCallCoordinator>()));
        services.AddSingleton<IPeripheralProbe>(sp => new SipProbe(sp.GetRequiredService<SipUserAgent>()));
    }
}

/// <summary>The user agent, the echo service (simulation) and the coordinator, made together and disposed together.</summary>
internal sealed class CallStack : IDisposable
{
    public CallStack(CallsOptions options, bool simulate, IServiceProvider sp)
    {
        var loggers = sp.GetRequiredService<ILoggerFactory>();
        ILogger log = loggers.CreateLogger("RoomDevice.Calls");
        var time = sp.GetRequiredService<TimeProvider>();
        var bridge = sp.GetRequiredService<CallAudioBridge>();
        var identity = sp.GetService<DeviceIdentity>();
        var address = options.ResolveAddress(simulate);
        string cname = (identity?.ToString() ?? options.User) + "@" + address;
        MediaSession NewMedia() => new(bridge, address, options.ToMediaSettings(cname), time, log);
        try
        {
            Agent = new SipUserAgent(options.ToAgentSettings(address, options.SipPort), NewMedia, time, log);
        }
        catch (SocketException e) when (options.SipPort != 0)
        {
            log.LogWarning("SIP port {Port} on {Address} is not free ({Error}); using a free port instead", options.SipPort, address, e.SocketErrorCode);
            Agent = new SipUserAgent(options.ToAgentSettings(address, 0), NewMedia, time, log);
        }
        if (simulate)
        {
            Echo = new EchoService(bridge.SampleRate, options.EchoDelayMs, time, log);
        }
        Ring = new RingTone(bridge.SampleRate);
        Coordinator = new RoomCallCoordinator(sp.GetRequiredService<RoomStateMachine>(), sp.GetRequiredService<DeviceEventHub>(), Agent, time, log,
            uri => Echo is not null && string.Equals(uri, EchoService.LocalUri, StringComparison.OrdinalIgnoreCase) ? Echo.Uri : uri,
            TimeSpan.FromMilliseconds(options.PinDelayMs), Ring);
    }

    public SipUserAgent Agent { get; }

    public EchoService? Echo { get; }

    public RoomCallCoordinator Coordinator { get; }

    /// <summary>The incoming-call ring, mixed into the loudspeaker by <see cref="CallService"/>.</summary>
    public RingTone Ring { get; }

    public void Dispose()
    {
        Coordinator.Dispose();
        Agent.Dispose();
        Echo?.Dispose();
    }
}

/// <summary>
/// Starts the user agent with the host (after the audio engine, whose loudspeaker mix gets the
/// ring tone) and hangs up and closes it on shutdown.
/// </summary>
internal sealed partial class CallService(CallStack stack, IServiceProvider services, ILogger<CallService> log) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (services.GetService<AudioEngineService>()?.Engine is { } engine)
        {
            engine.Pipeline.AddRenderSource(stack.Ring);
        }
        else
        {
            log.LogWarning("no audio engine is running; incoming calls will ring without a tone");
        }
        stack.Agent.Start();
        LogListening(log, stack.Agent.LocalEndPoint.ToString(), stack.Echo?.Uri ?? "");
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        stack.Dispose();
        return Task.CompletedTask;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "SIP user agent listening on {Endpoint}; echo service {Echo}")]
    private static partial void LogListening(ILogger log, string endpoint, string echo);
}
