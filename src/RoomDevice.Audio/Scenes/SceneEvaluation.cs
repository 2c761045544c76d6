using System.Globalization;
using System.Net;
using System.Text;
using RoomDevice.Audio.Interop.Speex;
using RoomDevice.Audio.Pipeline;
using RoomDevice.Audio.Processing;

namespace RoomDevice.Audio.Scenes;

/// <summary>Runs every canceller over a scene suite and reports the figures per scene kind.</summary>
public static class SceneEvaluation
{
    /// <summary>The cancellers compared: the managed chain and SpeexDSP with 128 and 256 ms tails (AGC off, NS on in all).</summary>
    public static IReadOnlyList<(string Name, Func<int, ICaptureProcessor> Create)> Processors { get; } =
    [
        ("managed", fs => new CaptureChain(fs, new VoiceOptions { Agc = false })),
        ("speex-128", fs => new SpeexCaptureProcessor(fs, 128, noiseSuppression: true, agc: false)),
        ("speex-256", fs => new SpeexCaptureProcessor(fs, 256, noiseSuppression: true, agc: false)),
    ];

    /// <summary>Runs every processor on every scene.</summary>
    public static List<SceneResult> Run(IEnumerable<Scene> scenes, Action<string>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(scenes);
        var results = new List<SceneResult>();
        foreach (Scene scene in scenes)
        {
            foreach (var (name, create) in Processors)
            {
                using ICaptureProcessor p = create(scene.SampleRate);
                var (output, us) = CaptureFileProcessor.Run(p, scene.Mic, scene.Reference);
                SceneResult r = SceneMetrics.Evaluate(scene, output, name, us);
                results.Add(r);
                progress?.Invoke(FormattableString.Invariant($"{scene.Spec.Name,-18} {name,-10} ERLE {r.ErleDb,6:F1} dB"));
            }
        }

        return results;
    }

    /// <summary>One text table per scene kind (medians over seeds).</summary>
    public static string Tables(IReadOnlyList<SceneResult> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        var sb = new StringBuilder();
        foreach (var group in results.GroupBy(r => r.Group))
        {
            sb.Append("== ").Append(group.Key).Append(" (").Append(group.Select(r => r.Scene).Distinct().Count()).Append(" scenes)\n");
            sb.Append("canceller    ERLE dB  conv s  reconv s  att DT dB  att ST dB  SDR DT dB  SDR ST dB  µs/frame\n");
            foreach (var p in group.GroupBy(r => r.Processor))
            {
                sb.Append(CultureInfo.InvariantCulture,
                    $"{p.Key,-11} {F(p, r => r.ErleDb),8} {F(p, r => r.ConvergenceSeconds, "F2"),7} {F(p, r => r.ReconvergenceSeconds, "F2"),9} {F(p, r => r.NearAttenuationDoubleTalkDb),10} {F(p, r => r.NearAttenuationSingleTalkDb),10} {F(p, r => r.NearSdrDoubleTalkDb),10} {F(p, r => r.NearSdrSingleTalkDb),10} {F(p, r => r.MicrosecondsPerFrame),9}\n");
            }

            sb.Append('\n');
        }

        return sb.ToString();
    }

    /// <summary>Writes report.html and one PNG of ERLE over time per scene into <paramref name="dir"/>.</summary>
    public static string WriteReport(IReadOnlyList<SceneResult> results, string dir)
    {
        ArgumentNullException.ThrowIfNull(results);
        Directory.CreateDirectory(dir);
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Voice processing evaluation</title>")
            .Append("<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}th{background:#eee}</style></head><body>")
            .Append("<h1>Voice processing evaluation</h1><p>ERLE over far-end-only samples after 3 s; convergence: first 0.5 s window over 20 dB; near-end attenuation and SDR after a fixed 32 ms filter (medians over seeds). ")
            .Append(WebUtility.HtmlEncode(string.Join(", ", results.Select(r => r.Processor).Distinct().Select((p, i) => $"{p} = {PngPlot.ColourOf(i)}"))))
            .Append("</p>");
        var procs = results.Select(r => r.Processor).Distinct().ToList();
        foreach (var group in results.GroupBy(r => r.Group))
        {
            html.Append("<h2>").Append(WebUtility.HtmlEncode(group.Key)).Append("</h2><table><tr><th>canceller</th><th>ERLE dB</th><th>conv s</th><th>reconv s</th><th>att DT dB</th><th>att ST dB</th><th>SDR DT dB</th><th>SDR ST dB</th><th>µs/frame</th></tr>");
            foreach (var p in group.GroupBy(r => r.Processor))
            {
                html.Append(CultureInfo.InvariantCulture, $"<tr><td style=\"text-align:left\">{WebUtility.HtmlEncode(p.Key)}</td><td>{F(p, r => r.ErleDb)}</td><td>{F(p, r => r.ConvergenceSeconds, "F2")}</td><td>{F(p, r => r.ReconvergenceSeconds, "F2")}</td><td>{F(p, r => r.NearAttenuationDoubleTalkDb)}</td><td>{F(p, r => r.NearAttenuationSingleTalkDb)}</td><td>{F(p, r => r.NearSdrDoubleTalkDb)}</td><td>{F(p, r => r.NearSdrSingleTalkDb)}</td><td>{F(p, r => r.MicrosecondsPerFrame)}</td></tr>");
            }

            html.Append("</table>");
            foreach (var scene in group.GroupBy(r => r.Scene))
            {
                var series = procs.Select(p => (IReadOnlyList<(double, double)>)(scene.FirstOrDefault(r => r.Processor == p)?.ErleOverTime ?? [])).ToList();
                double xMax = Math.Ceiling(series.SelectMany(s => s).Select(t => t.Item1).DefaultIfEmpty(1).Max());
                string png = scene.Key + ".png";
                File.WriteAllBytes(Path.Combine(dir, png), PngPlot.Lines(series, xMax, -10, 60));
                html.Append("<p>").Append(WebUtility.HtmlEncode(scene.Key)).Append(": ERLE (0.5 s windows, dB, -10..60) over time (s)<br><img src=\"")
                    .Append(WebUtility.HtmlEncode(png)).Append("\"></p>");
            }
        }

        html.Append("</body></html>");
        string path = Path.Combine(dir, "report.html");
        File.WriteAllText(path, html.ToString());
        return path;
    }

    private static string F(IEnumerable<SceneResult> rs, Func<SceneResult, double> f, string fmt = "F1")
    {
        double m = SceneMetrics.Median(rs.Select(f));
        return double.IsNaN(m) ? "-" : double.IsPositiveInfinity(m) ? "never" : m.ToString(fmt, CultureInfo.InvariantCulture);
    }
}
