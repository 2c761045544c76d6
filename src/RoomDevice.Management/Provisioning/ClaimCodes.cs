using System.Security.Cryptography;
using System.Text;

namespace RoomDevice.Management.Provisioning;

/// <summary>
/// Claim codes: eight characters shown on the device (log, terminal, label) and typed by staff.
/// Only a slow salted hash is published, so listening on the broker does not reveal the code.
/// </summary>
public static class ClaimCodes
{
    /// <summary>PBKDF2 rounds: slows guessing from the published hash, cheap for a one-off claim.</summary>
    public const int Iterations = 20000;

    /// <summary>What a code looks like, for error messages.</summary>
    public const string Accepted = "8 letters and digits as shown on the device, e.g. K7QX-3MPA (dash and case optional)";

    /// <summary>Upper case, no dashes or spaces.</summary>
    public static string Normalize(string code)
    {
        ArgumentNullException.ThrowIfNull(code);
        var sb = new StringBuilder(code.Length);
        foreach (char c in code)
        {
            if (c is '-' or ' ')
            {
                continue;
            }
            sb.Append(char.ToUpperInvariant(c));
        }
        return sb.ToString();
    }

    /// <summary>True for a code of the shown form.</summary>
    public static bool IsWellFormed(string? code)
    {
        if (code is null)
        {
            return false;
        }
        string n = Normalize(code);
        return n.Length == 8 && n.All(c => c is >= 'A' and <= 'Z' or >= '0' and <= '9');
    }

    /// <summary>Hex PBKDF2-SHA256 of the normalised code, salted with the device id.</summary>
    public static string Hash(string deviceId, string code)
    {
        ArgumentNullException.ThrowIfNull(deviceId);
        byte[] bytes = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(Normalize(code)), Encoding.UTF8.GetBytes("roomdevice-claim:" + deviceId), Iterations, HashAlgorithmName.SHA256, 32);
        return Convert.ToHexStringLower(bytes);
    }

    /// <summary>Constant-time check of <paramref name="code"/> against the device's own code.</summary>
    public static bool Matches(string expected, string? offered)
    {
        ArgumentNullException.ThrowIfNull(expected);
        if (offered is null)
        {
            return false;
        }
        byte[] a = Encoding.UTF8.GetBytes(Normalize(expected));
        byte[] b = Encoding.UTF8.GetBytes(Normalize(offered));
        return CryptographicOperations.FixedTimeEquals(a, b);
    }
}
