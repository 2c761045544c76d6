using System.Text.Json;

namespace RoomDevice.Management.Storage;

/// <summary>
/// Files that survive power cuts: written to a temp file, flushed to the disk, then renamed over
/// the old one (rename is atomic on Linux file systems); the previous good copy is kept as
/// <c>.last-good</c>. A reader never sees a half-written file.
/// </summary>
public static class AtomicFile
{
    /// <summary>Suffix of the previous good copy.</summary>
    public const string LastGoodSuffix = ".last-good";

    private static readonly AsyncLocal<Action<string>?> CrashPointOfFlow = new();

    /// <summary>Test seam: called at named points of a write (in the current async flow only) so a test can stop it there, as a power cut would.</summary>
    internal static Action<string>? CrashPoint
    {
        get => CrashPointOfFlow.Value;
        set => CrashPointOfFlow.Value = value;
    }

    /// <summary>Replaces <paramref name="path"/> with <paramref name="content"/> atomically.</summary>
    public static void Write(string path, ReadOnlySpan<byte> content, bool keepLastGood = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(dir);
        string temp = path + ".tmp-" + Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture) + "-" + Environment.CurrentManagedThreadId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        using (var fs = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 4096, FileOptions.None))
        {
            int half = content.Length / 2;
            fs.Write(content[..half]);
            CrashPoint?.Invoke("temp-half-written");
            fs.Write(content[half..]);
            fs.Flush(flushToDisk: true);
        }
        CrashPoint?.Invoke("temp-synced");
        if (keepLastGood && File.Exists(path))
        {
            // A hard link would be cheaper, but a copy works on every file system; write it atomically too.
            string lg = path + LastGoodSuffix;
            string lgTemp = lg + ".tmp";
            File.Copy(path, lgTemp, overwrite: true);
            using (var f = new FileStream(lgTemp, FileMode.Open, FileAccess.ReadWrite))
            {
                f.Flush(flushToDisk: true);
            }
            File.Move(lgTemp, lg, overwrite: true);
            CrashPoint?.Invoke("last-good-kept");
        }
        File.Move(temp, path, overwrite: true);
        CrashPoint?.Invoke("renamed");
        SyncDirectory(dir);
    }

    /// <summary>Serialises <paramref name="value"/> as JSON and writes it atomically.</summary>
    public static void WriteJson<T>(string path, T value, JsonSerializerOptions? options = null, bool keepLastGood = false) =>
        Write(path, JsonSerializer.SerializeToUtf8Bytes(value, options ?? JsonDefaults.File), keepLastGood);

    /// <summary>
    /// Reads a JSON file, falling back to its last good copy when the file is missing or corrupt.
    /// Returns default when neither is readable.
    /// </summary>
    public static T? ReadJson<T>(string path, JsonSerializerOptions? options = null)
    {
        foreach (string candidate in new[] { path, path + LastGoodSuffix })
        {
            try
            {
                if (File.Exists(candidate))
                {
                    T? v = JsonSerializer.Deserialize<T>(File.ReadAllBytes(candidate), options ?? JsonDefaults.File);
                    if (v is not null)
                    {
                        return v;
                    }
                }
            }
            catch (JsonException)
            {
                // corrupt (written by something else, or the disk lied): try the last good copy
            }
            catch (IOException)
            {
            }
        }
        return default;
    }

    /// <summary>Removes temp files left by an interrupted write in <paramref name="directory"/>.</summary>
    public static void CleanTemps(string directory)
    {
        if (!Directory.Exists(directory))
        {
            return;
        }
        foreach (string f in Directory.EnumerateFiles(directory, "*.tmp*"))
        {
            try
            {
                File.Delete(f);
            }
            catch (IOException)
            {
            }
        }
    }

    // fsync of the directory makes the rename itself durable; best effort where not supported.
    private static void SyncDirectory(string dir) => _ = Interop.Libc.SyncDirectory(dir);
}

/// <summary>JSON settings for files the device keeps.</summary>
public static class JsonDefaults
{
    /// <summary>camelCase, compact.</summary>
    public static readonly JsonSerializerOptions File = new(JsonSerializerDefaults.Web) { WriteIndented = false };
}
