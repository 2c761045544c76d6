using System.Net;
using System.Net.Sockets;
using MQTTnet.Server;

namespace RoomDevice.Management;

/// <summary>
/// A small MQTT 5 broker on 127.0.0.1 (MQTTnet.Server) so <c>roomdevice run --simulate</c> and
/// <c>roomctl</c> work without installing one. Retained messages and sessions live in memory.
/// </summary>
public sealed class EmbeddedBroker : IAsyncDisposable
{
    private readonly MqttServer _server;

    private EmbeddedBroker(MqttServer server, int port)
    {
        _server = server;
        Port = port;
    }

    /// <summary>The TCP port on 127.0.0.1.</summary>
    public int Port { get; }

    /// <summary>Starts a broker on 127.0.0.1:<paramref name="port"/> (0 picks a free port).</summary>
    public static async Task<EmbeddedBroker> StartAsync(int port = 0)
    {
        if (port == 0)
        {
            port = FreePort();
        }
        var factory = new MqttServerFactory();
        MqttServerOptions options = factory.CreateServerOptionsBuilder()
            .WithDefaultEndpoint()
            .WithDefaultEndpointBoundIPAddress(IPAddress.Loopback)
            .WithDefaultEndpointPort(port)
            .WithPersistentSessions(true)
            .WithMaxPendingMessagesPerClient(10000)
            .Build();
        MqttServer server = factory.CreateMqttServer(options);
        server.ValidatingConnectionAsync += e =>
        {
            // MQTT 5 lets a client leave its id empty (mosquitto_sub does): assign one, as mosquitto does
            if (string.IsNullOrEmpty(e.ClientId))
            {
                e.AssignedClientIdentifier = "auto-" + Guid.NewGuid().ToString("N")[..12];
                e.ReasonCode = MQTTnet.Protocol.MqttConnectReasonCode.Success;
            }
            return Task.CompletedTask;
        };
        await server.StartAsync().ConfigureAwait(false);
        return new EmbeddedBroker(server, port);
    }

    /// <summary>A TCP port on 127.0.0.1 that was free a moment ago.</summary>
    public static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int p = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return p;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _server.StopAsync(new MqttServerStopOptions()).ConfigureAwait(false);
        _server.Dispose();
    }
}
