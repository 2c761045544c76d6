namespace RoomDevice.Core.Diagnostics;

/// <summary>Something worth telling the fleet: a button press, a call started or ended, a fault.</summary>
/// <param name="Kind">Short dotted name, e.g. "button.join.long", "call.started", "fault.audio".</param>
/// <param name="At">When it happened.</param>
/// <param name="Data">Extra fields; small strings only.</param>
public sealed record DeviceEvent(string Kind, DateTimeOffset At, IReadOnlyDictionary<string, string>? Data = null);

/// <summary>Fan-out of device events to whoever listens (MQTT events topic, terminal, logs).</summary>
public sealed class DeviceEventHub
{
    private readonly Lock _gate = new();
    private Action<DeviceEvent>[] _listeners = [];

    /// <summary>Adds a listener; dispose the result to remove it. Listeners must not block.</summary>
    public IDisposable Subscribe(Action<DeviceEvent> listener)
    {
        ArgumentNullException.ThrowIfNull(listener);
        lock (_gate)
        {
            _listeners = [.. _listeners, listener];
        }
        return new Subscription(this, listener);
    }

    /// <summary>Sends an event to every listener; a failing listener does not stop the others.</summary>
    public void Publish(DeviceEvent e)
    {
        foreach (var l in Volatile.Read(ref _listeners))
        {
            try
            {
                l(e);
            }
#pragma warning disable CA1031 // a broken listener must not take down the publisher
            catch (Exception)
#pragma warning restore CA1031
            {
            }
        }
    }

    private void Remove(Action<DeviceEvent> listener)
    {
        lock (_gate)
        {
            _listeners = [.. _listeners.Where(x => x != listener)];
        }
    }

    private sealed class Subscription(DeviceEventHub hub, Action<DeviceEvent> listener) : IDisposable
    {
        public void Dispose() => hub.Remove(listener);
    }
}
