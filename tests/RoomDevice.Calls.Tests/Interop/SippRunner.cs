using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace RoomDevice.Calls.Tests.Interop;

/// <summary>Runs one SIPp scenario (Debian package sip-tester) on 127.0.0.1 for a single call.</summary>
internal sealed class SippRunner : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log = new();

    /// <summary>
    /// Starts SIPp with scenario <paramref name="scenario"/> (a file in the Sipp folder). With
    /// <paramref name="remotePort"/> it calls 127.0.0.1 there (a client scenario); without, it waits as a server.
    /// </summary>
    public SippRunner(string scenario, int? remotePort = null, int timeoutSeconds = 30)
    {
        string exe = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(d => Path.Combine(d, "sipp")).FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("sipp is not installed: install the Debian package sip-tester (listed in scripts/deps.d/calls.txt)");
        string file = Path.Combine(AppContext.BaseDirectory, "Sipp", scenario);
        if (!File.Exists(file))
        {
            throw new FileNotFoundException($"SIPp scenario {file} is missing from the test output");
        }
        Port = BaresipPeer.FreeUdpPort();
        int mediaPort = BaresipPeer.FreeUdpPort();
        var psi = new ProcessStartInfo(exe)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        var args = new List<string>
        {
            "-sf", file, "-i", "127.0.0.1", "-p", Port.ToString(CultureInfo.InvariantCulture),
            "-mp", mediaPort.ToString(CultureInfo.InvariantCulture), "-m", "1", "-l", "1",
            "-timeout", timeoutSeconds.ToString(CultureInfo.InvariantCulture) + "s", "-timeout_error", "-nostdin",
        };
        if (remotePort is int rp)
        {
            args.Add("127.0.0.1:" + rp.ToString(CultureInfo.InvariantCulture));
        }
        foreach (string a in args.Where(a => a.Length > 0))
        {
            psi.ArgumentList.Add(a);
        }
        _process = Process.Start(psi) ?? throw new InvalidOperationException("sipp did not start");
        _process.OutputDataReceived += (_, e) => { if (!string.IsNullOrWhiteSpace(e.Data)) { lock (_log) { _log.AppendLine(e.Data); } } };
        _process.ErrorDataReceived += (_, e) => { if (!string.IsNullOrWhiteSpace(e.Data)) { lock (_log) { _log.AppendLine(e.Data); } } };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public int Port { get; }

    public string Uri => $"sip:sipp@127.0.0.1:{Port}";

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

    /// <summary>Waits for SIPp to finish; its exit code is 0 when the call followed the scenario.</summary>
    public async Task<int> WaitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            return -100;
        }
        return _process.ExitCode;
    }

    public void Dispose()
    {
        PeerProcess.StopAndDispose(_process);
    }
}
