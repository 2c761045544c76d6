using System.Text;

namespace RoomDevice.Fleet;

/// <summary>Writes a mosquitto ACL file for the device API.</summary>
internal static class Acl
{
    /// <summary>
    /// Devices may use only their own subtree and their provisioning topics; the operator account
    /// (user name, or certificate identity with <c>use_identity_as_username true</c>) may use
    /// everything under roomdevice/v1. A device is known by its client id, or with
    /// <paramref name="byCertificate"/> by its certificate identity (CN = device id): then a client
    /// holding one device's certificate cannot take another device's subtree by choosing its
    /// client id.
    /// </summary>
    public static string Render(string operatorUser, bool byCertificate = false)
    {
        string who = byCertificate ? "%u" : "%c";
        var sb = new StringBuilder();
        sb.AppendLine("# mosquitto ACL for the RoomDevice MQTT API v1 (written by roomctl acl)");
        sb.AppendLine(byCertificate
            ? "# Use with: acl_file <this file>, require_certificate true and use_identity_as_username true. Devices are known by their certificate (CN = device id)."
            : "# Use with: acl_file <this file>. Devices connect with their device id as client id.");
        sb.AppendLine();
        sb.AppendLine("# Fleet operators: roomctl and the fleet backend");
        sb.AppendLine("user " + operatorUser);
        sb.AppendLine("topic readwrite roomdevice/v1/#");
        sb.AppendLine();
        sb.AppendLine("# Every device: its own subtree only");
        sb.AppendLine($"pattern readwrite roomdevice/v1/{who}/#");
        sb.AppendLine("# and, while unclaimed, its announcement and its assignment");
        sb.AppendLine($"pattern write roomdevice/v1/provisioning/unclaimed/{who}");
        sb.AppendLine($"pattern read roomdevice/v1/provisioning/{who}/assign");
        return sb.ToString();
    }
}
