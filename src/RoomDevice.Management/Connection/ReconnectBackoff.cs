namespace RoomDevice.Management.Connection;

/// <summary>
/// Reconnect delays: exponential with full jitter (a random delay between zero and a cap that
/// doubles per failed attempt, up to a maximum), so a fleet that lost its broker at the same moment
/// does not return at the same moment. The attempt count resets only after a connection stayed up
/// for a while: a broker that accepts and drops at once keeps the delays growing.
/// </summary>
public sealed class ReconnectBackoff
{
    private readonly TimeSpan _initial;
    private readonly TimeSpan _max;
    private readonly TimeSpan _stableAfter;
    private readonly Func<double> _random;
    private int _attempt;
    private DateTimeOffset? _connectedAt;

    /// <summary>Creates the policy; <paramref name="random"/> returns [0, 1) (tests pass a fixed one).</summary>
    public ReconnectBackoff(TimeSpan initial, TimeSpan max, TimeSpan stableAfter, Func<double>? random = null)
    {
        _initial = initial;
        _max = max;
        _stableAfter = stableAfter;
        _random = random ?? Random.Shared.NextDouble;
    }

    /// <summary>Failed attempts since the last stable connection.</summary>
    public int Attempt => _attempt;

    /// <summary>The cap of the next delay: initial * 2^attempt, at most the maximum.</summary>
    public TimeSpan CurrentCap
    {
        get
        {
            double ms = _initial.TotalMilliseconds * Math.Pow(2, Math.Min(_attempt, 30));
            return TimeSpan.FromMilliseconds(Math.Min(ms, _max.TotalMilliseconds));
        }
    }

    /// <summary>Call when a connection came up.</summary>
    public void Connected(DateTimeOffset now) => _connectedAt = now;

    /// <summary>Call when a connection went down (or an attempt failed); returns the delay before the next attempt.</summary>
    public TimeSpan NextDelay(DateTimeOffset now)
    {
        if (_connectedAt is DateTimeOffset up && now - up >= _stableAfter)
        {
            _attempt = 0;
        }
        _connectedAt = null;
        TimeSpan cap = CurrentCap;
        _attempt++;
        return TimeSpan.FromMilliseconds(cap.TotalMilliseconds * _random());
    }
}
