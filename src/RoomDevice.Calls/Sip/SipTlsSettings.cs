using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace RoomDevice.Calls.Sip;

/// <summary>
/// SIP over TLS: the certificate the device presents (needed to listen; also offered to servers
/// that ask for a client certificate), the authorities trusted for peers, and whether peers are
/// checked at all.
/// </summary>
public sealed record SipTlsSettings
{
    /// <summary>Our certificate with its private key; null means no TLS listener.</summary>
    public X509Certificate2? Certificate { get; init; }

    /// <summary>Authorities trusted for peer certificates; null means the system store.</summary>
    public X509Certificate2Collection? TrustedAuthorities { get; init; }

    /// <summary>Check the peer's certificate chain (and, for servers, its name). On by default.</summary>
    public bool ValidatePeer { get; init; } = true;

    /// <summary>TLS listening port (0 picks a free one); used only with a <see cref="Certificate"/>.</summary>
    public int Port { get; init; } = 5061;

    /// <summary>How long a TLS handshake may take.</summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Loads a PEM certificate and key (and optionally a PEM file of trusted authorities). Throws
    /// <see cref="SipTlsConfigException"/> naming the option and file that could not be used.
    /// </summary>
    public static SipTlsSettings Load(string? certificatePath, string? keyPath, string? authoritiesPath, bool validatePeer, int port,
        string certificateKey = "TlsCertificate", string privateKeyKey = "TlsPrivateKey", string authoritiesKey = "TlsCaCertificates")
    {
        X509Certificate2? cert = null;
        if (!string.IsNullOrEmpty(certificatePath) || !string.IsNullOrEmpty(keyPath))
        {
            if (string.IsNullOrEmpty(certificatePath))
            {
                throw new SipTlsConfigException(certificateKey, "", $"{privateKeyKey} is set but {certificateKey} is empty; accepted: both PEM files or neither");
            }
            if (string.IsNullOrEmpty(keyPath))
            {
                throw new SipTlsConfigException(privateKeyKey, "", $"{certificateKey} is set but {privateKeyKey} is empty; accepted: both PEM files or neither");
            }
            RequireReadable(certificateKey, certificatePath);
            RequireReadable(privateKeyKey, keyPath);
            try
            {
                cert = X509Certificate2.CreateFromPemFile(certificatePath, keyPath);
            }
            catch (CryptographicException e)
            {
                throw new SipTlsConfigException(certificateKey, certificatePath,
                    $"{certificatePath} with key {keyPath} is not a usable PEM certificate and private key ({e.Message}); accepted: a PEM certificate and its matching PEM private key");
            }
            if (!cert.HasPrivateKey)
            {
                throw new SipTlsConfigException(privateKeyKey, keyPath, $"{keyPath} holds no private key for {certificatePath}");
            }
        }
        X509Certificate2Collection? roots = null;
        if (!string.IsNullOrEmpty(authoritiesPath))
        {
            RequireReadable(authoritiesKey, authoritiesPath);
            roots = [];
            try
            {
                roots.ImportFromPemFile(authoritiesPath);
            }
            catch (CryptographicException e)
            {
                throw new SipTlsConfigException(authoritiesKey, authoritiesPath, $"{authoritiesPath} is not a PEM certificate file ({e.Message}); accepted: one or more PEM CERTIFICATE blocks");
            }
            if (roots.Count == 0)
            {
                throw new SipTlsConfigException(authoritiesKey, authoritiesPath, $"{authoritiesPath} holds no certificate; accepted: one or more PEM CERTIFICATE blocks");
            }
        }
        return new SipTlsSettings { Certificate = cert, TrustedAuthorities = roots, ValidatePeer = validatePeer, Port = port };
    }

    private static void RequireReadable(string key, string path)
    {
        if (!File.Exists(path))
        {
            throw new SipTlsConfigException(key, path, $"file {path} does not exist; accepted: a readable PEM file");
        }
        try
        {
            using var s = File.OpenRead(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SipTlsConfigException(key, path, $"file {path} cannot be read ({e.Message}); accepted: a readable PEM file");
        }
    }

    internal X509ChainPolicy? ChainPolicy()
    {
        if (TrustedAuthorities is null)
        {
            return null;
        }
        var p = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
        p.CustomTrustStore.AddRange(TrustedAuthorities);
        return p;
    }

    /// <summary>
    /// Judges a peer certificate; <paramref name="reason"/> says why it was refused.
    /// Servers may present no certificate only when validation is off; clients may always omit one.
    /// </summary>
    internal bool Judge(X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors, bool peerIsServer, out string reason)
    {
        reason = "";
        if (!ValidatePeer)
        {
            return true;
        }
        if (certificate is null)
        {
            if (!peerIsServer)
            {
                return true;
            }
            reason = "the server sent no certificate";
            return false;
        }
        if (!peerIsServer)
        {
            errors &= ~SslPolicyErrors.RemoteCertificateNameMismatch; // client names are not checked
        }
        if (errors == SslPolicyErrors.None)
        {
            return true;
        }
        var parts = new List<string>();
        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch))
        {
            parts.Add("its name does not match the host dialled");
        }
        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateChainErrors))
        {
            string status = chain is null ? "" : string.Join(", ", chain.ChainStatus.Select(s => s.Status.ToString()).Distinct());
            parts.Add((TrustedAuthorities is null ? "it is not issued by an authority in the system store" : "it is not issued by a configured authority")
                + (status.Length > 0 ? " (" + status + ")" : ""));
        }
        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable))
        {
            parts.Add("no certificate was available");
        }
        reason = $"certificate '{certificate.Subject}' refused: " + string.Join("; ", parts);
        return false;
    }
}

/// <summary>A TLS option names a file that cannot be used.</summary>
public sealed class SipTlsConfigException : Exception
{
    /// <summary>Creates the error for option <paramref name="key"/>.</summary>
    public SipTlsConfigException(string key, string value, string problem) : base($"Calls:{key}: {problem}")
    {
        Key = key;
        Value = value;
        Problem = problem;
    }

    /// <summary>Creates an error with a message.</summary>
    public SipTlsConfigException() : this("", "", "TLS configuration error")
    {
    }

    /// <summary>Creates an error with a message.</summary>
    public SipTlsConfigException(string message) : this("", "", message)
    {
    }

    /// <summary>Creates an error with a message and cause.</summary>
    public SipTlsConfigException(string message, Exception inner) : base(message, inner)
    {
        Key = "";
        Value = "";
        Problem = message;
    }

    /// <summary>The option key.</summary>
    public string Key { get; } = "";

    /// <summary>The option's value.</summary>
    public string Value { get; } = "";

    /// <summary>What is wrong and what is accepted.</summary>
    public string Problem { get; } = "";
}
