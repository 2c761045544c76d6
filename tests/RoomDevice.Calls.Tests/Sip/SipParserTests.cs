using System.Text;
using RoomDevice.Calls.Sip;

namespace RoomDevice.Calls.Tests.Sip;

public sealed class SipParserTests
{
    internal const string Invite =
        "INVITE sip:room@127.0.0.1:5060 SIP/2.0\r\n" +
        "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK776asdhds;rport\r\n" +
        "Max-Forwards: 70\r\n" +
        "To: Room <sip:room@127.0.0.1>\r\n" +
        "From: \"Alice\" <sip:alice@127.0.0.1>;tag=1928301774\r\n" +
        "Call-ID: a84b4c76e66710@pc33\r\n" +
        "CSeq: 314159 INVITE\r\n" +
        "Contact: <sip:alice@127.0.0.1:5070>\r\n" +
        "Subject: a folded\r\n  subject line\r\n" +
        "Content-Type: application/sdp\r\n" +
        "Content-Length: 4\r\n\r\n" +
        "v=0\n";

    private static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    [Fact]
    public void Parses_a_request_with_folding_and_body()
    {
        Assert.True(SipParser.TryParse(B(Invite), out var m, out string error), error);
        Assert.True(m!.IsRequest);
        Assert.Equal("INVITE", m.Method);
        Assert.Equal("sip:room@127.0.0.1:5060", m.RequestUri);
        Assert.Equal(314159, m.CSeq);
        Assert.Equal("a84b4c76e66710@pc33", m.CallId);
        Assert.Equal("1928301774", m.From!.Tag);
        Assert.Equal("Alice", m.From.DisplayName);
        Assert.Null(m.To!.Tag);
        Assert.Equal("z9hG4bK776asdhds", m.TopVia!.Branch);
        Assert.Equal(5070, m.TopVia.Port);
        Assert.Equal("a folded subject line", m["Subject"]);
        Assert.Equal("v=0\n", m.BodyText);
    }

    [Fact]
    public void Compact_header_forms_are_expanded()
    {
        string s = "SIP/2.0 180 Ringing\r\nv: SIP/2.0/UDP h:5060;branch=z9hG4bKx\r\nf: <sip:a@h>;tag=1\r\nt: <sip:b@h>;tag=2\r\n" +
            "i: abc\r\nCSeq: 1 INVITE\r\nl: 0\r\n\r\n";
        Assert.True(SipParser.TryParse(B(s), out var m, out string e), e);
        Assert.False(m!.IsRequest);
        Assert.Equal(180, m.StatusCode);
        Assert.Equal("INVITE", m.Method);
        Assert.Equal("abc", m["Call-ID"]);
        Assert.Equal("2", m.To!.Tag);
    }

    [Fact]
    public void Serialised_message_parses_back_identically()
    {
        Assert.True(SipParser.TryParse(B(Invite), out var m, out _));
        byte[] again = m!.ToBytes();
        Assert.True(SipParser.TryParse(again, out var m2, out string e), e);
        Assert.Equal(m.Headers.Count, m2!.Headers.Count);
        Assert.Equal(m.BodyText, m2.BodyText);
        Assert.Equal(m.CallId, m2.CallId);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("hello world\r\n\r\n", "bad request line")]
    [InlineData("INVITE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n", "no blank line")]
    [InlineData("INVITE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: x\r\n\r\n", "missing CSeq")]
    [InlineData("INVITE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: x\r\nCSeq: 1 BYE\r\n\r\n", "does not match")]
    [InlineData("INVITE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: x\r\nCSeq: abc INVITE\r\n\r\n", "bad CSeq")]
    [InlineData("INVITE sip:a@b SIP/2.0\r\nVia: garbage\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\n\r\n", "bad Via")]
    [InlineData("INVITE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\nContent-Length: 500\r\n\r\nv=0", "truncated")]
    [InlineData("SIP/2.0 999 Odd\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n\r\n", "bad status code")]
    [InlineData("INVITE sip:a@b SIP/2.0\r\nno colon here\r\n\r\n", "has no name")]
    [InlineData("INVITE nouri SIP/2.0\r\n\r\n", "no scheme")]
    public void Malformed_messages_are_refused_with_a_reason(string text, string expected)
    {
        Assert.False(SipParser.TryParse(B(text), out var m, out string error));
        Assert.Null(m);
        Assert.Contains(expected, error, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Oversized_messages_and_header_floods_are_refused()
    {
        var big = new byte[SipParser.MaxMessageBytes + 1];
        Assert.False(SipParser.TryParse(big, out _, out string e1));
        Assert.Contains("exceeds", e1, StringComparison.Ordinal);

        var sb = new StringBuilder(Invite[..Invite.IndexOf("Content-Type", StringComparison.Ordinal)]);
        for (int i = 0; i < SipParser.MaxHeaders + 5; i++)
        {
            sb.Append("X-H").Append(i).Append(": v\r\n");
        }
        sb.Append("\r\n");
        Assert.False(SipParser.TryParse(B(sb.ToString()), out _, out string e2));
        Assert.Contains("headers", e2, StringComparison.Ordinal);

        string nul = Invite.Replace("Max-Forwards: 70", "Max-Forwards: 7\0", StringComparison.Ordinal);
        Assert.False(SipParser.TryParse(B(nul), out _, out string e3));
        Assert.Contains("NUL", e3, StringComparison.Ordinal);
    }

    [Fact]
    public void Stream_framing_waits_for_the_whole_body()
    {
        byte[] all = B(Invite + Invite);
        int one = B(Invite).Length;
        Assert.Equal(one, SipParser.FrameLength(all, out _));
        Assert.Equal(0, SipParser.FrameLength(all.AsSpan(0, one - 2), out _));
        Assert.Equal(-1, SipParser.FrameLength(B("INVITE x SIP/2.0\r\nContent-Length: 99999999\r\n\r\n"), out string e));
        Assert.Contains("Content-Length", e, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("sip:alice@127.0.0.1:5070", "alice", "127.0.0.1", 5070)]
    [InlineData("sip:bob@example.com", "bob", "example.com", null)]
    [InlineData("sip:127.0.0.1;transport=tcp", null, "127.0.0.1", null)]
    [InlineData("sips:x@[::1]:5061", "x", "::1", 5061)]
    public void Uris_parse(string text, string? user, string host, int? port)
    {
        Assert.True(SipUri.TryParse(text, out var u, out string e), e);
        Assert.Equal(user, u!.User);
        Assert.Equal(host, u.Host);
        Assert.Equal(port, u.Port);
    }

    [Theory]
    [InlineData("http://x", "scheme")]
    [InlineData("sip:a@b:99999", "bad port")]
    [InlineData("sip:a@", "bad host")]
    [InlineData("", "empty")]
    public void Bad_uris_name_the_fault(string text, string expected)
    {
        Assert.False(SipUri.TryParse(text, out _, out string e));
        Assert.Contains(expected, e, StringComparison.Ordinal);
    }
}
