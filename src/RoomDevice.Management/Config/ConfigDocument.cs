using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace RoomDevice.Management.Config;

/// <summary>One problem with a desired config, as reported in <c>config/reported</c>.</summary>
public sealed record ConfigError(string Key, string? Value, string Problem, string Accepted);

/// <summary>
/// A desired config: <c>{"v":1,"version":N,"config":{"Section":{"Key":value}}}</c>. The config is
/// a JSON object of sections, the same shape as a device-config file.
/// </summary>
public sealed class ConfigDocument
{
    private ConfigDocument(long version, JsonObject config, IReadOnlyDictionary<string, string?> flat)
    {
        Version = version;
        Config = config;
        Flat = flat;
    }

    /// <summary>Monotonic version chosen by the fleet.</summary>
    public long Version { get; }

    /// <summary>The sections.</summary>
    public JsonObject Config { get; }

    /// <summary>Flat "Section:Key" view, as configuration sees it.</summary>
    public IReadOnlyDictionary<string, string?> Flat { get; }

    /// <summary>Reads a desired document; every structural problem is reported.</summary>
    public static ConfigDocument? TryRead(JsonElement root, List<ConfigError> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        long version = 0;
        if (!root.TryGetProperty("version", out JsonElement ver) || ver.ValueKind != JsonValueKind.Number || !ver.TryGetInt64(out version) || version < 1)
        {
            errors.Add(new ConfigError("version", root.TryGetProperty("version", out JsonElement raw) ? Clip(raw.GetRawText()) : null,
                "missing or not a whole number", "a whole number from 1 up, larger than the applied version"));
        }
        foreach (JsonProperty p in root.EnumerateObject())
        {
            if (p.Name is not ("v" or "version" or "config"))
            {
                errors.Add(new ConfigError(p.Name, null, "unknown field of the desired document", "\"v\", \"version\" and \"config\""));
            }
        }
        if (!root.TryGetProperty("config", out JsonElement cfg) || cfg.ValueKind != JsonValueKind.Object)
        {
            errors.Add(new ConfigError("config", null, "missing or not a JSON object", "an object of sections, e.g. {\"Audio\":{\"Volume\":60}}"));
            return null;
        }
        var flat = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (JsonProperty section in cfg.EnumerateObject())
        {
            if (section.Value.ValueKind != JsonValueKind.Object)
            {
                errors.Add(new ConfigError(section.Name, Clip(section.Value.GetRawText()), "a section must be a JSON object", "{\"Key\": value, …}"));
                continue;
            }
            Flatten(section.Name, section.Value, flat, errors);
        }
        if (errors.Count > 0)
        {
            return null;
        }
        return new ConfigDocument(version, JsonNode.Parse(cfg.GetRawText())!.AsObject(), flat);
    }

    /// <summary>Flattens a JSON object of sections to "Section:Key" pairs.</summary>
    public static void Flatten(string prefix, JsonElement e, IDictionary<string, string?> into, List<ConfigError> errors)
    {
        ArgumentNullException.ThrowIfNull(into);
        ArgumentNullException.ThrowIfNull(errors);
        switch (e.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (JsonProperty p in e.EnumerateObject())
                {
                    if (p.Name.Length == 0 || p.Name.Contains(':', StringComparison.Ordinal))
                    {
                        errors.Add(new ConfigError(prefix + ":" + p.Name, null, "key is empty or contains ':'", "a key name of letters and digits"));
                        continue;
                    }
                    Flatten(prefix + ":" + p.Name, p.Value, into, errors);
                }
                break;
            case JsonValueKind.Array:
                int i = 0;
                foreach (JsonElement item in e.EnumerateArray())
                {
                    Flatten(prefix + ":" + i.ToString(CultureInfo.InvariantCulture), item, into, errors);
                    i++;
                }
                break;
            case JsonValueKind.String:
                into[prefix] = e.GetString();
                break;
            case JsonValueKind.Number:
                into[prefix] = e.GetRawText();
                break;
            case JsonValueKind.True:
                into[prefix] = "true";
                break;
            case JsonValueKind.False:
                into[prefix] = "false";
                break;
            default:
                into[prefix] = null;
                break;
        }
    }

    private static string Clip(string s) => s.Length > 80 ? s[..80] + "…" : s;
}
