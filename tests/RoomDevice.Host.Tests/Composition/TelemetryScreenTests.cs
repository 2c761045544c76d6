using RoomDevice.Core.Diagnostics;
using RoomDevice.Host.Simulation;

namespace RoomDevice.Host.Tests.Composition;

/// <summary>The terminal's telemetry block: every area's key figures visible, wrapped to the screen.</summary>
public class TelemetryScreenTests
{
    private sealed class Source(string name, Dictionary<string, double> figures) : ITelemetrySource
    {
        public string Name => name;

        public void Collect(IDictionary<string, double> into)
        {
            foreach (var (k, v) in figures)
            {
                into[k] = v;
            }
        }
    }

    private sealed class Broken : ITelemetrySource
    {
        public string Name => "broken";

        public void Collect(IDictionary<string, double> into) => throw new InvalidOperationException("no figures");
    }

    private static ITelemetrySource[] Areas() =>
    [
        new Source("audio", new() { ["capture_missing"] = 0, ["capture_xruns"] = 3, ["downlink_underruns"] = 0, ["frames"] = 123456, ["mic_db"] = -32.5, ["mic_peak_db"] = -12, ["muted"] = 0,
            ["overruns"] = 1, ["playback_xruns"] = 2, ["running"] = 1, ["speaker_db"] = -40, ["underruns"] = 4, ["uplink_db"] = -35, ["uplink_dropped"] = 0 }),
        new Source("voice", new() { ["delayMs"] = 42.5, ["driftPpm"] = 1.2, ["erleDb"] = 18.3, ["filterCopies"] = 2, ["pathResets"] = 0, ["residualLeak"] = 0.01, ["voiceActive"] = 1 }),
        new Source("call", new() { ["active"] = 1, ["added_delay_ms"] = 3, ["concealment_pct"] = 0.5, ["delay_ms"] = 60, ["fec_recovered"] = 0, ["jitter_ms"] = 4.2, ["late_pct"] = 0,
            ["loss_pct"] = 1.5, ["packets_rx"] = 1000, ["packets_tx"] = 1001, ["registered"] = 0, ["remote_loss_pct"] = 0, ["rtp_rejected"] = 0, ["rtt_ms"] = 12, ["sip_rejected"] = 0, ["sip_retransmissions"] = 0 }),
        new Source("mqtt", new() { ["connected"] = 1, ["session"] = 3 }),
        new Source("host", new() { ["heap_mb"] = 40.1, ["pool_threads"] = 9, ["uptime_s"] = 77 }),
    ];

    [Theory]
    [InlineData(80)]
    [InlineData(119)]
    [InlineData(200)]
    public void Every_figure_is_on_screen_within_the_width(int width)
    {
        IReadOnlyList<string> lines = TerminalRenderer.TelemetryLines(Areas(), width);
        Assert.All(lines, l => Assert.True(l.Length <= width, $"{l.Length} > {width}: {l}"));
        Assert.InRange(lines.Count, 5, TerminalRenderer.MaxTelemetryLines);
        string all = string.Join("\n", lines);
        Assert.DoesNotContain("…", all, StringComparison.Ordinal);
        foreach (ITelemetrySource s in Areas())
        {
            var figures = new Dictionary<string, double>();
            s.Collect(figures);
            foreach (string k in figures.Keys)
            {
                Assert.Contains(" " + k + "=", " " + all.Replace("\n", " ", StringComparison.Ordinal), StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public void Each_area_starts_its_own_line_with_its_key_figures_first()
    {
        IReadOnlyList<string> lines = TerminalRenderer.TelemetryLines(Areas(), 119);
        Assert.StartsWith("audio  running=1 mic_db=-32.5 speaker_db=-40 uplink_db=-35 capture_xruns=3 playback_xruns=2 overruns=1 underruns=4", lines[0], StringComparison.Ordinal);
        Assert.Contains(lines, l => l.StartsWith("voice  erleDb=18.3 delayMs=42.5 voiceActive=1", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("call   active=1 jitter_ms=4.2 loss_pct=1.5 rtt_ms=12", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("mqtt   connected=1 session=3", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("host   uptime_s=77 heap_mb=40.1 pool_threads=9", StringComparison.Ordinal));
        Assert.All(lines.Where(l => !l.StartsWith(' ')), l => Assert.Matches(@"^(audio|voice|call|mqtt|host) ", l));
    }

    [Fact]
    public void A_narrow_screen_keeps_the_key_figures_and_marks_what_did_not_fit()
    {
        IReadOnlyList<string> lines = TerminalRenderer.TelemetryLines(Areas(), 40, maxLines: 6);
        Assert.Equal(6, lines.Count);
        Assert.All(lines, l => Assert.True(l.Length <= 40, l));
        Assert.EndsWith(" …", lines[^1], StringComparison.Ordinal);
        Assert.StartsWith("audio  running=1 mic_db=-32.5", lines[0], StringComparison.Ordinal);
    }

    [Fact]
    public void A_failing_source_shows_its_error_and_the_others_still_show()
    {
        IReadOnlyList<string> lines = TerminalRenderer.TelemetryLines([new Broken(), .. Areas()], 119);
        Assert.StartsWith("broken  error(no figures)", lines[0], StringComparison.Ordinal);
        Assert.Contains(lines, l => l.StartsWith("mqtt", StringComparison.Ordinal));
    }

    [Fact]
    public void The_mqtt_figures_say_not_connected_without_fleet_management()
    {
        var into = new Dictionary<string, double>();
        new TerminalRenderer.MqttFigures(null).Collect(into);
        Assert.Equal(0, into["connected"]);
        Assert.False(into.ContainsKey("session"));
    }
}
