using System.Net.Sockets;
using System.Text;
using RoomDevice.Host.Systemd;
using RoomDevice.Host.Tests.Support;

namespace RoomDevice.Host.Tests.Cli;

/// <summary>
/// A service manager that does not read its notify socket (Linux queues only
/// net.unix.max_dgram_qlen datagrams, often 10) must not stall the device: sd_notify never blocks.
/// </summary>
[Collection(DeviceProcessCollection.Name)]
public class UnreadNotifySocketTests
{
    [Fact]
    public async Task Notify_never_blocks_when_the_listener_queue_is_full()
    {
        using var t = new TempFolder();
        string path = Path.Combine(t.Path, "notify");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        using var notifier = new ServiceNotifier(path);

        // On a thread of its own, so a blocking send fails the test instead of hanging it.
        Task<bool[]> sends = Task.Factory.StartNew(() => Enumerable.Range(0, 2000).Select(_ => notifier.Notify("WATCHDOG=1")).ToArray(),
            CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        bool[] results = await sends.WaitAsync(TimeSpan.FromSeconds(60));

        Assert.True(results[0], "the first message was not delivered");
        Assert.Contains(false, results); // the queue filled up and later messages were refused, not waited for
        var buf = new byte[64];
        int n = listener.Receive(buf);
        Assert.Equal("WATCHDOG=1", Encoding.UTF8.GetString(buf, 0, n));
    }

    [Fact]
    public async Task The_device_answers_its_control_socket_while_nobody_reads_the_notify_socket()
    {
        using var t = new TempFolder(withShippedConfig: true);
        string notifyPath = Path.Combine(t.Path, "notify");
        using var notify = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        notify.Bind(new UnixDomainSocketEndPoint(notifyPath));
        // A watchdog tick every 20 ms fills the unread queue within a moment; a blocking send would take a pool thread each tick.
        using DeviceProcess device = DeviceProcess.StartRoomDevice(["run", "--simulate", .. SimulationArgs.For(t)], new Dictionary<string, string>
        {
            ["NOTIFY_SOCKET"] = notifyPath,
            ["WATCHDOG_USEC"] = "40000",
        });
        string sock = Path.Combine(t.State, "control.sock");
        var sw = System.Diagnostics.Stopwatch.StartNew();
        while (!File.Exists(sock) && !device.HasExited && sw.Elapsed < TimeSpan.FromSeconds(90))
        {
            await Task.Delay(100);
        }
        Assert.True(File.Exists(sock), $"the device did not come up\n{device.Stdout}\n{device.Stderr}");
        await Task.Delay(TimeSpan.FromSeconds(2)); // well past a full queue: ~100 ticks

        var replies = new List<string>();
        using (var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            await s.ConnectAsync(new UnixDomainSocketEndPoint(sock));
            using var stream = new NetworkStream(s);
            using var reader = new StreamReader(stream, Encoding.UTF8);
            using var writer = new StreamWriter(stream, new UTF8Encoding(false)) { AutoFlush = true, NewLine = "\n" };
            for (int i = 0; i < 20; i++)
            {
                await writer.WriteLineAsync("state");
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                try
                {
                    replies.Add(await reader.ReadLineAsync(cts.Token) ?? "(closed)");
                }
                catch (OperationCanceledException)
                {
                    replies.Add("(no reply within 30 s)");
                    break;
                }
                await Task.Delay(100);
            }
        }
        await device.TerminateAsync();
        int? code = await device.WaitForExitAsync(TimeSpan.FromSeconds(10));

        Assert.All(replies, r => Assert.StartsWith("{\"phase\":\"idle\"", r, StringComparison.Ordinal));
        Assert.Equal(20, replies.Count);
        Assert.Equal(0, code);
    }
}
