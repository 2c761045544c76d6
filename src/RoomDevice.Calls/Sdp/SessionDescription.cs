using System.Globalization;
using System.Text;

namespace RoomDevice.Calls.Sdp;

/// <summary>Media direction attribute (RFC 3264).</summary>
public enum MediaDirection
{
    /// <summary>Both ways.</summary>
    SendRecv,
    /// <summary>We send only (the other side is held, or holds us and only listens).</summary>
    SendOnly,
    /// <summary>We receive only.</summary>
    RecvOnly,
    /// <summary>No media.</summary>
    Inactive,
}

/// <summary>One rtpmap entry.</summary>
public sealed record RtpMap(int PayloadType, string Encoding, int ClockRate, int Channels);

/// <summary>One m= section of an SDP body.</summary>
public sealed class SdpMedia
{
    /// <summary>Media type ("audio").</summary>
    public string Media { get; set; } = "audio";

    /// <summary>Transport port; 0 means the stream is rejected.</summary>
    public int Port { get; set; }

    /// <summary>Protocol, e.g. RTP/AVP.</summary>
    public string Protocol { get; set; } = "RTP/AVP";

    /// <summary>Payload types in preference order.</summary>
    public List<int> Formats { get; } = [];

    /// <summary>rtpmap per payload type.</summary>
    public Dictionary<int, RtpMap> RtpMaps { get; } = [];

    /// <summary>fmtp text per payload type.</summary>
    public Dictionary<int, string> Fmtp { get; } = [];

    /// <summary>Media-level connection address, overriding the session one.</summary>
    public string? ConnectionAddress { get; set; }

    /// <summary>Direction (sendrecv when absent).</summary>
    public MediaDirection Direction { get; set; } = MediaDirection.SendRecv;

    /// <summary>a=ptime in ms, when given.</summary>
    public int? Ptime { get; set; }

    /// <summary>a=maxptime in ms, when given.</summary>
    public int? MaxPtime { get; set; }

    /// <summary>a=rtcp port (RFC 3605), when given.</summary>
    public int? RtcpPort { get; set; }

    /// <summary>a=rtcp-mux present.</summary>
    public bool RtcpMux { get; set; }

    /// <summary>Other attributes as written (without "a=").</summary>
    public List<string> OtherAttributes { get; } = [];

    /// <summary>The rtpmap of <paramref name="pt"/>, including the static payload types of RFC 3551.</summary>
    public RtpMap? MapOf(int pt)
    {
        if (RtpMaps.TryGetValue(pt, out var m))
        {
            return m;
        }
        return pt switch
        {
            0 => new RtpMap(0, "PCMU", 8000, 1),
            8 => new RtpMap(8, "PCMA", 8000, 1),
            _ => null,
        };
    }

    /// <summary>fmtp parameters of <paramref name="pt"/> as key/value pairs.</summary>
    public Dictionary<string, string> FmtpOf(int pt)
    {
        var d = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (Fmtp.TryGetValue(pt, out string? f))
        {
            foreach (string part in f.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                int eq = part.IndexOf('=', StringComparison.Ordinal);
                if (eq > 0)
                {
                    d[part[..eq].Trim()] = part[(eq + 1)..].Trim();
                }
                else
                {
                    d[part] = "";
                }
            }
        }
        return d;
    }
}

/// <summary>An SDP body (RFC 4566): origin, connection, media sections. Parsing never throws.</summary>
public sealed class SessionDescription
{
    /// <summary>Largest SDP body accepted.</summary>
    public const int MaxBytes = 16_384;

    /// <summary>o= session id.</summary>
    public string SessionId { get; set; } = "0";

    /// <summary>o= version; grows with each new offer.</summary>
    public long Version { get; set; }

    /// <summary>o= username.</summary>
    public string OriginUser { get; set; } = "-";

    /// <summary>o= address.</summary>
    public string OriginAddress { get; set; } = "127.0.0.1";

    /// <summary>s= line.</summary>
    public string SessionName { get; set; } = "-";

    /// <summary>Session-level c= address.</summary>
    public string? ConnectionAddress { get; set; }

    /// <summary>Session-level direction, applying to media without their own.</summary>
    public MediaDirection? SessionDirection { get; set; }

    /// <summary>Media sections.</summary>
    public List<SdpMedia> Media { get; } = [];

    /// <summary>The first audio section.</summary>
    public SdpMedia? Audio => Media.FirstOrDefault(m => m.Media == "audio");

    /// <summary>Parses an SDP body; false with an error naming the fault.</summary>
    public static bool TryParse(string? text, out SessionDescription? sdp, out string error)
    {
        sdp = null;
        try
        {
            return TryParseCore(text, out sdp, out error);
        }
#pragma warning disable CA1031 // trust boundary: any surprise is a rejected body
        catch (Exception e)
#pragma warning restore CA1031
        {
            error = "malformed SDP: " + e.GetType().Name;
            return false;
        }
    }

