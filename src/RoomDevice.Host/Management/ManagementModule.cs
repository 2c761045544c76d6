using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RoomDevice.Core.Diagnostics;
using RoomDevice.Core.Identity;
using RoomDevice.Core.Options;
using RoomDevice.Core.Room;
using RoomDevice.Host.Composition;
using RoomDevice.Management;

namespace RoomDevice.Host.Management;

/// <summary>
/// Fleet management: the MQTT device agent as a hosted service, and in <c>--simulate</c> without
/// <c>Mqtt:Host</c> an embedded broker on 127.0.0.1 so roomctl works at once.
/// </summary>
internal sealed class ManagementModule : IHostModule
{
    public int Order => 500;

    public void Register(IServiceCollection services, HostModuleContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        MqttOptions mqtt = context.Options<MqttOptions>();
        bool embedded = !mqtt.HasHost && context.Simulate;
        services.AddSingleton<IDeviceRestarter, HostRestarter>();
        services.AddSingleton(new EmbeddedBrokerService.Settings(embedded, mqtt.Port));
        services.AddSingleton<EmbeddedBrokerService>();
        services.AddHostedService(sp => sp.GetRequiredService<EmbeddedBrokerService>());
        services.AddSingleton(sp => new MqttDeviceService.Settings(mqtt, context.StateDirectory, context.Simulate));
        services.AddSingleton<MqttDeviceService>();
        services.AddHostedService(sp => sp.GetRequiredService<MqttDeviceService>());
        services.AddSingleton<IPeripheralProbe, BrokerProbe>();
    }
}

/// <summary>
/// Restarts by stopping the host with the restart signal set: the device then exits with
/// <see cref="Cli.ExitCodes.Restart"/> and systemd (Restart=on-failure) starts it again; in
/// <c>--simulate</c> the run verb starts a new host in the same process.
/// </summary>
internal sealed class HostRestarter(IHostApplicationLifetime lifetime, HostRestartSignal signal, ILogger<HostRestarter> log) : IDeviceRestarter
{
    public void Restart(string reason)
    {
        log.LogWarning("Restarting: {Reason}", reason);
        signal.Request(reason);
        lifetime.StopApplication();
    }
}

/// <summary>
/// Keeps the embedded broker of <c>--simulate</c> running while the run verb restarts the host in
/// the same process, so roomctl stays connected and the retained topics and sessions survive.
/// </summary>
internal sealed class EmbeddedBrokerKeeper : IAsyncDisposable
{
    private EmbeddedBroker? _broker;
    private int _requestedPort;

    /// <summary>The broker already running for <paramref name="port"/>, or a new one.</summary>
    public async Task<EmbeddedBroker> AcquireAsync(int port)
    {
        if (_broker is not null && _requestedPort == port)
        {
            return _broker;
        }
        await DisposeAsync().ConfigureAwait(false);
        _broker = await EmbeddedBroker.StartAsync(port).ConfigureAwait(false);
        _requestedPort = port;
        return _broker;
    }

    public async ValueTask DisposeAsync()
    {
        if (_broker is not null)
        {
            await _broker.DisposeAsync().ConfigureAwait(false);
            _broker = null;
        }
    }
}

/// <summary>
/// The embedded MQTTnet broker of <c>--simulate</c>; does nothing when a broker is configured. With an
/// <see cref="EmbeddedBrokerKeeper"/> (the run verb's) the broker outlives this host.
/// </summary>
internal sealed partial class EmbeddedBrokerService(EmbeddedBrokerService.Settings settings, ILogger<EmbeddedBrokerService> log, EmbeddedBrokerKeeper? keeper = null) : IHostedService, IAsyncDisposable
{
    private readonly EmbeddedBrokerKeeper _keeper = keeper ?? new EmbeddedBrokerKeeper();
    private EmbeddedBroker? _broker;
    private int? _existingPort;

    internal sealed record Settings(bool Enabled, int Port);

    /// <summary>
    /// The loopback port the device should use: the running embedded broker's, or that of a broker
    /// already listening on the embedded broker's port; null when management uses a configured broker.
    /// </summary>
    public int? Port => _broker?.Port ?? _existingPort;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!settings.Enabled)
        {
            return;
        }
        try
        {
            _broker = await _keeper.AcquireAsync(settings.Port).ConfigureAwait(false);
        }
        catch (System.Net.Sockets.SocketException ex) when (ex.SocketErrorCode == System.Net.Sockets.SocketError.AddressAlreadyInUse && settings.Port != 0)
        {
            // Debian's mosquitto package starts a broker on 127.0.0.1:1883 of its own; a developer
            // machine that has one should still run the simulated device, against that broker.
            _existingPort = settings.Port;
            LogUsingExisting(log, settings.Port);
            return;
        }
        catch (System.Net.Sockets.SocketException ex)
        {
            throw new InvalidOperationException($"cannot start the embedded MQTT broker on 127.0.0.1:{settings.Port} ({ex.Message}); set Mqtt:Port to a free port, or Mqtt:Host to use an existing broker", ex);
        }
        LogStarted(log, _broker.Port);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _broker = null;
        if (keeper is null)
        {
            await _keeper.DisposeAsync().ConfigureAwait(false); // its own keeper: the broker ends with this host
        }
    }

    public async ValueTask DisposeAsync() => await StopAsync(CancellationToken.None).ConfigureAwait(false);

    [LoggerMessage(Level = LogLevel.Information, Message = "Embedded MQTT broker listening on 127.0.0.1:{Port} (no Mqtt:Host configured); try: roomctl devices --port {Port}")]
    private static partial void LogStarted(ILogger log, int port);

    [LoggerMessage(Level = LogLevel.Warning, Message = "127.0.0.1:{Port} is already taken, so no embedded MQTT broker was started; the device uses the broker listening there (set Mqtt:Port to another port to get an embedded one)")]
    private static partial void LogUsingExisting(ILogger log, int port);
}

