namespace RoomDevice.Core.Diagnostics;

/// <summary>Outcome of probing one peripheral or native library.</summary>
public enum ProbeStatus
{
    /// <summary>Present and working.</summary>
    Ok,
    /// <summary>Working with reduced function (e.g. no real-time priority).</summary>
    Degraded,
    /// <summary>Absent or broken.</summary>
    Missing,
}

/// <summary>One row of the selftest table and of the health topic.</summary>
public sealed record ProbeResult(string Name, bool Required, ProbeStatus Status, string Detail);

/// <summary>Something selftest and health can check: a GPIO chip, a sound card, libopus, the broker.</summary>
public interface IPeripheralProbe
{
    /// <summary>Checks the peripheral now. Must not throw; must finish within a second or two.</summary>
    ProbeResult Probe();
}

/// <summary>A source of periodic numeric figures for telemetry and health (levels, xruns, ERLE, jitter).</summary>
public interface ITelemetrySource
{
    /// <summary>Prefix of this source's figures, e.g. "audio", "call".</summary>
    string Name { get; }

    /// <summary>Adds current figures to <paramref name="into"/> under short keys.</summary>
    void Collect(IDictionary<string, double> into);
}
