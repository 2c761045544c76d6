using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using RoomDevice.Core.Diagnostics;
using RoomDevice.Core.Identity;
using RoomDevice.Core.Options;
using RoomDevice.Core.Room;
using RoomDevice.Hardware.Buttons;
using RoomDevice.Hardware.Leds;
using RoomDevice.Host.Composition;
using RoomDevice.Host.Configuration;
using RoomDevice.Host.Simulation;
using RoomDevice.Host.Systemd;
using RoomDevice.Host.Tests.Support;

namespace RoomDevice.Host.Tests.Composition;

public class CompositionTests
{
    private static IHost BuildSimulated(TempFolder t, params string[] sets)
    {
        DeviceConfiguration c = DeviceConfiguration.Load(OptionsDiscovery.Schema(),
            new ConfigRequest(t.Config, true, [$"Device:StateDirectory={t.State}", .. sets]));
        Assert.True(c.IsValid, string.Join("\n", c.Issues));
        return DeviceHost.Build(c, LogTarget.Terminal);
    }

    [Fact]
    public void The_core_module_registers_the_shared_services_from_configuration()
    {
        using var t = new TempFolder(withShippedConfig: true);
        using IHost host = BuildSimulated(t, "Room:InitialVolume=30", "Room:VolumeStep=10", "Identity:DeviceId=rd-test-7");
        IServiceProvider sp = host.Services;

        RoomStateMachine room = sp.GetRequiredService<RoomStateMachine>();
        Assert.Same(room, sp.GetRequiredService<RoomStateMachine>());
        Assert.Equal(30, room.State.Volume);
        room.Handle(new VolumeStepped(1));
        Assert.Equal(40, room.State.Volume);

        Assert.Equal(new DeviceIdentity("rd-test-7", "configuration"), sp.GetRequiredService<DeviceIdentity>());
        Assert.Same(TimeProvider.System, sp.GetRequiredService<TimeProvider>());
        Assert.NotNull(sp.GetRequiredService<DeviceEventHub>());
        Assert.Equal(10, sp.GetRequiredService<RoomOptions>().VolumeStep);
        Assert.Same(sp.GetRequiredService<ButtonOptions>(), sp.GetRequiredService<IOptions<ButtonOptions>>().Value);
        Assert.Same(sp.GetRequiredService<LedService>(), sp.GetRequiredService<IIdentifyIndicator>());
        Assert.Equal(t.State, sp.GetRequiredService<HostModuleContext>().StateDirectory);
        Assert.Contains(sp.GetServices<IPeripheralProbe>(), p => p is ConfigurationProbe);
        Assert.Contains(sp.GetServices<ITelemetrySource>(), s => s.Name == "host");
    }

    [Fact]
    public void The_registered_document_validator_knows_every_section()
    {
        using var t = new TempFolder(withShippedConfig: true);
        using IHost host = BuildSimulated(t);
        IConfigDocumentValidator v = host.Services.GetRequiredService<IConfigDocumentValidator>();
        Assert.Empty(v.Validate(new Dictionary<string, string?> { ["Buttons:LongPressMs"] = "2000", ["Leds:Brightness"] = "5" }, "desired v3"));
        IReadOnlyList<ConfigIssue> issues = v.Validate(new Dictionary<string, string?> { ["Leds:Brightness"] = "50", ["Lights:On"] = "true" }, "desired v4");
        Assert.Equal(2, issues.Count);
        Assert.All(issues, i => Assert.Equal("desired v4", i.Source));
    }

    [Fact]
    public void Simulation_puts_the_simulated_board_in_the_container()
    {
        using var t = new TempFolder(withShippedConfig: true);
        using IHost host = BuildSimulated(t);
        SimulatedBoard board = host.Services.GetRequiredService<SimulatedBoard>();
        Assert.True(board.TryPin("join", out int pin, out _));
        Assert.Equal(17, pin);
        Assert.False(board.TryPin("mute", out _, out string? problem));
        Assert.Contains("no mute button", problem, StringComparison.Ordinal);
        Assert.Equal(12, board.Leds().Length);
    }

