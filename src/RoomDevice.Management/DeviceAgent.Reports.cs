using System.Runtime.InteropServices;
using System.Text.Json;
using RoomDevice.Core.Diagnostics;
using RoomDevice.Core.Room;
using RoomDevice.Management.Protocol;
using RoomDevice.Management.Provisioning;
using RoomDevice.Management.Storage;

namespace RoomDevice.Management;

public sealed partial class DeviceAgent
{
    private volatile bool _forceHealth = true;
    private string? _lastHealthShape;
    private DateTimeOffset _lastHealthAt;
    private IReadOnlyList<ProbeResult> _lastProbes = [];

    private byte[] StatusPayload(string state, long session, DateTimeOffset since, string? reason = null) => StrictJson.Write(w =>
    {
        w.WriteString("state", state);
        w.WriteNumber("session", session);
        w.WriteString("since", since);
        if (reason is not null)
        {
            w.WriteString("reason", reason);
        }
    });

    private byte[] BirthPayload()
    {
        RoomAssignment? a = Assignment;
        DeviceDescription d = _services.Description;
        return StrictJson.Write(w =>
        {
            w.WriteString("deviceId", _identity.Id);
            w.WriteString("identitySource", _identity.Source);
            w.WriteString("model", d.Model);
            if (d.Serial is not null)
            {
                w.WriteString("serial", d.Serial);
            }
            w.WriteString("appVersion", d.AppVersion);
            w.WriteString("os", RuntimeInformation.OSDescription);
            w.WriteString("arch", RuntimeInformation.OSArchitecture.ToString().ToLowerInvariant());
            w.WriteString("runtime", RuntimeInformation.FrameworkDescription);
            w.WriteBoolean("claimed", a is not null);
            if (a is not null)
            {
                w.WriteString("room", a.Room);
                if (a.Site is not null)
                {
                    w.WriteString("site", a.Site);
                }
            }
            w.WriteNumber("configVersion", _config.AppliedVersion);
            w.WriteStartObject("capabilities");
            w.WriteString("api", "v1");
            w.WriteStartArray("commands");
            foreach (string c in Topics.CommandNames)
            {
                w.WriteStringValue(c);
            }
            w.WriteEndArray();
            w.WriteBoolean("identify", _services.Identify is not null);
            w.WriteBoolean("restart", _services.Restarter is not null);
            w.WriteEndObject();
            w.WriteStartArray("peripherals");
            foreach (ProbeResult p in _lastProbes)
            {
                w.WriteStartObject();
                w.WriteString("name", p.Name);
                w.WriteBoolean("required", p.Required);
                w.WriteEndObject();
            }
            w.WriteEndArray();
        });
    }

    private byte[] StatePayload()
    {
        RoomSnapshot s = _services.Room.State;
        RoomAssignment? a = Assignment;
        return StrictJson.Write(w =>
        {
            w.WriteString("phase", PhaseName(s.Phase));
            w.WriteBoolean("muted", s.Muted);
            w.WriteBoolean("privacy", s.Privacy);
            w.WriteNumber("volume", s.Volume);
            if (s.Meeting is Meeting m)
            {
                w.WriteStartObject("meeting");
                w.WriteString("title", m.Title);
                w.WriteString("start", m.Start);
                w.WriteString("end", m.End);
                w.WriteEndObject();
            }
            else
            {
                w.WriteNull("meeting");
            }
            if (s.LastError is not null)
            {
                w.WriteString("lastError", s.LastError);
            }
            w.WriteNumber("revision", s.Revision);
            if (a is not null)
            {
                w.WriteString("room", a.Room);
            }
            w.WriteString("at", _time.GetUtcNow());
        });
    }

    internal static string PhaseName(CallPhase p) => p switch
    {
        CallPhase.Idle => "idle",
        CallPhase.Joining => "joining",
        CallPhase.InCall => "in-call",
        CallPhase.Leaving => "leaving",
        _ => p.ToString().ToLowerInvariant(),
    };

    private IReadOnlyList<ProbeResult> RunProbes()
    {
        var results = new List<ProbeResult>(_services.Probes.Count);
        foreach (IPeripheralProbe probe in _services.Probes)
        {
            try
            {
                results.Add(probe.Probe());
            }
#pragma warning disable CA1031 // a probe that throws is a failed peripheral, not a failed device
            catch (Exception ex)
#pragma warning restore CA1031
            {
                results.Add(new ProbeResult(probe.GetType().Name, true, ProbeStatus.Missing, "probe failed: " + ex.Message));
            }
        }
        return results;
    }

    internal static string Overall(IReadOnlyList<ProbeResult> probes)
    {
        if (probes.Any(p => p.Required && p.Status == ProbeStatus.Missing))
        {
            return "failed";
        }
        return probes.Any(p => p.Status != ProbeStatus.Ok) ? "degraded" : "ok";
    }

