using System.Globalization;
using System.Text;

namespace RoomDevice.Calls.Sip;

/// <summary>A SIP request or response: start line, ordered headers and a body.</summary>
public sealed class SipMessage
{
    private readonly List<KeyValuePair<string, string>> _headers = [];

    private SipMessage()
    {
    }

    /// <summary>True for a request, false for a response.</summary>
    public bool IsRequest { get; private init; }

    /// <summary>Request method (INVITE, ACK …); for a response, the CSeq method.</summary>
    public string Method { get; private set; } = "";

    /// <summary>Request-URI of a request.</summary>
    public string RequestUri { get; set; } = "";

    /// <summary>Status code of a response.</summary>
    public int StatusCode { get; private init; }

    /// <summary>Reason phrase of a response.</summary>
    public string Reason { get; private init; } = "";

    /// <summary>Body bytes (SDP, usually).</summary>
#pragma warning disable CA1819 // the body is a buffer
    public byte[] Body { get; set; } = [];
#pragma warning restore CA1819

    /// <summary>Headers in order, names in their canonical long form.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Headers => _headers;

    /// <summary>Creates a request.</summary>
    public static SipMessage Request(string method, string requestUri) =>
        new() { IsRequest = true, Method = method, RequestUri = requestUri };

    /// <summary>Creates a response.</summary>
    public static SipMessage Response(int status, string reason) =>
        new() { IsRequest = false, StatusCode = status, Reason = reason };

    internal void SetMethodFromCSeq(string method) => Method = method;

    /// <summary>First value of header <paramref name="name"/> (any form), or null.</summary>
    public string? this[string name]
    {
        get
        {
            string canon = SipHeaderNames.Canonical(name);
            foreach (var h in _headers)
            {
                if (string.Equals(h.Key, canon, StringComparison.OrdinalIgnoreCase))
                {
                    return h.Value;
                }
            }
            return null;
        }
    }

    /// <summary>Every value of <paramref name="name"/>, comma-separated lists split (for Via, Contact, Route).</summary>
    public List<string> GetAll(string name)
    {
        string canon = SipHeaderNames.Canonical(name);
        var list = new List<string>();
        foreach (var h in _headers)
        {
            if (string.Equals(h.Key, canon, StringComparison.OrdinalIgnoreCase))
            {
                list.AddRange(SipHeaderNames.SplitList(h.Value));
            }
        }
        return list;
    }

    /// <summary>Appends a header.</summary>
    public SipMessage Add(string name, string value)
    {
        _headers.Add(new(SipHeaderNames.Canonical(name), value));
        return this;
    }

    /// <summary>Replaces every header <paramref name="name"/> with one value.</summary>
    public SipMessage Set(string name, string value)
    {
        string canon = SipHeaderNames.Canonical(name);
        int at = _headers.FindIndex(h => string.Equals(h.Key, canon, StringComparison.OrdinalIgnoreCase));
        _headers.RemoveAll(h => string.Equals(h.Key, canon, StringComparison.OrdinalIgnoreCase));
        if (at < 0 || at > _headers.Count)
        {
            _headers.Add(new(canon, value));
        }
        else
        {
            _headers.Insert(at, new(canon, value));
        }
        return this;
    }

