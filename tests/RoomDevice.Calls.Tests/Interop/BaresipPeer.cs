using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace RoomDevice.Calls.Tests.Interop;

/// <summary>
/// A real baresip (Debian package baresip-core) on 127.0.0.1 with an auto-answer account, playing
/// a WAV file (aufile) or a sine (ausine) and dumping what it sends and receives (sndfile).
/// </summary>
internal sealed class BaresipPeer : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log = new();

    public BaresipPeer(string? sourceWav, string? dial = null, int seconds = 30)
    {
        string exe = FindOnPath("baresip")
            ?? throw new InvalidOperationException("baresip is not installed: install the Debian package baresip-core (listed in scripts/deps.d/calls.txt)");
        Directory = Path.Combine(Path.GetTempPath(), "roomdevice-baresip-" + Guid.NewGuid().ToString("N")[..8]);
        System.IO.Directory.CreateDirectory(Directory);
        Port = FreeUdpPort();
        string modules = "/usr/lib/baresip/modules";
        if (!File.Exists(Path.Combine(modules, "opus.so")))
        {
            throw new InvalidOperationException($"baresip modules not found in {modules}: install baresip-core");
        }
        string source = sourceWav is null ? "ausine,440" : "aufile," + sourceWav;
        File.WriteAllText(Path.Combine(Directory, "config"), string.Join('\n',
            "poll_method epoll",
            $"sip_listen 127.0.0.1:{Port}",
            "net_interface 127.0.0.1",
            "audio_player alsa,null",
            $"audio_source {source}",
            "audio_alert alsa,null",
            "ausrc_srate 48000",
            "auplay_srate 48000",
            $"module_path {modules}",
            "module opus.so", "module g711.so", "module aufile.so", "module ausine.so", "module alsa.so",
            "module sndfile.so", "module account.so", "module menu.so",
            $"snd_path {Directory}", ""));
        File.WriteAllText(Path.Combine(Directory, "accounts"), "<sip:alice@127.0.0.1>;regint=0;answermode=auto;audio_codecs=opus/48000/2\n");
        var psi = new ProcessStartInfo(exe)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (string a in (string[])["-4", "-f", Directory, "-t", seconds.ToString(CultureInfo.InvariantCulture)])
        {
            psi.ArgumentList.Add(a);
        }
        if (dial is not null)
        {
            psi.ArgumentList.Add("-e");
            psi.ArgumentList.Add("/dial " + dial);
        }
        _process = Process.Start(psi) ?? throw new InvalidOperationException("baresip did not start");
        _process.OutputDataReceived += (_, e) => { if (!string.IsNullOrWhiteSpace(e.Data)) { lock (_log) { _log.AppendLine(e.Data); } } };
        _process.ErrorDataReceived += (_, e) => { if (!string.IsNullOrWhiteSpace(e.Data)) { lock (_log) { _log.AppendLine(e.Data); } } };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public string Directory { get; }

    public int Port { get; }

    public string Uri => $"sip:alice@127.0.0.1:{Port}";

    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    public bool HasExited => _process.HasExited;

    /// <summary>Waits until baresip's log contains <paramref name="text"/>.</summary>
    public async Task<bool> WaitForLog(string text, TimeSpan timeout)
    {
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < timeout)
        {
            if (Log.Contains(text, StringComparison.Ordinal))
            {
                return true;
            }
            await Task.Delay(50);
        }
        return false;
    }

    /// <summary>Sends a command line to baresip's console (menu module).</summary>
    public void Command(string line)
    {
        _process.StandardInput.WriteLine(line);
        _process.StandardInput.Flush();
    }

    /// <summary>The sndfile dump of what baresip decoded (received) in the call.</summary>
    public string? ReceivedDump() => System.IO.Directory.GetFiles(Directory, "*dec*.wav").FirstOrDefault();

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);

    internal static int FreeUdpPort()
    {
        using var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)s.LocalEndPoint!).Port;
    }

    public void Dispose()
    {
        PeerProcess.StopAndDispose(_process);
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