    private (byte[] Payload, string Shape) HealthPayload(IReadOnlyList<ProbeResult> probes)
    {
        string overall = Overall(probes);
        // a change of peripherals, or lost messages, is news worth publishing at once; other figures ride along
        string shape = overall + "|" + string.Join(";", probes.Select(p => p.Name + "=" + p.Status + "/" + p.Required))
            + "|" + InboundDropped.ToString(System.Globalization.CultureInfo.InvariantCulture)
            + "|" + (Interlocked.Read(ref _outboxDroppedTotal) + _outbox.Dropped).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var figures = new Dictionary<string, Dictionary<string, double>>(StringComparer.Ordinal);
        foreach (ITelemetrySource src in _services.Telemetry)
        {
            var into = new Dictionary<string, double>(StringComparer.Ordinal);
            try
            {
                src.Collect(into);
            }
#pragma warning disable CA1031 // a broken source only loses its figures
            catch (Exception)
#pragma warning restore CA1031
            {
                continue;
            }
            figures[src.Name] = into;
        }
        byte[] payload = StrictJson.Write(w =>
        {
            w.WriteString("overall", overall);
            w.WriteStartArray("peripherals");
            foreach (ProbeResult p in probes)
            {
                w.WriteStartObject();
                w.WriteString("name", p.Name);
                w.WriteBoolean("connected", p.Status != ProbeStatus.Missing);
                w.WriteBoolean("required", p.Required);
                w.WriteString("status", p.Status.ToString().ToLowerInvariant());
                w.WriteString("detail", p.Detail);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            foreach (KeyValuePair<string, Dictionary<string, double>> f in figures)
            {
                w.WriteStartObject(f.Key);
                foreach (KeyValuePair<string, double> kv in f.Value)
                {
                    if (double.IsFinite(kv.Value))
                    {
                        w.WriteNumber(kv.Key, kv.Value);
                    }
                }
                w.WriteEndObject();
            }
            w.WriteStartObject("mqtt");
            w.WriteNumber("session", Session);
            w.WriteNumber("reconnects", Reconnects);
            w.WriteNumber("inboundDropped", InboundDropped);
            w.WriteNumber("refused", Refused);
            w.WriteNumber("outboxQueued", _outbox.Count);
            w.WriteNumber("outboxDropped", Interlocked.Read(ref _outboxDroppedTotal) + _outbox.Dropped);
            w.WriteEndObject();
            w.WriteString("at", _time.GetUtcNow());
        });
        return (payload, shape);
    }

    private async Task PublishAnnouncementAsync(CancellationToken ct)
    {
        string topic = Topics.UnclaimedAnnouncement(_identity.Id);
        if (Assignment is null)
        {
            string hash = ClaimCodes.Hash(_identity.Id, _claimCode);
            byte[] payload = StrictJson.Write(w =>
            {
                w.WriteString("deviceId", _identity.Id);
                w.WriteString("claimCodeHash", hash);
                w.WriteString("hashAlgorithm", $"pbkdf2-sha256:{ClaimCodes.Iterations}:roomdevice-claim:{{deviceId}}");
                w.WriteString("model", _services.Description.Model);
                w.WriteString("since", _time.GetUtcNow());
            });
            await PublishAsync(topic, payload, retain: true, ct).ConfigureAwait(false);
        }
        else
        {
            // an empty retained payload removes the announcement
            await PublishAsync(topic, [], retain: true, ct).ConfigureAwait(false);
        }
    }

    /// <summary>Keeps state and health current: state on change, health on change and every interval.</summary>
    private async Task ReportLoopAsync(CancellationToken ct)
    {
        DateTimeOffset nextProbe = DateTimeOffset.MinValue;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                if (IsConnected && _stateDirty)
                {
                    _stateDirty = false;
                    if (!await PublishAsync(Topics.State(_identity.Id), StatePayload(), retain: true, ct).ConfigureAwait(false))
                    {
                        _stateDirty = true;
                    }
                }
                DateTimeOffset now = _time.GetUtcNow();
                if (now >= nextProbe || _forceHealth)
                {
                    bool forced = _forceHealth;
                    _forceHealth = false;
                    nextProbe = now + TimeSpan.FromSeconds(_options.HealthCheckSeconds);
                    IReadOnlyList<ProbeResult> probes = await Task.Run(RunProbes, ct).ConfigureAwait(false);
                    bool inventoryChanged = !probes.Select(p => p.Name).SequenceEqual(_lastProbes.Select(p => p.Name), StringComparer.Ordinal);
                    _lastProbes = probes;
                    (byte[] payload, string shape) = HealthPayload(probes);
                    bool due = forced || shape != _lastHealthShape || now - _lastHealthAt >= TimeSpan.FromSeconds(_options.HealthIntervalSeconds);
                    if (due && IsConnected)
                    {
                        if (await PublishAsync(Topics.Health(_identity.Id), payload, retain: true, ct).ConfigureAwait(false))
                        {
                            _lastHealthShape = shape;
                            _lastHealthAt = now;
                        }
                        else
                        {
                            _forceHealth = true;
                        }
                        if (inventoryChanged || forced)
                        {
                            await PublishAsync(Topics.Birth(_identity.Id), BirthPayload(), retain: true, ct).ConfigureAwait(false);
                            await PublishAsync(Topics.ConfigReported(_identity.Id), CurrentReported(), retain: true, ct).ConfigureAwait(false);
                        }
                    }
                    else if (due)
                    {
                        _forceHealth = true;
                    }
                }
                using var tick = CancellationTokenSource.CreateLinkedTokenSource(ct);
                tick.CancelAfter(TimeSpan.FromSeconds(1));
                try
                {
                    await _wake.WaitAsync(tick.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
        }
    }

    /// <summary>Sends events and telemetry: directly when online, through the disk outbox when not.</summary>
    private async Task SendLoopAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                if (IsConnected && _outbox.Count > 0)
                {
                    await DrainOutboxAsync(ct).ConfigureAwait(false);
                }
                while (_outbound.Reader.TryRead(out QueuedMessage? m))
                {
                    bool sent = IsConnected && _outbox.Count == 0 && await PublishAsync(m.Topic, m.Payload, retain: false, ct).ConfigureAwait(false);
                    if (!sent)
                    {
                        _outbox.Enqueue(m);
                    }
                }
                long lost = Interlocked.Exchange(ref _outboundDropped, 0);
                if (lost > 0)
                {
                    Interlocked.Add(ref _outboxDroppedTotal, lost);
                }
                using var tick = CancellationTokenSource.CreateLinkedTokenSource(ct);
                tick.CancelAfter(TimeSpan.FromSeconds(1));
                Task<bool> more = _outbound.Reader.WaitToReadAsync(tick.Token).AsTask();
                Task flush = _flush.WaitAsync(tick.Token);
                try
                {
                    await Task.WhenAny(more, flush).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                }
                await tick.CancelAsync().ConfigureAwait(false);
                await Task.WhenAll(more, flush).ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
        }
    }