    [Theory]
    [InlineData("20000000", null, 20.0)]
    [InlineData("500000", "", 0.5)]
    [InlineData("0", null, null)]
    [InlineData("soon", null, null)]
    [InlineData(null, null, null)]
    [InlineData("20000000", "1", null)]
    public void The_watchdog_period_comes_from_WATCHDOG_USEC_for_this_process_only(string? usec, string? pid, double? seconds)
    {
        TimeSpan? p = ServiceManagerIntegration.WatchdogPeriod(usec, pid);
        Assert.Equal(seconds, p?.TotalSeconds);
    }

    [Fact]
    public void The_notifier_is_silent_without_a_socket()
    {
        using var n = new ServiceNotifier(null);
        Assert.False(n.IsEnabled);
        Assert.False(n.Notify("READY=1"));
    }

    [Fact]
    public void The_terminal_lines_describe_the_room_and_the_figures()
    {
        var s = new RoomSnapshot(CallPhase.InCall, true, true, 65, null, "sip:x@y", "busy", 4);
        Assert.Equal("in-call, muted, privacy, volume 65, target sip:x@y, last error: busy", TerminalRenderer.Describe(s));
        Assert.Equal(["test  a=1.5 b=2"], TerminalRenderer.TelemetryLines([new Figures()], 200));
        Assert.Equal((0, 8), TerminalRenderer.RingPosition(0, 12));
        Assert.Equal((4, 16), TerminalRenderer.RingPosition(3, 12));
        Assert.Equal((8, 8), TerminalRenderer.RingPosition(6, 12));
    }

    private sealed class Figures : ITelemetrySource
    {
        public string Name => "test";

        public void Collect(IDictionary<string, double> into)
        {
            into["b"] = 2;
            into["a"] = 1.5;
        }
    }
}

public class WatchdogTests
{
    private sealed class Check(string name, bool alive) : ILivenessCheck
    {
        public string Name => name;

        public bool IsAlive(out string? reason)
        {
            reason = alive ? null : "stuck";
            return alive;
        }
    }

    [Theory]
    [InlineData(false, 60.0, null, true)]
    [InlineData(true, 0.04, null, true)]
    [InlineData(true, 2.0, null, true)]
    [InlineData(true, 2.1, null, false)]
    [InlineData(true, 30.0, "SPI write failed", false)]
    public void The_led_loop_is_alive_while_it_draws(bool running, double sinceSeconds, string? error, bool alive)
    {
        bool ok = RoomDevice.Host.Hardware.LedLoopLiveness.Evaluate(running, TimeSpan.FromSeconds(sinceSeconds), TimeSpan.FromMilliseconds(40), error, out string? reason);
        Assert.Equal(alive, ok);
        if (!alive)
        {
            Assert.Contains("no LED frame for", reason, StringComparison.Ordinal);
            if (error is not null)
            {
                Assert.Contains(error, reason, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public async Task The_watchdog_is_fed_only_while_every_check_is_alive()
    {
        using var t = new TempFolder();
        string path = Path.Combine(t.Path, "n");
        using var listener = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Dgram, System.Net.Sockets.ProtocolType.Unspecified);
        listener.Bind(new System.Net.Sockets.UnixDomainSocketEndPoint(path));
        using var notifier = new ServiceNotifier(path);
        var buf = new byte[512];
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        Assert.True(ServiceManagerIntegration.Feed(notifier, [new Check("a", true), new Check("b", true)], out string? none));
        Assert.Null(none);
        int n = await listener.ReceiveAsync(buf, System.Net.Sockets.SocketFlags.None, cts.Token);
        Assert.Equal("WATCHDOG=1", System.Text.Encoding.UTF8.GetString(buf, 0, n));

        Assert.False(ServiceManagerIntegration.Feed(notifier, [new Check("a", true), new Check("led-loop", false)], out string? stalled));
        Assert.Equal("led-loop: stuck", stalled);
        n = await listener.ReceiveAsync(buf, System.Net.Sockets.SocketFlags.None, cts.Token);
        Assert.Equal("STATUS=stalled: led-loop: stuck", System.Text.Encoding.UTF8.GetString(buf, 0, n));
    }
}
