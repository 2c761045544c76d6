using System.Collections;
using System.Globalization;
using RoomDevice.Core.Options;

namespace RoomDevice.Host.Configuration;

/// <summary>What the person asked for on the command line.</summary>
/// <param name="ConfigDirectory">--config, or null for the default folder.</param>
/// <param name="Simulate">--simulate.</param>
/// <param name="Overrides">--set KEY=VALUE, in order.</param>
internal sealed record ConfigRequest(string? ConfigDirectory, bool Simulate, IReadOnlyList<string> Overrides);

/// <summary>A command-line mistake: the message says what was wrong and what is accepted.</summary>
internal sealed class UsageException(string message) : Exception(message);

/// <summary>One fleet layer file that was refused, with every problem it caused.</summary>
/// <param name="Path">The file.</param>
/// <param name="Issues">Why: not readable JSON, or the keys and values it made invalid.</param>
internal sealed record RejectedFleetFile(string Path, IReadOnlyList<ConfigIssue> Issues);

/// <summary>
/// The fleet layer (<c>applied-config.json</c>) made the configuration invalid on its own, so the
/// device starts on its last good copy (<see cref="UsedFile"/>) or, when that fails too, without a
/// fleet layer. The refused files stay as they are for diagnosis.
/// </summary>
/// <param name="Rejected">Every refused file, in the order tried.</param>
/// <param name="UsedFile">The last good copy in use, or null when the device runs without a fleet layer.</param>
internal sealed record FleetLayerFallback(IReadOnlyList<RejectedFleetFile> Rejected, string? UsedFile)
{
    /// <summary>What the device runs on instead, for logs and health.</summary>
    public string Outcome => UsedFile is null ? "running without the fleet layer" : "running on the last good copy " + UsedFile;

    /// <summary>One line: every refused file with all its problems, then the outcome.</summary>
    public string Describe() =>
        string.Join("; ", Rejected.Select(r => $"{r.Path} refused ({string.Join("; ", r.Issues.Select(i => DeviceConfiguration.Redact(i).ToString()))})"))
        + "; " + Outcome;
}

/// <summary>
/// The device's configuration, layered lowest first: built-in defaults, <c>site.json</c>,
/// <c>boards/&lt;Device:Board&gt;.json</c>, <c>device.json</c>, <c>&lt;state&gt;/applied-config.json</c>
/// (written by fleet management), environment <c>RoomDevice__Section__Key</c>, command line
/// <c>--set Section:Key=value</c>.
/// </summary>
internal sealed class DeviceConfiguration
{
    /// <summary>Prefix of environment variables that configure the device.</summary>
    public const string EnvironmentPrefix = "RoomDevice__";

    /// <summary>Folder used on a device when it exists.</summary>
    public const string SystemConfigDirectory = "/etc/roomdevice";

    /// <summary>Default state folder on a device (systemd StateDirectory=roomdevice).</summary>
    public const string SystemStateDirectory = "/var/lib/roomdevice";

    /// <summary>Name of the fleet's applied sections file inside the state folder.</summary>
    public const string AppliedConfigFile = RoomDevice.Management.Config.AppliedConfigStore.FileName;

    private DeviceConfiguration(OptionsSchema schema, ConfigEvaluation evaluation, IReadOnlyList<ConfigIssue> issues, string configDirectory,
        string stateDirectory, string boardFile, IReadOnlyList<string> layers, bool simulate)
    {
        Schema = schema;
        Evaluation = evaluation;
        Issues = issues;
        ConfigDirectory = configDirectory;
        StateDirectory = stateDirectory;
        BoardFile = boardFile;
        Layers = layers;
        Simulate = simulate;
    }

    public OptionsSchema Schema { get; }

    public ConfigEvaluation Evaluation { get; }

    /// <summary>Every problem: unreadable files, bad values, unknown keys. Empty when the device may start.</summary>
    public IReadOnlyList<ConfigIssue> Issues { get; }

    public string ConfigDirectory { get; }

    public string StateDirectory { get; }

    public string BoardFile { get; }

    /// <summary>Layers in use, lowest first, for <c>config check</c>.</summary>
    public IReadOnlyList<string> Layers { get; }

    public bool Simulate { get; }

    public bool IsValid => Issues.Count == 0;

