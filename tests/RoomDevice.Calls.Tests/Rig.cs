using System.Net;
using System.Net.Sockets;
using System.Text;
using RoomDevice.Audio.Pipeline;
using RoomDevice.Calls.Media;
using RoomDevice.Calls.Sip;

namespace RoomDevice.Calls.Tests;

/// <summary>A user agent on loopback with its own audio bridge, the way the host wires one.</summary>
internal sealed class AgentRig : IDisposable
{
    public AgentRig(bool autoAnswer = true, string user = "room", string? password = null, TimeProvider? time = null, int? tcpPort = null, int sampleRate = 16000,
        SipTlsSettings? tls = null)
    {
        Bridge = new CallAudioBridge(sampleRate, 64);
        var t = time ?? TimeProvider.System;
        Agent = new SipUserAgent(
            new SipUserAgentSettings { Address = IPAddress.Loopback, UdpPort = 0, TcpPort = tcpPort, User = user, Password = password, AutoAnswer = autoAnswer, Tls = tls },
            () => new MediaSession(Bridge, IPAddress.Loopback, new MediaSessionSettings(), TimeProvider.System, Log),
            t, Log);
        Agent.Start();
    }

    public CallAudioBridge Bridge { get; }

    public TestLogger Log { get; } = new();

    public SipUserAgent Agent { get; }

    public string Uri => $"sip:{Agent.Settings.User}@127.0.0.1:{Agent.LocalEndPoint.Port}";

    public void Dispose() => Agent.Dispose();
}

/// <summary>Feeds a signal into a bridge's uplink in real time and records its downlink.</summary>
internal sealed class AudioPump : IDisposable
{
    private readonly CallAudioBridge _bridge;
    private readonly float[] _source;
    private readonly List<float> _recorded = [];
    private readonly Thread _thread;
    private volatile bool _running = true;

    public AudioPump(CallAudioBridge bridge, float[] source)
    {
        _bridge = bridge;
        _source = source;
        _thread = new Thread(Run) { IsBackground = true };
        _thread.Start();
    }

    public float[] Recorded
    {
        get
        {
            lock (_recorded)
            {
                return [.. _recorded];
            }
        }
    }

    private void Run()
    {
        int n = _bridge.FrameSamples;
        var frame = new float[n];
        var rx = new float[n];
        int pos = 0;
        var sw = System.Diagnostics.Stopwatch.StartNew();
        long ticks = 0;
        while (_running)
        {
            long due = ticks * 10;
            long wait = due - sw.ElapsedMilliseconds;
            if (wait > 0)
            {
                Thread.Sleep((int)wait);
            }
            ticks++;
            for (int i = 0; i < n; i++)
            {
                frame[i] = pos < _source.Length ? _source[pos] : 0f;
                pos++;
            }
            _bridge.Uplink.TryWrite(frame);
            while (_bridge.Downlink.Count > 0 && _bridge.Downlink.TryRead(rx))
            {
                lock (_recorded)
                {
                    _recorded.AddRange(rx);
                }
            }
        }
    }

    public void Dispose()
    {
        _running = false;
        _thread.Join(2000);
    }
}

/// <summary>A raw UDP peer for hand-made SIP messages.</summary>
internal sealed class RawSipPeer : IDisposable
{
    private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);

    public RawSipPeer()
    {
        _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _socket.ReceiveTimeout = 5000;
    }

    public int Port => ((IPEndPoint)_socket.LocalEndPoint!).Port;

    public void Send(string text, IPEndPoint to) => _socket.SendTo(Encoding.UTF8.GetBytes(text), to);

    public void Send(byte[] bytes, IPEndPoint to) => _socket.SendTo(bytes, to);

    /// <summary>Next SIP message, or null after <paramref name="timeoutMs"/>.</summary>
    public SipMessage? Receive(int timeoutMs = 5000)
    {
        var buf = new byte[65536];
        _socket.ReceiveTimeout = timeoutMs;
        try
        {
            EndPoint from = new IPEndPoint(IPAddress.Any, 0);
            int n = _socket.ReceiveFrom(buf, ref from);
            return SipParser.TryParse(buf.AsSpan(0, n), out var m, out _) ? m : null;
        }
        catch (SocketException)
        {
            return null;
        }
    }

    public void Dispose() => _socket.Dispose();
}

internal static class Signals
{
    /// <summary>Peak normalised cross-correlation of <paramref name="b"/> against <paramref name="a"/> over lags 0..maxLag (b lags a).</summary>
    public static (double Correlation, int Lag) BestCorrelation(float[] a, float[] b, int maxLag, int step = 1)
    {
        double best = 0;
        int bestLag = 0;
        int len = Math.Min(a.Length, b.Length - maxLag);
        if (len <= 0)
        {
            return (0, 0);
        }
        for (int lag = 0; lag <= maxLag; lag += step)
        {
            double sab = 0, saa = 0, sbb = 0;
            for (int i = 0; i < len; i++)
            {
                double x = a[i], y = b[i + lag];
                sab += x * y;
                saa += x * x;
                sbb += y * y;
            }
            double c = saa <= 0 || sbb <= 0 ? 0 : sab / Math.Sqrt(saa * sbb);
            if (c > best)
            {
                best = c;
                bestLag = lag;
            }
        }
        return (best, bestLag);
    }

    /// <summary>Envelope (RMS per 10 ms) of a signal; robust to codec phase changes.</summary>
    public static float[] Envelope(float[] x, int rate)
    {
        int n = rate / 100;
        var e = new float[x.Length / n];
        for (int i = 0; i < e.Length; i++)
        {
            double s = 0;
            for (int k = 0; k < n; k++)
            {
                s += x[(i * n) + k] * x[(i * n) + k];
            }
            e[i] = (float)Math.Sqrt(s / n);
        }
        return e;
    }
}
