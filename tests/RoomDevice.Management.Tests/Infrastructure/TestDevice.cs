using RoomDevice.Core.Diagnostics;
using RoomDevice.Core.Identity;
using RoomDevice.Core.Options;
using RoomDevice.Core.Room;
using RoomDevice.Management.Storage;

namespace RoomDevice.Management.Tests.Infrastructure;

/// <summary>A simulated microphone array probe: a twin of the real one, reporting what the test sets.</summary>
public sealed class SimulatedMicrophoneProbe : IPeripheralProbe
{
    public ProbeStatus Status { get; set; } = ProbeStatus.Ok;

    public ProbeResult Probe() => new("microphones", true, Status, Status == ProbeStatus.Ok ? "4 channels (simulated)" : "not found (simulated)");
}

/// <summary>A simulated indicator that records identify requests, as the LED twin would show them.</summary>
public sealed class RecordingIdentifyIndicator : IIdentifyIndicator
{
    private readonly List<TimeSpan> _calls = [];

    public IReadOnlyList<TimeSpan> Calls
    {
        get { lock (_calls) { return [.. _calls]; } }
    }

    public void Identify(TimeSpan duration)
    {
        lock (_calls)
        {
            _calls.Add(duration);
        }
    }
}

/// <summary>Records restart requests instead of ending the test process.</summary>
public sealed class RecordingRestarter : IDeviceRestarter
{
    private int _count;

    public int Count => Volatile.Read(ref _count);

    public void Restart(string reason) => Interlocked.Increment(ref _count);
}

/// <summary>A fixed telemetry source (audio levels of the simulated room).</summary>
public sealed class FixedTelemetry : ITelemetrySource
{
    public string Name => "audio";

    public void Collect(IDictionary<string, double> into)
    {
        into["inputRmsDbfs"] = -32.5;
        into["xruns"] = 0;
    }
}

/// <summary>
/// One device agent running against a broker in the test process, with its own state folder.
/// Can be stopped and started again on the same folder (a restart).
/// </summary>
public sealed class TestDevice : IAsyncDisposable
{
    private CancellationTokenSource? _cts;
    private Task? _run;

    public TestDevice(int port, string? id = null, string? stateDir = null, bool claimed = true, Action<MqttOptions>? configure = null, IConfigDocumentValidator? validator = null)
    {
        Id = id ?? "rd-test-" + Guid.NewGuid().ToString("N")[..8];
        StateDir = stateDir ?? Directory.CreateTempSubdirectory("roomdevice-state-").FullName;
        Options = new MqttOptions
        {
            Host = "127.0.0.1",
            Port = port,
            KeepAliveSeconds = 5,
            ReconnectInitialMs = 100,
            ReconnectMaxMs = 1000,
            StableConnectionSeconds = 5,
            HealthCheckSeconds = 1,
            TelemetryIntervalSeconds = 1,
        };
        configure?.Invoke(Options);
        Validator = validator ?? RealValidator;
        if (claimed && new DeviceStateStore(StateDir).Assignment() is null)
        {
            new DeviceStateStore(StateDir).SaveAssignment(new RoomAssignment("Test Room", "Lab", DateTimeOffset.UtcNow));
        }
    }

    /// <summary>The product's validator over every options section of Core and Management.</summary>
    public static readonly IConfigDocumentValidator RealValidator =
        new ConfigDocumentValidator(OptionsSchema.FromAssemblies([typeof(MqttOptions).Assembly, typeof(ConfigDocumentValidator).Assembly]));

    public string Id { get; }

    public string StateDir { get; }

    public MqttOptions Options { get; }

    public IConfigDocumentValidator Validator { get; }

    public RoomStateMachine Room { get; } = new();

    public DeviceEventHub Events { get; } = new();

    public SimulatedMicrophoneProbe Microphones { get; } = new();

    public List<IPeripheralProbe> ExtraProbes { get; } = [];

    public RecordingIdentifyIndicator Identify { get; } = new();

    public RecordingRestarter Restarter { get; } = new();

    public DeviceAgent Agent { get; private set; } = null!;

    /// <summary>Everything the agent logged.</summary>
    public CapturingLogger Log { get; } = new();

    public TestDevice Start()
    {
        var services = new DeviceAgentServices
        {
            Room = Room,
            Events = Events,
            Probes = [Microphones, .. ExtraProbes],
            Telemetry = [new FixedTelemetry()],
            Identify = Identify,
            Restarter = Restarter,
            ConfigValidator = Validator,
            Description = new DeviceDescription("simulated", "0000test", "0.1.0"),
        };
        Agent = new DeviceAgent(Options, new DeviceIdentity(Id, "test"), StateDir, services, logger: Log);
        _cts = new CancellationTokenSource();
        _run = Agent.RunAsync(_cts.Token);
        return this;
    }

    public async Task StopAsync()
    {
        if (_cts is null)
        {
            return;
        }
        await _cts.CancelAsync();
        await _run!.WaitAsync(TimeSpan.FromSeconds(30));
        await Agent.DisposeAsync();
        _cts.Dispose();
        _cts = null;
    }

    public async Task WaitConnectedAsync(TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (!Agent.IsOnline)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"device {Id} did not connect");
            }
            await Task.Delay(20);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        try
        {
            Directory.Delete(StateDir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>Keeps every log line so tests can look at what the device said (and what it did not).</summary>
public sealed class CapturingLogger : Microsoft.Extensions.Logging.ILogger
{
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _lines = new();

    public IReadOnlyList<string> Lines => [.. _lines];

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;

    public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        ArgumentNullException.ThrowIfNull(formatter);
        _lines.Enqueue(logLevel + ": " + formatter(state, exception));
    }
}
