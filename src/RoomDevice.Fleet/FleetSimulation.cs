using System.Collections.Concurrent;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using RoomDevice.Core.Identity;
using RoomDevice.Core.Room;
using RoomDevice.Management;
using RoomDevice.Management.Fleet;
using RoomDevice.Management.Storage;
using Spectre.Console;

namespace RoomDevice.Fleet;

/// <summary>Figures of one fleet simulation run.</summary>
internal sealed record FleetFigures(int Devices, TimeSpan ConnectStorm, TimeSpan RetainedFanIn, int RetainedMessages, TimeSpan CommandFanOut, int FanOutSucceeded, double RoundTripP50Ms, double RoundTripP99Ms, int RoundTrips);

/// <summary>
/// <c>roomctl simulate</c>: N lightweight devices in one process, each the real device agent with
/// its own state folder and MQTT connection, for load tests and the fleet benchmark.
/// </summary>
internal static class FleetSimulation
{
    public static Command Command(IAnsiConsole console, Func<ParseResult, FleetConnectionOptions> broker, Func<ParseResult, TimeSpan> wait)
    {
        var devices = new Option<int>("--devices") { Description = "How many devices", DefaultValueFactory = _ => 10 };
        var state = new Option<string?>("--state") { Description = "Folder for the devices' state (default: a new temporary folder)", HelpName = "DIR" };
        var prefix = new Option<string>("--prefix") { Description = "Device id prefix", DefaultValueFactory = _ => "rd-sim" };
        var seconds = new Option<double>("--seconds") { Description = "Stop after this many seconds (default: until Ctrl+C)" };
        var bench = new Option<bool>("--bench") { Description = "Measure connect storm, retained fan-in, command fan-out and round trip, then stop" };
        var rounds = new Option<int>("--rounds") { Description = "Sequential commands for the round-trip figure", DefaultValueFactory = _ => 200 };
        var unclaimed = new Option<bool>("--unclaimed") { Description = "Start the devices unclaimed" };
        var cmd = new Command("simulate", "Run N simulated devices in this process against the broker");
        foreach (Option o in new Option[] { devices, state, prefix, seconds, bench, rounds, unclaimed })
        {
            cmd.Options.Add(o);
        }
        cmd.SetAction(async (r, ct) =>
        {
            int n = r.GetValue(devices);
            string p = r.GetValue(prefix)!;
            if (n is < 1 or > 100000)
            {
                console.MarkupLine($"[red]error:[/] --devices {n} is out of range; accepted: 1 to 100000");
                return ExitCodes.Usage;
            }
            if (!DeviceIdentity.IsValid(p + "-0000") || p.Length > 40)
            {
                console.MarkupLine($"[red]error:[/] --prefix '{Markup.Escape(p)}' makes invalid device ids; accepted: {DeviceIdentity.Accepted} (prefix at most 40)");
                return ExitCodes.Usage;
            }
            FleetConnectionOptions o;
            try
            {
                o = broker(r);
            }
            catch (UsageException ex)
            {
                console.MarkupLine("[red]error:[/] " + Markup.Escape(ex.Message));
                return ExitCodes.Usage;
            }
            string dir = r.GetValue(state) ?? Directory.CreateTempSubdirectory("roomctl-sim-").FullName;
            FleetFigures? figures = await RunAsync(console, o, n, p, dir, r.GetValue(bench), r.GetValue(rounds), r.GetValue(unclaimed), r.GetValue(seconds), wait(r), ct).ConfigureAwait(false);
            return figures is null && r.GetValue(bench) ? ExitCodes.SomeFailed : ExitCodes.Ok;
        });
        return cmd;
    }

