using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using MQTTnet;
using MQTTnet.Protocol;
using RoomDevice.Management.Connection;

namespace RoomDevice.Management.Fleet;

/// <summary>How a fleet tool reaches the broker.</summary>
public sealed record FleetConnectionOptions(string Host = "127.0.0.1", int Port = 1883)
{
    /// <summary>Use TLS.</summary>
    public bool UseTls { get; init; }

    /// <summary>PEM CA that signed the broker certificate.</summary>
    public string? CaFile { get; init; }

    /// <summary>PEM client certificate.</summary>
    public string? CertFile { get; init; }

    /// <summary>PEM key of the client certificate.</summary>
    public string? KeyFile { get; init; }

    /// <summary>User name, if the broker wants one.</summary>
    public string? Username { get; init; }

    /// <summary>Password (never printed).</summary>
    public string? Password { get; init; }

    /// <summary>Client id; a random "roomctl-…" when empty.</summary>
    public string? ClientId { get; init; }
}

/// <summary>One message seen by the fleet client.</summary>
public sealed record FleetMessage(string Topic, byte[] Payload, bool Retain, byte[]? CorrelationData = null);

/// <summary>The answer(s) of one device to one command.</summary>
public sealed record CommandReply(string DeviceId, string CommandId, bool Accepted, string? Status, string? ErrorCode, string? ErrorMessage, JsonObject? Body, TimeSpan Elapsed)
{
    /// <summary>True when no final answer arrived in time.</summary>
    public bool TimedOut => Status is null;
}

/// <summary>
/// The fleet side of the device API: publishes commands with an MQTT 5 response topic and
/// correlation data and matches the answers, publishes desired config and assignments, and
/// streams retained device topics. Used by roomctl, the fleet simulation and the tests.
/// </summary>
public sealed class FleetClient : IAsyncDisposable
{
    private readonly IMqttClient _client;
    private readonly string _tag;
    private readonly ConcurrentDictionary<string, Pending> _pending = new(StringComparer.Ordinal);

    private FleetClient(IMqttClient client, string tag)
    {
        _client = client;
        _tag = tag;
    }

    /// <summary>Every message received on a subscribed filter (runs on the receive loop: do not block).</summary>
    public event Action<FleetMessage>? MessageReceived;

    /// <summary>The client id in use.</summary>
    public string ClientId => _client.Options.ClientId;

    /// <summary>Connects; throws with the broker's reason when refused.</summary>
    public static async Task<FleetClient> ConnectAsync(FleetConnectionOptions o, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(o);
        string tag = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
        string clientId = string.IsNullOrEmpty(o.ClientId) ? "roomctl-" + tag : o.ClientId;
        var factory = new MqttClientFactory();
        IMqttClient client = factory.CreateMqttClient();
        var fc = new FleetClient(client, tag);
        client.ApplicationMessageReceivedAsync += fc.OnMessage;
        MqttClientOptionsBuilder b = new MqttClientOptionsBuilder()
            .WithClientId(clientId)
            .WithTcpServer(o.Host, o.Port)
            .WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V500)
            .WithCleanStart(true)
            .WithKeepAlivePeriod(TimeSpan.FromSeconds(30))
            .WithTimeout(TimeSpan.FromSeconds(10));
        if (!string.IsNullOrEmpty(o.Username))
        {
            b = b.WithCredentials(o.Username, o.Password ?? "");
        }
        if (o.UseTls)
        {
            b = b.WithTlsOptions(t => MqttTls.Configure(t, o.Host, null, o.CaFile, o.CertFile, o.KeyFile));
        }
        MqttClientConnectResult r;
        try
        {
            r = await client.ConnectAsync(b.Build(), ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            client.Dispose();
            throw new FleetConnectionException($"cannot connect to the broker at {o.Host}:{o.Port}{(o.UseTls ? " (TLS)" : "")}: {ex.Message}", ex);
        }
        if (r.ResultCode != MqttClientConnectResultCode.Success)
        {
            client.Dispose();
            throw new FleetConnectionException($"the broker at {o.Host}:{o.Port} refused the connection: {r.ResultCode} {r.ReasonString}");
        }
        await fc.SubscribeAsync(ct, Topics.Root + "/+/reply/" + tag).ConfigureAwait(false);
        return fc;
    }

