namespace RoomDevice.Host.Tests.Support;

/// <summary>A fresh folder removed at the end of a test; a copy of the shipped device-config if asked.</summary>
public sealed class TempFolder : IDisposable
{
    public TempFolder(bool withShippedConfig = false)
    {
        // Short path: Unix socket paths are limited to about 100 bytes.
        Path = Directory.CreateTempSubdirectory("rdt").FullName;
        if (withShippedConfig)
        {
            CopyDirectory(System.IO.Path.Combine(DeviceProcess.RepoRoot, "device-config"), Config);
        }
        Directory.CreateDirectory(State);
    }

    public string Path { get; }

    public string Config => System.IO.Path.Combine(Path, "config");

    public string State => System.IO.Path.Combine(Path, "state");

    public string Write(string relative, string text)
    {
        string full = System.IO.Path.Combine(Path, relative);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        File.WriteAllText(full, text);
        return full;
    }

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (string f in Directory.GetFiles(from))
        {
            File.Copy(f, System.IO.Path.Combine(to, System.IO.Path.GetFileName(f)));
        }
        foreach (string d in Directory.GetDirectories(from))
        {
            CopyDirectory(d, System.IO.Path.Combine(to, System.IO.Path.GetFileName(d)));
        }
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
