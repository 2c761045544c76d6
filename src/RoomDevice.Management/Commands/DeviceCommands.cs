using System.Text.Json;
using RoomDevice.Core.Diagnostics;
using RoomDevice.Core.Room;

namespace RoomDevice.Management.Commands;

/// <summary>The final result of a command.</summary>
public sealed record CommandOutcome(bool Succeeded, string? ErrorCode, string? ErrorMessage, Action<Utf8JsonWriter>? Result)
{
    /// <summary>Succeeded, with an optional result object.</summary>
    public static CommandOutcome Ok(Action<Utf8JsonWriter>? result = null) => new(true, null, null, result);

    /// <summary>Failed with a code and a message that says why.</summary>
    public static CommandOutcome Fail(string code, string message, Action<Utf8JsonWriter>? result = null) => new(false, code, message, result);
}

/// <summary>
/// The commands of the device API: argument checks (before "accepted") and what each does. Each
/// command accepts exactly its listed arguments, with their JSON types; anything else is refused
/// with a message naming the argument and what is accepted.
/// </summary>
internal static class DeviceCommands
{
    /// <summary>A checked command ready to run.</summary>
    internal sealed record Prepared(bool NeedsClaim, Func<CancellationToken, Task<CommandOutcome>> Run, Action? AfterReply = null);

    public static bool TryPrepare(string name, JsonElement args, DeviceAgent agent, out Prepared? prepared, out string? code, out string? message)
    {
        prepared = null;
        code = null;
        message = null;
        DeviceAgentServices s = agent.Services;
        switch (name)
        {
            case "join":
            {
                if (!Allow(args, ["uri"], out code, out message))
                {
                    return false;
                }
                string? uri = null;
                if (args.ValueKind == JsonValueKind.Object && args.TryGetProperty("uri", out JsonElement u))
                {
                    uri = u.ValueKind == JsonValueKind.String ? u.GetString() : null;
                    if (uri is null || uri.Length > 256 || !(uri.StartsWith("sip:", StringComparison.OrdinalIgnoreCase) || uri.StartsWith("sips:", StringComparison.OrdinalIgnoreCase)) || uri.Any(char.IsWhiteSpace))
                    {
                        (code, message) = ("bad_args", "args.uri is not a SIP URI; accepted: a string such as \"sip:room@example.com\" (at most 256 characters, no spaces)");
                        return false;
                    }
                }
                prepared = new Prepared(true, _ =>
                {
                    (string Target, Meeting? Meeting)? target = uri is not null ? (uri, null) : s.JoinTargets?.Current(agent.Now);
                    if (target is null)
                    {
                        return Task.FromResult(CommandOutcome.Fail("no_target", "nothing to join: no meeting is scheduled and no default target is configured; pass args.uri"));
                    }
                    return Task.FromResult(Room(s, new JoinRequested(target.Value.Target, target.Value.Meeting) { Origin = "mqtt" }));
                });
                return true;
            }
            case "leave":
                return Simple(args, new LeaveRequested { Origin = "mqtt" }, s, out prepared, out code, out message);
            case "mute":
                return Simple(args, new MuteSet(true) { Origin = "mqtt" }, s, out prepared, out code, out message);
            case "unmute":
                return Simple(args, new MuteSet(false) { Origin = "mqtt" }, s, out prepared, out code, out message);
            case "volume":
            {
                if (!Allow(args, ["level"], out code, out message))
                {
                    return false;
                }
                if (args.ValueKind != JsonValueKind.Object || !args.TryGetProperty("level", out JsonElement l) || l.ValueKind != JsonValueKind.Number || !l.TryGetInt32(out int level) || level is < RoomStateMachine.MinVolume or > RoomStateMachine.MaxVolume)
                {
                    (code, message) = ("bad_args", $"args.level is missing or out of range; accepted: a whole number from {RoomStateMachine.MinVolume} to {RoomStateMachine.MaxVolume}");
                    return false;
                }
                prepared = new Prepared(true, _ => Task.FromResult(Room(s, new VolumeSet(level) { Origin = "mqtt" })));
                return true;
            }
            case "identify":
            {
                if (!Allow(args, ["seconds"], out code, out message))
                {
                    return false;
                }
                int seconds = 30;
                if (args.ValueKind == JsonValueKind.Object && args.TryGetProperty("seconds", out JsonElement sec)
                    && (sec.ValueKind != JsonValueKind.Number || !sec.TryGetInt32(out seconds) || seconds is < 1 or > 600))
                {
                    (code, message) = ("bad_args", "args.seconds is out of range; accepted: a whole number from 1 to 600 (default 30)");
                    return false;
                }
                prepared = new Prepared(false, _ =>
                {
                    if (s.Identify is not IIdentifyIndicator indicator)
                    {
                        return Task.FromResult(CommandOutcome.Fail("not_supported", "this device has no identify indicator"));
                    }
                    indicator.Identify(TimeSpan.FromSeconds(seconds));
                    return Task.FromResult(CommandOutcome.Ok(w => w.WriteNumber("seconds", seconds)));
                });
                return true;
            }
            case "restart":
            {
                if (!Allow(args, ["delaySeconds"], out code, out message))
                {
                    return false;
                }
                int delay = 2;
                if (args.ValueKind == JsonValueKind.Object && args.TryGetProperty("delaySeconds", out JsonElement d)
                    && (d.ValueKind != JsonValueKind.Number || !d.TryGetInt32(out delay) || delay is < 0 or > 300))
                {
                    (code, message) = ("bad_args", "args.delaySeconds is out of range; accepted: a whole number from 0 to 300 (default 2)");
                    return false;
                }
                if (s.Restarter is not IDeviceRestarter restarter)
                {
                    (code, message) = ("not_supported", "this device cannot restart itself");
                    return false;
                }
                prepared = new Prepared(true, _ => Task.FromResult(CommandOutcome.Ok(w => w.WriteNumber("restartingInSeconds", delay))),
                    () => _ = Task.Delay(TimeSpan.FromSeconds(delay), agent.Time).ContinueWith(_ => restarter.Restart("restart command"), TaskScheduler.Default));
                return true;
            }
            case "selftest":
            {
                if (!Allow(args, [], out code, out message))
                {
                    return false;
                }
                prepared = new Prepared(false, async ct =>
                {
                    IReadOnlyList<ProbeResult> results = await Task.Run(agent.ProbeNow, ct).ConfigureAwait(false);
                    string overall = DeviceAgent.Overall(results);
                    void Write(Utf8JsonWriter w)
                    {
                        w.WriteString("overall", overall);
                        w.WriteStartArray("probes");
                        foreach (ProbeResult r in results)
                        {
                            w.WriteStartObject();
                            w.WriteString("name", r.Name);
                            w.WriteBoolean("required", r.Required);
                            w.WriteString("status", r.Status.ToString().ToLowerInvariant());
                            w.WriteString("detail", r.Detail);
                            w.WriteEndObject();
                        }
                        w.WriteEndArray();
                    }
                    return overall == "failed"
                        ? CommandOutcome.Fail("selftest_failed", "a required peripheral is missing: " + string.Join(", ", results.Where(r => r.Required && r.Status == ProbeStatus.Missing).Select(r => r.Name)), Write)
                        : CommandOutcome.Ok(Write);
                });
                return true;
            }
            default:
                (code, message) = ("unknown_command", $"unknown command {Protocol.StrictJson.Quote(name)}; accepted: {string.Join(", ", Topics.CommandNames)}");
                return false;
        }
    }

