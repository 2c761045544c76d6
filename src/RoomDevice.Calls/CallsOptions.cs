using System.Globalization;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using RoomDevice.Calls.Media;
using RoomDevice.Calls.Sdp;
using RoomDevice.Calls.Sip;
using RoomDevice.Core.Options;

namespace RoomDevice.Calls;

/// <summary>How the room places and takes calls (section "Calls").</summary>
[ConfigSection("Calls")]
public sealed class CallsOptions : IDeviceOptions
{
    /// <summary>Address to bind and advertise in SIP and SDP; "auto" picks the first non-loopback IPv4 address.</summary>
    public string LocalAddress { get; set; } = "auto";

    /// <summary>SIP port (UDP, and TCP when enabled); 0 picks a free one.</summary>
    public int SipPort { get; set; } = 5060;

    /// <summary>Also listen on TCP.</summary>
    public bool TcpEnabled { get; set; } = true;

    /// <summary>SIP over TLS listening port (used when <see cref="TlsCertificate"/> is set); 0 picks a free one.</summary>
    public int TlsPort { get; set; } = 5061;

    /// <summary>PEM certificate presented for SIP over TLS; empty means no TLS listener (dialling sips: still works).</summary>
    public string TlsCertificate { get; set; } = "";

    /// <summary>PEM private key of <see cref="TlsCertificate"/>.</summary>
    public string TlsPrivateKey { get; set; } = "";

    /// <summary>PEM file of the authorities trusted for TLS peers; empty means the system store.</summary>
    public string TlsCaCertificates { get; set; } = "";

    /// <summary>Check TLS peers' certificates (chain, and the name of servers dialled). On by default.</summary>
    public bool TlsValidatePeer { get; set; } = true;

    /// <summary>SIP user part (From, Contact).</summary>
    public string User { get; set; } = "room";

    /// <summary>Display name in From.</summary>
    public string DisplayName { get; set; } = "Meeting Room";

    /// <summary>Digest user name; empty means <see cref="User"/>.</summary>
    public string AuthUser { get; set; } = "";

    /// <summary>Digest password; empty means challenges are refused.</summary>
    public string Password { get; set; } = "";

    /// <summary>Registrar URI (e.g. sip:pbx.example.com); empty means no registration.</summary>
    public string Registrar { get; set; } = "";

    /// <summary>Registration lifetime asked for, s.</summary>
    public int RegisterExpiresSeconds { get; set; } = 600;

    /// <summary>What join dials when no meeting is scheduled; empty means nothing (in simulation: the echo service).</summary>
    public string DefaultUri { get; set; } = "";

    /// <summary>Answer incoming calls at once; otherwise they ring until join is pressed.</summary>
    public bool AutoAnswer { get; set; }

    /// <summary>How long a call may ring, s: an outgoing one before the device gives up, an incoming one before it is refused with 480.</summary>
    public int RingTimeoutSeconds { get; set; } = 60;

    /// <summary>Codecs in preference order: opus, PCMU, PCMA.</summary>
    public List<string> Codecs { get; set; } = ["opus", "PCMU", "PCMA"];

    /// <summary>Packet time, ms (10, 20, 40 or 60).</summary>
    public int PtimeMs { get; set; } = 20;

    /// <summary>Lowest jitter-buffer delay, ms.</summary>
    public int JitterMinDelayMs { get; set; } = 20;

    /// <summary>Highest jitter-buffer delay, ms.</summary>
    public int JitterMaxDelayMs { get; set; } = 300;

    /// <summary>Quantile of the arrival delays the jitter buffer covers.</summary>
    public double JitterQuantile { get; set; } = 0.98;

    /// <summary>Wait after the far end answers before the meeting PIN is sent as DTMF, ms.</summary>
    public int PinDelayMs { get; set; } = 1500;

    /// <summary>Lag of the simulation's echo service, ms.</summary>
    public int EchoDelayMs { get; set; } = 600;

