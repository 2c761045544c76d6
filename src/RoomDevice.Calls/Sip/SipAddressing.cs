using System.Globalization;
using System.Net;
using System.Text;

namespace RoomDevice.Calls.Sip;

/// <summary>Transport of a SIP hop.</summary>
public enum SipTransportKind
{
    /// <summary>UDP datagrams (retransmissions by timers).</summary>
    Udp,
    /// <summary>TCP stream, framed by Content-Length.</summary>
    Tcp,
    /// <summary>TLS over TCP (sips: or ;transport=tls), framed like TCP.</summary>
    Tls,
}

/// <summary>A sip: URI: user, host, port and parameters.</summary>
public sealed record SipUri(string Scheme, string? User, string Host, int? Port, IReadOnlyDictionary<string, string> Parameters)
{
    /// <summary>Port to use when none is given.</summary>
    public int EffectivePort => Port ?? (Scheme == "sips" ? 5061 : 5060);

    /// <summary>Transport: TLS for sips: or ;transport=tls, TCP for ;transport=tcp, UDP otherwise.</summary>
    public SipTransportKind Transport =>
        Scheme == "sips" ? SipTransportKind.Tls
        : !Parameters.TryGetValue("transport", out string? t) ? SipTransportKind.Udp
        : string.Equals(t, "tls", StringComparison.OrdinalIgnoreCase) ? SipTransportKind.Tls
        : string.Equals(t, "tcp", StringComparison.OrdinalIgnoreCase) ? SipTransportKind.Tcp
        : SipTransportKind.Udp;

    /// <summary>Port to use when none is given, for the transport in use (5061 for TLS).</summary>
    public int TransportPort => Port ?? (Transport == SipTransportKind.Tls ? 5061 : 5060);

    /// <summary>Parses "sip:user@host:port;params"; false with an error naming the fault.</summary>
    public static bool TryParse(string? text, out SipUri? uri, out string error)
    {
        uri = null;
        error = "";
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "empty SIP URI; accepted: sip:user@host[:port]";
            return false;
        }
        string s = text.Trim();
        int colon = s.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0)
        {
            error = $"'{s}' has no scheme; accepted: sip:user@host[:port]";
            return false;
        }
        string scheme = s[..colon].ToLowerInvariant();
        if (scheme is not ("sip" or "sips"))
        {
            error = $"scheme '{scheme}' in '{s}' is not supported; accepted: sip or sips";
            return false;
        }
        string rest = s[(colon + 1)..];
        int q = rest.IndexOf('?', StringComparison.Ordinal);
        if (q >= 0)
        {
            rest = rest[..q];
        }
        var parameters = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        int semi = rest.IndexOf(';', StringComparison.Ordinal);
        if (semi >= 0)
        {
            parameters = SipHeaderNames.ParseParameters(rest[semi..]);
            rest = rest[..semi];
        }
        string? user = null;
        int at = rest.LastIndexOf('@');
        if (at >= 0)
        {
            user = rest[..at];
            int pw = user.IndexOf(':', StringComparison.Ordinal);
            if (pw >= 0)
            {
                user = user[..pw];
            }
            rest = rest[(at + 1)..];
        }
        string host;
        int? port = null;
        if (rest.StartsWith('['))
        {
            int close = rest.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
            {
                error = $"unterminated IPv6 address in '{s}'";
                return false;
            }
            host = rest[1..close];
            rest = rest[(close + 1)..];
            if (rest.StartsWith(':'))
            {
                rest = rest[1..];
                if (!TryPort(rest, out port))
                {
                    error = $"bad port '{rest}' in '{s}'; accepted: 1..65535";
                    return false;
                }
            }
        }
        else
        {
            int pc = rest.IndexOf(':', StringComparison.Ordinal);
            host = pc >= 0 ? rest[..pc] : rest;
            if (pc >= 0)
            {
                if (!TryPort(rest[(pc + 1)..], out port))
                {
                    error = $"bad port '{rest[(pc + 1)..]}' in '{s}'; accepted: 1..65535";
                    return false;
                }
            }
        }
        if (host.Length == 0 || !host.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or ':' or '_'))
        {
            error = $"bad host '{host}' in '{s}'; accepted: a host name or IP address";
            return false;
        }
        uri = new SipUri(scheme, string.IsNullOrEmpty(user) ? null : user, host, port, parameters);
        return true;
    }

    private static bool TryPort(string text, out int? port)
    {
        port = null;
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int p) && p is > 0 and <= 65535)
        {
            port = p;
            return true;
        }
        return false;
    }

    /// <summary>Resolves the host to an address (IP literal or DNS).</summary>
    public IPAddress? ResolveHost()
    {
        if (IPAddress.TryParse(Host, out var ip))
        {
            return ip;
        }
        if (string.Equals(Host, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            return IPAddress.Loopback;
        }
        try
        {
            return Dns.GetHostAddresses(Host).FirstOrDefault(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork);
        }
        catch (System.Net.Sockets.SocketException)
        {
            return null;
        }
    }

    /// <inheritdoc />
    public override string ToString()
    {
        var sb = new StringBuilder(Scheme).Append(':');
        if (User is not null)
        {
            sb.Append(User).Append('@');
        }
        sb.Append(Host.Contains(':', StringComparison.Ordinal) ? "[" + Host + "]" : Host);
        if (Port is int p)
        {
            sb.Append(':').Append(p.ToString(CultureInfo.InvariantCulture));
        }
        foreach (var kv in Parameters)
        {
            sb.Append(';').Append(kv.Key);
            if (kv.Value.Length > 0)
            {
                sb.Append('=').Append(kv.Value);
            }
        }
        return sb.ToString();
    }
}

