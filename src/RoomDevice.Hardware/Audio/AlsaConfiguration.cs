using System.Runtime.InteropServices;
using RoomDevice.Audio.Devices;
using RoomDevice.Hardware.Interop.Alsa;

namespace RoomDevice.Hardware.Audio;

/// <summary>
/// Where libasound looks for its configuration. By default it reads /usr/share/alsa/alsa.conf
/// (which pulls in /etc/asound.conf and ~/.asoundrc); a sound check or a test can add a file of
/// its own PCM definitions on top. Plugins that open their slave by name (share, dmix, dsnoop)
/// need such a global definition; an in-memory configuration (<see cref="AlsaPcmSettings.ConfigText"/>)
/// is enough for the others.
/// </summary>
public static class AlsaConfiguration
{
    /// <summary>The system configuration file libasound starts from.</summary>
    public const string SystemConfig = "/usr/share/alsa/alsa.conf";

    /// <summary>
    /// Makes libasound read <paramref name="path"/> after the system configuration (sets
    /// ALSA_CONFIG_PATH in the native environment); libasound reloads at the next open.
    /// </summary>
    public static void AddConfigFile(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        string full = Path.GetFullPath(path);
        if (!File.Exists(full))
        {
            throw new AudioDeviceException($"ALSA configuration file '{full}' does not exist");
        }
        if (LibC.setenv("ALSA_CONFIG_PATH", SystemConfig + ":" + full, 1) != 0)
        {
            throw new AudioDeviceException($"cannot set ALSA_CONFIG_PATH for '{full}': errno {Marshal.GetLastPInvokeError()}");
        }
        Environment.SetEnvironmentVariable("ALSA_CONFIG_PATH", SystemConfig + ":" + full);
    }
}
