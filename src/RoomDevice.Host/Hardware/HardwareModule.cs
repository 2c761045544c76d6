using System.Device.Gpio;
using System.Device.Spi;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RoomDevice.Core.Diagnostics;
using RoomDevice.Core.Room;
using RoomDevice.Hardware.Buttons;
using RoomDevice.Hardware.Leds;
using RoomDevice.Hardware.Simulation.Gpio;
using RoomDevice.Hardware.Simulation.Spi;
using RoomDevice.Host.Composition;
using RoomDevice.Host.Simulation;
using RoomDevice.Host.Systemd;

namespace RoomDevice.Host.Hardware;

/// <summary>
/// Buttons and LEDs: the GPIO controller and SPI device (real, or their simulated twins with
/// --simulate), the LED service, the button panel, and their selftest rows.
/// </summary>
internal sealed class HardwareModule : IHostModule
{
    public int Order => 10;

    public void Register(IServiceCollection services, HostModuleContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        LedOptions leds = context.Options<LedOptions>();
        if (context.Simulate)
        {
            services.AddSingleton<SimulatedGpioDriver>();
            services.AddSingleton(sp => new GpioController(sp.GetRequiredService<SimulatedGpioDriver>()));
            services.AddSingleton(_ => new SimulatedSpiDevice(Apa102Strip.Settings(leds.SpiBus, leds.SpiChipSelect, leds.SpiClockHz)));
            services.AddSingleton<SpiDevice>(sp => sp.GetRequiredService<SimulatedSpiDevice>());
            services.AddSingleton<SimulatedBoard>();
            services.AddHostedService<ControlSocketService>();
            services.AddHostedService<TerminalRenderer>();
            services.AddHostedService<KeyboardInput>();
        }
        else
        {
            services.AddSingleton(_ => new GpioController());
            services.AddSingleton(_ => SpiDevice.Create(Apa102Strip.Settings(leds.SpiBus, leds.SpiChipSelect, leds.SpiClockHz)));
        }
        services.AddSingleton<ILedStrip>(sp => leds.Driver switch
        {
            LedDriverKind.Apa102 => new Apa102Strip(sp.GetRequiredService<SpiDevice>(), leds.Count, leds.Brightness, ownsDevice: false),
            LedDriverKind.Gpio => new GpioLedStrip(sp.GetRequiredService<GpioController>(), leds.GpioPins, leds.GpioActiveLow),
            _ => new EmptyLedStrip(),
        });
        services.AddSingleton(sp => new LedService(sp.GetRequiredService<ILedStrip>(), sp.GetRequiredService<RoomStateMachine>(),
            sp.GetRequiredService<TimeProvider>(), leds));
        services.AddSingleton<IIdentifyIndicator>(sp => sp.GetRequiredService<LedService>());
        services.AddSingleton<ILivenessCheck, LedLoopLiveness>();
        services.AddSingleton<DeviceHardwareService>();
        services.AddHostedService(sp => sp.GetRequiredService<DeviceHardwareService>());
        services.AddSingleton<IPeripheralProbe>(sp => new GpioProbe(context.Simulate, context.Options<ButtonOptions>(), leds, sp));
        services.AddSingleton<IPeripheralProbe>(_ => new LedProbe(context.Simulate, leds));
    }
}

/// <summary>
/// Starts the LEDs (supply on, animation loop) and the buttons, and stops them cleanly. A board
/// whose GPIO or SPI cannot be opened keeps running without them and says so: calls and fleet
/// management still work, and selftest shows what is missing.
/// </summary>
internal sealed class DeviceHardwareService(
    IServiceProvider services,
    ButtonOptions buttons,
    LedOptions leds,
    RoomStateMachine room,
    DeviceEventHub events,
    TimeProvider time,
    ILogger<DeviceHardwareService> log) : IHostedService, IDisposable
{
    private LedService? _leds;
    private LedPower? _power;
    private ButtonPanel? _panel;

    /// <summary>The buttons, once started.</summary>
    public ButtonPanel? Panel => _panel;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            if (leds.Driver != LedDriverKind.None && leds.PowerPin >= 0)
            {
                _power = new LedPower(services.GetRequiredService<GpioController>(), leds.PowerPin);
            }
            _leds = services.GetRequiredService<LedService>();
            _leds.Start();
            log.LogInformation("LEDs: {Driver}, {Count} pixels at {Rate} frames/s", leds.Driver, leds.PixelCount, leds.FrameRateHz);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or PlatformNotSupportedException or InvalidOperationException or ArgumentException)
        {
            log.LogError("LEDs unavailable ({Reason}); the device runs without them", ex.Message);
            events.Publish(new DeviceEvent("fault.leds", time.GetUtcNow(), new Dictionary<string, string> { ["detail"] = ex.Message }));
        }
        try
        {
            _panel = new ButtonPanel(services.GetRequiredService<GpioController>(), buttons, room, events, time,
                () => services.GetService<IJoinTargetProvider>());
            _panel.JoinImpossible += _ => _leds?.ShowError();
            _panel.Touched += _ => _leds?.Acknowledge();
            log.LogInformation("Buttons: {Pins}", string.Join(", ", _panel.Pins.Select(p => $"{p.Key} on GPIO {p.Value}")));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or PlatformNotSupportedException or InvalidOperationException or ArgumentException)
        {
            log.LogError("Buttons unavailable ({Reason}); the device runs without them", ex.Message);
            events.Publish(new DeviceEvent("fault.buttons", time.GetUtcNow(), new Dictionary<string, string> { ["detail"] = ex.Message }));
        }
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _panel?.Dispose();
        _panel = null;
        try
        {
            _leds?.Stop();
        }
        catch (IOException ex)
        {
            log.LogWarning("Could not switch the LEDs off: {Reason}", ex.Message);
        }
        _power?.Dispose();
        _power = null;
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        _panel?.Dispose();
        _power?.Dispose();
    }
}