    /// <summary>Set when the fleet layer was refused and the device runs on its last good copy or without it.</summary>
    public FleetLayerFallback? FleetFallback { get; private init; }

    /// <summary>Suffix of the fleet layer's last good copy (kept by fleet management's atomic writes).</summary>
    public const string LastGoodSuffix = RoomDevice.Management.Storage.AtomicFile.LastGoodSuffix;

    /// <summary>Loads the layers for <paramref name="request"/>; problems land in <see cref="Issues"/>, usage mistakes throw <see cref="UsageException"/>.</summary>
    public static DeviceConfiguration Load(OptionsSchema schema, ConfigRequest request, IDictionary? environment = null)
    {
        ArgumentNullException.ThrowIfNull(schema);
        ArgumentNullException.ThrowIfNull(request);
        environment ??= Environment.GetEnvironmentVariables();
        string dir = ResolveConfigDirectory(request.ConfigDirectory);
        var issues = new List<ConfigIssue>();
        var layerNames = new List<string> { ConfigEngine.DefaultSource };

        ConfigLayer? site = ReadFile(Path.Combine(dir, "site.json"), issues, layerNames);
        ConfigLayer? device = ReadFile(Path.Combine(dir, "device.json"), issues, layerNames);
        List<ConfigLayer> env = EnvironmentLayers(environment);
        List<ConfigLayer> cmd = OverrideLayers(request.Overrides);

        // The board and the state folder are chosen before the layers that depend on them.
        ConfigLayer?[] early = [site, device, .. env, .. cmd];
        ConfigEvaluation pre = ConfigEngine.Evaluate(schema, early.OfType<ConfigLayer>());
        DeviceOptions devOpts = pre.Get<DeviceOptions>();
        string stateDir = ResolveStateDirectory(devOpts.StateDirectory, request.Simulate, environment);

        string boardFile = Path.Combine(dir, "boards", devOpts.Board + ".json");
        ConfigLayer? board = null;
        if (Core.Identity.DeviceIdentity.IsValid(devOpts.Board))
        {
            if (File.Exists(boardFile))
            {
                board = ReadFile(boardFile, issues, null);
            }
            else
            {
                issues.Add(new ConfigIssue("Device:Board", devOpts.Board, pre.SourceOf("Device:Board"),
                    $"no board profile {boardFile}", "one of: " + AvailableBoards(dir)));
            }
        }
        if (board is not null)
        {
            layerNames.Insert(site is null ? 1 : 2, board.Source);
        }

        string appliedPath = Path.Combine(stateDir, AppliedConfigFile);
        ConfigLayer?[] own = [site, board, device];
        ConfigEvaluation withoutFleet = ConfigEngine.Evaluate(schema, [.. own.OfType<ConfigLayer>(), .. env, .. cmd]);
        ConfigLayer? applied = null;
        FleetLayerFallback? fallback = null;
        ConfigEvaluation eval;
        if (issues.Count > 0 || !withoutFleet.IsValid)
        {
            // The operator's own files (or environment, command line) are wrong: that stops start-up,
            // and every problem is listed, the fleet layer's included.
            applied = ReadFile(appliedPath, issues, null);
            ConfigLayer?[] all = [site, board, device, applied, .. env, .. cmd];
            eval = ConfigEngine.Evaluate(schema, all.OfType<ConfigLayer>());
            issues.AddRange(eval.Issues);
        }
        else
        {
            (applied, eval, fallback) = ChooseFleetLayer(schema, appliedPath, own, env, cmd, withoutFleet);
        }
        if (applied is not null)
        {
            layerNames.Add(applied.Source);
        }
        if (env.Count > 0)
        {
            layerNames.Add("environment " + EnvironmentPrefix + "*");
        }
        if (cmd.Count > 0)
        {
            layerNames.Add("command line --set");
        }
        return new DeviceConfiguration(schema, eval, issues, dir, stateDir, boardFile, layerNames, request.Simulate) { FleetFallback = fallback };
    }

