using System.Net;
using Microsoft.Extensions.Logging;
using RoomDevice.Audio.Pipeline;
using RoomDevice.Calls.Media;
using RoomDevice.Calls.Sip;

namespace RoomDevice.Calls;

/// <summary>
/// A loopback SIP echo endpoint: a second user agent on 127.0.0.1 that answers every call and
/// sends back what it hears after <see cref="DelayMs"/>, so a new room hears its own voice over the
/// whole SIP, RTP, codec and jitter-buffer path. The default join target in simulation.
/// </summary>
public sealed class EchoService : IDisposable
{
    /// <summary>The URI that simulation maps to this service.</summary>
    public const string LocalUri = "sip:echo@local";

    private readonly CallAudioBridge _bridge;
    private readonly SipUserAgent _agent;
    private readonly Thread _pump;
    private readonly float[] _delayLine;
    private volatile bool _running = true;

    /// <summary>Starts the service on a free loopback port.</summary>
    public EchoService(int sampleRate = 16000, int delayMs = 600, TimeProvider? time = null, ILogger? logger = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(delayMs, 10);
        DelayMs = delayMs;
        _bridge = new CallAudioBridge(sampleRate, 64);
        var log = logger ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
        var t = time ?? TimeProvider.System;
        _agent = new SipUserAgent(
            new SipUserAgentSettings { Address = IPAddress.Loopback, UdpPort = 0, User = "echo", DisplayName = "Echo", AutoAnswer = true },
            () => new MediaSession(_bridge, IPAddress.Loopback, new MediaSessionSettings { Cname = "echo@127.0.0.1" }, t, log),
            t, log);
        _agent.Start();
        _delayLine = new float[sampleRate * delayMs / 1000];
        _pump = new Thread(Pump) { IsBackground = true, Name = "echo" };
        _pump.Start();
    }

    /// <summary>How long the echo lags, ms.</summary>
    public int DelayMs { get; }

    /// <summary>The URI to dial, e.g. sip:echo@127.0.0.1:40123.</summary>
    public string Uri => $"sip:echo@127.0.0.1:{_agent.LocalEndPoint.Port}";

    /// <summary>Calls the service is in now.</summary>
    public int ActiveCalls => _agent.ActiveCalls.Count;

    private void Pump()
    {
        var frame = new float[_bridge.FrameSamples];
        var outFrame = new float[_bridge.FrameSamples];
        int pos = 0;
        while (_running)
        {
            if (_bridge.Downlink.Count == 0)
            {
                Thread.Sleep(2);
                continue;
            }
            _bridge.Downlink.TryRead(frame);
            for (int i = 0; i < frame.Length; i++)
            {
                outFrame[i] = _delayLine[pos];
                _delayLine[pos] = frame[i];
                pos = (pos + 1) % _delayLine.Length;
            }
            _bridge.Uplink.TryWrite(outFrame);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _running = false;
        _pump.Join(1000);
        _agent.Dispose();
    }
}
