using System.Device.Gpio;
using Microsoft.Extensions.Time.Testing;
using RoomDevice.Core.Options;
using RoomDevice.Core.Room;
using RoomDevice.Hardware.Leds;
using RoomDevice.Hardware.Simulation.Gpio;
using RoomDevice.Hardware.Simulation.Spi;

namespace RoomDevice.Hardware.Tests.Leds;

public class LedServiceTests
{
    private sealed class Rig : IDisposable
    {
        public FakeTimeProvider Time { get; } = new();
        public SimulatedSpiDevice Spi { get; } = new(Apa102Strip.Settings(0, 1, 4_000_000), history: 512);
        public RoomStateMachine Room { get; } = new(50, 5);
        public LedOptions Options { get; } = new() { FrameRateHz = 25, ErrorMs = 2000 };
        public Apa102Strip Strip { get; }
        public LedService Leds { get; }

        public Rig()
        {
            Strip = new Apa102Strip(Spi, 12, 10, ownsDevice: false);
            Leds = new LedService(Strip, Room, Time, Options);
        }

        public void Ms(int ms) => Time.Advance(TimeSpan.FromMilliseconds(ms));

        /// <summary>The colours of the last frame on the wire.</summary>
        public Rgb[] Wire()
        {
            Assert.True(Apa102Decoder.TryDecode(Spi.LastWrite!, 12, out Apa102Led[] leds, out string? problem), problem);
            return [.. leds.Select(l => l.Colour)];
        }

        public void Dispose()
        {
            Leds.Dispose();
            Strip.Dispose();
            Spi.Dispose();
        }
    }

    [Fact]
    public void The_loop_sends_frames_at_the_configured_rate()
    {
        using var r = new Rig();
        r.Leds.Start();
        long first = r.Spi.WriteCount;
        Assert.InRange(first, 0, 1);
        for (int i = 0; i < 100; i++)
        {
            r.Ms(10);
        }
        Assert.Equal(first + 25, r.Spi.WriteCount);
        Assert.Equal(TimeSpan.FromMilliseconds(40), r.Leds.FramePeriod);
        r.Leds.Stop();
        long stopped = r.Spi.WriteCount;
        r.Ms(1000);
        Assert.Equal(stopped, r.Spi.WriteCount);
        Assert.All(r.Wire(), c => Assert.Equal(Rgb.Black, c));
        Assert.Equal(LedPattern.Off, r.Leds.Pattern);
    }

    [Fact]
    public void Idle_breathes_blue_between_its_dimmest_and_brightest()
    {
        using var r = new Rig();
        r.Leds.Start();
        var peaks = new List<byte>();
        for (int i = 0; i < 100; i++)
        {
            r.Ms(40);
            Rgb[] w = r.Wire();
            Assert.All(w, c => Assert.Equal(w[0], c));
            Assert.Equal(0, w[0].R);
            Assert.True(w[0].B > w[0].G);
            peaks.Add(w[0].B);
        }
        Assert.Equal(LedPattern.Idle, r.Leds.Pattern);
        Assert.InRange(peaks.Min(), 15, 25);     // 255 * 0.08
        Assert.InRange(peaks.Max(), 145, 154);   // 255 * 0.6
    }

    [Fact]
    public void Joining_spins_a_green_head_round_the_ring_once_a_second()
    {
        using var r = new Rig();
        r.Leds.Start();
        r.Room.Handle(new JoinRequested("sip:x@y"));
        var heads = new List<int>();
        for (int i = 0; i < 12; i++)
        {
            Rgb[] w = r.Wire();
            int head = Array.FindIndex(w, c => c.G == w.Max(x => x.G));
            Assert.Equal(LedPatterns.CallColour, w[head]);
            Assert.Equal(4, w.Count(c => c != Rgb.Black)); // head and a fading tail
            heads.Add(head);
            r.Ms(1000 / 12 + 1);
        }
        Assert.Equal(LedPattern.Joining, r.Leds.Pattern);
        Assert.Equal(12, heads.Distinct().Count());
        Assert.All(heads.Zip(heads.Skip(1)), p => Assert.Equal((p.First + 1) % 12, p.Second));
    }

