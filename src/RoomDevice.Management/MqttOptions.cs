using RoomDevice.Core.Options;

namespace RoomDevice.Management;

/// <summary>How the device reaches its MQTT broker and how hard it tries. Section <c>Mqtt</c>.</summary>
[ConfigSection("Mqtt")]
public sealed class MqttOptions : IDeviceOptions
{
    /// <summary>Broker host name or address; empty means none (in <c>--simulate</c> an embedded broker starts on 127.0.0.1).</summary>
    public string? Host { get; set; }

    /// <summary>Broker TCP port.</summary>
    public int Port { get; set; } = 1883;

    /// <summary>Use TLS to the broker.</summary>
    public bool UseTls { get; set; }

    /// <summary>PEM file with the CA that signed the broker's certificate; empty trusts the system store.</summary>
    public string? CaFile { get; set; }

    /// <summary>PEM client certificate for mutual TLS; needs <see cref="ClientKeyFile"/>.</summary>
    public string? ClientCertificateFile { get; set; }

    /// <summary>PEM private key of <see cref="ClientCertificateFile"/>.</summary>
    public string? ClientKeyFile { get; set; }

    /// <summary>Name expected in the broker certificate when it differs from <see cref="Host"/>.</summary>
    public string? TlsServerName { get; set; }

    /// <summary>Optional user name.</summary>
    public string? Username { get; set; }

    /// <summary>Optional password; a secret, never logged or reported.</summary>
    public string? Password { get; set; }

    /// <summary>MQTT keep-alive, also the period of the application watchdog ping.</summary>
    public int KeepAliveSeconds { get; set; } = 30;

    /// <summary>How long the broker keeps the session (subscriptions, queued QoS 1 commands) while the device is away.</summary>
    public int SessionExpirySeconds { get; set; } = 86400;

    /// <summary>First reconnect delay cap; each failed attempt doubles it.</summary>
    public int ReconnectInitialMs { get; set; } = 1000;

    /// <summary>Largest reconnect delay cap.</summary>
    public int ReconnectMaxMs { get; set; } = 60000;

    /// <summary>A connection must last this long before the backoff starts again from the initial delay.</summary>
    public int StableConnectionSeconds { get; set; } = 60;

    /// <summary>Missed watchdog pings before a connection is declared half-open and dropped.</summary>
    public int WatchdogMisses { get; set; } = 2;

    /// <summary>Received messages waiting for the handler; further ones are dropped and counted.</summary>
    public int InboundQueueSize { get; set; } = 4096;

    /// <summary>Events and telemetry kept on disk while offline; the oldest are dropped beyond this.</summary>
    public int OutboxCapacity { get; set; } = 1000;

    /// <summary>Largest accepted inbound payload.</summary>
    public int MaxPayloadBytes { get; set; } = 65536;

    /// <summary>Deepest accepted JSON nesting.</summary>
    public int MaxJsonDepth { get; set; } = 16;

    /// <summary>How often peripherals are probed; health is published when the result changes.</summary>
    public int HealthCheckSeconds { get; set; } = 10;

    /// <summary>Health is republished at least this often even when nothing changed.</summary>
    public int HealthIntervalSeconds { get; set; } = 60;

    /// <summary>How often telemetry figures are sent.</summary>
    public int TelemetryIntervalSeconds { get; set; } = 30;

    /// <summary>A copy aimed at another broker (the embedded one in --simulate).</summary>
    public MqttOptions WithBroker(string host, int port)
    {
        var copy = (MqttOptions)MemberwiseClone();
        copy.Host = host;
        copy.Port = port;
        return copy;
    }

    /// <summary>True when a broker host is configured.</summary>
    public bool HasHost => !string.IsNullOrWhiteSpace(Host);

    /// <inheritdoc />
    public void Validate(OptionsValidator v)
    {
        ArgumentNullException.ThrowIfNull(v);
        v.Range(nameof(Port), Port, 1, 65535);
        v.Range(nameof(KeepAliveSeconds), KeepAliveSeconds, 5, 3600);
        v.Range(nameof(SessionExpirySeconds), SessionExpirySeconds, 0, 604800);
        v.Range(nameof(ReconnectInitialMs), ReconnectInitialMs, 10, 600000);
        v.Range(nameof(ReconnectMaxMs), ReconnectMaxMs, 100, 3600000);
        v.Check(ReconnectMaxMs >= ReconnectInitialMs, nameof(ReconnectMaxMs), ReconnectMaxMs,
            $"a number of milliseconds not below Mqtt:ReconnectInitialMs ({ReconnectInitialMs})", "smaller than the initial delay");
        v.Range(nameof(StableConnectionSeconds), StableConnectionSeconds, 1, 86400);
        v.Range(nameof(WatchdogMisses), WatchdogMisses, 1, 10);
        v.Range(nameof(InboundQueueSize), InboundQueueSize, 16, 1000000);
        v.Range(nameof(OutboxCapacity), OutboxCapacity, 10, 1000000);
        v.Range(nameof(MaxPayloadBytes), MaxPayloadBytes, 256, 16 * 1024 * 1024);
        v.Range(nameof(MaxJsonDepth), MaxJsonDepth, 2, 64);
        v.Range(nameof(HealthCheckSeconds), HealthCheckSeconds, 1, 3600);
        v.Range(nameof(HealthIntervalSeconds), HealthIntervalSeconds, 5, 86400);
        v.Range(nameof(TelemetryIntervalSeconds), TelemetryIntervalSeconds, 1, 86400);
        if (Host is not null && Host.Length > 0)
        {
            v.Check(!string.IsNullOrWhiteSpace(Host) && !Host.Contains(' ', StringComparison.Ordinal) && !Host.Contains("://", StringComparison.Ordinal),
                nameof(Host), Host, "a host name or IP address without scheme or spaces, e.g. broker.example.com", "not a host name");
        }
        bool hasCert = !string.IsNullOrWhiteSpace(ClientCertificateFile);
        bool hasKey = !string.IsNullOrWhiteSpace(ClientKeyFile);
        v.Check(hasCert == hasKey, hasCert ? nameof(ClientKeyFile) : nameof(ClientCertificateFile), null,
            "both Mqtt:ClientCertificateFile and Mqtt:ClientKeyFile, or neither", "a client certificate needs both its certificate and its key file");
        v.Check(!hasCert || UseTls, nameof(UseTls), UseTls, "true when a client certificate is configured", "a client certificate needs TLS");
        CheckFile(v, nameof(CaFile), CaFile);
        CheckFile(v, nameof(ClientCertificateFile), ClientCertificateFile);
        CheckFile(v, nameof(ClientKeyFile), ClientKeyFile);
        v.Check(string.IsNullOrEmpty(Password) || !string.IsNullOrEmpty(Username), nameof(Username), Username,
            "a user name when Mqtt:Password is set", "a password without a user name");
    }

    private static void CheckFile(OptionsValidator v, string key, string? path)
    {
        if (!string.IsNullOrWhiteSpace(path))
        {
            v.Check(File.Exists(path), key, path, "the path of a readable PEM file", "file not found");
        }
    }
}
