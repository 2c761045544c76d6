using System.Device.Gpio;
using RoomDevice.Hardware.Simulation.Gpio;

namespace RoomDevice.Hardware.Tests.Simulation;

public class SimulatedGpioDriverTests
{
    [Fact]
    public void Inputs_read_their_pull_level_until_driven_and_raise_edges()
    {
        var driver = new SimulatedGpioDriver();
        using var gpio = new GpioController(driver);
        gpio.OpenPin(17, PinMode.InputPullUp);
        Assert.Equal(PinValue.High, gpio.Read(17));
        var edges = new List<PinEventTypes>();
        gpio.RegisterCallbackForPinValueChangedEvent(17, PinEventTypes.Rising | PinEventTypes.Falling, (_, e) => edges.Add(e.ChangeType));
        driver.Drive(17, PinValue.Low);
        Assert.Equal(PinValue.Low, gpio.Read(17));
        driver.Drive(17, PinValue.Low); // no change, no edge
        driver.Release(17);
        Assert.Equal(PinValue.High, gpio.Read(17));
        Assert.Equal([PinEventTypes.Falling, PinEventTypes.Rising], edges);
    }

    [Fact]
    public void Callbacks_only_hear_the_edges_they_asked_for()
    {
        var driver = new SimulatedGpioDriver();
        using var gpio = new GpioController(driver);
        gpio.OpenPin(4, PinMode.InputPullDown);
        int rising = 0;
        gpio.RegisterCallbackForPinValueChangedEvent(4, PinEventTypes.Rising, (_, _) => rising++);
        driver.Drive(4, PinValue.High);
        driver.Drive(4, PinValue.Low);
        driver.Drive(4, PinValue.High);
        Assert.Equal(2, rising);
    }

    [Fact]
    public void Outputs_remember_writes_and_report_them()
    {
        var driver = new SimulatedGpioDriver();
        using var gpio = new GpioController(driver);
        var written = new List<(int, PinValue)>();
        driver.OutputWritten += (p, v) => written.Add((p, v));
        gpio.OpenPin(5, PinMode.Output);
        gpio.Write(5, PinValue.High);
        Assert.Equal(PinValue.High, driver.OutputOf(5));
        Assert.Equal(PinValue.High, gpio.Read(5));
        Assert.Equal([(5, PinValue.High)], written);
        Assert.Contains(5, driver.OpenPins);
    }

    [Fact]
    public void Using_a_pin_the_chip_lacks_is_refused()
    {
        var driver = new SimulatedGpioDriver(28);
        using var gpio = new GpioController(driver);
        Assert.Throws<ArgumentOutOfRangeException>(() => driver.Drive(28, PinValue.High));
        Assert.Equal(28, gpio.PinCount);
    }

    [Fact]
    public async Task Wait_for_event_returns_the_edge()
    {
        var driver = new SimulatedGpioDriver();
        using var gpio = new GpioController(driver);
        gpio.OpenPin(9, PinMode.InputPullUp);
        var wait = Task.Run(() => gpio.WaitForEvent(9, PinEventTypes.Falling, TimeSpan.FromSeconds(30)));
        while (!wait.IsCompleted)
        {
            driver.Drive(9, PinValue.Low);
            driver.Drive(9, PinValue.High);
            Thread.Yield();
        }
        WaitForEventResult result = await wait;
        Assert.False(result.TimedOut);
        Assert.Equal(PinEventTypes.Falling, result.EventTypes);
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(50));
        Assert.True(gpio.WaitForEvent(9, PinEventTypes.Rising, cts.Token).TimedOut);
    }
}
