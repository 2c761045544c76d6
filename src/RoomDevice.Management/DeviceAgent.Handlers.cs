using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using RoomDevice.Core.Options;
using RoomDevice.Management.Commands;
using RoomDevice.Management.Config;
using RoomDevice.Management.Protocol;
using RoomDevice.Management.Provisioning;
using RoomDevice.Management.Storage;

namespace RoomDevice.Management;

public sealed partial class DeviceAgent
{
    private static readonly string[] CommandFields = ["v", "id", "args", "expires"];
    private static readonly string[] AssignFields = ["v", "code", "room", "site"];
    private byte[]? _lastReported;

    private async Task HandleLoopAsync(CancellationToken ct)
    {
        try
        {
            await foreach (InboundMessage m in _inbound.Reader.ReadAllAsync(ct).ConfigureAwait(false))
            {
                try
                {
                    await DispatchAsync(m, ct).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested)
                {
                    return;
                }
#pragma warning disable CA1031 // one bad message must never stop the handler
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    LogHandlerFailed(_log, StrictJson.Quote(m.Topic), ex.GetType().Name, ex.Message);
                }
                Interlocked.Increment(ref _handled);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    private Task DispatchAsync(InboundMessage m, CancellationToken ct)
    {
        string id = _identity.Id;
        if (m.Topic == Topics.ConfigDesired(id))
        {
            return HandleDesiredAsync(m, ct);
        }
        if (m.Topic == Topics.Assign(id))
        {
            return HandleAssignAsync(m, ct);
        }
        string cmdPrefix = Topics.Device(id) + "/cmd/";
        if (m.Topic.StartsWith(cmdPrefix, StringComparison.Ordinal))
        {
            return HandleCommandAsync(m, m.Topic[cmdPrefix.Length..], ct);
        }
        Interlocked.Increment(ref _refused);
        return Task.CompletedTask;
    }

    private bool TryParse(InboundMessage m, out JsonDocument? doc, out PayloadError? error)
    {
        if (m.Payload is null)
        {
            doc = null;
            error = new PayloadError("payload_too_large", $"payload is {m.Length} bytes; accepted: at most {_options.MaxPayloadBytes} bytes of JSON");
            return false;
        }
        return StrictJson.TryParse(new ReadOnlySequence<byte>(m.Payload), _options.MaxPayloadBytes, _options.MaxJsonDepth, out doc, out error);
    }

    // ---------------------------------------------------------------- commands

    private async Task HandleCommandAsync(InboundMessage m, string name, CancellationToken ct)
    {
        string id = _identity.Id;
        string replyTo = Topics.IsAllowedResponseTopic(id, m.ResponseTopic) ? m.ResponseTopic! : Topics.Reply(id);
        async Task Refuse(string? cmdId, string code, string message)
        {
            Interlocked.Increment(ref _refused);
            byte[] body = Response(cmdId, "rejected", code, message);
            if (cmdId is not null && code is not ("bad_id"))
            {
                _ledger.Complete(cmdId, body);
            }
            await PublishAsync(replyTo, body, retain: false, ct, correlation: m.CorrelationData).ConfigureAwait(false);
        }

        if (m.ResponseTopic is not null && replyTo != m.ResponseTopic)
        {
            await Refuse(null, "bad_response_topic", $"response topic {StrictJson.Quote(m.ResponseTopic)} is not allowed; accepted: {Topics.Reply(id)} or a topic below it, without wildcards").ConfigureAwait(false);
            return;
        }
        if (m.Retain)
        {
            await Refuse(null, "retained", "a retained command is never executed; publish commands with the retain flag off").ConfigureAwait(false);
            return;
        }
        if (!TryParse(m, out JsonDocument? doc, out PayloadError? perr))
        {
            await Refuse(null, perr!.Code, perr.Message).ConfigureAwait(false);
            return;
        }
        using (doc)
        {
            JsonElement root = doc!.RootElement;
            string? cmdId = root.TryGetProperty("id", out JsonElement idEl) && idEl.ValueKind == JsonValueKind.String ? idEl.GetString() : null;
            if (cmdId is null || cmdId.Length is 0 or > 128 || cmdId.Any(char.IsControl))
            {
                await Refuse(null, "bad_id", "\"id\" is missing or malformed; accepted: a string of 1 to 128 printable characters, unique per command").ConfigureAwait(false);
                return;
            }
            if (_ledger.TryBegin(cmdId, name, out LedgerEntry? earlier) == false)
            {
                byte[] again = earlier!.Response is string r ? System.Text.Encoding.UTF8.GetBytes(r) : Response(cmdId, "accepted", null, null, duplicate: true);
                await PublishAsync(replyTo, again, retain: false, ct, correlation: m.CorrelationData).ConfigureAwait(false);
                return;
            }
            foreach (JsonProperty p in root.EnumerateObject())
            {
                if (Array.IndexOf(CommandFields, p.Name) < 0)
                {
                    await Refuse(cmdId, "unknown_field", $"field {StrictJson.Quote(p.Name)} is not part of a command; accepted: id, args, expires, v").ConfigureAwait(false);
                    return;
                }
            }
            if (root.TryGetProperty("expires", out JsonElement exp))
            {
                if (exp.ValueKind != JsonValueKind.String || !DateTimeOffset.TryParse(exp.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out DateTimeOffset expires))
                {
                    await Refuse(cmdId, "bad_expires", "\"expires\" is not a date; accepted: an ISO-8601 time such as 2030-01-01T12:00:00Z").ConfigureAwait(false);
                    return;
                }
                if (expires <= m.ReceivedAt)
                {
                    await Refuse(cmdId, "expired", $"the command expired at {expires:O}; it was received at {m.ReceivedAt:O} and was not executed").ConfigureAwait(false);
                    return;
                }
            }
            JsonElement args = default;
            if (root.TryGetProperty("args", out JsonElement a))
            {
                if (a.ValueKind != JsonValueKind.Object)
                {
                    await Refuse(cmdId, "bad_args", "\"args\" must be a JSON object, e.g. {\"level\":40}").ConfigureAwait(false);
                    return;
                }
                args = a.Clone();
            }
            if (!DeviceCommands.TryPrepare(name, args, this, out DeviceCommands.Prepared? prepared, out string? code, out string? message))
            {
                await Refuse(cmdId, code!, message!).ConfigureAwait(false);
                return;
            }
            if (prepared!.NeedsClaim && Assignment is null)
            {
                await Refuse(cmdId, "not_claimed", $"'{name}' needs a claimed device; claim it first (roomctl claim --code CODE --room NAME); an unclaimed device answers identify and selftest").ConfigureAwait(false);
                return;
            }
            await PublishAsync(replyTo, Response(cmdId, "accepted", null, null), retain: false, ct, correlation: m.CorrelationData).ConfigureAwait(false);
            byte[]? correlation = m.CorrelationData;
            Task run = Task.Run(async () =>
            {
                CommandOutcome outcome;
                try
                {
                    outcome = await prepared.Run(ct).ConfigureAwait(false);
                }
#pragma warning disable CA1031 // a failing command answers "failed"; the device carries on
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    outcome = CommandOutcome.Fail("internal", ex.Message);
                }
                byte[] body = Response(cmdId, outcome.Succeeded ? "succeeded" : "failed", outcome.ErrorCode, outcome.ErrorMessage, result: outcome.Result);
                _ledger.Complete(cmdId, body);
                if (!await PublishAsync(replyTo, body, retain: false, CancellationToken.None, correlation: correlation).ConfigureAwait(false))
                {
                    HoldAnswer(new HeldAnswer(replyTo, body, correlation, _time.GetUtcNow()));
                }
                prepared.AfterReply?.Invoke();
            }, CancellationToken.None);
            Track(run);
        }
    }

    /// <summary>A final command answer the connection lost; sent again after the next connect.</summary>
    private sealed record HeldAnswer(string Topic, byte[] Body, byte[]? Correlation, DateTimeOffset At);

    /// <summary>Answers kept at most; beyond this the oldest are dropped (a repeated id still gets the ledger's answer).</summary>
    internal const int MaxHeldAnswers = 256;

    /// <summary>Final answers waiting for a connection.</summary>
    internal int HeldAnswers => _heldAnswers.Count;

    private void HoldAnswer(HeldAnswer a)
    {
        _heldAnswers.Enqueue(a);
        while (_heldAnswers.Count > MaxHeldAnswers && _heldAnswers.TryDequeue(out _))
        {
        }
    }

    /// <summary>
    /// Sends the final answers that a lost connection kept from the fleet, in order, with their
    /// correlation data; answers older than the command ledger's retention are dropped (nobody waits
    /// for them, and a repeated id is answered from the ledger anyway).
    /// </summary>
    private async Task DeliverHeldAnswersAsync(CancellationToken ct)
    {
        while (_heldAnswers.TryPeek(out HeldAnswer? a))
        {
            if (_time.GetUtcNow() - a.At < CommandLedger.Retention
                && !await PublishAsync(a.Topic, a.Body, retain: false, ct, correlation: a.Correlation).ConfigureAwait(false))
            {
                return;
            }
            _heldAnswers.TryDequeue(out _);
        }
    }

    private static byte[] Response(string? cmdId, string status, string? code, string? message, bool duplicate = false, Action<Utf8JsonWriter>? result = null) => StrictJson.Write(w =>
    {
        if (cmdId is null)
        {
            w.WriteNull("id");
        }
        else
        {
            w.WriteString("id", cmdId);
        }
        w.WriteString("status", status);
        if (duplicate)
        {
            w.WriteBoolean("duplicate", true);
        }
        if (code is not null)
        {
            WriteError(w, code, message ?? code);
        }
        if (result is not null)
        {
            w.WritePropertyName("result");
            w.WriteStartObject();
            result(w);
            w.WriteEndObject();
        }
    });

    // ---------------------------------------------------------------- config

    private byte[] CurrentReported() => _lastReported ?? ReportedPayload(_config.AppliedVersion == 0 ? "none" : "applied", null, []);

    private byte[] ReportedPayload(string result, long? version, IReadOnlyList<ConfigError> errors, string? message = null) => StrictJson.Write(w =>
    {
        w.WriteNumber("appliedVersion", _config.AppliedVersion);
        w.WriteString("result", result);
        if (version is long v)
        {
            w.WriteNumber("version", v);
        }
        if (message is not null)
        {
            w.WriteString("message", message);
        }
        w.WriteStartArray("errors");
        foreach (ConfigError e in errors)
        {
            w.WriteStartObject();
            w.WriteString("key", e.Key);
            if (e.Value is null)
            {
                w.WriteNull("value");
            }
            else
            {
                w.WriteString("value", IsSecretKey(e.Key) ? "***" : e.Value);
            }
            w.WriteString("problem", e.Problem);
            w.WriteString("accepted", e.Accepted);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteString("at", _time.GetUtcNow());
    });

    /// <summary>True for keys whose values are never echoed (passwords, tokens, keys).</summary>
    internal static bool IsSecretKey(string key) =>
        key.Contains("password", StringComparison.OrdinalIgnoreCase) || key.Contains("secret", StringComparison.OrdinalIgnoreCase)
        || key.Contains("token", StringComparison.OrdinalIgnoreCase) || key.EndsWith("Key", StringComparison.OrdinalIgnoreCase)
        || key.EndsWith("Pin", StringComparison.OrdinalIgnoreCase);

    private async Task Report(byte[] payload, CancellationToken ct)
    {
        _lastReported = payload;
        await PublishAsync(Topics.ConfigReported(_identity.Id), payload, retain: true, ct).ConfigureAwait(false);
    }

    private async Task HandleDesiredAsync(InboundMessage m, CancellationToken ct)
    {
        if (m.Payload is { Length: 0 })
        {
            return; // desired config was cleared; the applied one stays
        }
        if (!TryParse(m, out JsonDocument? doc, out PayloadError? perr))
        {
            Interlocked.Increment(ref _refused);
            await Report(ReportedPayload("rejected", null, [new ConfigError("(document)", null, perr!.Message, "{\"v\":1,\"version\":N,\"config\":{\"Section\":{\"Key\":value}}}")]), ct).ConfigureAwait(false);
            return;
        }
        using (doc)
        {
            var errors = new List<ConfigError>();
            ConfigDocument? desired = ConfigDocument.TryRead(doc!.RootElement, errors);
            long? version = doc.RootElement.TryGetProperty("version", out JsonElement ve) && ve.ValueKind == JsonValueKind.Number && ve.TryGetInt64(out long vv) ? vv : null;
            if (desired is null)
            {
                Interlocked.Increment(ref _refused);
                await Report(ReportedPayload("rejected", version, errors), ct).ConfigureAwait(false);
                return;
            }
            long applied = _config.AppliedVersion;
            if (desired.Version == applied)
            {
                await Report(ReportedPayload("applied", desired.Version, []), ct).ConfigureAwait(false);
                return;
            }
            if (desired.Version < applied)
            {
                await Report(ReportedPayload("ignored", desired.Version, [], $"version {desired.Version} is not newer than the applied version {applied}; nothing changed"), ct).ConfigureAwait(false);
                return;
            }
            IConfigDocumentValidator? validator = _services.ConfigValidator;
            if (validator is not null)
            {
                IReadOnlyList<ConfigIssue> issues = validator.Validate(desired.Flat, $"config/desired version {desired.Version}");
                foreach (ConfigIssue i in issues)
                {
                    errors.Add(new ConfigError(i.Key, i.Value, i.Problem, i.Accepted));
                }
            }
            if (errors.Count > 0)
            {
                Interlocked.Increment(ref _refused);
                LogConfigRejected(_log, desired.Version, errors.Count);
                await Report(ReportedPayload("rejected", desired.Version, errors), ct).ConfigureAwait(false);
                return;
            }
            _config.Apply(desired, _time.GetUtcNow());
            LogConfigApplied(_log, desired.Version);
            await Report(ReportedPayload("applied", desired.Version, []), ct).ConfigureAwait(false);
            await PublishAsync(Topics.Birth(_identity.Id), BirthPayload(), retain: true, ct).ConfigureAwait(false);
            ConfigApplied?.Invoke(this, desired.Version);
        }
    }

    // ---------------------------------------------------------------- provisioning

    private async Task HandleAssignAsync(InboundMessage m, CancellationToken ct)
    {
        string id = _identity.Id;
        string replyTo = Topics.IsAllowedResponseTopic(id, m.ResponseTopic) ? m.ResponseTopic! : Topics.Reply(id);
        async Task Answer(string status, string? code, string? message, Action<Utf8JsonWriter>? result = null)
        {
            if (status != "succeeded")
            {
                Interlocked.Increment(ref _refused);
            }
            await PublishAsync(replyTo, Response(null, status, code, message, result: result), retain: false, ct, correlation: m.CorrelationData).ConfigureAwait(false);
        }
        if (m.Payload is { Length: 0 })
        {
            return;
        }
        if (m.Retain)
        {
            await Answer("rejected", "retained", "a retained assignment is never applied; publish it with the retain flag off").ConfigureAwait(false);
            return;
        }
        if (!TryParse(m, out JsonDocument? doc, out PayloadError? perr))
        {
            await Answer("rejected", perr!.Code, perr.Message).ConfigureAwait(false);
            return;
        }
        using (doc)
        {
            JsonElement root = doc!.RootElement;
            foreach (JsonProperty p in root.EnumerateObject())
            {
                if (Array.IndexOf(AssignFields, p.Name) < 0)
                {
                    await Answer("rejected", "unknown_field", $"field {StrictJson.Quote(p.Name)} is not part of an assignment; accepted: code, room, site, v").ConfigureAwait(false);
                    return;
                }
            }
            string? code = Str(root, "code");
            string? room = Str(root, "room");
            string? site = Str(root, "site");
            if (!ClaimCodes.IsWellFormed(code))
            {
                await Answer("rejected", "bad_code", "\"code\" is missing or malformed; accepted: " + ClaimCodes.Accepted).ConfigureAwait(false);
                return;
            }
            if (!IsName(room))
            {
                await Answer("rejected", "bad_room", "\"room\" is missing or malformed; accepted: a room name of 1 to 100 printable characters").ConfigureAwait(false);
                return;
            }
            if (root.TryGetProperty("site", out _) && !IsName(site))
            {
                await Answer("rejected", "bad_site", "\"site\" is malformed; accepted: a site name of 1 to 100 printable characters, or no site").ConfigureAwait(false);
                return;
            }
            if (!ClaimCodes.Matches(_claimCode, code))
            {
                await Answer("rejected", "claim_code_mismatch", "the claim code does not match this device; read it again from the device").ConfigureAwait(false);
                return;
            }
            var assignment = new RoomAssignment(room!, site, _time.GetUtcNow());
            _store.SaveAssignment(assignment);
            Volatile.Write(ref _assignment, assignment);
            LogClaimed(_log, room!, site ?? "");
            await PublishAnnouncementAsync(ct).ConfigureAwait(false);
            await PublishAsync(Topics.Birth(id), BirthPayload(), retain: true, ct).ConfigureAwait(false);
            _stateDirty = true;
            _wake.Release();
            _services.Events?.Publish(new Core.Diagnostics.DeviceEvent("provisioning.claimed", _time.GetUtcNow(), new Dictionary<string, string> { ["room"] = room!, ["site"] = site ?? "" }));
            await Answer("succeeded", null, null, w =>
            {
                w.WriteString("deviceId", id);
                w.WriteString("room", room);
                if (site is not null)
                {
                    w.WriteString("site", site);
                }
            }).ConfigureAwait(false);
        }
    }

    private static string? Str(JsonElement root, string name) =>
        root.TryGetProperty(name, out JsonElement e) && e.ValueKind == JsonValueKind.String ? e.GetString() : null;

    private static bool IsName(string? s) => s is { Length: > 0 and <= 100 } && !s.Any(char.IsControl) && s.Trim().Length > 0;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Message on {Topic} failed in its handler: {Kind}: {Message}")]
    private static partial void LogHandlerFailed(ILogger log, string topic, string kind, string message);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Desired config version {Version} rejected with {Count} errors; nothing changed")]
    private static partial void LogConfigRejected(ILogger log, long version, int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "Desired config version {Version} applied")]
    private static partial void LogConfigApplied(ILogger log, long version);

    [LoggerMessage(Level = LogLevel.Information, Message = "Device claimed into room '{Room}' (site '{Site}')")]
    private static partial void LogClaimed(ILogger log, string room, string site);
}
