using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using RoomDevice.Audio.Wav;

namespace RoomDevice.Audio.Speech;

/// <summary>
/// Makes speech for scenes and sound checks with espeak-ng and sox (Debian packages), cached by
/// content so the same text, voice and rate are synthesised once.
/// </summary>
public sealed class SpeechMaterial(string cacheDirectory)
{
    /// <summary>Default cache: $XDG_CACHE_HOME/roomdevice/speech or ~/.cache/roomdevice/speech.</summary>
    public static string DefaultCacheDirectory()
    {
        string? xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        string baseDir = string.IsNullOrEmpty(xdg)
            ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache")
            : xdg;
        return Path.Combine(baseDir, "roomdevice", "speech");
    }

    /// <summary>
    /// Returns mono speech at <paramref name="sampleRate"/> for <paramref name="text"/> spoken by
    /// espeak-ng voice <paramref name="voice"/> (e.g. "en-us", "en-gb+f3") at <paramref name="wordsPerMinute"/>.
    /// Throws with the tool's name and output when espeak-ng or sox is missing or fails.
    /// </summary>
    public float[] Speak(string text, string voice = "en-us", int sampleRate = 16000, int wordsPerMinute = 160)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(text);
        ArgumentException.ThrowIfNullOrWhiteSpace(voice);
        string key = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(
            string.Create(CultureInfo.InvariantCulture, $"{voice}|{sampleRate}|{wordsPerMinute}|{text}"))), 0, 12);
        Directory.CreateDirectory(cacheDirectory);
        string final = Path.Combine(cacheDirectory, key + ".wav");
        if (!File.Exists(final))
        {
            string raw = Path.Combine(cacheDirectory, key + "." + Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + ".raw.wav");
            string conv = Path.Combine(cacheDirectory, key + "." + Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + ".conv.wav");
            try
            {
                Run("espeak-ng", ["-v", voice, "-s", wordsPerMinute.ToString(CultureInfo.InvariantCulture), "-w", raw, text]);
                Run("sox", [raw, "-r", sampleRate.ToString(CultureInfo.InvariantCulture), "-c", "1", "-b", "16", conv]);
                File.Move(conv, final, overwrite: true);
            }
            finally
            {
                File.Delete(raw);
                File.Delete(conv);
            }
        }
        var wav = WavFile.Read(final);
        return wav.Channel(0);
    }

    private static void Run(string tool, string[] args)
    {
        var psi = new ProcessStartInfo(tool) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }
        Process p;
        try
        {
            p = Process.Start(psi) ?? throw new InvalidOperationException($"{tool} did not start");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"{tool} is not installed (Debian package {(tool == "sox" ? "sox" : "espeak-ng")}); run scripts/install-deps", e);
        }
        using (p)
        {
            string err = p.StandardError.ReadToEnd();
            p.StandardOutput.ReadToEnd();
            if (!p.WaitForExit(60_000))
            {
                p.Kill(true);
                throw new InvalidOperationException($"{tool} did not finish within 60 s");
            }
            if (p.ExitCode != 0)
            {
                throw new InvalidOperationException($"{tool} failed with exit code {p.ExitCode}: {err.Trim()}");
            }
        }
    }
}