    /// <summary>Removes every header <paramref name="name"/>.</summary>
    public void Remove(string name)
    {
        string canon = SipHeaderNames.Canonical(name);
        _headers.RemoveAll(h => string.Equals(h.Key, canon, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>Call-ID.</summary>
    public string CallId => this["Call-ID"] ?? "";

    /// <summary>CSeq number.</summary>
    public long CSeq => SipHeaderNames.TryParseCSeq(this["CSeq"], out long n, out _) ? n : 0;

    /// <summary>CSeq method.</summary>
    public string CSeqMethod => SipHeaderNames.TryParseCSeq(this["CSeq"], out _, out string m) ? m : "";

    /// <summary>The topmost Via.</summary>
    public SipVia? TopVia => GetAll("Via") is { Count: > 0 } v && SipVia.TryParse(v[0], out var via) ? via : null;

    /// <summary>From as name-addr.</summary>
    public SipNameAddress? From => SipNameAddress.TryParse(this["From"], out var a) ? a : null;

    /// <summary>To as name-addr.</summary>
    public SipNameAddress? To => SipNameAddress.TryParse(this["To"], out var a) ? a : null;

    /// <summary>Body as text.</summary>
    public string BodyText => Encoding.UTF8.GetString(Body);

    /// <summary>Writes the message with a correct Content-Length.</summary>
    public byte[] ToBytes()
    {
        var sb = new StringBuilder(512);
        if (IsRequest)
        {
            sb.Append(Method).Append(' ').Append(RequestUri).Append(" SIP/2.0\r\n");
        }
        else
        {
            sb.Append("SIP/2.0 ").Append(StatusCode.ToString(CultureInfo.InvariantCulture)).Append(' ').Append(Reason).Append("\r\n");
        }
        foreach (var h in _headers)
        {
            if (string.Equals(h.Key, "Content-Length", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }
            sb.Append(h.Key).Append(": ").Append(h.Value).Append("\r\n");
        }
        sb.Append("Content-Length: ").Append(Body.Length.ToString(CultureInfo.InvariantCulture)).Append("\r\n\r\n");
        int headLen = Encoding.UTF8.GetByteCount(sb.ToString());
        var bytes = new byte[headLen + Body.Length];
        Encoding.UTF8.GetBytes(sb.ToString(), bytes);
        Body.CopyTo(bytes, headLen);
        return bytes;
    }

    /// <inheritdoc />
    public override string ToString() => IsRequest
        ? $"{Method} {RequestUri} (Call-ID {CallId}, CSeq {CSeq})"
        : $"{StatusCode} {Reason} to {Method} (Call-ID {CallId}, CSeq {CSeq})";

    internal void AddParsed(string canon, string value) => _headers.Add(new(canon, value));
}

/// <summary>Header name forms and small header grammar helpers.</summary>
public static class SipHeaderNames
{
    private static readonly Dictionary<string, string> Compact = new(StringComparer.OrdinalIgnoreCase)
    {
        ["i"] = "Call-ID", ["m"] = "Contact", ["e"] = "Content-Encoding", ["l"] = "Content-Length",
        ["c"] = "Content-Type", ["f"] = "From", ["s"] = "Subject", ["k"] = "Supported", ["t"] = "To", ["v"] = "Via",
        ["call-id"] = "Call-ID", ["cseq"] = "CSeq", ["www-authenticate"] = "WWW-Authenticate",
        ["content-length"] = "Content-Length", ["content-type"] = "Content-Type", ["via"] = "Via",
        ["from"] = "From", ["to"] = "To", ["contact"] = "Contact", ["max-forwards"] = "Max-Forwards",
        ["proxy-authenticate"] = "Proxy-Authenticate", ["authorization"] = "Authorization",
        ["proxy-authorization"] = "Proxy-Authorization", ["record-route"] = "Record-Route", ["route"] = "Route",
    };

    /// <summary>The canonical long name of a header (compact forms expanded).</summary>
    public static string Canonical(string name) => Compact.TryGetValue(name, out string? c) ? c : name;

    /// <summary>Splits a comma-separated header value, honouring quotes and angle brackets.</summary>
    public static IEnumerable<string> SplitList(string value)
    {
        int depth = 0, start = 0;
        bool quoted = false;
        for (int i = 0; i < value.Length; i++)
        {
            char c = value[i];
            if (c == '"' && (i == 0 || value[i - 1] != '\\'))
            {
                quoted = !quoted;
            }
            else if (!quoted && c == '<')
            {
                depth++;
            }
            else if (!quoted && c == '>')
            {
                depth = Math.Max(0, depth - 1);
            }
            else if (!quoted && depth == 0 && c == ',')
            {
                string part = value[start..i].Trim();
                if (part.Length > 0)
                {
                    yield return part;
                }
                start = i + 1;
            }
        }
        string last = value[start..].Trim();
        if (last.Length > 0)
        {
            yield return last;
        }
    }

    /// <summary>Parses "314159 INVITE".</summary>
    public static bool TryParseCSeq(string? value, out long number, out string method)
    {
        number = 0;
        method = "";
        if (value is null)
        {
            return false;
        }
        string v = value.Trim();
        int sp = v.IndexOfAny([' ', '\t']);
        if (sp <= 0 || !long.TryParse(v.AsSpan(0, sp), NumberStyles.None, CultureInfo.InvariantCulture, out number) || number > uint.MaxValue)
        {
            return false;
        }
        method = v[(sp + 1)..].Trim();
        return method.Length > 0 && method.All(SipParser.IsTokenChar);
    }

    /// <summary>Parses ";a=b;c" parameters into a dictionary (keys lower-case, flags map to "").</summary>
    public static Dictionary<string, string> ParseParameters(string text)
    {
        var d = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (string part in text.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            int eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq < 0)
            {
                d[part] = "";
            }
            else
            {
                d[part[..eq].Trim()] = part[(eq + 1)..].Trim().Trim('"');
            }
        }
        return d;
    }
}