/// <summary>A From/To/Contact value: optional display name, URI and header parameters (tag).</summary>
public sealed record SipNameAddress(string? DisplayName, string Uri, IReadOnlyDictionary<string, string> Parameters)
{
    /// <summary>The tag parameter.</summary>
    public string? Tag => Parameters.TryGetValue("tag", out string? t) && t.Length > 0 ? t : null;

    /// <summary>Parses a name-addr or addr-spec.</summary>
    public static bool TryParse(string? text, out SipNameAddress? address)
    {
        address = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }
        string s = text.Trim();
        string? display = null;
        string uri;
        string paramText;
        int lt = s.IndexOf('<', StringComparison.Ordinal);
        if (lt >= 0)
        {
            int gt = s.IndexOf('>', lt);
            if (gt < 0)
            {
                return false;
            }
            display = s[..lt].Trim().Trim('"');
            if (display.Length == 0)
            {
                display = null;
            }
            uri = s[(lt + 1)..gt].Trim();
            paramText = s[(gt + 1)..];
        }
        else
        {
            int semi = s.IndexOf(';', StringComparison.Ordinal);
            uri = semi >= 0 ? s[..semi] : s;
            paramText = semi >= 0 ? s[semi..] : "";
        }
        if (uri.Length == 0 || (!uri.Contains(':', StringComparison.Ordinal) && uri != "*"))
        {
            return false;
        }
        address = new SipNameAddress(display, uri, SipHeaderNames.ParseParameters(paramText));
        return true;
    }

    /// <summary>Writes the value with a tag (or without when null).</summary>
    public static string Format(string uri, string? tag, string? display = null) =>
        (display is null ? "" : "\"" + display + "\" ") + "<" + uri + ">" + (tag is null ? "" : ";tag=" + tag);

    /// <inheritdoc />
    public override string ToString()
    {
        var sb = new StringBuilder();
        if (DisplayName is not null)
        {
            sb.Append('"').Append(DisplayName).Append("\" ");
        }
        sb.Append('<').Append(Uri).Append('>');
        foreach (var kv in Parameters)
        {
            sb.Append(';').Append(kv.Key);
            if (kv.Value.Length > 0)
            {
                sb.Append('=').Append(kv.Value);
            }
        }
        return sb.ToString();
    }
}

/// <summary>One Via value: transport, sent-by and parameters (branch, received, rport).</summary>
public sealed record SipVia(string Transport, string Host, int? Port, IReadOnlyDictionary<string, string> Parameters)
{
    /// <summary>The branch parameter.</summary>
    public string Branch => Parameters.TryGetValue("branch", out string? b) ? b : "";

    /// <summary>Parses "SIP/2.0/UDP host:port;branch=…".</summary>
    public static bool TryParse(string? text, out SipVia? via)
    {
        via = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }
        string s = text.Trim();
        int sp = s.IndexOfAny([' ', '\t']);
        if (sp < 0)
        {
            return false;
        }
        string proto = s[..sp].Trim();
        string[] pp = proto.Split('/');
        if (pp.Length != 3 || !string.Equals(pp[0], "SIP", StringComparison.OrdinalIgnoreCase) || pp[1] != "2.0" || pp[2].Length == 0)
        {
            return false;
        }
        string rest = s[sp..].Trim();
        int semi = rest.IndexOf(';', StringComparison.Ordinal);
        string sentBy = (semi >= 0 ? rest[..semi] : rest).Trim();
        var parameters = semi >= 0 ? SipHeaderNames.ParseParameters(rest[semi..]) : new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        string host = sentBy;
        int? port = null;
        int colon = sentBy.LastIndexOf(':');
        if (colon > 0 && !sentBy.EndsWith(']'))
        {
            if (!int.TryParse(sentBy.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int p) || p is <= 0 or > 65535)
            {
                return false;
            }
            host = sentBy[..colon];
            port = p;
        }
        if (host.Length == 0)
        {
            return false;
        }
        via = new SipVia(pp[2].ToUpperInvariant(), host.Trim('[', ']'), port, parameters);
        return true;
    }
}