    private static bool TryParseCore(string? text, out SessionDescription? sdp, out string error)
    {
        sdp = null;
        error = "";
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "empty SDP body";
            return false;
        }
        if (text.Length > MaxBytes)
        {
            error = $"SDP body of {text.Length} characters exceeds {MaxBytes}";
            return false;
        }
        var s = new SessionDescription();
        SdpMedia? current = null;
        bool sawVersion = false;
        foreach (string raw in text.Split('\n'))
        {
            string line = raw.TrimEnd('\r');
            if (line.Length == 0)
            {
                continue;
            }
            if (line.Length < 2 || line[1] != '=')
            {
                error = $"bad SDP line '{Trunc(line)}'; accepted: <type>=<value>";
                return false;
            }
            char type = line[0];
            string value = line[2..];
            switch (type)
            {
                case 'v':
                    if (value.Trim() != "0")
                    {
                        error = $"SDP version '{value}' not supported; accepted: 0";
                        return false;
                    }
                    sawVersion = true;
                    break;
                case 'o':
                    {
                        string[] p = value.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                        if (p.Length >= 6)
                        {
                            s.OriginUser = p[0];
                            s.SessionId = p[1];
                            _ = long.TryParse(p[2], NumberStyles.None, CultureInfo.InvariantCulture, out long ver);
                            s.Version = ver;
                            s.OriginAddress = p[5];
                        }
                        break;
                    }
                case 's':
                    s.SessionName = value;
                    break;
                case 'c':
                    {
                        string[] p = value.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                        if (p.Length < 3 || p[0] != "IN" || p[1] is not ("IP4" or "IP6"))
                        {
                            error = $"bad connection line 'c={Trunc(value)}'; accepted: c=IN IP4 <address>";
                            return false;
                        }
                        string addr = p[2].Split('/')[0];
                        if (current is null)
                        {
                            s.ConnectionAddress = addr;
                        }
                        else
                        {
                            current.ConnectionAddress = addr;
                        }
                        break;
                    }
                case 'm':
                    {
                        string[] p = value.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                        if (p.Length < 3)
                        {
                            error = $"bad media line 'm={Trunc(value)}'; accepted: m=audio <port> RTP/AVP <formats>";
                            return false;
                        }
                        string portText = p[1].Split('/')[0];
                        if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port > 65535)
                        {
                            error = $"bad media port '{p[1]}'; accepted: 0..65535";
                            return false;
                        }
                        current = new SdpMedia { Media = p[0], Port = port, Protocol = p[2] };
                        for (int i = 3; i < p.Length && i < 67; i++)
                        {
                            if (int.TryParse(p[i], NumberStyles.None, CultureInfo.InvariantCulture, out int pt) && pt <= 127)
                            {
                                current.Formats.Add(pt);
                            }
                        }
                        s.Media.Add(current);
                        break;
                    }
                case 'a':
                    ParseAttribute(s, current, value);
                    break;
                default:
                    break; // t=, b=, i=, u=, e=, p=, z=, k=, r= carry nothing media negotiation needs
            }
        }
        if (!sawVersion)
        {
            error = "SDP lacks the v=0 line";
            return false;
        }
        sdp = s;
        return true;
    }

    private static void ParseAttribute(SessionDescription s, SdpMedia? m, string value)
    {
        int colon = value.IndexOf(':', StringComparison.Ordinal);
        string name = colon < 0 ? value : value[..colon];
        string arg = colon < 0 ? "" : value[(colon + 1)..];
        MediaDirection? dir = name switch
        {
            "sendrecv" => MediaDirection.SendRecv,
            "sendonly" => MediaDirection.SendOnly,
            "recvonly" => MediaDirection.RecvOnly,
            "inactive" => MediaDirection.Inactive,
            _ => null,
        };
        if (dir is MediaDirection d)
        {
            if (m is null)
            {
                s.SessionDirection = d;
            }
            else
            {
                m.Direction = d;
            }
            return;
        }
        if (m is null)
        {
            return;
        }
        switch (name)
        {
            case "rtpmap":
                {
                    int sp = arg.IndexOf(' ', StringComparison.Ordinal);
                    if (sp > 0 && int.TryParse(arg.AsSpan(0, sp), NumberStyles.None, CultureInfo.InvariantCulture, out int pt) && pt <= 127)
                    {
                        string[] enc = arg[(sp + 1)..].Trim().Split('/');
                        if (enc.Length >= 2 && int.TryParse(enc[1], NumberStyles.None, CultureInfo.InvariantCulture, out int clock) && clock > 0)
                        {
                            int ch = enc.Length >= 3 && int.TryParse(enc[2], NumberStyles.None, CultureInfo.InvariantCulture, out int c) && c > 0 ? c : 1;
                            m.RtpMaps[pt] = new RtpMap(pt, enc[0], clock, ch);
                        }
                    }
                    break;
                }
            case "fmtp":
                {
                    int sp = arg.IndexOf(' ', StringComparison.Ordinal);
                    if (sp > 0 && int.TryParse(arg.AsSpan(0, sp), NumberStyles.None, CultureInfo.InvariantCulture, out int pt) && pt <= 127)
                    {
                        m.Fmtp[pt] = arg[(sp + 1)..].Trim();
                    }
                    break;
                }
            case "ptime":
                if (int.TryParse(arg.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int ptime) && ptime is > 0 and <= 120)
                {
                    m.Ptime = ptime;
                }
                break;
            case "maxptime":
                if (int.TryParse(arg.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int maxptime) && maxptime > 0)
                {
                    m.MaxPtime = maxptime;
                }
                break;
            case "rtcp":
                if (int.TryParse(arg.Trim().Split(' ')[0], NumberStyles.None, CultureInfo.InvariantCulture, out int rtcp) && rtcp is > 0 and <= 65535)
                {
                    m.RtcpPort = rtcp;
                }
                break;
            case "rtcp-mux":
                m.RtcpMux = true;
                break;
            default:
                if (m.OtherAttributes.Count < 64)
                {
                    m.OtherAttributes.Add(value);
                }
                break;
        }
    }

    /// <summary>Effective direction of <paramref name="m"/> (media level wins over session level).</summary>
    public MediaDirection DirectionOf(SdpMedia m)
    {
        ArgumentNullException.ThrowIfNull(m);
        bool explicitMedia = m.Direction != MediaDirection.SendRecv;
        return explicitMedia ? m.Direction : SessionDirection ?? MediaDirection.SendRecv;
    }

    /// <summary>Writes the body with CRLF line ends.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        string af = OriginAddress.Contains(':', StringComparison.Ordinal) ? "IP6" : "IP4";
        sb.Append("v=0\r\n");
        sb.Append(CultureInfo.InvariantCulture, $"o={OriginUser} {SessionId} {Version} IN {af} {OriginAddress}\r\n");
        sb.Append("s=").Append(SessionName).Append("\r\n");
        if (ConnectionAddress is not null)
        {
            sb.Append(CultureInfo.InvariantCulture, $"c=IN {(ConnectionAddress.Contains(':', StringComparison.Ordinal) ? "IP6" : "IP4")} {ConnectionAddress}\r\n");
        }
        sb.Append("t=0 0\r\n");
        foreach (var m in Media)
        {
            sb.Append(CultureInfo.InvariantCulture, $"m={m.Media} {m.Port} {m.Protocol} {string.Join(' ', m.Formats)}\r\n");
            if (m.ConnectionAddress is not null)
            {
                sb.Append(CultureInfo.InvariantCulture, $"c=IN IP4 {m.ConnectionAddress}\r\n");
            }
            foreach (int pt in m.Formats)
            {
                if (m.RtpMaps.TryGetValue(pt, out var map))
                {
                    sb.Append(CultureInfo.InvariantCulture, $"a=rtpmap:{pt} {map.Encoding}/{map.ClockRate}{(map.Channels > 1 ? "/" + map.Channels.ToString(CultureInfo.InvariantCulture) : "")}\r\n");
                }
                if (m.Fmtp.TryGetValue(pt, out string? f))
                {
                    sb.Append(CultureInfo.InvariantCulture, $"a=fmtp:{pt} {f}\r\n");
                }
            }
            if (m.RtcpPort is int rp)
            {
                sb.Append(CultureInfo.InvariantCulture, $"a=rtcp:{rp}\r\n");
            }
            if (m.Ptime is int pt2)
            {
                sb.Append(CultureInfo.InvariantCulture, $"a=ptime:{pt2}\r\n");
            }
            if (m.MaxPtime is int mp)
            {
                sb.Append(CultureInfo.InvariantCulture, $"a=maxptime:{mp}\r\n");
            }
            foreach (string a in m.OtherAttributes)
            {
                sb.Append("a=").Append(a).Append("\r\n");
            }
            sb.Append("a=").Append(m.Direction switch
            {
                MediaDirection.SendOnly => "sendonly",
                MediaDirection.RecvOnly => "recvonly",
                MediaDirection.Inactive => "inactive",
                _ => "sendrecv",
            }).Append("\r\n");
        }
        return sb.ToString();
    }

    private static string Trunc(string s) => s.Length <= 60 ? s : s[..60] + "…";
}