/// <summary>The device agent as a hosted service.</summary>
internal sealed partial class MqttDeviceService(
    MqttDeviceService.Settings settings,
    EmbeddedBrokerService broker,
    IServiceProvider services,
    ILogger<DeviceAgent> log) : BackgroundService
{
    private volatile DeviceAgent? _agent;

    internal sealed record Settings(MqttOptions Options, string StateDirectory, bool Simulate);

    /// <summary>The running agent (null before start or when management is off).</summary>
    public DeviceAgent? Agent => _agent;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        MqttOptions options = settings.Options;
        if (broker.Port is int port)
        {
            options = options.WithBroker("127.0.0.1", port);
        }
        if (!options.HasHost)
        {
            LogOff(log);
            return;
        }
        var agentServices = new DeviceAgentServices
        {
            Room = services.GetRequiredService<RoomStateMachine>(),
            Events = services.GetService<DeviceEventHub>(),
            Probes = [.. services.GetServices<IPeripheralProbe>().Where(p => p is not BrokerProbe)],
            Telemetry = [.. services.GetServices<ITelemetrySource>()],
            JoinTargets = services.GetService<IJoinTargetProvider>(),
            Identify = services.GetService<IIdentifyIndicator>(),
            ConfigValidator = services.GetService<IConfigDocumentValidator>(),
            Restarter = services.GetService<IDeviceRestarter>(),
            Description = DeviceDescription.Detect(settings.Simulate),
        };
        DeviceAgent agent = new(options, services.GetRequiredService<DeviceIdentity>(), settings.StateDirectory, agentServices,
            services.GetService<TimeProvider>() ?? TimeProvider.System, log);
        _agent = agent;
        RoomStateMachine room = agentServices.Room;
        agent.ConfigApplied += (_, version) => TakeIntoUse(version, room, agentServices.Restarter);
        try
        {
            await agent.RunAsync(stoppingToken).ConfigureAwait(false);
        }
        finally
        {
            await agent.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The configuration is layered once at start, so a newly applied desired config takes effect by
    /// restarting as soon as the room is idle, never in a call (systemd starts the device again; in
    /// --simulate a new host starts in the same process).
    /// </summary>
    private void TakeIntoUse(long version, RoomStateMachine room, IDeviceRestarter? restarter)
    {
        if (restarter is null)
        {
            LogRestartToUse(log, version);
            return;
        }
        LogRestartWhenIdle(log, version);
        void RestartWhenIdle(object? sender, RoomStateChangedEventArgs? e)
        {
            if (room.State.Phase == CallPhase.Idle)
            {
                room.Changed -= RestartWhenIdle;
                restarter.Restart($"desired config version {version} applied");
            }
        }
        room.Changed += RestartWhenIdle;
        RestartWhenIdle(null, null);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Desired config version {Version} written to applied-config.json; restart the device to use it")]
    private static partial void LogRestartToUse(ILogger log, long version);

    [LoggerMessage(Level = LogLevel.Information, Message = "Desired config version {Version} written to applied-config.json; the device restarts to use it as soon as the room is idle")]
    private static partial void LogRestartWhenIdle(ILogger log, long version);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Fleet management is off: Mqtt:Host is not set (in --simulate an embedded broker is used instead)")]
    private static partial void LogOff(ILogger log);
}

/// <summary>
/// Selftest row: whether the device reaches its broker. While the agent runs, its connection; otherwise
/// (the <c>selftest</c> verb) a TCP connect to Mqtt:Host:Mqtt:Port within two seconds.
/// </summary>
internal sealed class BrokerProbe(MqttDeviceService service, MqttDeviceService.Settings settings) : IPeripheralProbe
{
    public ProbeResult Probe()
    {
        MqttOptions o = settings.Options;
        if (service.Agent is DeviceAgent agent)
        {
            return agent.IsConnected
                ? new ProbeResult("mqtt-broker", false, ProbeStatus.Ok, $"connected, session {agent.Session}")
                : new ProbeResult("mqtt-broker", false, ProbeStatus.Missing, "not connected (reconnecting with backoff)");
        }
        if (!o.HasHost)
        {
            return settings.Simulate
                ? new ProbeResult("mqtt-broker", false, ProbeStatus.Ok, $"embedded broker on 127.0.0.1:{o.Port} (--simulate)")
                : new ProbeResult("mqtt-broker", false, ProbeStatus.Degraded, "Mqtt:Host not set: fleet management off");
        }
        try
        {
            using var tcp = new System.Net.Sockets.TcpClient();
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            tcp.ConnectAsync(o.Host!, o.Port, cts.Token).AsTask().GetAwaiter().GetResult();
            return new ProbeResult("mqtt-broker", false, ProbeStatus.Ok, $"{o.Host}:{o.Port} reachable{(o.UseTls ? " (TLS)" : "")}");
        }
        catch (Exception ex) when (ex is System.Net.Sockets.SocketException or OperationCanceledException)
        {
            return new ProbeResult("mqtt-broker", false, ProbeStatus.Missing, $"{o.Host}:{o.Port} not reachable: {ex.Message}");
        }
    }
}
