using System.Runtime.InteropServices;

namespace RoomDevice.Management.Interop;

/// <summary>The few libc calls needed to make a rename durable (fsync of the containing directory).</summary>
internal static partial class Libc
{
    // the versioned soname: the device has no -dev symlinks
    private const string LibName = "libc.so.6";
    private const int ORdOnly = 0;
    private const int ODirectory = 0x10000; // same value on x86_64 and aarch64 Linux

    [LibraryImport(LibName, EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags);

    [LibraryImport(LibName, EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport(LibName, EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);

    /// <summary>fsyncs a directory; false when the platform or file system does not allow it.</summary>
    public static bool SyncDirectory(string path)
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }
        int fd = Open(path, ORdOnly | ODirectory);
        if (fd < 0)
        {
            return false;
        }
        try
        {
            return Fsync(fd) == 0;
        }
        finally
        {
            _ = Close(fd);
        }
    }
}