    [Fact]
    public void In_call_is_solid_green_and_mute_turns_it_red_at_once()
    {
        using var r = new Rig();
        r.Leds.Start();
        r.Room.Handle(new JoinRequested("sip:x@y"));
        r.Room.Handle(new CallConnected());
        Assert.All(r.Wire(), c => Assert.Equal(LedPatterns.CallColour, c));
        long before = r.Spi.WriteCount;
        r.Room.Handle(new MuteToggled());
        // Drawn on the change itself, before the next tick.
        Assert.Equal(before + 1, r.Spi.WriteCount);
        Assert.All(r.Wire(), c => Assert.Equal(LedPatterns.MutedColour, c));
        Assert.Equal(LedPattern.Muted, r.Leds.Pattern);
    }

    [Fact]
    public void Leaving_spins_amber_backwards()
    {
        using var r = new Rig();
        r.Leds.Start();
        r.Room.Handle(new JoinRequested("sip:x@y"));
        r.Room.Handle(new LeaveRequested());
        int h1 = Array.IndexOf(r.Wire(), LedPatterns.LeavingColour);
        r.Ms(1000 / 12 + 1);
        int h2 = Array.IndexOf(r.Wire(), LedPatterns.LeavingColour);
        Assert.Equal((h1 + 11) % 12, h2);
        Assert.Equal(LedPattern.Leaving, r.Leds.Pattern);
    }

    [Fact]
    public void An_error_blinks_red_for_the_configured_time_then_the_room_shows_again()
    {
        using var r = new Rig();
        r.Leds.Start();
        r.Leds.ShowError();
        var on = new List<bool>();
        for (int i = 0; i < 50; i++) // 2 s at 25 frames/s
        {
            Rgb[] w = r.Wire();
            Assert.True(w.All(c => c == LedPatterns.MutedColour) || w.All(c => c == Rgb.Black));
            on.Add(w[0] == LedPatterns.MutedColour);
            Assert.Equal(LedPattern.Error, r.Leds.Pattern);
            r.Ms(40);
        }
        Assert.Contains(true, on);
        Assert.Contains(false, on);
        Assert.InRange(on.Zip(on.Skip(1)).Count(p => p.First != p.Second), 6, 9); // 2 Hz for 2 s
        r.Ms(40);
        Assert.Equal(LedPattern.Idle, r.Leds.Pattern);
    }

    [Fact]
    public void A_failed_call_shows_the_error_pattern()
    {
        using var r = new Rig();
        r.Leds.Start();
        r.Room.Handle(new JoinRequested("sip:x@y"));
        r.Room.Handle(new CallFailed("486 busy"));
        Assert.Equal(LedPattern.Error, r.Leds.Pattern);
    }

    [Fact]
    public void Identify_flashes_white_for_the_asked_time_and_wins_over_everything()
    {
        using var r = new Rig();
        r.Leds.Start();
        r.Room.Handle(new PrivacySet(true));
        r.Leds.Identify(TimeSpan.FromSeconds(1));
        Assert.Equal(LedPattern.Identify, r.Leds.Pattern);
        Assert.All(r.Wire(), c => Assert.Equal(LedPatterns.IdentifyColour, c));
        r.Ms(125);
        Assert.All(r.Wire(), c => Assert.Equal(Rgb.Black, c));
        r.Ms(900);
        Assert.Equal(LedPattern.Privacy, r.Leds.Pattern);
        Rgb[] w = r.Wire();
        Assert.Equal(6, w.Count(c => c == LedPatterns.MutedColour));
    }

    [Fact]
    public void A_volume_change_shows_a_bar_as_long_as_the_volume_then_fades_back()
    {
        using var r = new Rig();
        r.Leds.Start();
        r.Room.Handle(new VolumeSet(75));
        Assert.Equal(LedPattern.Volume, r.Leds.Pattern);
        Rgb[] w = r.Wire();
        Assert.Equal(9, w.Count(c => c == LedPatterns.VolumeColour));
        Assert.Equal(LedPatterns.VolumeColour, w[0]);
        Assert.Equal(Rgb.Black, w[11]);
        r.Ms(1540);
        Assert.Equal(LedPattern.Idle, r.Leds.Pattern);
    }

    [Fact]
    public void A_press_is_acknowledged_within_one_frame_and_a_room_change_replaces_it()
    {
        using var r = new Rig();
        r.Leds.Start();
        long before = r.Spi.WriteCount;
        r.Leds.Acknowledge();
        Assert.Equal(before + 1, r.Spi.WriteCount); // drawn at once, not at the next tick
        Assert.Equal(LedPattern.Acknowledge, r.Leds.Pattern);
        Assert.All(r.Wire(), c => Assert.Equal(LedPatterns.AcknowledgeColour, c));
        r.Ms(160);
        Assert.Equal(LedPattern.Idle, r.Leds.Pattern);

        r.Leds.Acknowledge();
        r.Room.Handle(new JoinRequested("sip:x@y"));
        Assert.Equal(LedPattern.Joining, r.Leds.Pattern);
    }

