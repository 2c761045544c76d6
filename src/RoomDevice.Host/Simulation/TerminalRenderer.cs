using System.Globalization;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using RoomDevice.Core.Diagnostics;
using RoomDevice.Core.Identity;
using RoomDevice.Core.Options;
using RoomDevice.Core.Room;
using RoomDevice.Hardware.Leds;
using RoomDevice.Host.Composition;
using RoomDevice.Host.Management;
using RoomDevice.Management;

namespace RoomDevice.Host.Simulation;

/// <summary>
/// Draws the simulated device in the terminal: the LED ring as the LED driver lit it, the room
/// state, the telemetry figures of every area (wrapped to the screen) and the latest log lines. When standard output is not a
/// terminal (a pipe, a service, CI) it writes one plain line per room change instead.
/// </summary>
internal sealed class TerminalRenderer(
    SimulatedBoard board,
    RoomStateMachine room,
    LedService leds,
    IEnumerable<ITelemetrySource> telemetry,
    DeviceIdentity identity,
    DeviceOptions device,
    RecentLog recent,
    TimeProvider time,
    IServiceProvider services) : BackgroundService
{
    /// <summary>Screen refresh period.</summary>
    public static readonly TimeSpan RefreshPeriod = TimeSpan.FromMilliseconds(100);

    private readonly ITelemetrySource[] _sources = [.. telemetry, new MqttFigures(services.GetService<MqttDeviceService>())];

    /// <summary>Whether fleet management is connected, for the screen only (the fleet knows that already).</summary>
    internal sealed class MqttFigures(MqttDeviceService? service) : ITelemetrySource
    {
        public string Name => "mqtt";

        public void Collect(IDictionary<string, double> into)
        {
            ArgumentNullException.ThrowIfNull(into);
            DeviceAgent? agent = service?.Agent;
            into["connected"] = agent is { IsConnected: true } ? 1 : 0;
            if (agent is not null)
            {
                into["session"] = agent.Session;
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (Console.IsOutputRedirected)
        {
            await PlainAsync(stoppingToken).ConfigureAwait(false);
            return;
        }
        Console.Write("\u001b[?25l\u001b[2J");
        try
        {
            using var timer = new PeriodicTimer(RefreshPeriod, time);
            do
            {
                int w = Console.WindowWidth;
                Console.Write(Screen(w > 0 ? w : 100));
            }
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            Console.Write("\u001b[0m\u001b[?25h\n");
        }
    }

    private async Task PlainAsync(CancellationToken ct)
    {
        var changes = System.Threading.Channels.Channel.CreateUnbounded<RoomSnapshot>();
        void OnChanged(object? s, RoomStateChangedEventArgs e) => changes.Writer.TryWrite(e.Current);
        room.Changed += OnChanged;
        try
        {
            Console.Out.WriteLine("room: " + Describe(room.State));
            await foreach (RoomSnapshot s in changes.Reader.ReadAllAsync(ct).ConfigureAwait(false))
            {
                Console.Out.WriteLine("room: " + Describe(s));
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        finally
        {
            room.Changed -= OnChanged;
        }
    }

    /// <summary>The room in one line, e.g. "in-call, muted, volume 55, target sip:x".</summary>
    internal static string Describe(RoomSnapshot s)
    {
        var sb = new StringBuilder();
        sb.Append(s.Phase switch { CallPhase.InCall => "in-call", _ => s.Phase.ToString().ToLowerInvariant() });
        sb.Append(s.Muted ? ", muted" : ", unmuted");
        if (s.Privacy)
        {
            sb.Append(", privacy");
        }
        sb.Append(CultureInfo.InvariantCulture, $", volume {s.Volume}");
        if (s.CallTarget is not null)
        {
            sb.Append(", target ").Append(s.CallTarget);
        }
        if (s.LastError is not null)
        {
            sb.Append(", last error: ").Append(s.LastError);
        }
        return sb.ToString();
    }

    /// <summary>Most useful figures of each area, shown first so they are on screen even when a narrow terminal cuts the rest.</summary>
    private static readonly Dictionary<string, string[]> FirstFigures = new(StringComparer.Ordinal)
    {
        ["audio"] = ["running", "mic_db", "speaker_db", "uplink_db", "capture_xruns", "playback_xruns", "overruns", "underruns"],
        ["voice"] = ["erleDb", "delayMs", "voiceActive", "driftPpm"],
        ["call"] = ["active", "jitter_ms", "loss_pct", "rtt_ms", "concealment_pct", "delay_ms"],
        ["mqtt"] = ["connected", "session"],
        ["host"] = ["uptime_s", "heap_mb", "pool_threads"],
    };

    /// <summary>Most lines the telemetry block takes on screen.</summary>
    public const int MaxTelemetryLines = 12;

    /// <summary>
    /// The telemetry block: one line per source ("audio  mic_db=-32 …"), wrapped onto indented
    /// continuation lines within <paramref name="width"/>, the key figures of each area first, at
    /// most <paramref name="maxLines"/> lines (the last one marked "…" when something did not fit).
    /// </summary>
    internal static IReadOnlyList<string> TelemetryLines(IEnumerable<ITelemetrySource> sources, int width, int maxLines = MaxTelemetryLines)
    {
        ArgumentNullException.ThrowIfNull(sources);
        width = Math.Max(20, width);
        var blocks = new List<(string Name, List<string> Items)>();
        foreach (ITelemetrySource src in sources)
        {
            var figures = new Dictionary<string, double>(StringComparer.Ordinal);
            var items = new List<string>();
            try
            {
                src.Collect(figures);
            }
#pragma warning disable CA1031 // a failing source shows as such; the screen goes on
            catch (Exception ex)
#pragma warning restore CA1031
            {
                items.Add("error(" + ex.Message + ")");
            }
            string[] first = FirstFigures.TryGetValue(src.Name, out string[]? f) ? f : [];
            foreach (string k in first.Where(figures.ContainsKey).Concat(figures.Keys.Where(k => !first.Contains(k)).Order(StringComparer.Ordinal)))
            {
                items.Add(k + "=" + figures[k].ToString("0.##", CultureInfo.InvariantCulture));
            }
            blocks.Add((src.Name, items));
        }
        int indent = Math.Min(10, blocks.Select(b => b.Name.Length).DefaultIfEmpty(4).Max() + 2);
        var lines = new List<string>();
        bool cut = false;
        foreach (var (name, items) in blocks)
        {
            var line = new StringBuilder(name.PadRight(indent));
            bool empty = true;
            foreach (string item in items)
            {
                string piece = item.Length > width - indent ? item[..(width - indent - 1)] + "…" : item;
                if (!empty && line.Length + 1 + piece.Length > width)
                {
                    lines.Add(line.ToString());
                    line = new StringBuilder(new string(' ', indent));
                    empty = true;
                }
                line.Append(empty ? "" : " ").Append(piece);
                empty = false;
            }
            lines.Add(line.ToString().TrimEnd());
        }
        if (lines.Count > maxLines)
        {
            cut = true;
            lines.RemoveRange(maxLines, lines.Count - maxLines);
        }
        if (cut && lines.Count > 0)
        {
            string last = lines[^1];
            lines[^1] = (last.Length >= width - 1 ? last[..(width - 2)] : last) + " …";
        }
        return lines;
    }

    /// <summary>Where LED <paramref name="i"/> of <paramref name="n"/> sits on a ring drawn in a grid (row, column).</summary>
    internal static (int Row, int Col) RingPosition(int i, int n, int radiusRows = 4)
    {
        double a = (2 * Math.PI * i / n) - (Math.PI / 2);
        return ((int)Math.Round(radiusRows + (radiusRows * Math.Sin(a))), (int)Math.Round((radiusRows * 2) + (radiusRows * 2 * Math.Cos(a))));
    }

    private string Screen(int width)
    {
        width = Math.Max(40, width);
        Rgb[] colours = board.Leds();
        RoomSnapshot s = room.State;
        var sb = new StringBuilder("\u001b[H");
        void Line(string text) => sb.Append(text).Append("\u001b[K\n");

        Line($"\u001b[1m{device.Name}\u001b[0m  {identity.Id}  (simulated {device.Board})");
        Line("");
        const int rows = 9, cols = 17;
        var grid = new (int Led, bool Used)[rows, cols];
        for (int i = 0; i < colours.Length; i++)
        {
            var (r, c) = colours.Length == 1 ? (4, 8) : RingPosition(i, colours.Length);
            grid[r, c] = (i, true);
        }
        for (int r = 0; r < rows; r++)
        {
            var row = new StringBuilder("   ");
            for (int c = 0; c < cols; c++)
            {
                if (grid[r, c].Used)
                {
                    Rgb col = colours[grid[r, c].Led];
                    row.Append(col.Peak == 0 ? "\u001b[38;2;70;70;70m○" : $"\u001b[38;2;{Lift(col.R)};{Lift(col.G)};{Lift(col.B)}m●").Append("\u001b[0m");
                }
                else
                {
                    row.Append(' ');
                }
            }
            if (r == 3)
            {
                row.Append("     room: \u001b[1m").Append(Describe(s)).Append("\u001b[0m");
            }
            if (r == 5)
            {
                row.Append("     LEDs: ").Append(leds.Pattern);
            }
            Line(row.ToString());
        }
        Line("");
        foreach (string t in TelemetryLines(_sources, width - 1))
        {
            Line(t);
        }
        Line("");
        Line("keys: j join · J hold join (leave) · d double join · m mute · + / - volume · i identify · q quit");
        Line("");
        foreach (string l in recent.Lines())
        {
            Line(l.Length > width ? l[..(width - 1)] : l);
        }
        sb.Append("\u001b[J");
        return sb.ToString();
    }

    // Dim LED colours are hard to see in a terminal; lift them while keeping hue.
    private static int Lift(byte v) => v == 0 ? 0 : 60 + (v * 195 / 255);
}
