using RoomDevice.Calls.Sip;

namespace RoomDevice.Calls.Tests.Sip;

public sealed class DigestTests
{
    [Fact]
    public void Rfc2617_example_response_is_reproduced()
    {
        const string header = "Digest realm=\"testrealm@host.com\", qop=\"auth,auth-int\", nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"";
        Assert.True(DigestChallenge.TryParse(header, out var ch, out string e), e);
        string auth = DigestAuthenticator.Respond(ch!, "Mufasa", "Circle Of Life", "GET", "/dir/index.html", 1, "0a4f113b");
        Assert.Contains("response=\"6629fae49393a05397450978507c4ef1\"", auth, StringComparison.Ordinal);
        Assert.Contains("nc=00000001", auth, StringComparison.Ordinal);
        Assert.Contains("opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"", auth, StringComparison.Ordinal);
    }

    [Fact]
    public void Challenge_without_qop_uses_the_rfc2069_form()
    {
        Assert.True(DigestChallenge.TryParse("Digest realm=\"r\", nonce=\"n\"", out var ch, out _));
        string auth = DigestAuthenticator.Respond(ch!, "u", "p", "INVITE", "sip:x@y");
        Assert.DoesNotContain("qop", auth, StringComparison.Ordinal);
        Assert.Contains("algorithm=MD5", auth, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Basic realm=\"x\"", "not a Digest")]
    [InlineData("Digest realm=\"x\"", "lacks realm or nonce")]
    [InlineData("Digest realm=\"x\", nonce=\"y\", algorithm=SHA-512-256", "not supported")]
    public void Unusable_challenges_are_refused(string header, string expected)
    {
        Assert.False(DigestChallenge.TryParse(header, out _, out string e));
        Assert.Contains(expected, e, StringComparison.Ordinal);
    }
}