    /// <summary>
    /// The configuration without the fleet layer is valid, so a problem that appears with it is the
    /// fleet layer's alone: a corrupt or unacceptable <c>applied-config.json</c> must not keep the room
    /// dark. Tries the file, then its last good copy, then goes without; never changes either file.
    /// </summary>
    private static (ConfigLayer? Layer, ConfigEvaluation Evaluation, FleetLayerFallback? Fallback) ChooseFleetLayer(
        OptionsSchema schema, string appliedPath, ConfigLayer?[] own, List<ConfigLayer> env, List<ConfigLayer> cmd, ConfigEvaluation withoutFleet)
    {
        if (!File.Exists(appliedPath))
        {
            return (null, withoutFleet, null);
        }
        var rejected = new List<RejectedFleetFile>();
        foreach (string candidate in new[] { appliedPath, appliedPath + LastGoodSuffix })
        {
            if (candidate != appliedPath && !File.Exists(candidate))
            {
                continue;
            }
            var problems = new List<ConfigIssue>();
            ConfigLayer? layer = ReadFile(candidate, problems, null);
            if (layer is not null)
            {
                ConfigEvaluation e = ConfigEngine.Evaluate(schema, [.. own.OfType<ConfigLayer>(), layer, .. env, .. cmd]);
                if (e.IsValid)
                {
                    return (layer, e, rejected.Count == 0 ? null : new FleetLayerFallback(rejected, candidate));
                }
                problems.AddRange(e.Issues);
            }
            else if (problems.Count == 0)
            {
                problems.Add(new ConfigIssue("(file)", null, candidate, "disappeared while it was read", "a JSON object of sections"));
            }
            rejected.Add(new RejectedFleetFile(candidate, problems));
        }
        return (null, withoutFleet, new FleetLayerFallback(rejected, null));
    }

    /// <summary>The folder holding site.json, device.json and boards/.</summary>
    public static string ResolveConfigDirectory(string? requested)
    {
        if (requested is not null)
        {
            string full = Path.GetFullPath(requested);
            if (!Directory.Exists(full))
            {
                throw new UsageException($"--config: the folder '{requested}' does not exist; accepted: a folder holding site.json, device.json and boards/<profile>.json");
            }
            return full;
        }
        if (Directory.Exists(SystemConfigDirectory))
        {
            return SystemConfigDirectory;
        }
        string shipped = Path.Combine(AppContext.BaseDirectory, "device-config");
        if (Directory.Exists(shipped))
        {
            return shipped;
        }
        throw new UsageException($"no configuration folder: neither {SystemConfigDirectory} nor {shipped} exists; pass --config DIR");
    }

    /// <summary>Where state lives: configured, else systemd's STATE_DIRECTORY, else the device or per-user default.</summary>
    public static string ResolveStateDirectory(string configured, bool simulate, IDictionary environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        if (!string.IsNullOrEmpty(configured))
        {
            return configured;
        }
        if (environment["STATE_DIRECTORY"] is string sd && sd.Length > 0)
        {
            return sd.Split(':')[0];
        }
        if (!simulate)
        {
            return SystemStateDirectory;
        }
        string? xdg = environment["XDG_STATE_HOME"] as string;
        string home = environment["HOME"] as string is { Length: > 0 } h ? h : Path.GetTempPath();
        return Path.Combine(string.IsNullOrEmpty(xdg) ? Path.Combine(home, ".local", "state") : xdg, "roomdevice-sim");
    }

    private static string AvailableBoards(string dir)
    {
        string boards = Path.Combine(dir, "boards");
        string[] names = Directory.Exists(boards)
            ? [.. Directory.EnumerateFiles(boards, "*.json").Select(Path.GetFileNameWithoutExtension).OfType<string>().Order(StringComparer.Ordinal)]
            : [];
        return names.Length == 0 ? $"(none: {boards} has no profiles)" : string.Join(", ", names);
    }

    private static ConfigLayer? ReadFile(string path, List<ConfigIssue> issues, List<string>? layerNames)
    {
        if (!File.Exists(path))
        {
            return null;
        }
        layerNames?.Add(path);
        try
        {
            return new ConfigLayer(path, JsonConfigReader.Read(File.ReadAllBytes(path), path));
        }
        catch (ConfigFileException ex)
        {
            issues.Add(ex.ToIssue());
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            issues.Add(new ConfigIssue("(file)", null, path, "cannot be read: " + ex.Message, "a readable JSON file"));
        }
        return null;
    }