    private static bool Simple(JsonElement args, RoomEvent e, DeviceAgentServices s, out Prepared? prepared, out string? code, out string? message)
    {
        prepared = null;
        if (!Allow(args, [], out code, out message))
        {
            return false;
        }
        prepared = new Prepared(true, _ => Task.FromResult(Room(s, e)));
        return true;
    }

    private static CommandOutcome Room(DeviceAgentServices s, RoomEvent e)
    {
        TransitionResult r = s.Room.Handle(e);
        RoomSnapshot st = r.State;
        void Write(Utf8JsonWriter w)
        {
            w.WriteString("phase", DeviceAgent.PhaseName(st.Phase));
            w.WriteBoolean("muted", st.Muted);
            w.WriteNumber("volume", st.Volume);
        }
        return r.Accepted ? CommandOutcome.Ok(Write) : CommandOutcome.Fail("refused", r.Reason ?? "refused by the room", Write);
    }

    private static bool Allow(JsonElement args, string[] allowed, out string? code, out string? message)
    {
        code = null;
        message = null;
        if (args.ValueKind != JsonValueKind.Object)
        {
            return true;
        }
        foreach (JsonProperty p in args.EnumerateObject())
        {
            if (Array.IndexOf(allowed, p.Name) < 0)
            {
                code = "bad_args";
                message = $"argument {Protocol.StrictJson.Quote(p.Name)} is not known; accepted: {(allowed.Length == 0 ? "no arguments" : string.Join(", ", allowed))}";
                return false;
            }
        }
        return true;
    }
}