    /// <summary>Subscribes to <paramref name="filters"/> (QoS 1, retained messages sent).</summary>
    public async Task SubscribeAsync(CancellationToken ct, params string[] filters)
    {
        ArgumentNullException.ThrowIfNull(filters);
        MqttClientSubscribeOptionsBuilder b = new MqttClientFactory().CreateSubscribeOptionsBuilder();
        foreach (string f in filters)
        {
            b = b.WithTopicFilter(f, MqttQualityOfServiceLevel.AtLeastOnce, noLocal: false, retainAsPublished: false, MqttRetainHandling.SendAtSubscribe);
        }
        await _client.SubscribeAsync(b.Build(), ct).ConfigureAwait(false);
    }

    /// <summary>Publishes with QoS 1.</summary>
    public async Task PublishAsync(string topic, byte[] payload, bool retain = false, string? responseTopic = null, byte[]? correlation = null, uint expirySeconds = 0, CancellationToken ct = default)
    {
        MqttApplicationMessageBuilder mb = new MqttApplicationMessageBuilder()
            .WithTopic(topic)
            .WithPayload(payload)
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .WithRetainFlag(retain);
        if (responseTopic is not null)
        {
            mb = mb.WithResponseTopic(responseTopic);
        }
        if (correlation is not null)
        {
            mb = mb.WithCorrelationData(correlation);
        }
        if (expirySeconds > 0)
        {
            mb = mb.WithMessageExpiryInterval(expirySeconds);
        }
        MqttClientPublishResult r = await _client.PublishAsync(mb.Build(), ct).ConfigureAwait(false);
        if ((int)r.ReasonCode >= 0x80)
        {
            throw new FleetConnectionException($"the broker refused the publish to {topic}: {r.ReasonCode} {r.ReasonString}");
        }
    }

    /// <summary>The response topic this client uses for <paramref name="deviceId"/>.</summary>
    public string ResponseTopic(string deviceId) => Topics.Reply(deviceId) + "/" + _tag;

    /// <summary>
    /// Sends a command and waits for its final answer (or <paramref name="timeout"/>).
    /// <paramref name="onAccepted"/> is called when the device acknowledged it.
    /// </summary>
    public async Task<CommandReply> SendCommandAsync(string deviceId, string name, JsonObject? args, TimeSpan timeout, string? commandId = null, DateTimeOffset? expires = null, Action<string>? onAccepted = null, CancellationToken ct = default)
    {
        commandId ??= Guid.NewGuid().ToString("N");
        byte[] correlation = RandomNumberGenerator.GetBytes(16);
        string key = Convert.ToHexString(correlation);
        var pending = new Pending(deviceId, commandId, onAccepted);
        _pending[key] = pending;
        var body = new JsonObject { ["v"] = 1, ["id"] = commandId };
        if (args is not null)
        {
            body["args"] = args;
        }
        if (expires is DateTimeOffset e)
        {
            body["expires"] = e.ToString("O", System.Globalization.CultureInfo.InvariantCulture);
        }
        var sw = Stopwatch.StartNew();
        try
        {
            await PublishAsync(Topics.Command(deviceId, name), JsonSerializer.SerializeToUtf8Bytes(body), false, ResponseTopic(deviceId), correlation, 0, ct).ConfigureAwait(false);
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
            cts.CancelAfter(timeout);
            try
            {
                JsonObject final = await pending.Final.Task.WaitAsync(cts.Token).ConfigureAwait(false);
                return Reply(pending, final, sw.Elapsed);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                return new CommandReply(deviceId, commandId, pending.Accepted, null, "timeout", $"no final answer within {timeout.TotalSeconds:0.#} s (device offline?)", null, sw.Elapsed);
            }
        }
        finally
        {
            _pending.TryRemove(key, out _);
        }
    }