    /// <inheritdoc />
    public void Validate(OptionsValidator v)
    {
        ArgumentNullException.ThrowIfNull(v);
        v.Check(LocalAddress == "auto" || IPAddress.TryParse(LocalAddress, out var a) && a.AddressFamily == AddressFamily.InterNetwork,
            nameof(LocalAddress), LocalAddress, "auto or an IPv4 address such as 192.168.1.20", "not an IPv4 address");
        v.Range(nameof(SipPort), SipPort, 0, 65535);
        v.Range(nameof(TlsPort), TlsPort, 0, 65535);
        try
        {
            _ = LoadTls();
        }
        catch (SipTlsConfigException e)
        {
            v.Report(e.Key, e.Value, e.Problem, "readable PEM files: TlsCertificate with TlsPrivateKey, and optionally TlsCaCertificates");
        }
        v.Check(User.Length > 0 && User.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '+'), nameof(User), User,
            "letters, digits, - _ . +", "not a usable SIP user part");
        v.Check(!DisplayName.Contains('"', StringComparison.Ordinal), nameof(DisplayName), DisplayName, "text without double quotes", "contains a double quote");
        v.Check(Registrar.Length == 0 || SipUri.TryParse(Registrar, out _, out _), nameof(Registrar), Registrar, "empty or a SIP URI such as sip:pbx.example.com", "not a SIP URI");
        v.Range(nameof(RegisterExpiresSeconds), RegisterExpiresSeconds, 60, 86400);
        v.Check(DefaultUri.Length == 0 || SipUri.TryParse(DefaultUri, out _, out _) || DefaultUri == EchoService.LocalUri,
            nameof(DefaultUri), DefaultUri, "empty or a SIP URI such as sip:echo@conference.example.com", "not a SIP URI");
        v.Range(nameof(RingTimeoutSeconds), RingTimeoutSeconds, 5, 600);
        foreach (string c in Codecs)
        {
            v.Check(ParseCodec(c) is not null, nameof(Codecs), c, "opus, PCMU, PCMA", "unknown codec");
        }
        v.Check(Codecs.Count > 0, nameof(Codecs), "", "at least one of opus, PCMU, PCMA", "no codec");
        v.Check(PtimeMs is 10 or 20 or 40 or 60, nameof(PtimeMs), PtimeMs, "10, 20, 40 or 60");
        v.Range(nameof(JitterMinDelayMs), JitterMinDelayMs, 0, 500);
        v.Range(nameof(JitterMaxDelayMs), JitterMaxDelayMs, JitterMinDelayMs + 20, 2000);
        v.Range(nameof(JitterQuantile), JitterQuantile, 0.5, 0.999);
        v.Range(nameof(PinDelayMs), PinDelayMs, 0, 30000);
        v.Range(nameof(EchoDelayMs), EchoDelayMs, 10, 5000);
    }

    /// <summary>The codec named <paramref name="name"/> (opus, PCMU, PCMA, any case), or null.</summary>
    public static CallCodec? ParseCodec(string name) => name.ToUpperInvariant() switch
    {
        "OPUS" => CallCodec.Opus,
        "PCMU" => CallCodec.Pcmu,
        "PCMA" => CallCodec.Pcma,
        _ => null,
    };

    /// <summary>The address to bind: the configured one, or the first up non-loopback IPv4 (loopback in simulation or when there is none).</summary>
    public IPAddress ResolveAddress(bool simulate)
    {
        if (LocalAddress != "auto")
        {
            return IPAddress.Parse(LocalAddress);
        }
        if (simulate)
        {
            return IPAddress.Loopback;
        }
        try
        {
            foreach (var nic in NetworkInterface.GetAllNetworkInterfaces())
            {
                if (nic.OperationalStatus != OperationalStatus.Up || nic.NetworkInterfaceType == NetworkInterfaceType.Loopback)
                {
                    continue;
                }
                foreach (var ua in nic.GetIPProperties().UnicastAddresses)
                {
                    if (ua.Address.AddressFamily == AddressFamily.InterNetwork)
                    {
                        return ua.Address;
                    }
                }
            }
        }
        catch (NetworkInformationException)
        {
        }
        return IPAddress.Loopback;
    }

    /// <summary>TLS settings from these options; throws <see cref="SipTlsConfigException"/> naming the key whose file is unusable.</summary>
    public SipTlsSettings LoadTls() =>
        SipTlsSettings.Load(TlsCertificate, TlsPrivateKey, TlsCaCertificates, TlsValidatePeer, TlsPort,
            nameof(TlsCertificate), nameof(TlsPrivateKey), nameof(TlsCaCertificates));

    /// <summary>User-agent settings from these options.</summary>
    public SipUserAgentSettings ToAgentSettings(IPAddress address, int port) => new()
    {
        Address = address,
        UdpPort = port,
        TcpPort = TcpEnabled ? port : null,
        User = User,
        DisplayName = DisplayName,
        AuthUser = AuthUser.Length == 0 ? null : AuthUser,
        Password = Password.Length == 0 ? null : Password,
        Registrar = Registrar.Length == 0 ? null : Registrar,
        RegisterExpiresSeconds = RegisterExpiresSeconds,
        AutoAnswer = AutoAnswer,
        RingTimeoutSeconds = RingTimeoutSeconds,
        Tls = port == 0 ? LoadTls() with { Port = 0 } : LoadTls(),
        Media = new LocalMediaCapabilities
        {
            Codecs = [.. Codecs.Select(c => ParseCodec(c)!.Value).Distinct()],
            PtimeMs = PtimeMs,
        },
    };

    /// <summary>Media settings from these options.</summary>
    public MediaSessionSettings ToMediaSettings(string cname) => new()
    {
        Cname = cname,
        JitterBuffer = new JitterBufferSettings { MinDelayMs = JitterMinDelayMs, MaxDelayMs = JitterMaxDelayMs, Quantile = JitterQuantile },
    };

    /// <summary>A short description for logs.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{User}@{LocalAddress}:{SipPort}");
}
