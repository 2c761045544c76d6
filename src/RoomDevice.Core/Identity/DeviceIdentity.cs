using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace RoomDevice.Core.Identity;

/// <summary>
/// The device's stable id, used as its MQTT subtree and in logs. Lower-case letters, digits and
/// dashes only, so it is always a valid single MQTT topic level and file name.
/// </summary>
public sealed record DeviceIdentity(string Id, string Source)
{
    /// <summary>Longest accepted id.</summary>
    public const int MaxLength = 64;

    /// <summary>What an id may look like, for error messages.</summary>
    public const string Accepted = "1 to 64 characters of a-z, 0-9 and '-', not starting or ending with '-', and not the reserved name 'provisioning'";

    /// <summary>
    /// Names that are topic segments of their own next to device ids (the provisioning subtree):
    /// a device with such an id would reach into them through its own subtree and ACL.
    /// </summary>
    public static readonly IReadOnlySet<string> Reserved = new HashSet<string>(StringComparer.Ordinal) { "provisioning" };

    /// <summary>True when <paramref name="id"/> is a well-formed device id.</summary>
    public static bool IsValid(string? id)
    {
        if (string.IsNullOrEmpty(id) || id.Length > MaxLength || id[0] == '-' || id[^1] == '-' || Reserved.Contains(id))
        {
            return false;
        }
        foreach (char c in id)
        {
            if (!(c is >= 'a' and <= 'z' or >= '0' and <= '9' or '-'))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>
    /// Picks the id: a configured override wins; else the board serial (Raspberry Pi device tree);
    /// else a hash of the machine id. The same inputs always give the same id.
    /// </summary>
    /// <param name="configured">Identity:DeviceId from configuration, or null.</param>
    /// <param name="boardSerial">Contents of /proc/device-tree/serial-number, or null.</param>
    /// <param name="machineId">Contents of /etc/machine-id, or null.</param>
    public static DeviceIdentity Resolve(string? configured, string? boardSerial, string? machineId)
    {
        if (!string.IsNullOrWhiteSpace(configured))
        {
            if (!IsValid(configured))
            {
                throw new ArgumentException($"Identity:DeviceId '{configured}' is not a valid device id; accepted: {Accepted}", nameof(configured));
            }
            return new DeviceIdentity(configured, "configuration");
        }
        string serial = Clean(boardSerial);
        if (serial.Length > 0)
        {
            // Pi serials are 16 hex digits with leading zeros; the last 12 are unique.
            string tail = serial.Length > 12 ? serial[^12..] : serial;
            return new DeviceIdentity("rd-" + tail, "board serial");
        }
        string machine = Clean(machineId);
        if (machine.Length > 0)
        {
            byte[] hash = SHA256.HashData(Encoding.ASCII.GetBytes(machine));
            return new DeviceIdentity("rd-" + Convert.ToHexStringLower(hash, 0, 6), "machine id");
        }
        throw new InvalidOperationException(
            "No device identity: neither Identity:DeviceId, /proc/device-tree/serial-number nor /etc/machine-id gave one. Set Identity:DeviceId.");
    }

    private static string Clean(string? raw)
    {
        if (raw is null)
        {
            return string.Empty;
        }
        var sb = new StringBuilder(raw.Length);
        foreach (char c in raw.Trim().TrimEnd('\0').ToLower(CultureInfo.InvariantCulture))
        {
            if (c is >= 'a' and <= 'z' or >= '0' and <= '9')
            {
                sb.Append(c);
            }
        }
        return sb.ToString();
    }
}
