using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace RoomDevice.Host.Systemd;

/// <summary>
/// The sd_notify protocol: one datagram per message to the socket named by NOTIFY_SOCKET. Written
/// here rather than relying on the systemd lifetime alone because that one only speaks when the
/// parent process is systemd itself; a supervisor, a container or a test names the socket too.
/// </summary>
internal sealed class ServiceNotifier : IDisposable
{
    private readonly Socket? _socket;
    private readonly UnixDomainSocketEndPoint? _endPoint;

    public ServiceNotifier(string? notifySocket)
    {
        if (string.IsNullOrEmpty(notifySocket))
        {
            return;
        }
        // '@' marks Linux's abstract socket namespace, written as a leading NUL.
        string path = notifySocket[0] == '@' ? "\0" + notifySocket[1..] : notifySocket;
        _endPoint = new UnixDomainSocketEndPoint(path);
        // Non-blocking: a datagram to a listener whose queue is full (Linux keeps only
        // net.unix.max_dgram_qlen, often 10, unread) would otherwise block the sending thread, a
        // thread-pool timer thread, and every later watchdog tick would block another one until the
        // pool starves and nothing else in the device (control socket, MQTT, calls) gets a thread.
        _socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified) { Blocking = false };
    }

    /// <summary>True when a service manager listens.</summary>
    public bool IsEnabled => _socket is not null;

    /// <summary>Sends one message such as "READY=1"; false when nobody listens, the listener's queue is full, or the send failed. Never blocks.</summary>
    public bool Notify(string state)
    {
        if (_socket is null || _endPoint is null)
        {
            return false;
        }
        try
        {
            _socket.SendTo(Encoding.UTF8.GetBytes(state), _endPoint);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    public void Dispose() => _socket?.Dispose();
}

/// <summary>Something whose silence means the process is stuck (an animation loop, a media thread).</summary>
internal interface ILivenessCheck
{
    /// <summary>Short name for the status line.</summary>
    string Name { get; }

    /// <summary>False, with a reason, when it has stopped making progress.</summary>
    bool IsAlive(out string? reason);
}

/// <summary>
/// Tells the service manager when the device is ready and stopping, and feeds the systemd watchdog
/// (WATCHDOG_USEC) at half its period for as long as the process can run timers.
/// </summary>
internal sealed class ServiceManagerIntegration(
    IHostApplicationLifetime lifetime,
    TimeProvider time,
    IEnumerable<ILivenessCheck> checks,
    ILogger<ServiceManagerIntegration> log) : IHostedService, IDisposable
{
    private readonly ServiceNotifier _notifier = new(Environment.GetEnvironmentVariable("NOTIFY_SOCKET"));
    private readonly ILivenessCheck[] _checks = [.. checks];
    private ITimer? _watchdog;
    private string? _stalled;

    /// <summary>
    /// Feeds the watchdog when every liveness check passes; otherwise tells the service manager why
    /// not, so a stuck loop gets the process restarted. Returns whether it fed.
    /// </summary>
    internal static bool Feed(ServiceNotifier notifier, IReadOnlyList<ILivenessCheck> checks, out string? stalled)
    {
        ArgumentNullException.ThrowIfNull(notifier);
        ArgumentNullException.ThrowIfNull(checks);
        foreach (ILivenessCheck c in checks)
        {
            if (!c.IsAlive(out string? reason))
            {
                stalled = $"{c.Name}: {reason}";
                notifier.Notify("STATUS=stalled: " + stalled);
                return false;
            }
        }
        stalled = null;
        return notifier.Notify("WATCHDOG=1");
    }

    private int _ticking;

    private void OnWatchdogTick()
    {
        // A tick that is still running (a slow liveness check) is not joined by another on a second thread.
        if (Interlocked.Exchange(ref _ticking, 1) == 1)
        {
            return;
        }
        try
        {
            Tick();
        }
        finally
        {
            Volatile.Write(ref _ticking, 0);
        }
    }

    private void Tick()
    {
        Feed(_notifier, _checks, out string? stalled);
        if (stalled != _stalled)
        {
            if (stalled is null)
            {
                log.LogInformation("Service watchdog fed again");
            }
            else
            {
                log.LogError("Not feeding the service watchdog: {Stalled}", stalled);
            }
            _stalled = stalled;
        }
    }

    /// <summary>The watchdog period systemd asks for, or null when none (or meant for another process).</summary>
    internal static TimeSpan? WatchdogPeriod(string? usec, string? pid)
    {
        if (!string.IsNullOrEmpty(pid) && pid != Environment.ProcessId.ToString(CultureInfo.InvariantCulture))
        {
            return null;
        }
        return long.TryParse(usec, NumberStyles.None, CultureInfo.InvariantCulture, out long us) && us > 0
            ? TimeSpan.FromMicroseconds(us)
            : null;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (!_notifier.IsEnabled)
        {
            return Task.CompletedTask;
        }
        lifetime.ApplicationStarted.Register(() =>
        {
            _notifier.Notify(string.Create(CultureInfo.InvariantCulture, $"READY=1\nSTATUS=running\nMAINPID={Environment.ProcessId}"));
            log.LogInformation("Told the service manager the device is ready");
        });
        lifetime.ApplicationStopping.Register(() => _notifier.Notify("STOPPING=1\nSTATUS=stopping"));
        TimeSpan? period = WatchdogPeriod(Environment.GetEnvironmentVariable("WATCHDOG_USEC"), Environment.GetEnvironmentVariable("WATCHDOG_PID"));
        if (period is { } p)
        {
            _watchdog = time.CreateTimer(_ => OnWatchdogTick(), null, TimeSpan.Zero, p / 2);
            log.LogInformation("Feeding the service watchdog every {Period}", p / 2);
        }
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _watchdog?.Dispose();
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        _watchdog?.Dispose();
        _notifier.Dispose();
    }
}
