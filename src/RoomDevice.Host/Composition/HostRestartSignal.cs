namespace RoomDevice.Host.Composition;

/// <summary>
/// Set when something asked the device to restart (the fleet's restart command, a newly applied
/// desired config) before it stopped the host. The run verb reads it after the host has stopped:
/// on a device it exits with <see cref="Cli.ExitCodes.Restart"/> so the service manager starts it
/// again; in <c>--simulate</c> it builds and runs a new host in the same process, with the
/// configuration layers read again.
/// </summary>
internal sealed class HostRestartSignal
{
    private string? _reason;

    /// <summary>Why a restart was asked for, or null when the host stopped for good.</summary>
    public string? Reason => Volatile.Read(ref _reason);

    /// <summary>Records the first reason given.</summary>
    public void Request(string reason) => Interlocked.CompareExchange(ref _reason, reason, null);
}
