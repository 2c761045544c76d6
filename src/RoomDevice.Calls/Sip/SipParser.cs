using System.Globalization;
using System.Text;

namespace RoomDevice.Calls.Sip;

/// <summary>
/// Parses SIP messages from datagrams or stream frames. Never throws: bad input yields false and
/// an error naming what was wrong. Size and header-count limits keep a hostile peer from making
/// the device hold large buffers.
/// </summary>
public static class SipParser
{
    /// <summary>Largest message accepted, in bytes.</summary>
    public const int MaxMessageBytes = 65_535;

    /// <summary>Most header lines accepted in one message.</summary>
    public const int MaxHeaders = 128;

    /// <summary>Longest header line accepted, in characters.</summary>
    public const int MaxLineLength = 8_192;

    /// <summary>Parses one complete message.</summary>
    public static bool TryParse(ReadOnlySpan<byte> data, out SipMessage? message, out string error)
    {
        message = null;
        try
        {
            return TryParseCore(data, out message, out error);
        }
#pragma warning disable CA1031 // the parser is a trust boundary: any surprise is a rejected message
        catch (Exception e)
#pragma warning restore CA1031
        {
            error = "malformed message: " + e.GetType().Name;
            return false;
        }
    }

    /// <summary>
    /// For stream transports: how many bytes the first message in <paramref name="data"/> takes,
    /// 0 when more bytes are needed, -1 when the stream is not SIP (too large or bad Content-Length).
    /// </summary>
    public static int FrameLength(ReadOnlySpan<byte> data, out string error)
    {
        error = "";
        int start = 0;
        while (start < data.Length && (data[start] == '\r' || data[start] == '\n'))
        {
            start++; // keep-alive CRLFs
        }
        int end = data[start..].IndexOf("\r\n\r\n"u8);
        if (end < 0)
        {
            if (data.Length > MaxMessageBytes)
            {
                error = $"header block exceeds {MaxMessageBytes} bytes";
                return -1;
            }
            return 0;
        }
        int headLen = start + end + 4;
        string head = Encoding.UTF8.GetString(data[start..(start + end)]);
        int contentLength = 0;
        foreach (string line in head.Split("\r\n"))
        {
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                continue;
            }
            string name = SipHeaderNames.Canonical(line[..colon].Trim());
            if (name == "Content-Length")
            {
                if (!int.TryParse(line[(colon + 1)..].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out contentLength) || contentLength > MaxMessageBytes)
                {
                    error = $"bad Content-Length '{line[(colon + 1)..].Trim()}'; accepted: 0..{MaxMessageBytes}";
                    return -1;
                }
            }
        }
        if (headLen + contentLength > MaxMessageBytes)
        {
            error = $"message exceeds {MaxMessageBytes} bytes";
            return -1;
        }
        return data.Length >= headLen + contentLength ? headLen + contentLength : 0;
    }

    internal static bool IsTokenChar(char c) =>
        char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '!' or '%' or '*' or '_' or '+' or '`' or '\'' or '~';

    private static bool TryParseCore(ReadOnlySpan<byte> data, out SipMessage? message, out string error)
    {
        message = null;
        if (data.Length > MaxMessageBytes)
        {
            error = $"message of {data.Length} bytes exceeds the limit of {MaxMessageBytes}";
            return false;
        }
        int skip = 0;
        while (skip < data.Length && (data[skip] == '\r' || data[skip] == '\n'))
        {
            skip++;
        }
        data = data[skip..];
        if (data.Length == 0)
        {
            error = "empty message";
            return false;
        }
        int sepLen = 4;
        int headEnd = data.IndexOf("\r\n\r\n"u8);
        if (headEnd < 0)
        {
            headEnd = data.IndexOf("\n\n"u8);
            sepLen = 2;
        }
        if (headEnd < 0)
        {
            error = "no blank line after the headers (truncated message?)";
            return false;
        }
        var headBytes = data[..headEnd];
        foreach (byte b in headBytes)
        {
            if (b == 0)
            {
                error = "NUL byte in the header block";
                return false;
            }
        }
        string head;
        try
        {
            head = new UTF8Encoding(false, true).GetString(headBytes);
        }
        catch (DecoderFallbackException)
        {
            error = "header block is not valid UTF-8";
            return false;
        }
        var bodySpan = data[(headEnd + sepLen)..];
        string[] rawLines = head.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        if (rawLines.Length - 1 > MaxHeaders * 2)
        {
            error = $"more than {MaxHeaders} header lines";
            return false;
        }
        string startLine = rawLines[0];
        if (startLine.Length > MaxLineLength)
        {
            error = "start line too long";
            return false;
        }
        SipMessage m;
        if (startLine.StartsWith("SIP/", StringComparison.Ordinal))
        {
            // SIP/2.0 200 OK
            string[] p = startLine.Split(' ', 3);
            if (p.Length < 2 || p[0] != "SIP/2.0")
            {
                error = $"bad status line '{Trunc(startLine)}'; accepted: SIP/2.0 <code> <reason>";
                return false;
            }
            if (!int.TryParse(p[1], NumberStyles.None, CultureInfo.InvariantCulture, out int code) || code is < 100 or > 699)
            {
                error = $"bad status code '{Trunc(p[1])}'; accepted: 100..699";
                return false;
            }
            m = SipMessage.Response(code, p.Length > 2 ? p[2] : "");
        }
        else
        {
            string[] p = startLine.Split(' ');
            if (p.Length != 3 || p[2] != "SIP/2.0" || p[0].Length == 0 || !p[0].All(IsTokenChar) || p[1].Length == 0)
            {
                error = $"bad request line '{Trunc(startLine)}'; accepted: <METHOD> <Request-URI> SIP/2.0";
                return false;
            }
            if (!p[1].Contains(':', StringComparison.Ordinal))
            {
                error = $"Request-URI '{Trunc(p[1])}' has no scheme";
                return false;
            }
            m = SipMessage.Request(p[0], p[1]);
        }

        int count = 0;
        string? pendingName = null;
        var pendingValue = new StringBuilder();
        void Flush()
        {
            if (pendingName is not null)
            {
                m.AddParsed(pendingName, pendingValue.ToString().Trim());
                pendingName = null;
                pendingValue.Clear();
            }
        }
        for (int i = 1; i < rawLines.Length; i++)
        {
            string line = rawLines[i];
            if (line.Length > MaxLineLength)
            {
                error = $"header line {i} longer than {MaxLineLength} characters";
                return false;
            }
            if (line.Length > 0 && (line[0] == ' ' || line[0] == '\t'))
            {
                if (pendingName is null)
                {
                    error = "continuation line before any header";
                    return false;
                }
                pendingValue.Append(' ').Append(line.Trim());
                if (pendingValue.Length > MaxLineLength)
                {
                    error = "folded header too long";
                    return false;
                }
                continue;
            }
            Flush();
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                error = $"header line {i} has no name: '{Trunc(line)}'";
                return false;
            }
            string name = line[..colon].Trim();
            if (name.Length == 0 || !name.All(IsTokenChar))
            {
                error = $"bad header name '{Trunc(name)}'";
                return false;
            }
            if (++count > MaxHeaders)
            {
                error = $"more than {MaxHeaders} headers";
                return false;
            }
            pendingName = SipHeaderNames.Canonical(name);
            pendingValue.Append(line[(colon + 1)..]);
        }
        Flush();

        foreach (string required in (string[])["Via", "From", "To", "Call-ID", "CSeq"])
        {
            if (m[required] is null)
            {
                error = $"missing {required} header";
                return false;
            }
        }
        if (!SipHeaderNames.TryParseCSeq(m["CSeq"], out _, out string cseqMethod))
        {
            error = $"bad CSeq '{Trunc(m["CSeq"]!)}'; accepted: <number> <METHOD>";
            return false;
        }
        if (m.IsRequest && !string.Equals(cseqMethod, m.Method, StringComparison.Ordinal))
        {
            error = $"CSeq method {cseqMethod} does not match request method {m.Method}";
            return false;
        }
        if (!m.IsRequest)
        {
            m.SetMethodFromCSeq(cseqMethod);
        }
        if (m.TopVia is null)
        {
            error = $"bad Via '{Trunc(m["Via"]!)}'; accepted: SIP/2.0/<UDP|TCP|TLS> host[:port];branch=…";
            return false;
        }
        if (m.From is null || m.To is null)
        {
            error = "unparsable From or To header";
            return false;
        }
        string? cl = m["Content-Length"];
        int bodyLen = bodySpan.Length;
        if (cl is not null)
        {
            if (!int.TryParse(cl, NumberStyles.None, CultureInfo.InvariantCulture, out int declared))
            {
                error = $"bad Content-Length '{Trunc(cl)}'; accepted: a non-negative integer";
                return false;
            }
            if (declared > bodySpan.Length)
            {
                error = $"body truncated: Content-Length {declared} but {bodySpan.Length} bytes present";
                return false;
            }
            bodyLen = declared;
        }
        m.Body = bodySpan[..bodyLen].ToArray();
        message = m;
        error = "";
        return true;
    }

    private static string Trunc(string s) => s.Length <= 60 ? s : s[..60] + "…";
}
