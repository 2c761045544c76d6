using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using RoomDevice.Management.Storage;

namespace RoomDevice.Management.Config;

/// <summary>
/// The desired config the device last applied. Two files in the state directory:
/// <c>mqtt/applied-record.json</c> (version + document, the truth) and <c>applied-config.json</c>
/// (just the sections; the host layers it into configuration between the device-config files and
/// the environment). Both are written atomically, the previous good copy kept; after a power cut
/// between the two writes, opening the store rewrites the sections file from the record.
/// </summary>
public sealed class AppliedConfigStore
{
    /// <summary>File name of the sections file in the state directory.</summary>
    public const string FileName = "applied-config.json";

    private readonly string _recordPath;
    private readonly string _configPath;
    private readonly Lock _gate = new();
    private AppliedRecord? _current;

    /// <summary>Opens the store in <paramref name="stateDirectory"/> and repairs an interrupted apply.</summary>
    public AppliedConfigStore(string stateDirectory)
    {
        ArgumentException.ThrowIfNullOrEmpty(stateDirectory);
        Directory.CreateDirectory(Path.Combine(stateDirectory, "mqtt"));
        AtomicFile.CleanTemps(stateDirectory);
        AtomicFile.CleanTemps(Path.Combine(stateDirectory, "mqtt"));
        _recordPath = Path.Combine(stateDirectory, "mqtt", "applied-record.json");
        _configPath = Path.Combine(stateDirectory, FileName);
        _current = AtomicFile.ReadJson<AppliedRecord>(_recordPath);
        if (_current is not null)
        {
            byte[] expected = SectionsBytes(_current.Config);
            byte[]? present;
            try
            {
                present = File.Exists(_configPath) ? File.ReadAllBytes(_configPath) : null;
            }
            catch (IOException)
            {
                present = null;
            }
            if (present is null || !present.AsSpan().SequenceEqual(expected))
            {
                // A whole older document (power cut between the two writes) becomes the last good
                // copy; a corrupt one must not replace the last good copy the host falls back to.
                AtomicFile.Write(_configPath, expected, keepLastGood: present is not null && IsJsonObject(present));
            }
        }
    }

    /// <summary>Path of the sections file.</summary>
    public string ConfigPath => _configPath;

    /// <summary>The applied version, 0 when none.</summary>
    public long AppliedVersion
    {
        get { lock (_gate) { return _current?.Version ?? 0; } }
    }

    /// <summary>The applied sections, or null when none.</summary>
    public JsonObject? AppliedConfig
    {
        get
        {
            lock (_gate)
            {
                return _current is null ? null : JsonNode.Parse(_current.Config.GetRawText())!.AsObject();
            }
        }
    }

    /// <summary>Stores <paramref name="doc"/> as applied; the record first, then the sections file.</summary>
    public void Apply(ConfigDocument doc, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(doc);
        lock (_gate)
        {
            using var parsed = JsonDocument.Parse(doc.Config.ToJsonString());
            var record = new AppliedRecord(doc.Version, parsed.RootElement.Clone(), at);
            AtomicFile.WriteJson(_recordPath, record, keepLastGood: true);
            AtomicFile.Write(_configPath, SectionsBytes(record.Config), keepLastGood: true);
            _current = record;
        }
    }

    private static bool IsJsonObject(byte[] content)
    {
        try
        {
            return JsonNode.Parse(content) is JsonObject;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static byte[] SectionsBytes(JsonElement config)
    {
        var options = new JsonSerializerOptions { WriteIndented = true };
        return Encoding.UTF8.GetBytes(JsonSerializer.Serialize(config, options) + "\n");
    }

    private sealed record AppliedRecord(long Version, JsonElement Config, DateTimeOffset AppliedAt);
}
