using System.Net;
using System.Net.Sockets;

namespace RoomDevice.Management.Tests.Infrastructure;

/// <summary>
/// A loopback TCP relay between a device and its broker that a test can break: drop every
/// connection at once (a pulled cable, a killed process) or stop relaying while keeping the sockets
/// open (a half-open connection).
/// </summary>
public sealed class TcpProxy : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly int _target;
    private readonly CancellationTokenSource _cts = new();
    private readonly List<(TcpClient A, TcpClient B)> _pairs = [];
    private readonly Lock _gate = new();
    private volatile bool _blackhole;
    private readonly Task _accept;

    public TcpProxy(int targetPort)
    {
        _target = targetPort;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _accept = Task.Run(AcceptLoop);
    }

    public int Port { get; }

    /// <summary>Connections relayed so far.</summary>
    public int Accepted { get; private set; }

    /// <summary>When true, bytes are read and thrown away in both directions; sockets stay open.</summary>
    public bool Blackhole
    {
        get => _blackhole;
        set => _blackhole = value;
    }

    /// <summary>When true, new connections are refused (closed at once).</summary>
    public bool Refuse { get; set; }

    /// <summary>Resets every relayed connection.</summary>
    public void DropAll()
    {
        lock (_gate)
        {
            foreach ((TcpClient a, TcpClient b) in _pairs)
            {
                Reset(a);
                Reset(b);
            }
            _pairs.Clear();
        }
    }

    private static void Reset(TcpClient c)
    {
        try
        {
            if (c.Client is Socket s)
            {
                s.LingerState = new LingerOption(true, 0);
            }
        }
        catch (Exception)
        {
        }
        c.Close();
    }

    private async Task AcceptLoop()
    {
        while (!_cts.IsCancellationRequested)
        {
            TcpClient a;
            try
            {
                a = await _listener.AcceptTcpClientAsync(_cts.Token);
            }
            catch (Exception)
            {
                return;
            }
            if (Refuse)
            {
                a.Close();
                continue;
            }
            var b = new TcpClient();
            try
            {
                await b.ConnectAsync(IPAddress.Loopback, _target);
            }
            catch (SocketException)
            {
                a.Close();
                b.Dispose();
                continue;
            }
            Accepted++;
            lock (_gate)
            {
                _pairs.Add((a, b));
            }
            _ = Pump(a, b);
            _ = Pump(b, a);
        }
    }

    private async Task Pump(TcpClient from, TcpClient to)
    {
        byte[] buf = new byte[16384];
        try
        {
            NetworkStream src = from.GetStream();
            NetworkStream dst = to.GetStream();
            while (true)
            {
                int n = await src.ReadAsync(buf, _cts.Token);
                if (n == 0)
                {
                    break;
                }
                if (!_blackhole)
                {
                    await dst.WriteAsync(buf.AsMemory(0, n), _cts.Token);
                }
            }
        }
        catch (Exception)
        {
        }
        from.Close();
        to.Close();
    }

    public async ValueTask DisposeAsync()
    {
        await _cts.CancelAsync();
        _listener.Stop();
        DropAll();
        try
        {
            await _accept;
        }
        catch (Exception)
        {
        }
        _cts.Dispose();
    }
}
