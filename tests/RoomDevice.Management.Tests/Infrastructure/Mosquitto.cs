using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

namespace RoomDevice.Management.Tests.Infrastructure;

/// <summary>A real mosquitto broker on 127.0.0.1 and a free port, started for one test and stopped after.</summary>
public sealed class Mosquitto : IAsyncDisposable
{
    private const string Binary = "/usr/sbin/mosquitto";
    private readonly string _dir;
    private readonly string _extra;
    private Process? _process;
    private readonly StringBuilder _log = new();

    private Mosquitto(int port, string extra)
    {
        Port = port;
        _extra = extra;
        _dir = Directory.CreateTempSubdirectory("mosquitto-").FullName;
    }

    /// <summary>The TCP port on 127.0.0.1.</summary>
    public int Port { get; }

    /// <summary>Folder for extra files (certificates, ACL).</summary>
    public string Folder => _dir;

    /// <summary>What mosquitto printed so far.</summary>
    public string Log
    {
        get { lock (_log) { return _log.ToString(); } }
    }

    /// <summary>Starts mosquitto; fails loudly when it is not installed.</summary>
    /// <param name="extraConfig">Lines added to the config; "{dir}" is replaced by <see cref="Folder"/>.</param>
    /// <param name="prepare">Called with the folder before start (write certificates, ACL files).</param>
    public static async Task<Mosquitto> StartAsync(string extraConfig = "", Action<string>? prepare = null, bool plainListener = true)
    {
        if (!File.Exists(Binary))
        {
            throw new InvalidOperationException($"mosquitto is not installed ({Binary} missing): install the Debian packages in scripts/deps.d/mqtt.txt (scripts/install-deps)");
        }
        var m = new Mosquitto(EmbeddedBroker.FreePort(), extraConfig);
        prepare?.Invoke(m._dir);
        m.WriteConfig(plainListener);
        await m.StartProcessAsync().ConfigureAwait(false);
        return m;
    }

    private void WriteConfig(bool plainListener)
    {
        var sb = new StringBuilder();
        sb.AppendLine("per_listener_settings false");
        sb.AppendLine("allow_anonymous true");
        sb.AppendLine("persistence false");
        sb.AppendLine("user root");
        sb.AppendLine("max_queued_messages 100000");
        sb.AppendLine("set_tcp_nodelay true");
        sb.AppendLine("log_type error");
        sb.AppendLine("log_type warning");
        sb.AppendLine("log_type notice");
        if (plainListener)
        {
            sb.AppendLine($"listener {Port} 127.0.0.1");
        }
        sb.AppendLine(_extra.Replace("{dir}", _dir, StringComparison.Ordinal).Replace("{port}", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal));
        File.WriteAllText(Path.Combine(_dir, "mosquitto.conf"), sb.ToString());
    }

    private async Task StartProcessAsync()
    {
        var psi = new ProcessStartInfo(Binary, ["-c", Path.Combine(_dir, "mosquitto.conf")])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var p = new Process { StartInfo = psi };
        p.OutputDataReceived += (_, e) => Append(e.Data);
        p.ErrorDataReceived += (_, e) => Append(e.Data);
        p.Start();
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        _process = p;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            if (p.HasExited)
            {
                throw new InvalidOperationException($"mosquitto exited with {p.ExitCode}: {Log}");
            }
            try
            {
                using var c = new TcpClient();
                await c.ConnectAsync("127.0.0.1", Port).ConfigureAwait(false);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(50).ConfigureAwait(false);
            }
        }
        throw new InvalidOperationException($"mosquitto did not listen on {Port} within 20 s: {Log}");
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_log)
        {
            _log.AppendLine(line);
        }
    }

    /// <summary>Stops the broker (SIGKILL: retained messages and sessions are lost, as in a crash).</summary>
    public async Task StopAsync()
    {
        if (_process is { HasExited: false } p)
        {
            p.Kill();
            await p.WaitForExitAsync().ConfigureAwait(false);
        }
        _process?.Dispose();
        _process = null;
    }

    /// <summary>Starts the broker again on the same port.</summary>
    public Task StartAgainAsync() => StartProcessAsync();

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
