using System.Buffers;
using System.Collections.Concurrent;
using System.Security.Cryptography.X509Certificates;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using MQTTnet;
using MQTTnet.Protocol;
using RoomDevice.Core.Diagnostics;
using RoomDevice.Core.Identity;
using RoomDevice.Core.Room;
using RoomDevice.Management.Commands;
using RoomDevice.Management.Config;
using RoomDevice.Management.Connection;
using RoomDevice.Management.Storage;

namespace RoomDevice.Management;

/// <summary>
/// The device side of the MQTT API: one connection owned by its own reconnect loop, a watchdog
/// for half-open connections, retained status/birth/health/state, commands, desired config,
/// provisioning, and an on-disk outbox for events and telemetry. Received messages leave the MQTT
/// receive loop at once through a channel; one handler task works them off.
/// </summary>
public sealed partial class DeviceAgent : IAsyncDisposable
{
    private readonly MqttOptions _options;
    private readonly DeviceIdentity _identity;
    private readonly DeviceAgentServices _services;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly DeviceStateStore _store;
    private readonly CommandLedger _ledger;
    private readonly AppliedConfigStore _config;
    private readonly DiskQueue _outbox;
    private readonly ConcurrentQueue<HeldAnswer> _heldAnswers = new();
    private readonly ReconnectBackoff _backoff;
    private readonly Channel<InboundMessage> _inbound;
    private readonly Channel<QueuedMessage> _outbound;
    private readonly SemaphoreSlim _wake = new(0, int.MaxValue);
    private readonly SemaphoreSlim _flush = new(0, int.MaxValue);
    private readonly MqttClientFactory _factory = new();
    private readonly List<IDisposable> _subscriptions = [];
    private readonly Lock _tasksGate = new();
    private readonly HashSet<Task> _running = [];
    private volatile IMqttClient? _client;
    private long _session;
    private long _reconnects;
    private long _inboundDropped;
    private long _outboundDropped;
    private long _outboxDroppedTotal;
    private long _handled;
    private long _refused;
    private volatile bool _stateDirty = true;
    private volatile bool _ready;
    private string _claimCode;
    private RoomAssignment? _assignment;
    private DateTimeOffset _connectedSince;
    private CancellationTokenSource? _stopping;

