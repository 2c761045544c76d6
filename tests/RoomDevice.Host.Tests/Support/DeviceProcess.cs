using System.Diagnostics;
using System.Reflection;
using System.Text;

namespace RoomDevice.Host.Tests.Support;

/// <summary>Output and exit code of one finished run of a program.</summary>
public sealed record ProcessResult(int ExitCode, string Stdout, string Stderr)
{
    public string All => Stdout + Stderr;
}

/// <summary>Starts the built <c>roomdevice</c> (and other programs) as child processes with captured output.</summary>
public sealed class DeviceProcess : IDisposable
{
    private readonly System.Diagnostics.Process _p;
    private readonly StringBuilder _out = new(), _err = new();
    private readonly Lock _gate = new();

    private DeviceProcess(System.Diagnostics.Process p)
    {
        _p = p;
        _p.OutputDataReceived += (_, e) => { if (e.Data is not null) { lock (_gate) { _out.AppendLine(e.Data); } } };
        _p.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (_gate) { _err.AppendLine(e.Data); } } };
        _p.BeginOutputReadLine();
        _p.BeginErrorReadLine();
    }

    public int Id => _p.Id;

    public bool HasExited => _p.HasExited;

    public string Stdout { get { lock (_gate) { return _out.ToString(); } } }

    public string Stderr { get { lock (_gate) { return _err.ToString(); } } }

    /// <summary>The repository this test build came from.</summary>
    public static string RepoRoot { get; } = Path.GetFullPath(
        typeof(DeviceProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "RepoRoot").Value!);

    /// <summary>The roomdevice program built next to the tests.</summary>
    public static string RoomDeviceDll { get; } = Path.Combine(AppContext.BaseDirectory, "roomdevice.dll");

    public static DeviceProcess StartRoomDevice(IEnumerable<string> args, IDictionary<string, string>? env = null) =>
        Start("dotnet", [RoomDeviceDll, .. args], env);

    public static DeviceProcess Start(string file, IEnumerable<string> args, IDictionary<string, string>? env = null, string? workingDirectory = null)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? AppContext.BaseDirectory,
        };
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }
        // A device configured by the machine running the tests must not leak in.
        foreach (string k in psi.Environment.Keys.Where(k => k.StartsWith("RoomDevice__", StringComparison.OrdinalIgnoreCase) || k is "NOTIFY_SOCKET" or "WATCHDOG_USEC" or "WATCHDOG_PID" or "STATE_DIRECTORY").ToList())
        {
            psi.Environment.Remove(k);
        }
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["DOTNET_NOLOGO"] = "1";
        if (env is not null)
        {
            foreach (var (k, v) in env)
            {
                psi.Environment[k] = v;
            }
        }
        var p = System.Diagnostics.Process.Start(psi) ?? throw new InvalidOperationException("could not start " + file);
        p.StandardInput.Close(); // no terminal, like CI and systemd
        return new DeviceProcess(p);
    }

    /// <summary>Runs to the end (killing it after <paramref name="timeout"/>, which fails the caller).</summary>
    public static async Task<ProcessResult> RunAsync(string file, IEnumerable<string> args, TimeSpan timeout, IDictionary<string, string>? env = null, string? workingDirectory = null)
    {
        using DeviceProcess p = Start(file, args, env, workingDirectory);
        int? code = await p.WaitForExitAsync(timeout);
        if (code is null)
        {
            p.Kill();
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish within {timeout}; output so far:\n{p.Stdout}\n{p.Stderr}");
        }
        return new ProcessResult(code.Value, p.Stdout, p.Stderr);
    }

    public static Task<ProcessResult> RunRoomDeviceAsync(IEnumerable<string> args, IDictionary<string, string>? env = null, TimeSpan? timeout = null) =>
        RunAsync("dotnet", [RoomDeviceDll, .. args], timeout ?? TimeSpan.FromSeconds(90), env);

    /// <summary>The exit code, or null when it did not exit within <paramref name="timeout"/>.</summary>
    public async Task<int?> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _p.WaitForExitAsync(cts.Token);
            _p.WaitForExit(); // drains the output readers
            return _p.ExitCode;
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    /// <summary>Asks the process to stop as systemd does (SIGTERM).</summary>
    public async Task TerminateAsync()
    {
        ProcessResult r = await RunAsync("kill", ["-TERM", _p.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)], TimeSpan.FromSeconds(30));
        Assert.True(r.ExitCode == 0, "kill -TERM failed: " + r.All);
    }

    public void Kill()
    {
        if (!_p.HasExited)
        {
            _p.Kill(entireProcessTree: true);
        }
    }

    public void Dispose()
    {
        Kill();
        _p.Dispose();
    }
}
