using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using RoomDevice.Host.Tests.Support;

namespace RoomDevice.Host.Tests.Cli;

[Collection(DeviceProcessCollection.Name)]
public class SimulatedRunTests
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    /// <summary>A service manager's notify socket: collects the sd_notify messages the device sends.</summary>
    private sealed class NotifySocket : IDisposable
    {
        private readonly Socket _socket = new(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        private readonly List<string> _messages = [];

        public NotifySocket(string path)
        {
            Path = path;
            _socket.Bind(new UnixDomainSocketEndPoint(path));
        }

        public string Path { get; }

        public IReadOnlyList<string> Messages => _messages;

        /// <summary>Receives until a message contains <paramref name="line"/>; false when <paramref name="giveUp"/> says so first.</summary>
        public async Task<bool> WaitForAsync(string line, TimeSpan timeout, Func<bool> giveUp)
        {
            var buf = new byte[4096];
            var sw = Stopwatch.StartNew();
            while (sw.Elapsed < timeout && !giveUp())
            {
                using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
                try
                {
                    int n = await _socket.ReceiveAsync(buf, SocketFlags.None, cts.Token);
                    string msg = Encoding.UTF8.GetString(buf, 0, n);
                    _messages.Add(msg);
                    if (msg.Split('\n').Contains(line))
                    {
                        return true;
                    }
                }
                catch (OperationCanceledException)
                {
                }
            }
            return false;
        }

        /// <summary>Collects what arrived meanwhile.</summary>
        public void Drain()
        {
            var buf = new byte[4096];
            while (_socket.Available > 0)
            {
                int n = _socket.Receive(buf);
                _messages.Add(Encoding.UTF8.GetString(buf, 0, n));
            }
        }

        public void Dispose() => _socket.Dispose();
    }

    /// <summary>A client of the device's control socket.</summary>
    private sealed class Control : IDisposable
    {
        private readonly Socket _socket = new(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        private readonly StreamReader _reader;
        private readonly StreamWriter _writer;

        public Control(string path)
        {
            _socket.Connect(new UnixDomainSocketEndPoint(path));
            var stream = new NetworkStream(_socket, ownsSocket: false);
            _reader = new StreamReader(stream, Encoding.UTF8);
            _writer = new StreamWriter(stream, new UTF8Encoding(false)) { AutoFlush = true, NewLine = "\n" };
        }

        /// <summary>Every exchange so far, for the failure message.</summary>
        public List<string> Transcript { get; } = [];

        public async Task<string> AskAsync(string command)
        {
            Transcript.Add("> " + command);
            await _writer.WriteLineAsync(command);
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            string reply = await _reader.ReadLineAsync(cts.Token) ?? throw new IOException("control socket closed");
            Transcript.Add("< " + reply);
            return reply;
        }

        /// <summary>Asks until <paramref name="ok"/> holds for the reply (gestures land a moment after the press).</summary>
        public async Task<string> AskUntilAsync(string command, Func<string, bool> ok)
        {
            var sw = Stopwatch.StartNew();
            string reply = await AskAsync(command);
            while (!ok(reply) && sw.Elapsed < TimeSpan.FromSeconds(20))
            {
                await Task.Delay(50);
                reply = await AskAsync(command);
            }
            return reply;
        }

        public void Dispose()
        {
            _reader.Dispose();
            _writer.Dispose();
            _socket.Dispose();
        }
    }

    [Fact]
    public async Task The_simulated_device_starts_reports_ready_takes_button_presses_and_stops_cleanly_on_SIGTERM()
    {
        using var t = new TempFolder(withShippedConfig: true);
        using var notify = new NotifySocket(Path.Combine(t.Path, "notify"));
        // A generous double-press window: on a busy machine the gap between the two simulated presses grows.
        using DeviceProcess device = DeviceProcess.StartRoomDevice(["run", "--simulate", .. SimulationArgs.For(t), "--set", "Buttons:DoublePressMs=1000"], new Dictionary<string, string>
        {
            ["NOTIFY_SOCKET"] = notify.Path,
            ["WATCHDOG_USEC"] = "1000000",
        });

        bool ready = await notify.WaitForAsync("READY=1", StartTimeout, () => device.HasExited);
        Assert.True(ready, $"no READY=1 from the device; messages: {string.Join(" | ", notify.Messages)}\n{device.Stdout}\n{device.Stderr}");
        Assert.True(await notify.WaitForAsync("WATCHDOG=1", TimeSpan.FromSeconds(30), () => device.HasExited), "the watchdog was not fed");

        string sock = Path.Combine(t.State, "control.sock");
        Assert.True(File.Exists(sock), "no control socket in the state folder");
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(sock));
        }
        using (var control = new Control(sock))
        {
            try
            {
                await DriveAsync(control);
            }
            catch (Exception ex)
            {
                string tail = string.Join("\n", control.Transcript.TakeLast(30));
                throw new InvalidOperationException($"{ex.Message}\ncontrol transcript (last 30):\n{tail}\ndevice output:\n{device.Stdout}\n{device.Stderr}", ex);
            }
        }

        await device.TerminateAsync();
        int? code = await device.WaitForExitAsync(TimeSpan.FromSeconds(5));
        Assert.True(code is not null, "the device did not stop within 5 s of SIGTERM\n" + device.Stderr);
        Assert.True(code == 0, $"exit code {code}\n{device.Stdout}\n{device.Stderr}");
        notify.Drain();
        Assert.Contains(notify.Messages, m => m.Contains("STOPPING=1", StringComparison.Ordinal));
        Assert.False(File.Exists(sock), "the control socket was left behind");
        Assert.Contains("room: idle, unmuted, volume 50", device.Stdout, StringComparison.Ordinal);
        Assert.Contains("room: idle, muted, volume 50", device.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("crit:", device.Stderr, StringComparison.Ordinal);
    }

    private static async Task DriveAsync(Control control)
    {
        {
            using (JsonDocument s = JsonDocument.Parse(await control.AskAsync("state")))
            {
                Assert.Equal("idle", s.RootElement.GetProperty("phase").GetString());
                Assert.False(s.RootElement.GetProperty("muted").GetBoolean());
            }
            Assert.StartsWith("pattern=Idle colours=#", await control.AskAsync("leds"), StringComparison.Ordinal);

            // The ReSpeaker profile has one button: double press mutes.
            Assert.Equal("ok double join", await control.AskAsync("double join"));
            string muted = await control.AskUntilAsync("state", r => r.Contains("\"muted\":true", StringComparison.Ordinal));
            Assert.Contains("\"muted\":true", muted, StringComparison.Ordinal);
            string leds = await control.AskUntilAsync("leds", r => r.StartsWith("pattern=IdleMuted", StringComparison.Ordinal));
            Assert.StartsWith("pattern=IdleMuted", leds, StringComparison.Ordinal);
            Assert.Equal(12, leds.Split("colours=")[1].Split(',').Length);

            // Join is dispatched whatever the calls area says (a target, or nothing to dial) and the device carries on.
            Assert.Equal("ok press join", await control.AskAsync("press join"));
            string events = await control.AskUntilAsync("events", r => r.Contains("button.join.press=", StringComparison.Ordinal));
            Assert.Contains("button.join.double=accepted", events, StringComparison.Ordinal);
            Assert.Contains("button.join.press=", events, StringComparison.Ordinal);

            Assert.Equal("error: this board profile has no mute button (Buttons:mute:Pin is -1)", await control.AskAsync("press mute"));
            Assert.StartsWith("error: unknown command 'jump'; commands:", await control.AskAsync("jump"), StringComparison.Ordinal);
            Assert.StartsWith("error: unknown button 'panic'; accepted: join, mute, up, down", await control.AskAsync("hold panic"), StringComparison.Ordinal);
            Assert.StartsWith("error: 'soon' is not a duration", await control.AskAsync("identify soon"), StringComparison.Ordinal);
            Assert.Equal("ok identify 2s", await control.AskAsync("identify 2"));
            Assert.StartsWith("pattern=Identify", await control.AskAsync("leds"), StringComparison.Ordinal);
        }

    }

    [Fact]
    public async Task Selftest_in_simulation_prints_a_row_for_every_probe()
    {
        using var t = new TempFolder(withShippedConfig: true);
        ProcessResult r = await DeviceProcess.RunRoomDeviceAsync(["selftest", "--simulate", .. SimulationArgs.For(t)]);
        string[] lines = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains(lines, l => l.StartsWith("CHECK", StringComparison.Ordinal) && l.Contains("REQUIRED  STATUS    DETAIL", StringComparison.Ordinal));
        Assert.Contains(lines, l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^gpio\s+yes\s+ok\s+simulated GPIO chip; buttons join=GPIO17"));
        Assert.Contains(lines, l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^leds\s+yes\s+ok\s+simulated SPI /dev/spidev0\.1: 12 APA102 LEDs"));
        Assert.Contains(lines, l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^state-directory\s+yes\s+ok\s+" + System.Text.RegularExpressions.Regex.Escape(t.State)));
        Assert.Contains(lines, l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^configuration\s+yes\s+ok"));
        bool requiredMissing = lines.Any(l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^\S+\s+yes\s+MISSING"));
        Assert.Equal(requiredMissing ? 1 : 0, r.ExitCode);
        Assert.Contains(requiredMissing ? "selftest FAILED" : "selftest passed", r.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Selftest_on_a_machine_without_gpio_fails_and_names_what_is_missing()
    {
        Assert.False(File.Exists("/dev/gpiochip0"), "this test needs a machine without GPIO; this one has /dev/gpiochip0");
        using var t = new TempFolder(withShippedConfig: true);
        ProcessResult r = await DeviceProcess.RunRoomDeviceAsync(["selftest", .. SimulationArgs.For(t)]);
        Assert.Equal(1, r.ExitCode);
        Assert.Matches(@"(?m)^gpio\s+yes\s+MISSING\s+no /dev/gpiochip0", r.Stdout);
        Assert.Matches(@"(?m)^leds\s+yes\s+MISSING\s+no /dev/spidev0\.1: enable SPI", r.Stdout);
        Assert.Contains("selftest FAILED", r.Stdout, StringComparison.Ordinal);
    }
}