    [Fact]
    public void Gpio_leds_light_at_half_brightness_and_above()
    {
        var driver = new SimulatedGpioDriver();
        using var gpio = new GpioController(driver);
        using var strip = new GpioLedStrip(gpio, [24, 25, 12], activeLow: false);
        Assert.All(new[] { 24, 25, 12 }, p => Assert.Equal(PinMode.Output, driver.ModeOf(p)));
        strip.Show([new Rgb(200, 0, 0), new Rgb(0, 127, 0), new Rgb(0, 0, 128)]);
        Assert.Equal(PinValue.High, driver.OutputOf(24));
        Assert.Equal(PinValue.Low, driver.OutputOf(25));
        Assert.Equal(PinValue.High, driver.OutputOf(12));
        strip.Dispose();
        Assert.Empty(driver.OpenPins);
        Assert.Equal(PinValue.Low, driver.OutputOf(24));
    }

    [Fact]
    public void Active_low_gpio_leds_invert_the_level()
    {
        var driver = new SimulatedGpioDriver();
        using var gpio = new GpioController(driver);
        using var strip = new GpioLedStrip(gpio, [5], activeLow: true);
        Assert.Equal(PinValue.High, driver.OutputOf(5));
        strip.Show([new Rgb(255, 255, 255)]);
        Assert.Equal(PinValue.Low, driver.OutputOf(5));
    }

    [Fact]
    public void Led_power_is_on_while_open()
    {
        var driver = new SimulatedGpioDriver();
        using var gpio = new GpioController(driver);
        var power = new LedPower(gpio, 5);
        Assert.Equal(PinValue.High, driver.OutputOf(5));
        power.Dispose();
        Assert.Equal(PinValue.Low, driver.OutputOf(5));
        Assert.Null(driver.ModeOf(5));
    }

    [Fact]
    public void Led_options_reject_bad_pins_and_values()
    {
        var o = new LedOptions { Driver = LedDriverKind.Gpio, GpioPins = [24, 24, 5, 70], Brightness = 40, FrameRateHz = 0 };
        var v = new OptionsValidator("Leds", _ => "board.json");
        o.Validate(v);
        string[] keys = [.. v.Issues.Select(i => i.Key).Order(StringComparer.Ordinal)];
        Assert.Equal(["Leds:Brightness", "Leds:FrameRateHz", "Leds:GpioPins:1", "Leds:GpioPins:2", "Leds:GpioPins:3"], keys);
        var empty = new OptionsValidator("Leds", _ => "board.json");
        new LedOptions { Driver = LedDriverKind.Gpio }.Validate(empty);
        Assert.Equal("Leds:GpioPins", Assert.Single(empty.Issues).Key);
        var ok = new OptionsValidator("Leds", _ => "default");
        new LedOptions().Validate(ok);
        Assert.Empty(ok.Issues);
    }
}

public class LedServiceFailureTests
{
    private sealed class BrokenStrip : ILedStrip
    {
        public int Count => 12;
        public int Attempts { get; private set; }

        public void Show(ReadOnlySpan<Rgb> frame)
        {
            Attempts++;
            throw new IOException("SPI write failed: Remote I/O error");
        }

        public void Dispose()
        {
        }
    }

    [Fact]
    public void A_failing_strip_is_counted_not_thrown_and_the_frames_stop()
    {
        var time = new FakeTimeProvider();
        var strip = new BrokenStrip();
        var room = new RoomStateMachine();
        using var leds = new LedService(strip, room, time, new LedOptions());
        leds.Start();
        for (int i = 0; i < 50; i++)
        {
            time.Advance(TimeSpan.FromMilliseconds(40));
        }
        room.Handle(new MuteToggled()); // the change path must not throw either
        Assert.True(leds.IsRunning);
        Assert.InRange(leds.FailedFrames, 50, 52);
        Assert.Equal(strip.Attempts, leds.FailedFrames);
        Assert.Equal(0, leds.FramesShown);
        Assert.Equal("SPI write failed: Remote I/O error", leds.LastError);
        Assert.Equal(TimeSpan.FromSeconds(2), leds.SinceLastFrame);
    }
}
