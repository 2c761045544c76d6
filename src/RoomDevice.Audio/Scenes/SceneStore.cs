using System.Globalization;
using System.Text;
using RoomDevice.Audio.Wav;

namespace RoomDevice.Audio.Scenes;

/// <summary>
/// Saves and loads scenes as a folder per scene: mic.wav, ref.wav, nearend.wav, echo.wav (float
/// 32-bit, mono) and scene.txt (spec and talker activity as key=value lines).
/// </summary>
public static class SceneStore
{
    /// <summary>Writes <paramref name="scene"/> under <paramref name="root"/>/name.</summary>
    public static void Save(Scene scene, string root)
    {
        ArgumentNullException.ThrowIfNull(scene);
        string dir = Path.Combine(root, scene.Spec.Name);
        Directory.CreateDirectory(dir);
        int fs = scene.SampleRate;
        new WavFile(fs, 1, scene.Mic).Write(Path.Combine(dir, "mic.wav"), WavSampleFormat.Float32);
        new WavFile(fs, 1, scene.Reference).Write(Path.Combine(dir, "ref.wav"), WavSampleFormat.Float32);
        new WavFile(fs, 1, scene.NearEnd).Write(Path.Combine(dir, "nearend.wav"), WavSampleFormat.Float32);
        new WavFile(fs, 1, scene.Echo).Write(Path.Combine(dir, "echo.wav"), WavSampleFormat.Float32);
        var sb = new StringBuilder();
        var s = scene.Spec;
        sb.Append(CultureInfo.InvariantCulture, $"kind={s.Kind}\nseed={s.Seed}\nrt60={s.Rt60}\nduration={s.DurationSeconds}\ndelayMs={s.ExtraDelayMs}\ndriftPpm={s.DriftPpm}\nrate={s.SampleRate}\npathChange={scene.PathChangeAt}\n");
        sb.Append("far=").Append(string.Join(';', scene.FarActive.Select(r => FormattableString.Invariant($"{r.Start}-{r.End}")))).Append('\n');
        sb.Append("near=").Append(string.Join(';', scene.NearActive.Select(r => FormattableString.Invariant($"{r.Start}-{r.End}")))).Append('\n');
        File.WriteAllText(Path.Combine(dir, "scene.txt"), sb.ToString());
    }

    /// <summary>Loads every scene folder under <paramref name="root"/> (folders holding scene.txt).</summary>
    public static IReadOnlyList<Scene> LoadAll(string root)
    {
        if (!Directory.Exists(root))
        {
            throw new DirectoryNotFoundException($"Scene folder {root} does not exist.");
        }

        return [.. Directory.GetDirectories(root).Order(StringComparer.Ordinal)
            .Where(d => File.Exists(Path.Combine(d, "scene.txt"))).Select(Load)];
    }

    /// <summary>Loads one scene folder; throws naming the file and key when something is wrong.</summary>
    public static Scene Load(string dir)
    {
        string meta = Path.Combine(dir, "scene.txt");
        var kv = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (string line in File.ReadAllLines(meta))
        {
            int eq = line.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0)
            {
                kv[line[..eq].Trim()] = line[(eq + 1)..].Trim();
            }
        }

        string Get(string k) => kv.TryGetValue(k, out string? v) ? v : throw new InvalidDataException($"{meta}: key '{k}' is missing.");
        var c = CultureInfo.InvariantCulture;
        SceneSpec spec;
        try
        {
            spec = new SceneSpec(Enum.Parse<SceneKind>(Get("kind")), int.Parse(Get("seed"), c), float.Parse(Get("rt60"), c),
                float.Parse(Get("duration"), c), int.Parse(Get("delayMs"), c), double.Parse(Get("driftPpm"), c), int.Parse(Get("rate"), c));
        }
        catch (Exception e) when (e is FormatException or ArgumentException or OverflowException)
        {
            throw new InvalidDataException($"{meta}: {e.Message}", e);
        }

        float[] Read(string name)
        {
            var w = WavFile.Read(Path.Combine(dir, name));
            if (w.Channels != 1 || w.SampleRate != spec.SampleRate)
            {
                throw new InvalidDataException($"{Path.Combine(dir, name)}: {w.Channels} channels at {w.SampleRate} Hz; accepted: mono at {spec.SampleRate} Hz");
            }

            return w.Channel(0);
        }

        return new Scene(spec, Read("mic.wav"), Read("ref.wav"), Read("nearend.wav"), Read("echo.wav"),
            Ranges(Get("far"), meta), Ranges(Get("near"), meta), int.Parse(Get("pathChange"), c));
    }

    private static List<(int, int)> Ranges(string text, string meta)
    {
        var list = new List<(int, int)>();
        foreach (string part in text.Split(';', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] ab = part.Split('-');
            if (ab.Length != 2 || !int.TryParse(ab[0], CultureInfo.InvariantCulture, out int a) || !int.TryParse(ab[1], CultureInfo.InvariantCulture, out int b))
            {
                throw new InvalidDataException($"{meta}: range '{part}' is not START-END in samples.");
            }

            list.Add((a, b));
        }

        return list;
    }
}
