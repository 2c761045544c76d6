using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RoomDevice.Core.Diagnostics;
using RoomDevice.Core.Options;
using RoomDevice.Host.Configuration;
using RoomDevice.Host.Management;

namespace RoomDevice.Host.Composition;

/// <summary>
/// When the fleet layer was refused at start (see <see cref="FleetLayerFallback"/>), says so: a
/// warning per problem in the log at once, and a "fault.config" device event for the fleet once
/// the device agent listens. The selftest/health row comes from <see cref="ConfigurationProbe"/>.
/// </summary>
internal sealed partial class FleetLayerFaultService(
    DeviceConfiguration config,
    DeviceEventHub events,
    IHostApplicationLifetime lifetime,
    IServiceProvider services,
    TimeProvider time,
    ILogger<FleetLayerFaultService> log) : BackgroundService
{
    /// <summary>Kind of the device event.</summary>
    public const string EventKind = "fault.config";

    /// <summary>Longest wait for the fleet agent to listen before the event goes out anyway.</summary>
    private static readonly TimeSpan AgentWait = TimeSpan.FromSeconds(30);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (config.FleetFallback is not { } fallback)
        {
            return;
        }
        foreach (RejectedFleetFile r in fallback.Rejected)
        {
            foreach (ConfigIssue i in r.Issues)
            {
                LogIssue(log, r.Path, DeviceConfiguration.Redact(i).ToString());
            }
        }
        LogOutcome(log, fallback.Outcome);
        try
        {
            await WaitUntilStartedAsync(stoppingToken).ConfigureAwait(false);
            await WaitForAgentAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            return;
        }
        events.Publish(Event(fallback, time.GetUtcNow()));
    }

    /// <summary>The device event: the refused file, how many problems, the first of them, and what the device runs on.</summary>
    internal static DeviceEvent Event(FleetLayerFallback fallback, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(fallback);
        RejectedFleetFile first = fallback.Rejected[0];
        string detail = fallback.Describe();
        return new DeviceEvent(EventKind, at, new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["file"] = first.Path,
            ["issues"] = fallback.Rejected.Sum(r => r.Issues.Count).ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["keys"] = string.Join(",", fallback.Rejected.SelectMany(r => r.Issues).Select(i => i.Key).Distinct(StringComparer.OrdinalIgnoreCase)),
            ["fallback"] = fallback.UsedFile ?? "none",
            ["detail"] = detail.Length > 600 ? detail[..600] + "…" : detail,
        });
    }

    private async Task WaitUntilStartedAsync(CancellationToken ct)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using CancellationTokenRegistration a = lifetime.ApplicationStarted.Register(() => started.TrySetResult());
        using CancellationTokenRegistration b = ct.Register(() => started.TrySetCanceled(ct));
        await started.Task.ConfigureAwait(false);
    }

    // The agent subscribes to device events as it starts; an event published before that would only reach the log.
    private async Task WaitForAgentAsync(CancellationToken ct)
    {
        MqttDeviceService? mqtt = services.GetService<MqttDeviceService>();
        if (mqtt is null)
        {
            return;
        }
        long start = time.GetTimestamp();
        while (mqtt.Agent is null && mqtt.ExecuteTask is not { IsCompleted: true } && time.GetElapsedTime(start) < AgentWait)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(100), time, ct).ConfigureAwait(false);
        }
        if (mqtt.Agent is not null)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(500), time, ct).ConfigureAwait(false);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Fleet layer {File} refused: {Issue}")]
    private static partial void LogIssue(ILogger log, string file, string issue);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Fleet layer refused, {Outcome}; the refused file is kept for diagnosis and the next valid desired config from the fleet replaces it")]
    private static partial void LogOutcome(ILogger log, string outcome);
}