/// <summary>The LED animation loop is alive when it drew a frame within ten frame periods (at least 2 s).</summary>
internal sealed class LedLoopLiveness(LedService leds) : ILivenessCheck
{
    public string Name => "led-loop";

    public bool IsAlive(out string? reason) => Evaluate(leds.IsRunning, leds.SinceLastFrame, leds.FramePeriod, leds.LastError, out reason);

    internal static bool Evaluate(bool running, TimeSpan sinceLastFrame, TimeSpan framePeriod, string? lastError, out string? reason)
    {
        TimeSpan limit = framePeriod * 10 > TimeSpan.FromSeconds(2) ? framePeriod * 10 : TimeSpan.FromSeconds(2);
        if (!running || sinceLastFrame <= limit)
        {
            reason = null;
            return true;
        }
        reason = $"no LED frame for {sinceLastFrame.TotalSeconds:0.0} s" + (lastError is null ? "" : $" (last error: {lastError})");
        return false;
    }
}

/// <summary>Selftest row: a GPIO chip for buttons (and GPIO LEDs).</summary>
internal sealed class GpioProbe(bool simulate, ButtonOptions buttons, LedOptions leds, IServiceProvider services) : IPeripheralProbe
{
    public const string ChipPath = "/dev/gpiochip0";

    public ProbeResult Probe()
    {
        bool required = buttons.All().Any(b => b.Binding.Pin >= 0) || leds.Driver == LedDriverKind.Gpio || leds.PowerPin >= 0;
        if (simulate)
        {
            var driver = services.GetRequiredService<SimulatedGpioDriver>();
            return new ProbeResult("gpio", required, ProbeStatus.Ok, $"simulated GPIO chip; buttons {Pins()}; {driver.OpenPins.Count} pins open");
        }
        if (!File.Exists(ChipPath))
        {
            return new ProbeResult("gpio", required, ProbeStatus.Missing, $"no {ChipPath}: this machine has no GPIO (use --simulate off the device)");
        }
        try
        {
            using var probe = new GpioController();
            return new ProbeResult("gpio", required, ProbeStatus.Ok, $"{ChipPath}; buttons {Pins()}");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or PlatformNotSupportedException or InvalidOperationException)
        {
            return new ProbeResult("gpio", required, ProbeStatus.Missing, $"{ChipPath} cannot be opened: {ex.Message}");
        }
    }

    private string Pins()
    {
        string[] used = [.. buttons.All().Where(b => b.Binding.Pin >= 0).Select(b => $"{b.Name}=GPIO{b.Binding.Pin}")];
        return used.Length == 0 ? "none" : string.Join(" ", used);
    }
}

/// <summary>Selftest row: the SPI device of an APA102 ring.</summary>
internal sealed class LedProbe(bool simulate, LedOptions leds) : IPeripheralProbe
{
    public ProbeResult Probe()
    {
        if (leds.Driver != LedDriverKind.Apa102)
        {
            return new ProbeResult("leds", false, ProbeStatus.Ok, leds.Driver == LedDriverKind.Gpio ? $"{leds.GpioPins.Count} GPIO LEDs" : "no LEDs configured");
        }
        string dev = $"/dev/spidev{leds.SpiBus}.{leds.SpiChipSelect}";
        if (simulate)
        {
            return new ProbeResult("leds", true, ProbeStatus.Ok, $"simulated SPI {dev}: {leds.Count} APA102 LEDs");
        }
        return File.Exists(dev)
            ? new ProbeResult("leds", true, ProbeStatus.Ok, $"{dev}: {leds.Count} APA102 LEDs")
            : new ProbeResult("leds", true, ProbeStatus.Missing, $"no {dev}: enable SPI (dtparam=spi=on) or set Leds:Driver");
    }
}