    private static List<ConfigLayer> EnvironmentLayers(IDictionary environment)
    {
        var layers = new List<ConfigLayer>();
        foreach (DictionaryEntry e in environment)
        {
            if (e.Key is string name && name.StartsWith(EnvironmentPrefix, StringComparison.OrdinalIgnoreCase) && name.Length > EnvironmentPrefix.Length)
            {
                string key = name[EnvironmentPrefix.Length..].Replace("__", ":", StringComparison.Ordinal);
                layers.Add(new ConfigLayer("environment " + name, new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase) { [key] = e.Value as string ?? string.Empty }));
            }
        }
        layers.Sort((a, b) => string.CompareOrdinal(a.Source, b.Source));
        return layers;
    }

    private static List<ConfigLayer> OverrideLayers(IReadOnlyList<string> overrides)
    {
        var layers = new List<ConfigLayer>();
        foreach (string o in overrides)
        {
            (string key, string value) = ParseOverride(o);
            layers.Add(new ConfigLayer("command line --set " + key, new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase) { [key] = value }));
        }
        return layers;
    }

    /// <summary>Splits "Section:Key=value"; throws <see cref="UsageException"/> for anything else.</summary>
    public static (string Key, string Value) ParseOverride(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        int eq = text.IndexOf('=', StringComparison.Ordinal);
        string key = eq > 0 ? text[..eq].Trim() : string.Empty;
        string[] parts = key.Split(':');
        if (eq <= 0 || parts.Length < 2 || parts.Any(p => p.Length == 0))
        {
            throw new UsageException($"--set '{text}': not a setting; accepted: Section:Key=value, e.g. --set Buttons:DebounceMs=40");
        }
        return (key, text[(eq + 1)..]);
    }

    /// <summary>True for keys whose values are secrets and never printed.</summary>
    public static bool IsSecret(string key) =>
        key.Contains("password", StringComparison.OrdinalIgnoreCase)
        || key.Contains("secret", StringComparison.OrdinalIgnoreCase)
        || key.EndsWith("token", StringComparison.OrdinalIgnoreCase);

    /// <summary>The issue with a secret value replaced by stars, for printing.</summary>
    public static ConfigIssue Redact(ConfigIssue issue)
    {
        ArgumentNullException.ThrowIfNull(issue);
        return IsSecret(issue.Key) && !string.IsNullOrEmpty(issue.Value) ? issue with { Value = "********" } : issue;
    }

    /// <summary>The configuration as a person reads it: every key, its value and its layer.</summary>
    public void WriteReport(TextWriter w)
    {
        ArgumentNullException.ThrowIfNull(w);
        w.WriteLine($"Configuration folder: {ConfigDirectory}");
        w.WriteLine($"Board profile:        {Evaluation.Get<DeviceOptions>().Board} ({BoardFile})");
        w.WriteLine($"State folder:         {StateDirectory}");
        w.WriteLine("Layers, lowest first: " + string.Join(" < ", Layers));
        w.WriteLine();
        int width = Math.Min(48, Evaluation.Values.Select(v => v.Key.Length).DefaultIfEmpty(10).Max());
        string? section = null;
        foreach (EffectiveValue v in Evaluation.Values)
        {
            string s = v.Key.Split(':')[0];
            if (s != section)
            {
                if (section is not null)
                {
                    w.WriteLine();
                }
                w.WriteLine($"[{s}]");
                section = s;
            }
            string value = v.Value is null ? "(null)" : IsSecret(v.Key) && v.Value.Length > 0 ? "********" : v.Value;
            w.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {v.Key.PadRight(width)} = {value}    <- {v.Source}"));
        }
        w.WriteLine();
        if (FleetFallback is { } fb)
        {
            foreach (RejectedFleetFile r in fb.Rejected)
            {
                w.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Fleet layer {r.Path} refused ({r.Issues.Count} problem(s)); the file is kept as it is:"));
                foreach (ConfigIssue i in r.Issues)
                {
                    w.WriteLine("  " + Redact(i));
                }
            }
            w.WriteLine("Fleet layer: " + fb.Outcome + " (the next valid desired config from the fleet replaces it).");
            w.WriteLine();
        }
        if (IsValid)
        {
            w.WriteLine("Configuration is valid.");
        }
        else
        {
            w.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Configuration has {Issues.Count} problem(s):"));
            foreach (ConfigIssue i in Issues)
            {
                w.WriteLine("  " + Redact(i));
            }
        }
    }
}