    private async Task DrainOutboxAsync(CancellationToken ct)
    {
        while (IsConnected && _outbox.TryPeek(out long seq, out QueuedMessage? m))
        {
            if (!await PublishAsync(m!.Topic, m.Payload, retain: false, ct).ConfigureAwait(false))
            {
                return;
            }
            _outbox.Remove(seq);
        }
        long dropped = _outbox.TakeDropped();
        if (dropped > 0)
        {
            Interlocked.Add(ref _outboxDroppedTotal, dropped);
            byte[] payload = StrictJson.Write(w =>
            {
                w.WriteString("kind", "mqtt.outbox.dropped");
                w.WriteString("at", _time.GetUtcNow());
                w.WriteStartObject("data");
                w.WriteString("count", dropped.ToString(System.Globalization.CultureInfo.InvariantCulture));
                w.WriteString("reason", "offline queue full; the oldest messages were dropped");
                w.WriteEndObject();
            });
            await PublishAsync(Topics.Events(_identity.Id), payload, retain: false, ct).ConfigureAwait(false);
        }
    }

    private async Task TelemetryLoopAsync(CancellationToken ct)
    {
        if (_services.Telemetry.Count == 0)
        {
            return;
        }
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(_options.TelemetryIntervalSeconds), _time, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            var figures = new SortedDictionary<string, double>(StringComparer.Ordinal);
            foreach (ITelemetrySource src in _services.Telemetry)
            {
                var into = new Dictionary<string, double>(StringComparer.Ordinal);
                try
                {
                    src.Collect(into);
                }
#pragma warning disable CA1031 // a broken source only loses its figures
                catch (Exception)
#pragma warning restore CA1031
                {
                    continue;
                }
                foreach (KeyValuePair<string, double> kv in into)
                {
                    figures[src.Name + "." + kv.Key] = kv.Value;
                }
            }
            byte[] payload = StrictJson.Write(w =>
            {
                w.WriteString("at", _time.GetUtcNow());
                w.WriteStartObject("figures");
                foreach (KeyValuePair<string, double> kv in figures)
                {
                    if (double.IsFinite(kv.Value))
                    {
                        w.WriteNumber(kv.Key, kv.Value);
                    }
                }
                w.WriteEndObject();
            });
            _outbound.Writer.TryWrite(new QueuedMessage(Topics.Telemetry(_identity.Id), payload));
        }
    }

    private static void WriteError(Utf8JsonWriter w, string code, string message)
    {
        w.WriteStartObject("error");
        w.WriteString("code", code);
        w.WriteString("message", message);
        w.WriteEndObject();
    }
}
