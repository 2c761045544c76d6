using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using MQTTnet;

namespace RoomDevice.Management.Connection;

/// <summary>TLS for broker connections: trust a given CA (or the system store) and present a client certificate.</summary>
public static class MqttTls
{
    /// <summary>Configures <paramref name="t"/> for a connection to <paramref name="host"/>.</summary>
    public static void Configure(MqttClientTlsOptionsBuilder t, string host, string? serverName, string? caFile, string? certFile, string? keyFile)
    {
        ArgumentNullException.ThrowIfNull(t);
        t.UseTls(true).WithTargetHost(string.IsNullOrEmpty(serverName) ? host : serverName).WithSslProtocols(System.Security.Authentication.SslProtocols.Tls12 | System.Security.Authentication.SslProtocols.Tls13);
        if (!string.IsNullOrEmpty(certFile) && !string.IsNullOrEmpty(keyFile))
        {
            t.WithClientCertificates([LoadClientCertificate(certFile, keyFile)]);
        }
        if (!string.IsNullOrEmpty(caFile))
        {
            X509Certificate2 ca = X509CertificateLoader.LoadCertificateFromFile(caFile);
            t.WithCertificateValidationHandler(ctx => ValidateAgainst(ca, ctx.Certificate, ctx.SslPolicyErrors));
        }
    }

    /// <summary>Loads a PEM certificate and key as one certificate usable by TLS.</summary>
    public static X509Certificate2 LoadClientCertificate(string certFile, string keyFile)
    {
        using X509Certificate2 pem = X509Certificate2.CreateFromPemFile(certFile, keyFile);
        // Round-trip through PKCS#12 so the key is usable by the TLS stack on every platform.
        return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
    }

    /// <summary>True when <paramref name="presented"/> chains to <paramref name="ca"/> and names the host.</summary>
    public static bool ValidateAgainst(X509Certificate2 ca, X509Certificate? presented, SslPolicyErrors errors)
    {
        ArgumentNullException.ThrowIfNull(ca);
        if (presented is null || (errors & (SslPolicyErrors.RemoteCertificateNameMismatch | SslPolicyErrors.RemoteCertificateNotAvailable)) != 0)
        {
            return false;
        }
        using var cert = X509CertificateLoader.LoadCertificate(presented.GetRawCertData());
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(cert);
    }
}
