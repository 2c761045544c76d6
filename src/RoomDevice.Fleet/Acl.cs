using System.Text;

namespace RoomDevice.Fleet;

/// <summary>Writes a mosquitto ACL file for the device API.</summary>
internal static class Acl
{
    /// <summary>
    /// Devices (client id = device id) may use only their own subtree and their provisioning
    /// topics; the operator account (user name, or certificate identity with
    /// <c>use_identity_as_username true</c>) may use everything under roomdevice/v1.
    /// </summary>
    public static string Render(string operatorUser)
    {
        var sb = new StringBuilder();
        sb.AppendLine("# mosquitto ACL for the RoomDevice MQTT API v1 (written by roomctl acl)");
        sb.AppendLine("# Use with: acl_file <this file>. Devices connect with their device id as client id.");
        sb.AppendLine();
        sb.AppendLine("# Fleet operators: roomctl and the fleet backend");
        sb.AppendLine("user " + operatorUser);
        sb.AppendLine("topic readwrite roomdevice/v1/#");
        sb.AppendLine();
        sb.AppendLine("# Every device: its own subtree only");
        sb.AppendLine("pattern readwrite roomdevice/v1/%c/#");
        sb.AppendLine("# and, while unclaimed, its announcement and its assignment");
        sb.AppendLine("pattern write roomdevice/v1/provisioning/unclaimed/%c");
        sb.AppendLine("pattern read roomdevice/v1/provisioning/%c/assign");
        return sb.ToString();
    }
}
