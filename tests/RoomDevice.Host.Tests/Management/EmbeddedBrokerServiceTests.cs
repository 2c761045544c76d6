using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using RoomDevice.Host.Management;

namespace RoomDevice.Host.Tests.Management;

/// <summary>The embedded broker of <c>--simulate</c> next to a broker that already listens on its port.</summary>
public sealed class EmbeddedBrokerServiceTests
{
    [Fact]
    public async Task A_taken_port_means_the_device_uses_the_broker_already_there_instead_of_failing_to_start()
    {
        using var existing = new TcpListener(IPAddress.Loopback, 0);
        existing.Start();
        int port = ((IPEndPoint)existing.LocalEndpoint).Port;
        var service = new EmbeddedBrokerService(new EmbeddedBrokerService.Settings(true, port), NullLogger<EmbeddedBrokerService>.Instance);

        await service.StartAsync(CancellationToken.None);

        Assert.Equal(port, service.Port);
        await service.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task A_free_port_gets_an_embedded_broker_that_accepts_connections()
    {
        var service = new EmbeddedBrokerService(new EmbeddedBrokerService.Settings(true, 0), NullLogger<EmbeddedBrokerService>.Instance);
        await service.StartAsync(CancellationToken.None);
        try
        {
            int port = Assert.IsType<int>(service.Port);
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, port);
            Assert.True(client.Connected);
        }
        finally
        {
            await service.StopAsync(CancellationToken.None);
        }
    }
}