    /// <summary>Publishes <paramref name="payload"/> with a response topic and waits for one answer.</summary>
    public async Task<JsonObject?> RequestAsync(string deviceId, string topic, byte[] payload, TimeSpan timeout, CancellationToken ct = default)
    {
        byte[] correlation = RandomNumberGenerator.GetBytes(16);
        string key = Convert.ToHexString(correlation);
        var pending = new Pending(deviceId, "", null) { AnyAnswer = true };
        _pending[key] = pending;
        try
        {
            await PublishAsync(topic, payload, false, ResponseTopic(deviceId), correlation, 0, ct).ConfigureAwait(false);
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
            cts.CancelAfter(timeout);
            try
            {
                return await pending.Final.Task.WaitAsync(cts.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                return null;
            }
        }
        finally
        {
            _pending.TryRemove(key, out _);
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_client.IsConnected)
        {
            try
            {
                await _client.DisconnectAsync(new MqttClientDisconnectOptionsBuilder().Build()).ConfigureAwait(false);
            }
#pragma warning disable CA1031 // closing anyway
            catch (Exception)
#pragma warning restore CA1031
            {
            }
        }
        _client.Dispose();
    }

    private static CommandReply Reply(Pending p, JsonObject final, TimeSpan elapsed)
    {
        string? status = final["status"]?.GetValue<string>();
        JsonNode? err = final["error"];
        return new CommandReply(p.DeviceId, p.CommandId, p.Accepted || status is "succeeded" or "failed", status,
            err?["code"]?.GetValue<string>(), err?["message"]?.GetValue<string>(), final, elapsed);
    }

    private Task OnMessage(MqttApplicationMessageReceivedEventArgs e)
    {
        MqttApplicationMessage m = e.ApplicationMessage;
        byte[] payload = m.Payload.ToArray();
        if (m.CorrelationData is { Length: > 0 } cd && IsReply(m.Topic) && _pending.TryGetValue(Convert.ToHexString(cd), out Pending? p))
        {
            try
            {
                if (JsonNode.Parse(payload) is JsonObject o)
                {
                    string? status = o["status"]?.GetValue<string>();
                    if (status == "accepted" && !p.AnyAnswer)
                    {
                        // overlapping subscriptions may deliver the same answer twice
                        if (!p.Accepted)
                        {
                            p.Accepted = true;
                            p.OnAccepted?.Invoke(p.DeviceId);
                        }
                    }
                    else
                    {
                        p.Final.TrySetResult(o);
                    }
                }
            }
            catch (JsonException)
            {
            }
            catch (InvalidOperationException)
            {
            }
        }
        MessageReceived?.Invoke(new FleetMessage(m.Topic, payload, m.Retain, m.CorrelationData));
        return Task.CompletedTask;
    }

    private static bool IsReply(string topic) =>
        Topics.DeviceIdOf(topic) is string d && topic.StartsWith(Topics.Reply(d), StringComparison.Ordinal);

    private sealed class Pending(string deviceId, string commandId, Action<string>? onAccepted)
    {
        public string DeviceId { get; } = deviceId;

        public string CommandId { get; } = commandId;

        public Action<string>? OnAccepted { get; } = onAccepted;

        public bool AnyAnswer { get; init; }

        public volatile bool Accepted;

        public TaskCompletionSource<JsonObject> Final { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}

/// <summary>The broker could not be reached or refused.</summary>
public sealed class FleetConnectionException : Exception
{
    /// <summary>Creates the exception.</summary>
    public FleetConnectionException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception with its cause.</summary>
    public FleetConnectionException(string message, Exception inner) : base(message, inner)
    {
    }

    /// <summary>Creates the exception.</summary>
    public FleetConnectionException()
    {
    }
}
