using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace RoomDevice.Calls.Sip;

/// <summary>A digest challenge from WWW-Authenticate or Proxy-Authenticate.</summary>
public sealed record DigestChallenge(string Realm, string Nonce, string? Opaque, string Algorithm, IReadOnlyList<string> Qop, bool Stale)
{
    /// <summary>Parses "Digest realm=…, nonce=…"; false when it is not a usable digest challenge.</summary>
    public static bool TryParse(string? header, out DigestChallenge? challenge, out string error)
    {
        challenge = null;
        error = "";
        if (header is null || !header.TrimStart().StartsWith("Digest", StringComparison.OrdinalIgnoreCase))
        {
            error = "challenge is not a Digest challenge; accepted: Digest";
            return false;
        }
        var p = ParseList(header.TrimStart()[6..]);
        if (!p.TryGetValue("realm", out string? realm) || !p.TryGetValue("nonce", out string? nonce))
        {
            error = "digest challenge lacks realm or nonce";
            return false;
        }
        string alg = p.TryGetValue("algorithm", out string? a) ? a : "MD5";
        if (!IsSupported(alg))
        {
            error = $"digest algorithm '{alg}' is not supported; accepted: MD5, MD5-sess, SHA-256, SHA-256-sess";
            return false;
        }
        var qop = p.TryGetValue("qop", out string? q)
            ? q.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList()
            : [];
        challenge = new DigestChallenge(realm, nonce, p.GetValueOrDefault("opaque"), alg, qop,
            string.Equals(p.GetValueOrDefault("stale"), "true", StringComparison.OrdinalIgnoreCase));
        return true;
    }

    private static bool IsSupported(string alg) =>
        alg.ToUpperInvariant() is "MD5" or "MD5-SESS" or "SHA-256" or "SHA-256-SESS";

    internal static Dictionary<string, string> ParseList(string text)
    {
        var d = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (string part in SipHeaderNames.SplitList(text))
        {
            int eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0)
            {
                d[part[..eq].Trim()] = part[(eq + 1)..].Trim().Trim('"');
            }
        }
        return d;
    }
}

/// <summary>Computes digest Authorization headers (RFC 2617, RFC 7616) for SIP requests.</summary>
public static class DigestAuthenticator
{
    /// <summary>
    /// The Authorization (or Proxy-Authorization) value answering <paramref name="challenge"/> for a
    /// request. <paramref name="nonceCount"/> counts uses of this nonce; <paramref name="cnonce"/> is a
    /// client nonce (random when null).
    /// </summary>
    public static string Respond(DigestChallenge challenge, string username, string password, string method, string uri,
        int nonceCount = 1, string? cnonce = null)
    {
        ArgumentNullException.ThrowIfNull(challenge);
        string alg = challenge.Algorithm;
        bool sha = alg.StartsWith("SHA-256", StringComparison.OrdinalIgnoreCase);
        bool sess = alg.EndsWith("-sess", StringComparison.OrdinalIgnoreCase);
        cnonce ??= Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        string nc = nonceCount.ToString("x8", CultureInfo.InvariantCulture);
        bool qopAuth = challenge.Qop.Any(q => string.Equals(q, "auth", StringComparison.OrdinalIgnoreCase));
        string ha1 = H(sha, $"{username}:{challenge.Realm}:{password}");
        if (sess)
        {
            ha1 = H(sha, $"{ha1}:{challenge.Nonce}:{cnonce}");
        }
        string ha2 = H(sha, $"{method}:{uri}");
        string response = qopAuth
            ? H(sha, $"{ha1}:{challenge.Nonce}:{nc}:{cnonce}:auth:{ha2}")
            : H(sha, $"{ha1}:{challenge.Nonce}:{ha2}");
        var sb = new StringBuilder("Digest ");
        sb.Append(CultureInfo.InvariantCulture, $"username=\"{username}\", realm=\"{challenge.Realm}\", nonce=\"{challenge.Nonce}\", uri=\"{uri}\", response=\"{response}\", algorithm={alg}");
        if (challenge.Opaque is not null)
        {
            sb.Append(CultureInfo.InvariantCulture, $", opaque=\"{challenge.Opaque}\"");
        }
        if (qopAuth)
        {
            sb.Append(CultureInfo.InvariantCulture, $", qop=auth, nc={nc}, cnonce=\"{cnonce}\"");
        }
        return sb.ToString();
    }

    private static string H(bool sha, string s)
    {
        byte[] b = Encoding.UTF8.GetBytes(s);
#pragma warning disable CA5351 // MD5 is what RFC 2617 digest requires
        return Convert.ToHexStringLower(sha ? SHA256.HashData(b) : MD5.HashData(b));
#pragma warning restore CA5351
    }
}