    public static async Task<FleetFigures?> RunAsync(IAnsiConsole console, FleetConnectionOptions o, int n, string prefix, string dir, bool bench, int rounds, bool unclaimed, double seconds, TimeSpan wait, CancellationToken ct)
    {
        string[] ids = [.. Enumerable.Range(0, n).Select(i => $"{prefix}-{i.ToString("D4", CultureInfo.InvariantCulture)}")];
        var online = new ConcurrentDictionary<string, bool>(StringComparer.Ordinal);
        var allOnline = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using FleetClient watcher = await FleetClient.ConnectAsync(o with { ClientId = null }, ct).ConfigureAwait(false);
        var idSet = new HashSet<string>(ids, StringComparer.Ordinal);
        watcher.MessageReceived += m =>
        {
            string? id = Topics.DeviceIdOf(m.Topic);
            if (id is not null && idSet.Contains(id) && m.Topic == Topics.Status(id) && !m.Retain && m.Payload.AsSpan().IndexOf("\"online\""u8) >= 0)
            {
                online[id] = true;
                if (online.Count == n)
                {
                    allOnline.TrySetResult();
                }
            }
        };
        await watcher.SubscribeAsync(ct, Topics.Root + "/+/status").ConfigureAwait(false);

        var agents = new DeviceAgent[n];
        var runs = new Task[n];
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < n; i++)
        {
            string state = Path.Combine(dir, ids[i]);
            if (!unclaimed && new DeviceStateStore(state).Assignment() is null)
            {
                new DeviceStateStore(state).SaveAssignment(new RoomAssignment($"Sim Room {(i / 10).ToString(CultureInfo.InvariantCulture)}", "Simulation", DateTimeOffset.UtcNow));
            }
            var options = new MqttOptions
            {
                Host = o.Host,
                Port = o.Port,
                UseTls = o.UseTls,
                CaFile = o.CaFile,
                ClientCertificateFile = o.CertFile,
                ClientKeyFile = o.KeyFile,
                Username = o.Username,
                Password = o.Password,
                KeepAliveSeconds = 60,
                HealthCheckSeconds = 3600,
                HealthIntervalSeconds = 3600,
                TelemetryIntervalSeconds = 3600,
                ReconnectInitialMs = 1000,
                ReconnectMaxMs = 30000,
            };
            var services = new DeviceAgentServices
            {
                Room = new RoomStateMachine(),
                Description = new DeviceDescription("simulated", null, "sim"),
            };
            agents[i] = new DeviceAgent(options, new DeviceIdentity(ids[i], "simulation"), state, services);
            if (unclaimed && n <= 20)
            {
                console.MarkupLine($"{Markup.Escape(ids[i])}: claim code [bold]{Markup.Escape(agents[i].ClaimCode)}[/]");
            }
            runs[i] = agents[i].RunAsync(stop.Token);
        }
        FleetFigures? figures = null;
        try
        {
            try
            {
                await allOnline.Task.WaitAsync(TimeSpan.FromSeconds(Math.Max(60, n * 0.1)), ct).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                console.MarkupLine($"[red]only {online.Count} of {n} devices came online[/]");
                return null;
            }
            TimeSpan connect = sw.Elapsed;
            console.MarkupLine($"{n} simulated devices online in {connect.TotalSeconds:0.00} s (state in {Markup.Escape(dir)})");
            if (bench)
            {
                figures = await MeasureAsync(console, o, ids, connect, rounds, wait, ct).ConfigureAwait(false);
                return figures;
            }
            if (seconds > 0)
            {
                stop.CancelAfter(TimeSpan.FromSeconds(seconds));
            }
            try
            {
                await Task.Delay(Timeout.Infinite, stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
            return null;
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(runs).ConfigureAwait(false);
            foreach (DeviceAgent a in agents)
            {
                await a.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private static async Task<FleetFigures> MeasureAsync(IAnsiConsole console, FleetConnectionOptions o, string[] ids, TimeSpan connect, int rounds, TimeSpan wait, CancellationToken ct)
    {
        int n = ids.Length;
        var idSet = new HashSet<string>(ids, StringComparer.Ordinal);

        // retained fan-in: a fresh operator tool reads status, birth, health and state of the whole fleet
        int expected = 4 * n;
        int seen = 0;
        var fanInDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using FleetClient reader = await FleetClient.ConnectAsync(o with { ClientId = null }, ct).ConfigureAwait(false);
        reader.MessageReceived += m =>
        {
            if (m.Retain && Topics.DeviceIdOf(m.Topic) is string id && idSet.Contains(id) && Interlocked.Increment(ref seen) == expected)
            {
                fanInDone.TrySetResult();
            }
        };
        var sw = Stopwatch.StartNew();
        await reader.SubscribeAsync(ct, Topics.Root + "/+/status", Topics.Root + "/+/birth", Topics.Root + "/+/health", Topics.Root + "/+/state").ConfigureAwait(false);
        try
        {
            await fanInDone.Task.WaitAsync(TimeSpan.FromSeconds(120), ct).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
        }
        TimeSpan fanIn = sw.Elapsed;

        // command fan-out: one command to every device, all final answers back
        sw.Restart();
        CommandReply[] replies = await Task.WhenAll(ids.Select(id => reader.SendCommandAsync(id, "volume", new JsonObject { ["level"] = 40 }, wait + TimeSpan.FromSeconds(30), ct: ct))).ConfigureAwait(false);
        TimeSpan fanOut = sw.Elapsed;
        int ok = replies.Count(r => r.Status == "succeeded");

        // round trip: sequential commands to one device
        var lat = new List<double>(rounds);
        for (int i = 0; i < rounds; i++)
        {
            var one = Stopwatch.StartNew();
            CommandReply r = await reader.SendCommandAsync(ids[0], "volume", new JsonObject { ["level"] = i % 100 }, wait, ct: ct).ConfigureAwait(false);
            if (r.Status == "succeeded")
            {
                lat.Add(one.Elapsed.TotalMilliseconds);
            }
        }
        lat.Sort();
        double P(double q) => lat.Count == 0 ? double.NaN : lat[Math.Min(lat.Count - 1, (int)Math.Ceiling(q * lat.Count) - 1)];
        var figures = new FleetFigures(n, connect, fanIn, Volatile.Read(ref seen), fanOut, ok, P(0.50), P(0.99), lat.Count);

        var t = new Table().Border(TableBorder.Rounded).AddColumns("Figure", "Value");
        t.AddRow("devices", n.ToString(CultureInfo.InvariantCulture));
        t.AddRow("connect storm (all online)", $"{connect.TotalSeconds:0.00} s");
        t.AddRow("retained fan-in", $"{figures.RetainedMessages}/{expected} messages in {fanIn.TotalSeconds:0.00} s");
        t.AddRow("command fan-out", $"{ok}/{n} succeeded in {fanOut.TotalSeconds:0.00} s");
        t.AddRow("round trip p50 / p99", $"{figures.RoundTripP50Ms:0.00} / {figures.RoundTripP99Ms:0.00} ms ({lat.Count} commands)");
        console.Write(t);
        console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"FLEETBENCH devices={n} connect_s={connect.TotalSeconds:0.000} fanin_s={fanIn.TotalSeconds:0.000} fanin_msgs={figures.RetainedMessages} fanout_s={fanOut.TotalSeconds:0.000} fanout_ok={ok} rtt_p50_ms={figures.RoundTripP50Ms:0.00} rtt_p99_ms={figures.RoundTripP99Ms:0.00}"));
        return figures;
    }
}