    /// <summary>Creates the agent; nothing connects until <see cref="RunAsync"/>.</summary>
    public DeviceAgent(MqttOptions options, DeviceIdentity identity, string stateDirectory, DeviceAgentServices services, TimeProvider? time = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(identity);
        ArgumentNullException.ThrowIfNull(services);
        if (!options.HasHost)
        {
            throw new ArgumentException("Mqtt:Host is empty; the agent needs a broker (the host starts an embedded one in --simulate)", nameof(options));
        }
        _options = options;
        _identity = identity;
        _services = services;
        _time = time ?? TimeProvider.System;
        _log = logger ?? NullLogger.Instance;
        StateDirectory = stateDirectory;
        _store = new DeviceStateStore(stateDirectory);
        _ledger = new CommandLedger(_store.Folder, _time);
        _config = new AppliedConfigStore(stateDirectory);
        _outbox = new DiskQueue(Path.Combine(_store.Folder, "outbox"), options.OutboxCapacity);
        _backoff = new ReconnectBackoff(TimeSpan.FromMilliseconds(options.ReconnectInitialMs), TimeSpan.FromMilliseconds(options.ReconnectMaxMs), TimeSpan.FromSeconds(options.StableConnectionSeconds));
        _inbound = Channel.CreateBounded<InboundMessage>(
            new BoundedChannelOptions(options.InboundQueueSize) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true },
            _ => Interlocked.Increment(ref _inboundDropped));
        _outbound = Channel.CreateBounded<QueuedMessage>(
            new BoundedChannelOptions(1024) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true },
            _ => Interlocked.Increment(ref _outboundDropped));
        _claimCode = _store.ClaimCode();
        _assignment = _store.Assignment();
    }

    /// <summary>Raised after a desired config was applied and written (new version).</summary>
    public event EventHandler<long>? ConfigApplied;

    /// <summary>The device id (client id and topic subtree).</summary>
    public string DeviceId => _identity.Id;

    /// <summary>The state folder.</summary>
    public string StateDirectory { get; }

    /// <summary>True while connected to the broker.</summary>
    public bool IsConnected => _client?.IsConnected == true;

    /// <summary>True once connected, subscribed and announced (status, birth) on the current connection.</summary>
    public bool IsOnline => _ready && IsConnected;

    /// <summary>Session number of the current (or last) connection.</summary>
    public long Session => Interlocked.Read(ref _session);

    /// <summary>Connections made after the first.</summary>
    public long Reconnects => Interlocked.Read(ref _reconnects);

    /// <summary>Inbound messages dropped because the handler queue was full.</summary>
    public long InboundDropped => Interlocked.Read(ref _inboundDropped);

    /// <summary>Inbound messages worked off (answered or ignored).</summary>
    public long Handled => Interlocked.Read(ref _handled);

    /// <summary>Inbound messages refused as malformed, retained, expired or not allowed.</summary>
    public long Refused => Interlocked.Read(ref _refused);

    /// <summary>The applied config version.</summary>
    public long AppliedConfigVersion => _config.AppliedVersion;

    /// <summary>The on-disk outbox.</summary>
    public DiskQueue Outbox => _outbox;

    /// <summary>The claim code staff type into roomctl.</summary>
    public string ClaimCode => _claimCode;

    /// <summary>The room assignment, or null while unclaimed.</summary>
    public RoomAssignment? Assignment => Volatile.Read(ref _assignment);

    /// <summary>Runs until <paramref name="ct"/> is cancelled; then says offline and disconnects cleanly.</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(ct);
        _stopping = stopping;
        CancellationToken token = stopping.Token;
        if (_assignment is null)
        {
            LogUnclaimed(_log, _identity.Id, _claimCode);
        }
        if (_services.Events is DeviceEventHub hub)
        {
            _subscriptions.Add(hub.Subscribe(OnDeviceEvent));
        }
        _services.Room.Changed += OnRoomChanged;
        Task handler = Task.Run(() => HandleLoopAsync(token), CancellationToken.None);
        Task sender = Task.Run(() => SendLoopAsync(token), CancellationToken.None);
        Task reporter = Task.Run(() => ReportLoopAsync(token), CancellationToken.None);
        Task telemetry = Task.Run(() => TelemetryLoopAsync(token), CancellationToken.None);
        try
        {
            await ConnectionLoopAsync(token).ConfigureAwait(false);
        }
        finally
        {
            _services.Room.Changed -= OnRoomChanged;
            foreach (IDisposable s in _subscriptions)
            {
                s.Dispose();
            }
            _subscriptions.Clear();
            await stopping.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(handler, sender, reporter, telemetry).ConfigureAwait(false);
            Task[] running;
            lock (_tasksGate)
            {
                running = [.. _running];
            }
            await Task.WhenAll(running).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        _ledger.Dispose();
        _wake.Dispose();
        _flush.Dispose();
        _client?.Dispose();
        return ValueTask.CompletedTask;
    }

    private async Task ConnectionLoopAsync(CancellationToken ct)
    {
        bool first = true;
        while (!ct.IsCancellationRequested)
        {
            long session = _store.NextSession();
            IMqttClient client = _factory.CreateMqttClient();
            var lost = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            client.ApplicationMessageReceivedAsync += OnMessageReceived;
            client.DisconnectedAsync += e =>
            {
                lost.TrySetResult();
                return Task.CompletedTask;
            };
            bool up = false;
            try
            {
                MqttClientOptions options = BuildClientOptions(session);
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                timeout.CancelAfter(TimeSpan.FromSeconds(15));
                MqttClientConnectResult result = await client.ConnectAsync(options, timeout.Token).ConfigureAwait(false);
                if (result.ResultCode == MqttClientConnectResultCode.Success)
                {
                    up = true;
                    Interlocked.Exchange(ref _session, session);
                    if (!first)
                    {
                        Interlocked.Increment(ref _reconnects);
                    }
                    first = false;
                    _connectedSince = _time.GetUtcNow();
                    _backoff.Connected(_connectedSince);
                    _client = client;
                    LogConnected(_log, _options.Host!, _options.Port, session, result.IsSessionPresent);
                    await OnConnectedAsync(client, session, ct).ConfigureAwait(false);
                    await WatchAsync(client, lost.Task, ct).ConfigureAwait(false);
                }
                else
                {
                    LogRefused(_log, _options.Host!, _options.Port, result.ResultCode.ToString(), result.ReasonString ?? "");
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
            }
#pragma warning disable CA1031 // any connection failure (socket, TLS, protocol) means: back off and try again
            catch (Exception ex)
#pragma warning restore CA1031
            {
                LogConnectFailed(_log, _options.Host!, _options.Port, ex.GetType().Name, ex.Message);
            }
            _ready = false;
            _client = null;
            if (ct.IsCancellationRequested)
            {
                await GoOfflineAsync(client, session).ConfigureAwait(false);
                client.Dispose();
                break;
            }
            if (up)
            {
                LogLost(_log, session);
            }
            try
            {
                await client.TryDisconnectAsync(MqttClientDisconnectOptionsReason.UnspecifiedError, "reconnecting").ConfigureAwait(false);
            }
#pragma warning disable CA1031 // the connection is already broken
            catch (Exception)
#pragma warning restore CA1031
            {
            }
            client.Dispose();
            TimeSpan delay = _backoff.NextDelay(_time.GetUtcNow());
            try
            {
                await Task.Delay(delay, _time, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    private async Task WatchAsync(IMqttClient client, Task lost, CancellationToken ct)
    {
        int misses = 0;
        TimeSpan period = TimeSpan.FromSeconds(_options.KeepAliveSeconds);
        while (!ct.IsCancellationRequested)
        {
            Task tick = Task.Delay(period, _time, ct);
            if (await Task.WhenAny(lost, tick).ConfigureAwait(false) == lost || ct.IsCancellationRequested)
            {
                return;
            }
            using var pingTimeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            pingTimeout.CancelAfter(TimeSpan.FromSeconds(Math.Clamp(_options.KeepAliveSeconds / 2, 5, 30)));
            bool ok = await client.TryPingAsync(pingTimeout.Token).ConfigureAwait(false);
            misses = ok ? 0 : misses + 1;
            if (misses >= _options.WatchdogMisses)
            {
                LogHalfOpen(_log, misses);
                return;
            }
        }
    }

    private MqttClientOptions BuildClientOptions(long session)
    {
        byte[] will = Protocol.StrictJson.Write(w =>
        {
            w.WriteString("state", "offline");
            w.WriteNumber("session", session);
            w.WriteString("since", _time.GetUtcNow());
            w.WriteString("reason", "connection lost");
        });
        MqttClientOptionsBuilder b = new MqttClientOptionsBuilder()
            .WithClientId(_identity.Id)
            .WithTcpServer(_options.Host, _options.Port)
            .WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V500)
            .WithCleanStart(false)
            .WithSessionExpiryInterval((uint)_options.SessionExpirySeconds)
            .WithKeepAlivePeriod(TimeSpan.FromSeconds(_options.KeepAliveSeconds))
            .WithTimeout(TimeSpan.FromSeconds(10))
            .WithWillTopic(Topics.Status(_identity.Id))
            .WithWillPayload(will)
            .WithWillRetain(true)
            .WithWillQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .WithWillContentType("application/json");
        if (!string.IsNullOrEmpty(_options.Username))
        {
            b = b.WithCredentials(_options.Username, _options.Password ?? "");
        }
        if (_options.UseTls)
        {
            b = b.WithTlsOptions(t => MqttTls.Configure(t, _options.Host!, _options.TlsServerName, _options.CaFile, _options.ClientCertificateFile, _options.ClientKeyFile));
        }
        return b.Build();
    }

    private async Task OnConnectedAsync(IMqttClient client, long session, CancellationToken ct)
    {
        string id = _identity.Id;
        MqttClientSubscribeOptions subscribe = _factory.CreateSubscribeOptionsBuilder()
            .WithTopicFilter(Topics.CommandFilter(id), MqttQualityOfServiceLevel.AtLeastOnce, noLocal: false, retainAsPublished: true, MqttRetainHandling.SendAtSubscribe)
            .WithTopicFilter(Topics.ConfigDesired(id), MqttQualityOfServiceLevel.AtLeastOnce, noLocal: false, retainAsPublished: true, MqttRetainHandling.SendAtSubscribe)
            .WithTopicFilter(Topics.Assign(id), MqttQualityOfServiceLevel.AtLeastOnce, noLocal: false, retainAsPublished: true, MqttRetainHandling.SendAtSubscribe)
            .Build();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(15));
        MqttClientSubscribeResult sub = await client.SubscribeAsync(subscribe, timeout.Token).ConfigureAwait(false);
        foreach (MqttClientSubscribeResultItem item in sub.Items)
        {
            if ((int)item.ResultCode >= 0x80)
            {
                LogSubscribeRefused(_log, item.TopicFilter.Topic, item.ResultCode.ToString());
            }
        }
        await PublishAsync(Topics.Status(id), StatusPayload("online", session, _connectedSince), retain: true, ct).ConfigureAwait(false);
        await PublishAsync(Topics.Birth(id), BirthPayload(), retain: true, ct).ConfigureAwait(false);
        await PublishAnnouncementAsync(ct).ConfigureAwait(false);
        await DeliverHeldAnswersAsync(ct).ConfigureAwait(false);
        _stateDirty = true;
        _forceHealth = true;
        _wake.Release();
        _flush.Release();
        _ready = true;
    }

    private async Task GoOfflineAsync(IMqttClient client, long session)
    {
        if (!client.IsConnected)
        {
            return;
        }
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            var offline = new MqttApplicationMessageBuilder()
                .WithTopic(Topics.Status(_identity.Id))
                .WithPayload(StatusPayload("offline", session, _time.GetUtcNow(), "shutdown"))
                .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
                .WithRetainFlag(true)
                .Build();
            await client.PublishAsync(offline, timeout.Token).ConfigureAwait(false);
            await client.DisconnectAsync(new MqttClientDisconnectOptionsBuilder().WithReason(MqttClientDisconnectOptionsReason.NormalDisconnection).Build(), timeout.Token).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // shutting down: the will covers a failed goodbye
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogGoodbyeFailed(_log, ex.Message);
        }
    }

    /// <summary>Publishes with QoS 1; false when offline or the broker refused.</summary>
    internal async Task<bool> PublishAsync(string topic, byte[] payload, bool retain, CancellationToken ct, string? responseTopicOf = null, byte[]? correlation = null)
    {
        _ = responseTopicOf;
        IMqttClient? c = _client;
        if (c is null || !c.IsConnected)
        {
            return false;
        }
        MqttApplicationMessageBuilder mb = new MqttApplicationMessageBuilder()
            .WithTopic(topic)
            .WithPayload(payload)
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .WithRetainFlag(retain)
            .WithContentType(payload.Length == 0 ? null : "application/json")
            .WithPayloadFormatIndicator(MqttPayloadFormatIndicator.CharacterData);
        if (correlation is not null)
        {
            mb = mb.WithCorrelationData(correlation);
        }
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(15));
            MqttClientPublishResult r = await c.PublishAsync(mb.Build(), timeout.Token).ConfigureAwait(false);
            return (int)r.ReasonCode < 0x80;
        }
#pragma warning disable CA1031 // a failed publish is retried after reconnect (retained topics) or queued (events)
        catch (Exception)
#pragma warning restore CA1031
        {
            return false;
        }
    }

    private Task OnMessageReceived(MqttApplicationMessageReceivedEventArgs e)
    {
        // Runs on MQTTnet's receive loop: copy and hand over, never wait here.
        MqttApplicationMessage m = e.ApplicationMessage;
        long length = m.Payload.Length;
        byte[]? payload = length <= _options.MaxPayloadBytes ? m.Payload.ToArray() : null;
        _inbound.Writer.TryWrite(new InboundMessage(m.Topic, payload, length, m.Retain, m.ResponseTopic, m.CorrelationData, m.MessageExpiryInterval, _time.GetUtcNow()));
        return Task.CompletedTask;
    }

    private void OnRoomChanged(object? sender, RoomStateChangedEventArgs e)
    {
        _stateDirty = true;
        _wake.Release();
    }

    private void OnDeviceEvent(DeviceEvent e)
    {
        byte[] payload = Protocol.StrictJson.Write(w =>
        {
            w.WriteString("kind", e.Kind);
            w.WriteString("at", e.At);
            if (e.Data is { Count: > 0 })
            {
                w.WriteStartObject("data");
                foreach (KeyValuePair<string, string> kv in e.Data)
                {
                    w.WriteString(kv.Key, kv.Value);
                }
                w.WriteEndObject();
            }
        });
        _outbound.Writer.TryWrite(new QueuedMessage(Topics.Events(_identity.Id), payload));
    }

    private void Track(Task t)
    {
        lock (_tasksGate)
        {
            _running.Add(t);
        }
        t.ContinueWith(done =>
        {
            lock (_tasksGate)
            {
                _running.Remove(done);
            }
        }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>One received message, copied out of the MQTT client.</summary>
    internal sealed record InboundMessage(string Topic, byte[]? Payload, long Length, bool Retain, string? ResponseTopic, byte[]? CorrelationData, uint ExpiryInterval, DateTimeOffset ReceivedAt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Device {DeviceId} is not claimed yet. Claim code: {ClaimCode} (roomctl claim --code {ClaimCode} --room NAME)")]
    private static partial void LogUnclaimed(ILogger log, string deviceId, string claimCode);

    [LoggerMessage(Level = LogLevel.Information, Message = "MQTT connected to {Host}:{Port}, session {Session}, broker kept session: {SessionPresent}")]
    private static partial void LogConnected(ILogger log, string host, int port, long session, bool sessionPresent);

    [LoggerMessage(Level = LogLevel.Warning, Message = "MQTT broker {Host}:{Port} refused the connection: {Code} {Reason}")]
    private static partial void LogRefused(ILogger log, string host, int port, string code, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "MQTT connection to {Host}:{Port} failed: {Kind}: {Message}")]
    private static partial void LogConnectFailed(ILogger log, string host, int port, string kind, string message);

    [LoggerMessage(Level = LogLevel.Warning, Message = "MQTT connection of session {Session} lost; reconnecting with backoff")]
    private static partial void LogLost(ILogger log, long session);

    [LoggerMessage(Level = LogLevel.Warning, Message = "MQTT broker did not answer {Misses} pings: connection is half-open, dropping it")]
    private static partial void LogHalfOpen(ILogger log, int misses);

    [LoggerMessage(Level = LogLevel.Warning, Message = "MQTT broker refused subscription {Topic}: {Code}")]
    private static partial void LogSubscribeRefused(ILogger log, string topic, string code);

    [LoggerMessage(Level = LogLevel.Information, Message = "MQTT goodbye failed: {Message}")]
    private static partial void LogGoodbyeFailed(ILogger log, string message);
}

public sealed partial class DeviceAgent
{
    internal DeviceAgentServices Services => _services;

    internal TimeProvider Time => _time;

    internal DateTimeOffset Now => _time.GetUtcNow();

    internal IReadOnlyList<Core.Diagnostics.ProbeResult> ProbeNow() => RunProbes();
}
